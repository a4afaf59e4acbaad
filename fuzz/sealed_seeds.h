// The sealed seeds of the decode fuzzer (fuzz/corpus/sealed/): sealed
// frames (docs/SECURITY.md, "The sealed frame") around envelopes of the
// decode corpus, under the fuzzer's fixed test key, valid ("valid-*") and
// not ("invalid-*"). make_corpus.cpp writes them; every Seal draws a fresh
// random nonce, so the files differ at each generation:
// tests/transport_core/sealed_corpus_test.cpp checks that the committed
// files open as their names say rather than their bytes.
#pragma once

#include <string>
#include <vector>

#include "corpus_seeds.h"
#include "gossipmonger/keyring.h"
#include "transport_core/sealed_frame.h"

namespace gossipmonger::fuzz {

// The cluster the fuzzer opens sealed frames in.
inline constexpr std::string_view kSealedCluster = "prod";

// The fuzzer's test key: bytes 0, 1, ..., 31. A test key, public.
inline SecretKey FuzzKey() {
  SecretKey key;
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i);
  return key;
}

inline std::vector<Seed> SealedSeeds() {
  using transport_core::Seal;
  using transport_core::SealHeader;
  const SecretKey key = FuzzKey();
  const KeyId id = Keyring::IdOf(key);
  const SealHeader header{1'700'000'000'000'000, 7, 1'700'000'000'123};
  auto seal = [&](std::string_view envelope) {
    std::string out;
    Seal(key, id, kSealedCluster, header, envelope, out);
    return out;
  };
  std::string synack, syn, ack;
  for (const Seed& seed : CorpusSeeds()) {
    if (seed.name == "valid-synack") synack = seed.bytes;
    if (seed.name == "valid-syn") syn = seed.bytes;
    if (seed.name == "valid-ack-binary") ack = seed.bytes;  // a box in bin 16
  }
  std::string bad_tag = seal(synack);
  bad_tag.back() = static_cast<char>(bad_tag.back() ^ 0x01);
  SecretKey other = key;
  other[0] ^= 0xff;
  std::string unknown_key;
  Seal(other, Keyring::IdOf(other), kSealedCluster, header, synack, unknown_key);
  return {
      {"valid-sealed-synack", seal(synack)},
      {"valid-sealed-syn", seal(syn)},
      {"valid-sealed-ack-binary", seal(ack)},
      {"invalid-sealed-bad-tag", bad_tag},
      {"invalid-sealed-unknown-key", unknown_key},
      // Cut in the middle of the nonce.
      {"invalid-sealed-truncated-nonce", seal(synack).substr(0, 30)},
  };
}

}  // namespace gossipmonger::fuzz
