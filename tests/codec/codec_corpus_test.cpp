// The fuzzer's checked-in seed corpus (fuzz/corpus/decode/) is still what
// fuzz/corpus_seeds.h generates, and decodes as the file names say.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "../../fuzz/corpus_seeds.h"
#include "gossipmonger/msgpack_codec.h"

namespace gossipmonger {
namespace {

std::filesystem::path CorpusDir() {
  return std::filesystem::path(__FILE__).parent_path() / ".." / ".." / "fuzz" / "corpus" /
         "decode";
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST_CASE("the fuzzing corpus decodes as named", "[codec][corpus]") {
  const std::vector<fuzz::Seed> seeds = fuzz::CorpusSeeds();
  REQUIRE(seeds.size() >= 12);
  for (const fuzz::Seed& seed : seeds) {
    INFO(seed.name);
    codec::Decoded decoded;
    const Status s = codec::Decode(seed.bytes, codec::DecodeLimits(), &decoded);
    INFO(s.ToString());
    const bool valid = seed.name.rfind("valid-", 0) == 0;
    REQUIRE(valid != (seed.name.rfind("invalid-", 0) == 0));
    REQUIRE(s.ok() == valid);
    if (valid) REQUIRE(decoded.canonical == (seed.name != "valid-noncanonical"));
  }
}

TEST_CASE("the checked-in corpus files are the generated seeds", "[codec][corpus]") {
  const std::filesystem::path dir = CorpusDir();
  if (!std::filesystem::is_directory(dir)) {
    WARN("no corpus directory at " << dir.string());
    return;
  }
  std::set<std::string> names;
  for (const fuzz::Seed& seed : fuzz::CorpusSeeds()) {
    INFO(seed.name << " (regenerate with gossipmonger-fuzz-corpus fuzz/corpus/decode)");
    REQUIRE(std::filesystem::exists(dir / seed.name));
    REQUIRE(ReadFile(dir / seed.name) == seed.bytes);
    names.insert(seed.name);
  }
  // Anything else there (inputs a fuzzer found) must at least decode safely.
  for (const auto& file : std::filesystem::directory_iterator(dir)) {
    if (names.count(file.path().filename().string()) != 0) continue;
    codec::Decoded decoded;
    REQUIRE_NOTHROW(codec::Decode(ReadFile(file.path()), codec::DecodeLimits(), &decoded));
  }
}

}  // namespace
}  // namespace gossipmonger
