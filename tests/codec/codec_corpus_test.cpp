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
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
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
    if (valid) {
      REQUIRE(decoded.canonical == (seed.name.rfind("valid-noncanonical", 0) != 0));
      // Version 2 exactly when the seed needs it ("-v2-", or a version-2
      // envelope around version 1 content).
      const bool v2 = seed.name.find("-v2-") != std::string::npos ||
                      seed.name == "valid-noncanonical-version-2";
      REQUIRE(decoded.protocol_version == (v2 ? 2u : 1u));
    }
  }
}

TEST_CASE("the invalid version-2 seeds fail for their reason", "[codec][corpus][v2]") {
  const std::vector<std::pair<std::string, std::string>> reasons = {
      {"invalid-v2-in-v1-envelope", "got nil: a tombstone needs protocol version 2"},
      {"invalid-v2-reply-in-v1-envelope",
       "entry: an array of 5 elements instead of 4: a clean through needs"},
      {"invalid-v2-reset-in-push", "a push carries no reset"},
      {"invalid-v2-leave-with-key", "a leave's key is empty"},
      {"invalid-v2-truncated", "truncated"},
      {"invalid-version-3", "version 3 is not supported (this node speaks 1 and 2)"},
  };
  for (const auto& [name, reason] : reasons) {
    INFO(name);
    bool found = false;
    for (const fuzz::Seed& seed : fuzz::CorpusSeeds()) {
      if (seed.name != name) continue;
      found = true;
      codec::Decoded decoded;
      const Status s = codec::Decode(seed.bytes, codec::DecodeLimits(), &decoded);
      INFO(s.ToString());
      REQUIRE(s.message().find(reason) != std::string::npos);
    }
    REQUIRE(found);
  }
}

TEST_CASE("the version-1 seeds are still written in version 1, byte for byte",
          "[codec][corpus][v2]") {
  // Version 2 changed nothing of what version 1 carries: every canonical
  // version-1 seed re-encodes to its own bytes, version byte 1.
  int checked = 0;
  for (const fuzz::Seed& seed : fuzz::CorpusSeeds()) {
    codec::Decoded decoded;
    if (!codec::Decode(seed.bytes, codec::DecodeLimits(), &decoded).ok()) continue;
    if (!decoded.canonical || decoded.protocol_version != 1) continue;
    INFO(seed.name);
    std::string again;
    codec::Encode(decoded.cluster, decoded.message, again);
    REQUIRE(again == seed.bytes);
    REQUIRE(again[4] == 1);
    ++checked;
  }
  REQUIRE(checked >= 7);
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
    REQUIRE_NOTHROW(
        codec::Decode(ReadFile(file.path()), codec::DecodeLimits(), &decoded));
  }
}

}  // namespace
}  // namespace gossipmonger
