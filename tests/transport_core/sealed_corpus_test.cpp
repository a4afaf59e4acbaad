// The fuzzer's checked-in sealed seeds (fuzz/corpus/sealed/) are the seeds
// fuzz/sealed_seeds.h names and open as their names say. Their bytes differ
// at each generation (random nonces), so what is checked is how they open.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "../../fuzz/sealed_seeds.h"
#include "gossipmonger/msgpack_codec.h"

namespace gossipmonger {
namespace {

using transport_core::OpenOutcome;

std::filesystem::path SealedCorpusDir() {
  return std::filesystem::path(__FILE__).parent_path() / ".." / ".." / "fuzz" / "corpus" /
         "sealed";
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

// How each seed must open, by name.
OpenOutcome ExpectedOutcome(const std::string& name) {
  static const std::map<std::string, OpenOutcome> outcomes = {
      {"invalid-sealed-bad-tag", OpenOutcome::kUnauthentic},
      {"invalid-sealed-unknown-key", OpenOutcome::kUnknownKey},
      {"invalid-sealed-truncated-nonce", OpenOutcome::kMalformed},
  };
  auto it = outcomes.find(name);
  return it == outcomes.end() ? OpenOutcome::kOpened : it->second;
}

void CheckSeed(const Keyring& keyring, const std::string& name,
               const std::string& bytes) {
  INFO(name);
  REQUIRE(transport_core::LooksSealed(bytes));
  transport_core::SealHeader header;
  std::string envelope;
  KeyId id{};
  const bool valid = name.rfind("valid-", 0) == 0;
  REQUIRE(valid != (name.rfind("invalid-", 0) == 0));
  const OpenOutcome outcome =
      transport_core::Open(keyring, fuzz::kSealedCluster, bytes, &header, &envelope, &id);
  REQUIRE(outcome == ExpectedOutcome(name));
  REQUIRE((outcome == OpenOutcome::kOpened) == valid);
  if (valid) {
    codec::Decoded decoded;
    REQUIRE(codec::Decode(envelope, codec::DecodeLimits(), &decoded).ok());
    REQUIRE(decoded.cluster == fuzz::kSealedCluster);
  }
}

TEST_CASE("sealed seeds: generated ones open as named") {
  Keyring keyring;
  REQUIRE(keyring.Install(fuzz::FuzzKey()).ok());
  const std::vector<fuzz::Seed> seeds = fuzz::SealedSeeds();
  REQUIRE(seeds.size() >= 4);
  for (const fuzz::Seed& seed : seeds) CheckSeed(keyring, seed.name, seed.bytes);
}

TEST_CASE("sealed seeds: the checked-in files are the named seeds and open as named") {
  const std::filesystem::path dir = SealedCorpusDir();
  REQUIRE(std::filesystem::is_directory(dir));
  Keyring keyring;
  REQUIRE(keyring.Install(fuzz::FuzzKey()).ok());
  std::set<std::string> names;
  for (const fuzz::Seed& seed : fuzz::SealedSeeds()) {
    INFO(seed.name << " (regenerate with gossipmonger-fuzz-corpus fuzz/corpus/decode "
                      "fuzz/corpus/sealed)");
    REQUIRE(std::filesystem::exists(dir / seed.name));
    CheckSeed(keyring, seed.name, ReadFile(dir / seed.name));
    names.insert(seed.name);
  }
  for (const auto& file : std::filesystem::directory_iterator(dir)) {
    CHECK(names.count(file.path().filename().string()) == 1);
  }
}

}  // namespace
}  // namespace gossipmonger
