// The storage conformance suite's checks of data (PutDeltas, values,
// Flush); storage_conformance.h runs them. Catch2 v2 code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gossipmonger/testing/storage_conformance_support.h"

namespace gossipmonger::testing::storage_suite {

// PutDeltas stores a batch and raises max_version_seen.
inline void CheckBatches(StorageUnderTest& storage) {
  SECTION("PutDeltas stores the batch and sets max_version_seen") {
    REQUIRE(storage->PutPeer(Header("a", "x:1", 1)).ok());
    REQUIRE(storage
                ->PutDeltas("a", std::vector{Delta("k1", "v1", 1), Delta("k2", "v2", 3)},
                            Version(3))
                .ok());
    // max_version_seen may lie above the last delta (the versions in between
    // were overwritten at the owner).
    REQUIRE(storage->PutDeltas("a", std::vector{Delta("k3", "v3", 5)}, Version(8)).ok());
    storage.Verify([](const Storage& s) {
      CheckPeer(s, {"a",
                    "x:1",
                    1,
                    8,
                    true,
                    {{"k1", {"v1", Version(1)}},
                     {"k2", {"v2", Version(3)}},
                     {"k3", {"v3", Version(5)}}}});
    });
    // An empty batch may raise max_version_seen alone.
    REQUIRE(storage->PutDeltas("a", std::vector<KeyDelta>{}, Version(10)).ok());
    storage.Verify(
        [](const Storage& s) { CHECK(s.Get("a")->max_version_seen == Version(10)); });
  }

  SECTION("overwriting a key keeps one entry with the newer value and version") {
    REQUIRE(storage->PutPeer(Header("a", "x:1", 1)).ok());
    REQUIRE(storage
                ->PutDeltas("a",
                            std::vector{Delta("k", "first", 1), Delta("other", "o", 2)},
                            Version(2))
                .ok());
    REQUIRE(
        storage->PutDeltas("a", std::vector{Delta("k", "second", 3)}, Version(3)).ok());
    // Within one batch too: the later delta wins.
    REQUIRE(storage
                ->PutDeltas("a",
                            std::vector{Delta("other", "p", 4), Delta("other", "q", 5)},
                            Version(5))
                .ok());
    storage.Verify([](const Storage& s) {
      CheckPeer(s, {"a",
                    "x:1",
                    1,
                    5,
                    true,
                    {{"k", {"second", Version(3)}}, {"other", {"q", Version(5)}}}});
    });
  }
}

// Offers, one section each, a batch that peer "a" (generation 1, keys k1 at
// version 4 and k2 at 5, max_version_seen 5) must refuse as a whole.
inline void OfferOneRefusedBatch(StorageUnderTest& storage) {
  SECTION("descending versions") {
    CHECK_FALSE(storage
                    ->PutDeltas("a",
                                std::vector{Delta("k1", "new", 7), Delta("k3", "v3", 6)},
                                Version(7))
                    .ok());
  }
  SECTION("a repeated version") {
    CHECK_FALSE(storage
                    ->PutDeltas("a",
                                std::vector{Delta("k1", "new", 6), Delta("k3", "v3", 6)},
                                Version(6))
                    .ok());
  }
  SECTION("a version equal to max_version_seen") {
    CHECK_FALSE(
        storage->PutDeltas("a", std::vector{Delta("k1", "new", 5)}, Version(5)).ok());
  }
  SECTION("a version below max_version_seen, after a valid one") {
    // The first delta alone would be accepted: the batch is all or nothing.
    CHECK_FALSE(storage
                    ->PutDeltas("a",
                                std::vector{Delta("k3", "v3", 6), Delta("k1", "new", 3)},
                                Version(6))
                    .ok());
  }
  SECTION("max_version_seen below the last delta") {
    CHECK_FALSE(storage
                    ->PutDeltas("a",
                                std::vector{Delta("k3", "v3", 6), Delta("k1", "new", 8)},
                                Version(7))
                    .ok());
  }
  SECTION("an empty batch lowering max_version_seen") {
    CHECK_FALSE(storage->PutDeltas("a", std::vector<KeyDelta>{}, Version(4)).ok());
  }
}

// A batch breaking the order of versions is refused as a whole.
inline void CheckRefusedBatch(StorageUnderTest& storage) {
  SECTION("a refused batch changes nothing") {
    REQUIRE(storage->PutPeer(Header("a", "x:1", 1)).ok());
    REQUIRE(storage
                ->PutDeltas("a", std::vector{Delta("k1", "v1", 4), Delta("k2", "v2", 5)},
                            Version(5))
                .ok());
    const ExpectedPeer before{
        "a", "x:1", 1, 5, true, {{"k1", {"v1", Version(4)}}, {"k2", {"v2", Version(5)}}}};

    OfferOneRefusedBatch(storage);
    storage.Verify([&](const Storage& s) { CheckPeer(s, before); });
    // The storage still takes a valid batch after refusing one.
    REQUIRE(storage->PutDeltas("a", std::vector{Delta("k3", "v3", 6)}, Version(6)).ok());
    storage.Verify([](const Storage& s) {
      CheckPeer(s, {"a",
                    "x:1",
                    1,
                    6,
                    true,
                    {{"k1", {"v1", Version(4)}},
                     {"k2", {"v2", Version(5)}},
                     {"k3", {"v3", Version(6)}}}});
    });
  }
}

// Values are bytes: binary, empty and large ones round-trip.
inline void CheckValues(StorageUnderTest& storage) {
  SECTION("binary and empty values round-trip") {
    const std::string with_nul("a\0b\0", 4);
    const std::string high_bytes("\xff\xfe\x00\x80\xff", 5);
    std::string every_byte;
    for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
    REQUIRE(storage->PutPeer(Header("a", "x:1", 1)).ok());
    REQUIRE(storage
                ->PutDeltas(
                    "a",
                    std::vector{Delta("nul", with_nul, 1), Delta("high", high_bytes, 2),
                                Delta("empty", "", 3), Delta("all", every_byte, 4),
                                Delta("utf8 \xc3\xa9", "\xe2\x82\xac", 5)},
                    Version(5))
                .ok());
    storage.Verify([&](const Storage& s) {
      CheckPeer(s, {"a",
                    "x:1",
                    1,
                    5,
                    true,
                    {{"nul", {with_nul, Version(1)}},
                     {"high", {high_bytes, Version(2)}},
                     {"empty", {"", Version(3)}},
                     {"all", {every_byte, Version(4)}},
                     {"utf8 \xc3\xa9", {"\xe2\x82\xac", Version(5)}}}});
    });
  }

  SECTION("a 1 MiB value round-trips") {
    std::string big(std::size_t{1} << 20, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) {
      big[i] = static_cast<char>((i * 131 + i / 251) & 0xff);
    }
    REQUIRE(storage->PutPeer(Header("a", "x:1", 1)).ok());
    REQUIRE(storage->PutDeltas("a", std::vector{Delta("big", big, 1)}, Version(1)).ok());
    storage.Verify([&](const Storage& s) {
      CheckPeer(s, {"a", "x:1", 1, 1, true, {{"big", {big, Version(1)}}}});
    });
    // Shrinking it again leaves no trace of the big value.
    REQUIRE(
        storage->PutDeltas("a", std::vector{Delta("big", "small", 2)}, Version(2)).ok());
    storage.Verify([](const Storage& s) {
      CheckPeer(s, {"a", "x:1", 1, 2, true, {{"big", {"small", Version(2)}}}});
    });
  }
}

// Many peers with many keys round-trip.
inline void CheckManyPeers(StorageUnderTest& storage) {
  SECTION("1,000 peers with 10 keys each round-trip") {
    constexpr int kPeers = 1000;
    constexpr int kKeys = 10;
    auto value_of = [](int peer, int key) {
      return "value " + std::to_string(peer) + "/" + std::to_string(key);
    };
    for (int p = 0; p < kPeers; ++p) {
      const std::string id = "peer-" + std::to_string(p);
      REQUIRE(
          storage->PutPeer(Header(id, "10.0.0." + std::to_string(p), 100 + p, p % 2 == 0))
              .ok());
      std::vector<KeyDelta> deltas;
      for (int k = 0; k < kKeys; ++k) {
        deltas.push_back(Delta("key-" + std::to_string(k), value_of(p, k),
                               static_cast<std::uint64_t>(k + 1)));
      }
      REQUIRE(storage->PutDeltas(id, deltas, Version(kKeys)).ok());
    }
    storage.Verify([&](const Storage& s) {
      REQUIRE(s.PeerCount() == kPeers);
      // peer-0 is live; named local, it is left out.
      CHECK(s.LivePeers("peer-0").size() == kPeers / 2 - 1);
      for (int p = 0; p < kPeers; ++p) {
        const PeerRecord* peer = s.Get("peer-" + std::to_string(p));
        REQUIRE(peer != nullptr);
        REQUIRE(peer->generation == Generation(100 + static_cast<std::uint64_t>(p)));
        REQUIRE(peer->address == "10.0.0." + std::to_string(p));
        REQUIRE(peer->max_version_seen == Version(kKeys));
        REQUIRE(peer->data.size() == kKeys);
        for (int k = 0; k < kKeys; ++k) {
          auto it = peer->data.find("key-" + std::to_string(k));
          REQUIRE(it != peer->data.end());
          REQUIRE(it->second.value == value_of(p, k));
          REQUIRE(it->second.version == Version(static_cast<std::uint64_t>(k + 1)));
        }
      }
    });
  }
}

// Flush keeps everything; Get sees every write at once.
inline void CheckFlushAndGet(StorageUnderTest& storage) {
  SECTION("Flush returns ok and keeps everything") {
    CHECK(storage->Flush().ok());  // nothing written yet
    REQUIRE(storage->PutPeer(Header("a", "x:1", 3)).ok());
    REQUIRE(storage->PutDeltas("a", std::vector{Delta("k", "v", 1)}, Version(1)).ok());
    CHECK(storage->Flush().ok());
    CHECK(storage->Flush().ok());  // twice in a row
    storage.Verify([](const Storage& s) {
      CheckPeer(s, {"a", "x:1", 3, 1, true, {{"k", {"v", Version(1)}}}});
    });
  }

  SECTION("Get reflects the latest write") {
    REQUIRE(storage->PutPeer(Header("a", "x:1", 1)).ok());
    REQUIRE(storage->Get("a") != nullptr);
    REQUIRE(storage->PutDeltas("a", std::vector{Delta("k", "v", 1)}, Version(1)).ok());
    const PeerRecord* peer = storage->Get("a");
    REQUIRE(peer != nullptr);
    CHECK(peer->max_version_seen == Version(1));
    CHECK(peer->data.count("k") == 1);
    storage.Verify([](const Storage& s) {
      CheckPeer(s, {"a", "x:1", 1, 1, true, {{"k", {"v", Version(1)}}}});
    });
  }
}

}  // namespace gossipmonger::testing::storage_suite
