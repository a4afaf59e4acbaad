// The storage conformance suite's checks of the lifecycle writes
// (docs/LIFECYCLE.md): entry kinds and deadlines, ReplaceData (a reset),
// CollectTombstones, ForgetPeer / DropForgotten, the floors a new generation
// resets, and down_since. storage_conformance.h runs them. Catch2 v2 code.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gossipmonger/testing/storage_conformance_support.h"

namespace gossipmonger::testing::storage_suite {

inline KeyDelta Tombstone(const std::string& key, std::uint64_t version,
                          std::int64_t expires_at = 0) {
  return KeyDelta{key, "", Version(version), EntryKind::kTombstone, WallTime(expires_at)};
}

inline KeyDelta Expiring(const std::string& key, const std::string& value,
                         std::uint64_t version, std::int64_t expires_at) {
  return KeyDelta{key, value, Version(version), EntryKind::kValue, WallTime(expires_at)};
}

// What a storage holds of an entry, as CheckPeer compares it.
inline VersionedValue Entry(const KeyDelta& delta) {
  return VersionedValue{delta.value, delta.version, delta.kind, delta.expires_at};
}

inline PeerHeader DownHeader(const std::string& id, const std::string& address,
                             std::uint64_t generation, std::int64_t down_since) {
  return PeerHeader{id, address, Generation(generation), false, WallTime(down_since)};
}

// The lifecycle fields of a peer's record besides its data.
struct Floors {
  std::int64_t down_since = 0;
  std::uint64_t collected_through = 0;
  std::uint64_t clean_through = 0;
};

inline void CheckFloors(const Storage& storage, const std::string& id, Floors expected) {
  INFO("peer '" << id << "'");
  const PeerRecord* peer = storage.Get(id);
  REQUIRE(peer != nullptr);
  CHECK(peer->down_since.count() == expected.down_since);
  CHECK(peer->collected_through.value() == expected.collected_through);
  CHECK(peer->clean_through.value() == expected.clean_through);
}

// Every remembered forgotten peer, by id, as (generation, forgotten_at).
inline std::map<std::string, std::pair<std::uint64_t, std::int64_t>> ForgottenOf(
    const Storage& storage) {
  std::map<std::string, std::pair<std::uint64_t, std::int64_t>> forgotten;
  storage.ForEachForgotten([&](const ForgottenPeer& peer) {
    CHECK(forgotten.count(peer.id) == 0);  // one memory per id
    forgotten[peer.id] = {peer.generation.value(), peer.forgotten_at.count()};
  });
  return forgotten;
}

// --- for a backend's own tests (migration, failing disks) -------------------

// Every peer and entry has the lifecycle fields at their defaults (what a
// file written before the lifecycle holds), and nobody is forgotten.
inline void CheckLifecycleDefaults(const Storage& storage) {
  storage.ForEachPeer([](const PeerRecord& peer) {
    INFO("peer '" << peer.id << "'");
    CHECK(peer.down_since == WallTime());
    CHECK(peer.collected_through == Version());
    CHECK(peer.clean_through == Version());
    for (const auto& [key, entry] : peer.data) {
      CHECK(entry.kind == EntryKind::kValue);
      CHECK(entry.expires_at == WallTime());
    }
  });
  CHECK(ForgottenOf(storage).empty());
}

// Peers "self" (a value, and a tombstone "t" at version 2), "gone" and
// "reset" (one key each) and the memory of a forgotten "old", flushed.
inline void WriteLifecycleSetUp(Storage& storage) {
  REQUIRE(storage.PutPeer(Header("self", "me", 1)).ok());
  REQUIRE(storage
              .PutDeltas("self", std::vector{Delta("k", "v", 1), Tombstone("t", 2, 50)},
                         Version(2))
              .ok());
  for (const char* id : {"gone", "reset", "old"}) {
    REQUIRE(storage.PutPeer(Header(id, "there", 7)).ok());
    REQUIRE(storage.PutDeltas(id, std::vector{Delta("a", "1", 3)}, Version(3)).ok());
  }
  REQUIRE(storage.ForgetPeer(ForgottenPeer{"old", Generation(7), WallTime(10)}).ok());
  REQUIRE(storage.Flush().ok());
}

// After WriteLifecycleSetUp: every lifecycle write once (a failing disk may
// refuse any of them), and their statuses.
inline std::vector<Status> WriteEveryLifecycleChange(Storage& storage) {
  return {
      storage.ForgetPeer(ForgottenPeer{"gone", Generation(7), WallTime(20)}),
      storage.ReplaceData("reset", std::vector{Delta("b", "2", 9)}, Version(9),
                          Version(11)),
      storage.CollectTombstones("self", std::vector<std::string>{"t"}, Version(2)),
      storage.DropForgotten("old"),
      storage.PutPeer(DownHeader("self", "me", 1, 30)),
  };
}

// Memory holds every change of WriteEveryLifecycleChange, whatever the
// disk said.
inline void CheckEveryLifecycleChange(const Storage& storage) {
  CHECK(storage.Get("gone") == nullptr);
  CheckPeer(storage, {"reset", "there", 7, 9, true, {{"b", {"2", Version(9)}}}});
  CheckFloors(storage, "reset", {0, 0, 11});
  CheckPeer(storage, {"self", "me", 1, 2, false, {{"k", {"v", Version(1)}}}});
  CheckFloors(storage, "self", {30, 2, 0});
  CHECK(ForgottenOf(storage) ==
        std::map<std::string, std::pair<std::uint64_t, std::int64_t>>{{"gone", {7, 20}}});
}

// PutDeltas stores each entry's kind and expires_at.
inline void CheckEntryKinds(StorageUnderTest& storage) {
  SECTION("tombstones, leave entries and deadlines persist with kind and expires_at") {
    const KeyDelta ttl = Expiring("session", "token", 1, 1'700'000'000'000'000);
    const KeyDelta deleted = Tombstone("gone", 2, 1'700'000'360'000'000);
    const KeyDelta left{"", "", Version(3), EntryKind::kLeave, WallTime()};
    REQUIRE(storage->PutPeer(Header("a", "x:1", 1)).ok());
    REQUIRE(storage->PutDeltas("a", std::vector{ttl, deleted, left}, Version(3)).ok());
    storage.Verify([&](const Storage& s) {
      CheckPeer(s,
                {"a",
                 "x:1",
                 1,
                 3,
                 true,
                 {{"session", Entry(ttl)}, {"gone", Entry(deleted)}, {"", Entry(left)}}});
    });
    // A deleted key set again, a value deleted, a deadline cleared, the
    // leave withdrawn (a tombstone of the empty key): each a new version.
    const KeyDelta again = Delta("gone", "back", 4);
    const KeyDelta cleared = Delta("session", "token", 5);
    const KeyDelta back = Tombstone("", 6, 1'700'000'999'000'000);
    REQUIRE(storage->PutDeltas("a", std::vector{again, cleared, back}, Version(6)).ok());
    storage.Verify([&](const Storage& s) {
      CheckPeer(
          s, {"a",
              "x:1",
              1,
              6,
              true,
              {{"session", Entry(cleared)}, {"gone", Entry(again)}, {"", Entry(back)}}});
    });
  }
}

// ReplaceDataSections' refusals, on its set-up (`before`: peer a, `b`).
inline void ReplaceDataRefusals(StorageUnderTest& storage, const ExpectedPeer& before,
                                const ExpectedPeer& b) {
  SECTION("a refused ReplaceData changes nothing") {
    SECTION("unknown peer") {
      CHECK(storage
                ->ReplaceData("ghost", std::vector{Delta("k", "v", 1)}, Version(1),
                              Version(1))
                .code() == StatusCode::kInvalidArgument);
    }
    SECTION("descending versions, after a valid one") {
      CHECK(storage
                ->ReplaceData("a", std::vector{Delta("k1", "n", 4), Delta("k2", "n", 2)},
                              Version(4), Version(4))
                .code() == StatusCode::kInvalidArgument);
    }
    SECTION("a repeated version") {
      CHECK_FALSE(storage
                      ->ReplaceData("a",
                                    std::vector{Delta("k1", "n", 4), Delta("k2", "n", 4)},
                                    Version(4), Version(4))
                      .ok());
    }
    SECTION("max_version_seen below the last delta") {
      CHECK_FALSE(
          storage
              ->ReplaceData("a", std::vector{Delta("k1", "n", 7)}, Version(6), Version(6))
              .ok());
    }
    storage.Verify([&](const Storage& s) {
      CHECK(s.Get("ghost") == nullptr);
      CheckPeer(s, before);
      CheckFloors(s, "a", {});
      CheckPeer(s, b);
    });
  }
}

// ReplaceData: a reset replaces the peer's whole holding. The set-up of
// this and the next checks runs inside an enclosing SECTION (see Check*
// below): Catch runs the whole test case once per leaf section, so set-up
// outside one would run before every other check of the suite too.
inline void ReplaceDataSections(StorageUnderTest& storage) {
  const KeyDelta k1 = Delta("k1", "v1", 1);
  const KeyDelta k2 = Delta("k2", "v2", 2);
  const KeyDelta k3 = Tombstone("k3", 3, 500);
  const ExpectedPeer before{
      "a", "x:1", 1, 3, true, {{"k1", Entry(k1)}, {"k2", Entry(k2)}, {"k3", Entry(k3)}}};
  REQUIRE(storage->PutPeer(Header("a", "x:1", 1)).ok());
  REQUIRE(storage->PutDeltas("a", std::vector{k1, k2, k3}, Version(3)).ok());
  REQUIRE(storage->PutPeer(Header("b", "y:1", 1)).ok());
  REQUIRE(storage->PutDeltas("b", std::vector{Delta("k1", "b", 1)}, Version(1)).ok());
  const ExpectedPeer b{"b", "y:1", 1, 1, true, {{"k1", {"b", Version(1)}}}};

  SECTION("ReplaceData replaces the data and sets max_version_seen and clean_through") {
    const KeyDelta r2 = Delta("k2", "v2", 5);
    const KeyDelta r4 = Tombstone("k4", 6, 900);
    const KeyDelta r5 = Delta("k5", "v5", 8);
    REQUIRE(
        storage->ReplaceData("a", std::vector{r2, r4, r5}, Version(9), Version(12)).ok());
    storage.Verify([&](const Storage& s) {
      CheckPeer(s, {"a",
                    "x:1",
                    1,
                    9,
                    true,
                    {{"k2", Entry(r2)}, {"k4", Entry(r4)}, {"k5", Entry(r5)}}});
      CheckFloors(s, "a", {0, 0, 12});
      CheckPeer(s, b);  // another peer is untouched
    });
    // Deltas continue above the reset; an empty reset empties the peer.
    REQUIRE(
        storage->PutDeltas("a", std::vector{Delta("k6", "v6", 10)}, Version(10)).ok());
    storage.Verify([&](const Storage& s) {
      CHECK(s.Get("a")->data.size() == 4);
      CHECK(s.Get("a")->max_version_seen == Version(10));
    });
    REQUIRE(storage->ReplaceData("a", std::vector<KeyDelta>{}, Version(10), Version(20))
                .ok());
    storage.Verify([&](const Storage& s) {
      CheckPeer(s, {"a", "x:1", 1, 10, true, {}});
      CheckFloors(s, "a", {0, 0, 20});
    });
  }

  ReplaceDataRefusals(storage, before, b);
}

// CollectTombstonesSections' refusals, on its set-up (`held`: t1, k2, t3, t5).
inline void CollectTombstonesRefusals(StorageUnderTest& storage,
                                      const std::vector<KeyDelta>& held) {
  SECTION("a refused CollectTombstones changes nothing") {
    SECTION("unknown peer") {
      CHECK(
          storage->CollectTombstones("ghost", std::vector<std::string>{"t1"}, Version(1))
              .code() == StatusCode::kInvalidArgument);
    }
    SECTION("a value, after a tombstone") {
      CHECK(storage
                ->CollectTombstones("a", std::vector<std::string>{"t1", "k2"}, Version(3))
                .code() == StatusCode::kInvalidArgument);
    }
    SECTION("a tombstone above the floor") {
      CHECK(storage
                ->CollectTombstones("a", std::vector<std::string>{"t1", "t5"}, Version(4))
                .code() == StatusCode::kInvalidArgument);
    }
    SECTION("a key the peer does not hold") {
      CHECK(
          storage
              ->CollectTombstones("a", std::vector<std::string>{"t1", "nope"}, Version(5))
              .code() == StatusCode::kInvalidArgument);
    }
    storage.Verify([&](const Storage& s) {
      CheckPeer(s, {"a",
                    "x:1",
                    1,
                    5,
                    true,
                    {{"t1", Entry(held[0])},
                     {"k2", Entry(held[1])},
                     {"t3", Entry(held[2])},
                     {"t5", Entry(held[3])}}});
      CheckFloors(s, "a", {});
    });
  }
}

// CollectTombstones: removal in version order, the floor in the same batch.
inline void CollectTombstonesSections(StorageUnderTest& storage) {
  const KeyDelta t1 = Tombstone("t1", 1, 100);
  const KeyDelta k2 = Delta("k2", "v2", 2);
  const KeyDelta t3 = Tombstone("t3", 3, 300);
  const KeyDelta t5 = Tombstone("t5", 5, 500);
  REQUIRE(storage->PutPeer(Header("a", "x:1", 1)).ok());
  REQUIRE(storage->PutDeltas("a", std::vector{t1, k2, t3, t5}, Version(5)).ok());

  SECTION("CollectTombstones removes the tombstones and raises collected_through") {
    REQUIRE(
        storage->CollectTombstones("a", std::vector<std::string>{"t1", "t3"}, Version(3))
            .ok());
    storage.Verify([&](const Storage& s) {
      CheckPeer(s, {"a", "x:1", 1, 5, true, {{"k2", Entry(k2)}, {"t5", Entry(t5)}}});
      CheckFloors(s, "a", {0, 3, 0});
    });
    // The floor may rise with nothing to remove, and never goes down.
    REQUIRE(storage->CollectTombstones("a", std::vector<std::string>{}, Version(4)).ok());
    REQUIRE(storage->CollectTombstones("a", std::vector<std::string>{}, Version(2)).ok());
    storage.Verify([&](const Storage& s) { CheckFloors(s, "a", {0, 4, 0}); });
    REQUIRE(
        storage->CollectTombstones("a", std::vector<std::string>{"t5"}, Version(5)).ok());
    storage.Verify([&](const Storage& s) {
      CheckPeer(s, {"a", "x:1", 1, 5, true, {{"k2", Entry(k2)}}});
      CheckFloors(s, "a", {0, 5, 0});
    });
  }

  CollectTombstonesRefusals(storage, {t1, k2, t3, t5});
}

// ForgetPeer and DropForgotten: reaping and the memory of the forgotten.
inline void ForgetPeerSections(StorageUnderTest& storage) {
  REQUIRE(storage->PutPeer(Header("a", "x:1", 3)).ok());
  REQUIRE(
      storage
          ->PutDeltas("a", std::vector{Delta("k", "v", 1), Tombstone("t", 2)}, Version(2))
          .ok());
  REQUIRE(storage->PutPeer(Header("b", "y:1", 5)).ok());
  using Memory = std::map<std::string, std::pair<std::uint64_t, std::int64_t>>;

  SECTION("ForgetPeer removes the peer and its data and remembers it") {
    REQUIRE(storage->ForgetPeer(ForgottenPeer{"a", Generation(3), WallTime(1000)}).ok());
    CHECK(
        storage->ForgetPeer(ForgottenPeer{"ghost", Generation(1), WallTime(1)}).code() ==
        StatusCode::kInvalidArgument);
    storage.Verify([&](const Storage& s) {
      CHECK(s.Get("a") == nullptr);
      CHECK(s.PeerCount() == 1);
      CheckPeer(s, {"b", "y:1", 5, 0, true, {}});
      CHECK(ForgottenOf(s) == Memory{{"a", {3, 1000}}});
    });
    // The peer comes back (a new generation) while it is remembered: both
    // are stored until the memory is dropped; its new data starts afresh.
    REQUIRE(storage->PutPeer(Header("a", "x:2", 4)).ok());
    REQUIRE(storage->PutDeltas("a", std::vector{Delta("n", "new", 1)}, Version(1)).ok());
    storage.Verify([&](const Storage& s) {
      CheckPeer(s, {"a", "x:2", 4, 1, true, {{"n", {"new", Version(1)}}}});
      CHECK(ForgottenOf(s) == Memory{{"a", {3, 1000}}});
    });
    // Forgotten again: the new memory replaces the earlier one.
    REQUIRE(storage->ForgetPeer(ForgottenPeer{"a", Generation(4), WallTime(2000)}).ok());
    storage.Verify([&](const Storage& s) {
      CHECK(s.Get("a") == nullptr);
      CHECK(ForgottenOf(s) == Memory{{"a", {4, 2000}}});
    });
  }

  SECTION("DropForgotten forgets the memory; ok when there is none") {
    REQUIRE(storage->ForgetPeer(ForgottenPeer{"a", Generation(3), WallTime(1000)}).ok());
    REQUIRE(storage->ForgetPeer(ForgottenPeer{"b", Generation(5), WallTime(1500)}).ok());
    REQUIRE(storage->DropForgotten("a").ok());
    REQUIRE(storage->DropForgotten("nobody").ok());
    storage.Verify([&](const Storage& s) {
      CHECK(s.PeerCount() == 0);
      CHECK(ForgottenOf(s) == Memory{{"b", {5, 1500}}});
    });
    REQUIRE(storage->DropForgotten("b").ok());
    REQUIRE(storage->DropForgotten("b").ok());
    storage.Verify([&](const Storage& s) { CHECK(ForgottenOf(s).empty()); });
  }
}

inline void CheckReplaceData(StorageUnderTest& storage) {
  SECTION("ReplaceData") { ReplaceDataSections(storage); }
}
inline void CheckCollectTombstones(StorageUnderTest& storage) {
  SECTION("CollectTombstones") { CollectTombstonesSections(storage); }
}
inline void CheckForgetPeer(StorageUnderTest& storage) {
  SECTION("ForgetPeer and DropForgotten") { ForgetPeerSections(storage); }
}

// A new generation resets the floors; down_since is stored with the peer.
inline void CheckFloorsAndDownSince(StorageUnderTest& storage) {
  SECTION("PutPeer with a new generation resets collected_through and clean_through") {
    REQUIRE(storage->PutPeer(Header("a", "x:1", 1)).ok());
    REQUIRE(storage
                ->PutDeltas("a", std::vector{Tombstone("t", 1), Delta("k", "v", 2)},
                            Version(2))
                .ok());
    REQUIRE(
        storage->CollectTombstones("a", std::vector<std::string>{"t"}, Version(1)).ok());
    REQUIRE(
        storage->ReplaceData("a", std::vector{Delta("k", "v", 2)}, Version(2), Version(7))
            .ok());
    // The same generation keeps them.
    REQUIRE(storage->PutPeer(Header("a", "x:9", 1)).ok());
    storage.Verify([](const Storage& s) { CheckFloors(s, "a", {0, 1, 7}); });
    REQUIRE(storage->PutPeer(Header("a", "x:9", 2)).ok());
    storage.Verify([](const Storage& s) {
      CheckPeer(s, {"a", "x:9", 2, 0, true, {}});
      CheckFloors(s, "a", {0, 0, 0});
    });
  }

  SECTION("down_since persists with the peer") {
    REQUIRE(storage->PutPeer(Header("a", "x:1", 1)).ok());
    REQUIRE(storage->PutDeltas("a", std::vector{Delta("k", "v", 1)}, Version(1)).ok());
    REQUIRE(storage->PutPeer(DownHeader("a", "x:1", 1, 1'700'000'123'456'789)).ok());
    storage.Verify([](const Storage& s) {
      CheckPeer(s, {"a", "x:1", 1, 1, false, {{"k", {"v", Version(1)}}}});
      CheckFloors(s, "a", {1'700'000'123'456'789, 0, 0});
    });
    REQUIRE(storage->PutPeer(Header("a", "x:1", 1, true)).ok());
    storage.Verify([](const Storage& s) {
      CHECK(s.Get("a")->live);
      CheckFloors(s, "a", {0, 0, 0});
    });
  }
}

}  // namespace gossipmonger::testing::storage_suite
