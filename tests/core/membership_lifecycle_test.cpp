// The membership lifecycle (docs/LIFECYCLE.md, "Leave" and "Reaping") on
// MemoryStorage: the shared scenarios (tests/membership_scenarios.h, which a
// persistent backend runs over its own factory) and hand-driven engine
// checks of Leave, `peer left`, reaping and the wall clock at start.
#include <catch2/catch.hpp>
#include <memory>
#include <vector>

#include "engine_test_support.h"
#include "gossipmonger/memory_storage.h"
#include "gossipmonger/testing/forwarding_storage.h"
#include "membership_scenarios.h"

namespace {

using namespace gmtest;
namespace scenarios = gossipmonger::membership_scenarios;
using gossipmonger::testing::ForwardingStorage;

// Memory "files": node i's MemoryStorage outlives the Storage objects the
// factory hands out, as a database file outlives its connections.
class MemoryFiles {
 public:
  scenarios::StorageFactory Factory() {
    return [this](std::size_t node, bool wipe) -> std::unique_ptr<Storage> {
      if (files_.size() <= node) files_.resize(node + 1);
      if (wipe || !files_[node]) files_[node] = std::make_unique<MemoryStorage>();
      return std::make_unique<ForwardingStorage>(*files_[node]);
    };
  }

 private:
  std::vector<std::unique_ptr<MemoryStorage>> files_;
};

// Counts PutDeltas calls (one batch each).
class CountingStorage : public ForwardingStorage {
 public:
  using ForwardingStorage::ForwardingStorage;
  Status PutDeltas(std::string_view id, std::span<const KeyDelta> deltas,
                   Version max_version_seen) override {
    ++put_deltas;
    return ForwardingStorage::PutDeltas(id, deltas, max_version_seen);
  }
  int put_deltas = 0;
};

Message LeaveFrom(const PeerEndpoint& sender, Generation generation, Version version,
                  EntryKind kind = EntryKind::kLeave) {
  return MakeMessage(MessageKind::kDeltas, sender, {},
                     {{sender.id, generation, "", {{"", "", version, kind}}}});
}

// `message` carries one group whose last delta is a leave.
void CheckCarriesLeave(const Message& message) {
  REQUIRE(message.deltas.size() == 1);
  CHECK(message.deltas[0].deltas.back().kind == EntryKind::kLeave);
}

}  // namespace

TEST_CASE("Memory: Leave() reaches 20 nodes within 1 s, without peer dead, then reaping",
          "[lifecycle]") {
  MemoryFiles files;
  scenarios::LeaveReachesEveryNodeThenIsForgotten(files.Factory());
}

TEST_CASE("Memory: a crashed peer is reaped, across an observer's restart",
          "[lifecycle]") {
  MemoryFiles files;
  scenarios::CrashedPeerIsReapedAcrossAnObserverRestart(files.Factory());
}

TEST_CASE("Memory: a node that left rejoins in the same lineage from its storage",
          "[lifecycle]") {
  MemoryFiles files;
  SECTION("before the others forgot it") {
    scenarios::LeftNodeRestartedOnItsStorageRejoins(files.Factory(), false);
  }
  SECTION("after the others forgot it") {
    scenarios::LeftNodeRestartedOnItsStorageRejoins(files.Factory(), true);
  }
}

TEST_CASE("Memory: stale gossip does not bring a reaped peer back; a real return does",
          "[lifecycle]") {
  MemoryFiles files;
  SECTION("the peer itself") {
    scenarios::StaleGossipDoesNotBringAReapedPeerBack(files.Factory(),
                                                      scenarios::Return::kItself);
  }
  SECTION("a newer generation of its id") {
    scenarios::StaleGossipDoesNotBringAReapedPeerBack(
        files.Factory(), scenarios::Return::kNewerGeneration);
  }
}

TEST_CASE("Leave stores the leave entry in one batch, pushes it and stops the digests",
          "[lifecycle]") {
  Options options;  // pushes on
  MemoryStorage memory;
  CountingStorage storage(memory);
  for (const char* id : {"b", "c", "d", "e", "f", "g"}) {
    REQUIRE(storage.PutPeer({id, std::string("mem:") + id, kGen, true}).ok());
  }
  const std::unique_ptr<Engine> started =
      CreateEngine(Endpoint("a"), options, storage, {.fresh_generation = kGen});
  Engine& engine = *started;
  REQUIRE(engine.Update("role", "web").ok());
  std::vector<OutgoingMessage> pushes = engine.TakeOutbox();
  const int writes = storage.put_deltas;
  CHECK_FALSE(engine.LeaveDone());

  REQUIRE(engine.Leave().ok());
  CHECK(storage.put_deltas == writes + 1);
  CHECK(engine.version() == Version(2));
  const VersionedValue& mark = storage.Get("a")->data.at("");
  CHECK(mark.kind == EntryKind::kLeave);
  CHECK(mark.version == Version(2));
  const std::vector<OutgoingMessage> leave_pushes = engine.TakeOutbox();
  REQUIRE_FALSE(leave_pushes.empty());
  for (const OutgoingMessage& out : leave_pushes) {
    CHECK(out.message.kind == MessageKind::kPush);
    REQUIRE(out.message.deltas.size() == 1);
    CHECK(out.message.deltas[0].deltas.back() ==
          KeyDelta{"", "", Version(2), EntryKind::kLeave});
  }
  // Leaving again changes nothing.
  CHECK(engine.Leave().ok());
  CHECK(engine.version() == Version(2));
  CHECK(engine.TakeOutbox().empty());

  // Acknowledged by every forwarding target (of both pushes): done.
  pushes.insert(pushes.end(), leave_pushes.begin(), leave_pushes.end());
  for (const OutgoingMessage& out : pushes) {
    if (out.message.push.forwards())
      engine.Receive(MakeMessage(MessageKind::kPush, out.to, {}), Timestamp(1000));
  }
  CHECK(engine.LeaveDone());
  // No more digests, whatever the time.
  for (int step = 1; step <= 20; ++step) {
    engine.Tick(Timestamp(step * 1s));
    engine.Step(Timestamp(step * 1s + 250ms));
    for (const OutgoingMessage& out : engine.TakeOutbox())
      CHECK(out.message.kind != MessageKind::kDigest);
  }
}

TEST_CASE("Leave without an acknowledgement is done once the push was resent",
          "[lifecycle]") {
  Options options;
  HandNode a("a", options);
  for (const char* id : {"b", "c", "d", "e", "f", "g"}) a.Know(Endpoint(id));
  a.Start();
  REQUIRE(a->Leave().ok());
  CHECK_FALSE(a.Out().empty());
  CHECK_FALSE(a->LeaveDone());
  a->Step(Timestamp(100ms));  // past PushTree::kAckWait: resent once
  CHECK_FALSE(a.Out().empty());
  CHECK(a->LeaveDone());
}

TEST_CASE("With pushes off, Leave starts one last exchange and is never done by itself",
          "[lifecycle]") {
  HandNode a("a");  // SeedExchange: push_fanout 0, gossip_fanout 1
  a.Know(Endpoint("b"));
  a.Start();
  REQUIRE(a->Leave().ok());
  const Message syn = Single(a.Out(), Endpoint("b"));
  CHECK(syn.kind == MessageKind::kDigest);
  CHECK(syn.digest[0] == Entry("a", 100, 0, 1));
  // b lacks our newest version: our acknowledgement carries the leave.
  a->Receive(MakeMessage(MessageKind::kDigestReply, Endpoint("b"),
                         {Entry("b", 100, 3, 0), Entry("a", 100, 0, 0)}),
             Timestamp(10ms));
  CheckCarriesLeave(Single(a.Out(), Endpoint("b")));
  // No digest after that; the caller stops the node after one interval.
  a->Tick(Timestamp(1s));
  CHECK(a.Out().empty());
  CHECK_FALSE(a->LeaveDone());
  // A peer's digest is still answered, with the leave.
  a->Receive(MakeMessage(MessageKind::kDigest, Endpoint("b"),
                         {Entry("b", 100, 4, 0), Entry("a", 100, 0, 0)}),
             Timestamp(1500ms));
  CheckCarriesLeave(Single(a.Out(), Endpoint("b")));
}

TEST_CASE("A peer that left is not judged, called or revived until it retracts",
          "[lifecycle]") {
  HandNode b("b");
  b.Know(Endpoint("a"));
  b.Know(Endpoint("c"));
  b.Start();
  b->Receive(MakeMessage(MessageKind::kDigest, Endpoint("a"), {Entry("a", 100, 1, 0)}),
             Timestamp(500ms));
  b.Out();
  b.Events();
  b->Receive(LeaveFrom(Endpoint("a"), kGen, Version(1)), Timestamp(2s));
  std::vector<Event> events = b.Events();
  REQUIRE(EventsOf<PeerLeftEvent>(events).size() == 1);
  CHECK(EventsOf<PeerLeftEvent>(events)[0].peer == Endpoint("a"));
  CHECK_FALSE(b.Peer("a")->live);
  CHECK(b.Peer("a")->down_since == WallTime(2s));
  // The same leave again (anti-entropy, another push): no second event.
  b->Receive(LeaveFrom(Endpoint("a"), kGen, Version(1)), Timestamp(2100ms));
  CHECK(EventsOf<PeerLeftEvent>(b.Events()).empty());

  // 60 s of rounds: never convicted, never called; its heartbeats (relayed by
  // c) revive nothing.
  for (int round = 3; round < 60; ++round) {
    b->Receive(MakeMessage(MessageKind::kDigest, Endpoint("c"),
                           {Entry("c", 100, round, 0), Entry("a", 100, round, 1)}),
               Timestamp(round * 1s));
    b->Tick(Timestamp(round * 1s + 10ms));
    for (const OutgoingMessage& out : b.Out()) CHECK(out.to.id != "a");
    events = b.Events();
    CHECK(EventsOf<PeerDeadEvent>(events).empty());
    CHECK(EventsOf<PeerLiveEvent>(events).empty());
  }
  CHECK_FALSE(b.Peer("a")->live);

  // The retraction (a tombstone for the leave, the next version), then a
  // heartbeat rise: live again.
  b->Receive(LeaveFrom(Endpoint("a"), kGen, Version(2), EntryKind::kTombstone),
             Timestamp(61s));
  CHECK(EventsOf<PeerLiveEvent>(b.Events()).empty());
  b->Receive(MakeMessage(MessageKind::kDigest, Endpoint("c"),
                         {Entry("c", 100, 70, 0), Entry("a", 100, 70, 2)}),
             Timestamp(62s));
  CHECK(EventsOf<PeerLiveEvent>(b.Events()).size() == 1);
  CHECK(b.Peer("a")->live);
  CHECK(b.Peer("a")->down_since == WallTime());
}

TEST_CASE(
    "A peer left is forgotten after reap_left_after, a dead one after reap_dead_after",
    "[lifecycle]") {
  Options options = SeedExchange();
  options.reap_left_after = 5s;
  options.reap_dead_after = 20s;
  HandNode b("b", options);
  b.Know(Endpoint("a"));
  b.Know(Endpoint("c"));
  b.Start();
  b->Receive(LeaveFrom(Endpoint("a"), kGen, Version(1)), Timestamp(1s));
  b.Events();
  std::vector<PeerForgottenEvent> forgotten;
  Timestamp a_forgotten{-1};
  Timestamp c_forgotten{-1};
  for (Timestamp now = 1250ms; now < 60s; now += 250ms) {
    if (now % 1s == Duration(0)) {
      b->Tick(now);
    } else {
      b->Step(now);
    }
    b.Out();
    for (const PeerForgottenEvent& e : EventsOf<PeerForgottenEvent>(b.Events())) {
      (e.peer == "a" ? a_forgotten : c_forgotten) = now;
    }
  }
  // Reaping is checked at rounds (every second here).
  CHECK(a_forgotten == Timestamp(6s));
  REQUIRE(c_forgotten > Timestamp(0));
  // c, silent from the start, was convicted (down_since) and reaped 20 s on.
  CHECK(b.Peer("c") == nullptr);
  CHECK(b.Peer("a") == nullptr);
  std::vector<ForgottenPeer> remembered;
  b.storage.ForEachForgotten([&](const ForgottenPeer& f) { remembered.push_back(f); });
  CHECK(remembered.size() == 2);
}

TEST_CASE("The memory of a forgotten peer expires after remember_forgotten_for",
          "[lifecycle]") {
  Options options = SeedExchange();
  options.reap_dead_after = 10s;
  options.remember_forgotten_for = 30s;
  HandNode a("a", options);
  a.Know(Endpoint("l"));
  REQUIRE(a.storage.PutPeer({"f", "mem:f", kGen, false, WallTime(1s)}).ok());
  a.Start(Timestamp(2s));
  a->Tick(Timestamp(12s));
  REQUIRE(a.Peer("f") == nullptr);
  auto remembered = [&] {
    bool found = false;
    a.storage.ForEachForgotten([&](const ForgottenPeer& f) { found |= f.id == "f"; });
    return found;
  };
  a->Tick(Timestamp(41s));
  CHECK(remembered());  // forgotten at 12 s: remembered until 42 s
  a->Tick(Timestamp(43s));
  CHECK_FALSE(remembered());
  // Now stale gossip is news again (the documented limit of the option).
  a.Events();
  a->Receive(MakeMessage(MessageKind::kDeltas, Endpoint("l"), {},
                         {{"f", kGen, "mem:f", {Delta("k", "v", 1)}}}),
             Timestamp(44s));
  CHECK(EventsOf<NewPeerEvent>(a.Events()).size() == 1);
}

TEST_CASE("The wall clock starts at the latest down_since or forgotten_at stored",
          "[lifecycle]") {
  Options options = SeedExchange();
  options.reap_dead_after = 10s;
  MemoryStorage storage;
  // Written by an earlier run whose clock was 1000 s ahead of this one's:
  // the engine's wall clock starts at 1000 s, so f (down since 995 s) is
  // due at 5 s on this run's clock, not at 1005 s.
  SECTION("a peer's down_since") {
    REQUIRE(storage.PutPeer({"g", "mem:g", kGen, false, WallTime(1000s)}).ok());
  }
  SECTION("a forgotten peer's forgotten_at") {
    REQUIRE(storage.PutPeer({"g", "mem:g", kGen, false, WallTime(1s)}).ok());
    REQUIRE(storage.ForgetPeer({"g", kGen, WallTime(1000s)}).ok());
  }
  REQUIRE(storage.PutPeer({"f", "mem:f", kGen, false, WallTime(995s)}).ok());
  const std::unique_ptr<Engine> started =
      CreateEngine(Endpoint("a"), options, storage, {.fresh_generation = kGen});
  Engine& engine = *started;
  engine.Tick(Timestamp(4s));
  CHECK(storage.Get("f") != nullptr);
  engine.Tick(Timestamp(6s));
  CHECK(storage.Get("f") == nullptr);
}

TEST_CASE("A dead peer stored without a down_since is dated at start", "[lifecycle]") {
  Options options = SeedExchange();
  options.reap_dead_after = 10s;
  HandNode a("a", options);
  a.Know(Endpoint("f"), kGen, /*live=*/false);  // as an earlier version stored it
  a.Start(Timestamp(5s));
  CHECK(a.Peer("f")->down_since == WallTime(5s));
  a->Tick(Timestamp(14s));
  CHECK(a.Peer("f") != nullptr);
  a->Tick(Timestamp(15s));
  CHECK(a.Peer("f") == nullptr);
}

TEST_CASE("The reaping durations must be positive", "[lifecycle]") {
  for (auto field : {&Options::reap_dead_after, &Options::reap_left_after,
                     &Options::remember_forgotten_for}) {
    Options options;
    options.*field = 0ms;
    const Status status = Engine::ValidateOptions(options, 64 * 1024);
    CHECK(status.code() == StatusCode::kInvalidArgument);
    options.*field = 1ms;
    CHECK(Engine::ValidateOptions(options, 64 * 1024).ok());
  }
}
