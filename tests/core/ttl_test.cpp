// Keys with a time to live (docs/LIFECYCLE.md, "TTL"): the owner deletes
// them at its first step after the deadline, also after a restart.
#include "engine_test_support.h"

using namespace gmtest;

namespace {

const VersionedValue& OwnEntry(const HandNode& node, const std::string& key) {
  return node.Peer(node.self.id)->data.at(key);
}

// Steps every quarter interval from `from` to `until` (both included).
void StepThrough(HandNode& node, Duration from, Duration until) {
  for (Duration t = from; t <= until; t += 250ms) node->Step(t);
}

}  // namespace

TEST_CASE("A key with a TTL is deleted at the first step after its deadline",
          "[engine][lifecycle][ttl]") {
  HandNode a("a");
  a.Start();
  a->Tick(1s);
  REQUIRE(a->Update("k", "v", 5s).ok());
  CHECK(OwnEntry(a, "k").expires_at == WallTime(6s));  // persisted with the value
  StepThrough(a, 1250ms, 5750ms);
  CHECK(OwnEntry(a, "k").kind == EntryKind::kValue);
  a->Step(6s);
  CHECK(OwnEntry(a, "k").kind == EntryKind::kTombstone);
  CHECK(a->version() == Version(2));
}

TEST_CASE("A TTL of 0 clears a deadline; a changed deadline takes a new version",
          "[engine][lifecycle][ttl]") {
  HandNode a("a");
  a.Start();
  REQUIRE(a->Update("k", "v", 5s).ok());
  REQUIRE(a->Update("k", "v", 5s).ok());  // the same value and deadline
  CHECK(a->version() == Version(1));
  REQUIRE(a->Update("k", "v", 8s).ok());
  CHECK(a->version() == Version(2));
  CHECK(OwnEntry(a, "k").expires_at == WallTime(8s));
  REQUIRE(a->Update("k", "v", 0s).ok());
  CHECK(a->version() == Version(3));
  CHECK(OwnEntry(a, "k").expires_at == WallTime());
  StepThrough(a, 0s, 20s);
  CHECK(OwnEntry(a, "k").kind == EntryKind::kValue);
  CHECK(a->Update("k", "v", -1s).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("A plain Update clears a TTL; Delete forgets it", "[engine][lifecycle][ttl]") {
  HandNode a("a");
  a.Start();
  REQUIRE(a->Update("plain", "v", 2s).ok());
  REQUIRE(a->Update("plain", "v").ok());
  CHECK(a->version() == Version(2));
  REQUIRE(a->Update("deleted", "v", 2s).ok());
  REQUIRE(a->Delete("deleted").ok());
  REQUIRE(a->Update("deleted", "again").ok());
  StepThrough(a, 0s, 5s);
  CHECK(OwnEntry(a, "plain").kind == EntryKind::kValue);
  CHECK(OwnEntry(a, "deleted").kind == EntryKind::kValue);
  CHECK(a->version() == Version(5));
}

TEST_CASE("A TTL deadline that passed while the owner was down is acted on at start",
          "[engine][lifecycle][ttl]") {
  HandNode a("a");
  a.Start();
  REQUIRE(a->Update("short", "v", 5s).ok());
  REQUIRE(a->Update("long", "v", 50s).ok());
  a.engine.reset();  // down from 0 s to 30 s, on the same storage
  a.Start(30s);
  CHECK(OwnEntry(a, "short").kind == EntryKind::kValue);  // until its first step
  a->Tick(30s);
  CHECK(OwnEntry(a, "short").kind == EntryKind::kTombstone);
  StepThrough(a, 30250ms, 49750ms);
  CHECK(OwnEntry(a, "long").kind == EntryKind::kValue);
  a->Step(50s);
  CHECK(OwnEntry(a, "long").kind == EntryKind::kTombstone);
}

TEST_CASE("An expired key's tombstone is pushed to the peers",
          "[engine][lifecycle][ttl]") {
  Lockstep::Config config;
  config.nodes = 3;
  config.options = Options();  // pushes on
  Lockstep cluster(config);
  REQUIRE(cluster.engine(0).Update("k", "v", 1500ms).ok());
  cluster.Rounds(3);  // node 0 ticks at 0, 1 and 2 s: deleted at 2 s, pushed
  for (std::size_t i = 1; i < cluster.size(); ++i) {
    const PeerRecord* owner = cluster.storage(i).Get("n0");
    REQUIRE(owner != nullptr);
    CHECK(owner->data.at("k").kind == EntryKind::kTombstone);
  }
}
