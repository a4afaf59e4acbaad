// The storage conformance suite's checks of peers (PutPeer, generations,
// listings); storage_conformance.h runs them. Catch2 v2 code.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "gossipmonger/testing/storage_conformance_support.h"

namespace gossipmonger::testing::storage_suite {

// A fresh storage, and peers created by PutPeer.
inline void CheckNewPeers(StorageUnderTest& storage) {
  SECTION("a fresh storage is empty") {
    storage.Verify([](const Storage& s) {
      CHECK(s.Get("nobody") == nullptr);
      CHECK(s.PeerCount() == 0);
      std::size_t visited = 0;
      s.ForEachPeer([&](const PeerRecord&) { ++visited; });
      CHECK(visited == 0);
      CHECK(s.LivePeers("self").empty());
      CHECK(s.DeadPeers("self").empty());
    });
  }

  SECTION("PutPeer creates a peer with max_version_seen 0 and no data") {
    REQUIRE(storage->PutPeer(Header("a", "host-a:1", 7, true)).ok());
    REQUIRE(storage->PutPeer(Header("b", "host-b:2", 9, false)).ok());
    storage.Verify([](const Storage& s) {
      CHECK(s.PeerCount() == 2);
      CheckPeer(s, {"a", "host-a:1", 7, 0, true, {}});
      CheckPeer(s, {"b", "host-b:2", 9, 0, false, {}});
      CHECK(s.Get("c") == nullptr);
    });
  }
}

// PutPeer on a known peer, same generation: the data stays.
inline void CheckSameGeneration(StorageUnderTest& storage) {
  SECTION(
      "PutPeer with the same generation keeps the data and updates address and live") {
    REQUIRE(storage->PutPeer(Header("a", "old:1", 5)).ok());
    REQUIRE(storage
                ->PutDeltas("a", std::vector{Delta("k1", "v1", 1), Delta("k2", "v2", 2)},
                            Version(2))
                .ok());
    REQUIRE(storage->PutPeer(Header("a", "new:2", 5, false)).ok());
    storage.Verify([](const Storage& s) {
      CHECK(s.PeerCount() == 1);
      CheckPeer(s, {"a",
                    "new:2",
                    5,
                    2,
                    false,
                    {{"k1", {"v1", Version(1)}}, {"k2", {"v2", Version(2)}}}});
    });
    // And back to live, still the same data.
    REQUIRE(storage->PutPeer(Header("a", "new:2", 5, true)).ok());
    storage.Verify([](const Storage& s) {
      CheckPeer(s, {"a",
                    "new:2",
                    5,
                    2,
                    true,
                    {{"k1", {"v1", Version(1)}}, {"k2", {"v2", Version(2)}}}});
    });
  }
}

// PutPeer on a known peer, another generation: a new lineage.
inline void CheckOtherGeneration(StorageUnderTest& storage) {
  SECTION("PutPeer with another generation drops the data and resets max_version_seen") {
    REQUIRE(storage->PutPeer(Header("a", "x:1", 5)).ok());
    REQUIRE(storage
                ->PutDeltas("a",
                            std::vector{Delta("old1", "o", 1), Delta("old2", "o", 4)},
                            Version(4))
                .ok());
    REQUIRE(storage->PutPeer(Header("b", "y:1", 5)).ok());
    REQUIRE(storage->PutDeltas("b", std::vector{Delta("keep", "b", 3)}, Version(3)).ok());

    SECTION("a higher generation") {
      REQUIRE(storage->PutPeer(Header("a", "x:2", 6)).ok());
      storage.Verify([](const Storage& s) {
        CheckPeer(s, {"a", "x:2", 6, 0, true, {}});
        // Another peer is untouched.
        CheckPeer(s, {"b", "y:1", 5, 3, true, {{"keep", {"b", Version(3)}}}});
      });
      // The new lineage numbers its versions from 1 again.
      REQUIRE(
          storage->PutDeltas("a", std::vector{Delta("new", "n", 1)}, Version(1)).ok());
      storage.Verify([](const Storage& s) {
        CheckPeer(s, {"a", "x:2", 6, 1, true, {{"new", {"n", Version(1)}}}});
      });
    }
    SECTION("a lower generation") {
      REQUIRE(storage->PutPeer(Header("a", "x:1", 4, false)).ok());
      storage.Verify([](const Storage& s) {
        CheckPeer(s, {"a", "x:1", 4, 0, false, {}});
        CheckPeer(s, {"b", "y:1", 5, 3, true, {{"keep", {"b", Version(3)}}}});
      });
    }
  }
}

// Writes naming no peer, or an unknown one, are refused.
inline void CheckRefusedPeers(StorageUnderTest& storage) {
  SECTION("PutPeer with an empty id fails and changes nothing") {
    REQUIRE(storage->PutPeer(Header("a", "x:1", 1)).ok());
    CHECK_FALSE(storage->PutPeer(Header("", "x:2", 1)).ok());
    storage.Verify([](const Storage& s) {
      CHECK(s.PeerCount() == 1);
      CHECK(s.Get("") == nullptr);
      CheckPeer(s, {"a", "x:1", 1, 0, true, {}});
    });
  }

  SECTION(
      "PutDeltas on an unknown peer fails with kInvalidArgument and changes nothing") {
    REQUIRE(storage->PutPeer(Header("a", "x:1", 1)).ok());
    const Status status =
        storage->PutDeltas("ghost", std::vector{Delta("k", "v", 1)}, Version(1));
    CHECK(status.code() == StatusCode::kInvalidArgument);
    storage.Verify([](const Storage& s) {
      CHECK(s.Get("ghost") == nullptr);
      CHECK(s.PeerCount() == 1);
      CheckPeer(s, {"a", "x:1", 1, 0, true, {}});
    });
  }
}

// LivePeers, DeadPeers, ForEachPeer and PeerCount.
inline void CheckPeerListings(StorageUnderTest& storage) {
  SECTION("LivePeers and DeadPeers follow live and never list the local peer") {
    // "self" stands for the local node's own record, which a storage holds
    // like any other.
    REQUIRE(storage->PutPeer(Header("self", "x:0", 1, true)).ok());
    REQUIRE(storage->PutPeer(Header("a", "x:1", 1, true)).ok());
    REQUIRE(storage->PutPeer(Header("b", "x:2", 1, false)).ok());
    REQUIRE(storage->PutPeer(Header("c", "x:3", 1, true)).ok());
    storage.Verify([](const Storage& s) {
      CHECK(IdsOf(s.LivePeers("self")) == std::set<std::string>{"a", "c"});
      CHECK(IdsOf(s.DeadPeers("self")) == std::set<std::string>{"b"});
      // Whoever is named local is left out, live or dead.
      CHECK(IdsOf(s.LivePeers("a")) == std::set<std::string>{"self", "c"});
      CHECK(IdsOf(s.DeadPeers("b")).empty());
    });
    REQUIRE(storage->PutPeer(Header("a", "x:1", 1, false)).ok());
    REQUIRE(storage->PutPeer(Header("b", "x:2", 1, true)).ok());
    REQUIRE(storage->PutPeer(Header("self", "x:0", 1, false)).ok());
    storage.Verify([](const Storage& s) {
      CHECK(IdsOf(s.LivePeers("self")) == std::set<std::string>{"b", "c"});
      CHECK(IdsOf(s.DeadPeers("self")) == std::set<std::string>{"a"});
    });
  }

  SECTION("ForEachPeer visits each peer once and PeerCount counts them") {
    for (int i = 0; i < 20; ++i) {
      REQUIRE(storage->PutPeer(Header("p" + std::to_string(i), "x", 1, i % 3 != 0)).ok());
    }
    // Writing a known peer again adds nothing.
    REQUIRE(storage->PutPeer(Header("p3", "y", 1, true)).ok());
    REQUIRE(storage->PutPeer(Header("p4", "y", 2, true)).ok());
    storage.Verify([](const Storage& s) {
      std::map<std::string, int> visits;
      s.ForEachPeer([&](const PeerRecord& peer) { ++visits[peer.id]; });
      CHECK(visits.size() == 20);
      for (int i = 0; i < 20; ++i) CHECK(visits["p" + std::to_string(i)] == 1);
      CHECK(s.PeerCount() == 20);
      CHECK(s.LivePeers("p0").size() + s.DeadPeers("p0").size() == 19);
    });
  }
}

}  // namespace gossipmonger::testing::storage_suite
