// Delete on the owner and tombstones applied by peers (docs/LIFECYCLE.md,
// "Delete").
#include "engine_test_support.h"

using namespace gmtest;

namespace {

PeerDeltas GroupOf(const std::string& peer, std::vector<KeyDelta> deltas) {
  return {peer, kGen, "", std::move(deltas)};
}

KeyDelta Tombstone(const std::string& key, std::uint64_t version) {
  return {key, "", Version(version), EntryKind::kTombstone};
}

}  // namespace

TEST_CASE("Delete takes the next version with a tombstone, dated for collection",
          "[engine][lifecycle][delete]") {
  HandNode a("a", WithGrace(10s));
  a.Start();
  a->Tick(2s);
  REQUIRE(a->Update("k", "v").ok());
  a.Events();
  REQUIRE(a->Delete("k").ok());
  CHECK(a->version() == Version(2));
  const PeerRecord* own = a.Peer("a");
  REQUIRE(own->max_version_seen == Version(2));
  const VersionedValue& stored = own->data.at("k");
  CHECK(stored.kind == EntryKind::kTombstone);
  CHECK(stored.value.empty());
  CHECK(stored.version == Version(2));
  CHECK(stored.expires_at == WallTime(12s));  // the last step's time + grace
  // The owner raises nothing for its own delete, as for its own update.
  CHECK(EventsOf<DeleteEvent>(a.Events()).empty());
}

TEST_CASE("Deleting an absent or deleted key changes nothing",
          "[engine][lifecycle][delete]") {
  HandNode a("a");
  a.Start();
  CHECK(a->Delete("never").ok());
  CHECK(a->version() == Version());
  REQUIRE(a->Update("k", "v").ok());
  REQUIRE(a->Delete("k").ok());
  CHECK(a->Delete("k").ok());
  CHECK(a->version() == Version(2));
  CHECK(a->Delete("").code() == StatusCode::kInvalidArgument);
}

TEST_CASE("A deleted key set again takes a newer version",
          "[engine][lifecycle][delete]") {
  HandNode a("a");
  a.Start();
  REQUIRE(a->Update("k", "v").ok());
  REQUIRE(a->Delete("k").ok());
  REQUIRE(a->Update("k", "v").ok());  // the same value: it was deleted
  const VersionedValue& stored = a.Peer("a")->data.at("k");
  CHECK(stored.kind == EntryKind::kValue);
  CHECK(stored.value == "v");
  CHECK(stored.version == Version(3));
  CHECK(stored.expires_at == WallTime());
}

TEST_CASE("max_keys_per_peer counts live keys, not tombstones",
          "[engine][lifecycle][delete]") {
  Options options = SeedExchange();
  options.limits.max_keys_per_peer = 2;
  HandNode a("a", options);
  a.Start();
  REQUIRE(a->Update("k1", "v").ok());
  REQUIRE(a->Update("k2", "v").ok());
  CHECK(a->Update("k3", "v").code() == StatusCode::kLimitExceeded);
  REQUIRE(a->Delete("k1").ok());
  CHECK(a->Update("k3", "v").ok());
  CHECK(a->Update("k1", "again").code() == StatusCode::kLimitExceeded);
}

TEST_CASE("A peer's tombstone raises delete where a value of the key was held",
          "[engine][lifecycle][delete]") {
  HandNode b("b", WithGrace(10s));
  b.Know(Endpoint("a"));
  b.KnowData("a", {Delta("held", "v", 1)});
  b.Start();
  b->Tick(3s);
  b.Events();
  b->Receive(MakeMessage(MessageKind::kDeltas, Endpoint("a"), {},
                         {GroupOf("a", {Tombstone("held", 2), Tombstone("unseen", 3)})}),
             4s);
  const std::vector<DeleteEvent> deletes = EventsOf<DeleteEvent>(b.Events());
  REQUIRE(deletes.size() == 1);  // "unseen" was never visible here
  CHECK(deletes[0].peer == "a");
  CHECK(deletes[0].key == "held");
  CHECK(deletes[0].version == Version(2));
  const PeerRecord* a = b.Peer("a");
  CHECK(a->max_version_seen == Version(3));
  for (const std::string key : {"held", "unseen"}) {
    INFO(key);
    CHECK(a->data.at(key).kind == EntryKind::kTombstone);
    // The collection deadline is this node's: received at 4 s, + grace.
    CHECK(a->data.at(key).expires_at == WallTime(14s));
  }
}

TEST_CASE("A value after a tombstone raises update; the value's TTL stays the owner's",
          "[engine][lifecycle][delete]") {
  HandNode b("b");
  b.Know(Endpoint("a"));
  b.Start();
  KeyDelta with_deadline = Delta("k", "back", 2);
  with_deadline.expires_at = WallTime(99s);  // never on the wire; ignored
  b->Receive(MakeMessage(MessageKind::kDeltas, Endpoint("a"), {},
                         {GroupOf("a", {Tombstone("k", 1), with_deadline})}),
             0s);
  const std::vector<Event> events = b.Events();
  CHECK(EventsOf<DeleteEvent>(events).empty());
  REQUIRE(EventsOf<UpdateEvent>(events).size() == 1);
  CHECK(b.Peer("a")->data.at("k").expires_at == WallTime());
}

TEST_CASE("A delete reaches every node, by push or by anti-entropy",
          "[engine][lifecycle][delete]") {
  for (const bool pushes : {false, true}) {
    INFO("pushes " << pushes);
    Lockstep::Config config;
    config.nodes = 4;
    if (pushes) config.options = Options();
    Lockstep cluster(config);
    std::vector<DeleteEvent> deletes;
    cluster.on_event = [&](std::size_t, const Event& event) {
      if (const auto* d = std::get_if<DeleteEvent>(&event)) deletes.push_back(*d);
    };
    REQUIRE(cluster.Update(0, "k", "v").ok());
    cluster.Rounds(6);
    REQUIRE(cluster.Delete(0, "k").ok());
    auto everywhere = [&] {
      for (std::size_t i = 1; i < cluster.size(); ++i) {
        const PeerRecord* owner = cluster.storage(i).Get("n0");
        if (owner == nullptr || owner->max_version_seen != Version(2)) return false;
      }
      return true;
    };
    if (pushes) {
      CHECK(everywhere());  // pushed at once, no round needed
    } else {
      CHECK(cluster.RoundsUntil(everywhere, 20));
    }
    CHECK(deletes.size() == cluster.size() - 1);
    for (std::size_t i = 1; i < cluster.size(); ++i) {
      CHECK(cluster.storage(i).Get("n0")->data.at("k").kind == EntryKind::kTombstone);
    }
  }
}
