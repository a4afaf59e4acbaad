// HeldDeltas: pushed groups above the prefix we hold wait, bounded, until
// the prefix reaches them; stale ones are dropped on the way.
#include "held_deltas.h"

#include <catch2/catch.hpp>

#include "core/engine_test_support.h"

using namespace gmtest;

namespace {

// A pushed group of peer `id` with versions from..to (one key each),
// continuing from `from - 1`.
PeerDeltas Pushed(const std::string& id, std::uint64_t from, std::uint64_t to,
                  Generation generation = kGen) {
  PeerDeltas group{id, generation, "", {}, Version(from - 1)};
  for (std::uint64_t v = from; v <= to; ++v) {
    group.deltas.push_back(Delta("k" + std::to_string(v), "v", v));
  }
  return group;
}

}  // namespace

TEST_CASE("A held group is released once the prefix reaches it", "[held]") {
  EngineStats stats;
  HeldDeltas held(stats);
  CHECK(held.Hold(Pushed("a", 3, 4)));
  CHECK(stats.deltas_held == 2);
  CHECK(held.deltas() == 2);
  CHECK_FALSE(held.empty());
  // The prefix is at 1: version 2 is missing.
  CHECK_FALSE(held.TakeReady("a", kGen, Version(1)).has_value());
  CHECK(held.deltas() == 2);
  // Nothing for another peer.
  CHECK_FALSE(held.TakeReady("b", kGen, Version(9)).has_value());
  // Version 2 arrived: the group continues the prefix.
  const auto ready = held.TakeReady("a", kGen, Version(2));
  REQUIRE(ready.has_value());
  CHECK(*ready == Pushed("a", 3, 4));
  // Released groups no longer count against the buffer's bound.
  CHECK(held.deltas() == 0);
  CHECK(held.empty());
}

TEST_CASE("A group a held one covers is not new", "[held]") {
  EngineStats stats;
  HeldDeltas held(stats);
  REQUIRE(held.Hold(Pushed("a", 3, 6)));
  CHECK_FALSE(held.Hold(Pushed("a", 4, 6)));  // inside it
  CHECK_FALSE(held.Hold(Pushed("a", 3, 5)));
  CHECK(held.Hold(Pushed("a", 3, 7)));                 // goes further
  CHECK(held.Hold(Pushed("a", 4, 6, Generation(7))));  // another lineage
  CHECK(stats.deltas_held == 4 + 5 + 3);
}

TEST_CASE("Ready groups are released one at a time, stale ones dropped", "[held]") {
  EngineStats stats;
  HeldDeltas held(stats);
  REQUIRE(held.Hold(Pushed("a", 5, 6)));
  REQUIRE(held.Hold(Pushed("a", 2, 3)));
  REQUIRE(held.Hold(Pushed("a", 9, 9, Generation(1))));  // an older lineage
  REQUIRE(held.Hold(Pushed("a", 1, 1)));                 // passed by the prefix below
  CHECK(held.deltas() == 6);
  // Prefix at 1: 2..3 is ready, and taken as soon as the scan finds it.
  auto ready = held.TakeReady("a", kGen, Version(1));
  REQUIRE(ready.has_value());
  CHECK(ready->deltas.front().version == Version(2));
  CHECK(held.deltas() == 4);
  // Prefix at 3 (after applying 2..3): 5..6 still waits for 4; the older
  // lineage and the group the prefix passed are dropped.
  CHECK_FALSE(held.TakeReady("a", kGen, Version(3)).has_value());
  CHECK(held.deltas() == 2);
  ready = held.TakeReady("a", kGen, Version(4));
  REQUIRE(ready.has_value());
  CHECK(ready->deltas.back().version == Version(6));
  CHECK(held.empty());
  CHECK(held.deltas() == 0);
}

TEST_CASE("The buffer is bounded per peer and in deltas", "[held]") {
  EngineStats stats;
  HeldDeltas held(stats);
  for (std::size_t i = 0; i < HeldDeltas::kMaxGroupsPerPeer; ++i) {
    REQUIRE(held.Hold(Pushed("a", 10 * (i + 1), 10 * (i + 1))));
  }
  // Full for "a": dropped, but still new to us (forwarded).
  CHECK(held.Hold(Pushed("a", 500, 501)));
  CHECK(stats.held_dropped == 2);
  CHECK(held.deltas() == HeldDeltas::kMaxGroupsPerPeer);
  // Another peer still has room, until the deltas bound.
  CHECK(held.Hold(Pushed("b", 2, HeldDeltas::kMaxDeltas - held.deltas() + 1)));
  CHECK(held.deltas() == HeldDeltas::kMaxDeltas);
  CHECK(held.Hold(Pushed("c", 2, 2)));
  CHECK(stats.held_dropped == 3);
  CHECK_FALSE(held.TakeReady("c", kGen, Version(1)).has_value());

  SECTION("released deltas make room again") {
    REQUIRE(held.TakeReady("b", kGen, Version(1)).has_value());
    CHECK(held.Hold(Pushed("c", 2, 2)));
    CHECK(stats.held_dropped == 3);
    CHECK(held.TakeReady("c", kGen, Version(1)).has_value());
  }
}
