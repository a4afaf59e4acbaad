// Tombstone collection (docs/LIFECYCLE.md, "Tombstone collection"): after
// the grace, in version order, with the floor persisted; and the wall clock
// that dates it ("Clocks").
#include "engine_test_support.h"

using namespace gmtest;

namespace {

bool Holds(const HandNode& node, const std::string& peer, const std::string& key) {
  return node.Peer(peer)->data.count(key) == 1;
}

KeyDelta TombstoneDue(const std::string& key, std::uint64_t version, WallTime due) {
  return {key, "", Version(version), EntryKind::kTombstone, due};
}

}  // namespace

TEST_CASE("Own tombstones are collected after the grace, in version order",
          "[engine][lifecycle][collection]") {
  HandNode a("a", WithGrace(10s));
  a.Start();
  for (const std::string key : {"k1", "k2", "k3"}) REQUIRE(a->Update(key, "v").ok());
  REQUIRE(a->Delete("k1").ok());  // v4 at 0 s: due at 10 s
  a->Tick(5s);
  REQUIRE(a->Delete("k2").ok());       // v5 at 5 s: due at 15 s
  REQUIRE(a->Update("k4", "v").ok());  // v6: the latest change is a value
  a->Tick(9s);
  CHECK(Holds(a, "a", "k1"));
  a->Tick(10s);
  CHECK_FALSE(Holds(a, "a", "k1"));
  CHECK(Holds(a, "a", "k2"));
  CHECK(a.Peer("a")->collected_through == Version(4));  // persisted with the removal
  a->Tick(15s);
  CHECK_FALSE(Holds(a, "a", "k2"));
  CHECK(a.Peer("a")->collected_through == Version(5));
  CHECK(a->stats().tombstones_collected == 2);
  CHECK(a->version() == Version(6));  // collection takes no version
}

TEST_CASE("The tombstone of a holding's latest change is kept until the next change",
          "[engine][lifecycle][collection]") {
  HandNode a("a", WithGrace(1s));
  a.Start();
  REQUIRE(a->Update("k", "v").ok());
  REQUIRE(a->Delete("k").ok());  // v2, the latest change
  a->Tick(30s);
  CHECK(Holds(a, "a", "k"));
  CHECK(a.Peer("a")->collected_through == Version());
  REQUIRE(a->Update("other", "v").ok());
  a->Tick(31s);
  CHECK_FALSE(Holds(a, "a", "k"));
  CHECK(a.Peer("a")->collected_through == Version(2));
}

TEST_CASE(
    "A peer's tombstones are collected in version order: the first not due stops it",
    "[engine][lifecycle][collection]") {
  HandNode b("b", WithGrace(10s));
  b.Know(Endpoint("a"));
  // As stored by an earlier run: deadlines need not follow versions.
  b.KnowData("a", {TombstoneDue("late", 1, WallTime(20s)),
                   TombstoneDue("early", 2, WallTime(5s)), Delta("k", "v", 3)});
  b.Start(10s);  // not before "late" was stored (20 s - grace)
  b->Tick(15s);
  CHECK(Holds(b, "a", "late"));
  CHECK(Holds(b, "a", "early"));  // due, but above one that is not
  b->Tick(20s);
  CHECK_FALSE(Holds(b, "a", "late"));
  CHECK_FALSE(Holds(b, "a", "early"));
  CHECK(b.Peer("a")->collected_through == Version(2));
  CHECK(Holds(b, "a", "k"));
}

TEST_CASE("Received tombstones are collected after the grace on the receiver's clock",
          "[engine][lifecycle][collection]") {
  HandNode b("b", WithGrace(10s));
  b.Know(Endpoint("a"));
  b.Start();
  b->Tick(7s);
  const KeyDelta gone{"k", "", Version(1), EntryKind::kTombstone};
  b->Receive(MakeMessage(MessageKind::kDeltas, Endpoint("a"), {},
                         {{"a", kGen, "", {gone, Delta("x", "v", 2)}}}),
             7s);
  b->Tick(16s);
  CHECK(Holds(b, "a", "k"));
  b->Tick(17s);
  CHECK_FALSE(Holds(b, "a", "k"));
  CHECK(b.Peer("a")->collected_through == Version(1));
}

TEST_CASE("Collection survives a restart: deadlines are stored, the index rebuilt",
          "[engine][lifecycle][collection]") {
  HandNode a("a", WithGrace(10s));
  a.Start();
  REQUIRE(a->Update("k", "v").ok());
  REQUIRE(a->Delete("k").ok());
  REQUIRE(a->Update("x", "v").ok());
  a.engine.reset();
  a.Start(3s);  // a fresh clock: wall time 3 s again
  a->Tick(9s);
  CHECK(Holds(a, "a", "k"));
  a->Tick(10s);
  CHECK_FALSE(Holds(a, "a", "k"));
}

TEST_CASE("At start the wall clock is raised to the latest time a tombstone was stored",
          "[engine][lifecycle][clock]") {
  HandNode a("a", WithGrace(10s));
  a.Know(Endpoint("p"));
  // Stored at 1000 s by an earlier run whose clock was ahead.
  a.KnowData("p", {TombstoneDue("k", 1, WallTime(1010s)), Delta("x", "v", 2)});
  a.Start(0s);
  REQUIRE(a->Update("t", "v", 5s).ok());
  // Dated on the raised clock: never below what the node already wrote.
  CHECK(a.Peer("a")->data.at("t").expires_at == WallTime(1005s));
  // TTL deadlines lie ahead when written: they raise nothing.
  HandNode b("b");
  b.Start();
  REQUIRE(b->Update("t", "v", 500s).ok());
  b.engine.reset();
  b.Start(0s);
  REQUIRE(b->Update("u", "v", 5s).ok());
  CHECK(b.Peer("b")->data.at("u").expires_at == WallTime(5s));
}
