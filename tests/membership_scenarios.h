// Membership lifecycle scenarios (docs/LIFECYCLE.md, "Leave" and
// "Reaping"), written over a storage factory so that every backend runs
// them: tests/core runs them on MemoryStorage; a backend's tests pass a
// factory that opens its database files.
//
// A factory `make(node, wipe)` returns node `node`'s storage: empty when
// `wipe`, else what the node persisted (reopened). Its storages must keep
// what was written when the returned object is destroyed (flushed or not:
// the scenarios call Flush before every restart, as the runtime does on
// Stop).
//
// Everything runs in virtual time (VirtualCluster, or engines driven by
// hand); the wall clock is the virtual clock (wall_offset 0).
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "gossipmonger/engine.h"
#include "gossipmonger/events.h"
#include "gossipmonger/storage.h"
#include "gossipmonger/testing/virtual_cluster.h"

namespace gossipmonger::membership_scenarios {

using namespace std::chrono_literals;
using testing::ClusterConfig;
using testing::VirtualCluster;
using StorageFactory =
    std::function<std::unique_ptr<Storage>(std::size_t node, bool wipe)>;

// When each node raised each membership event about each peer (the first
// time), and how many times.
struct EventLog {
  struct Seen {
    Timestamp first{-1};
    int count = 0;
  };
  // (node, peer id) -> when
  std::map<std::pair<std::size_t, PeerId>, Seen> left, dead, forgotten, live, new_peer;

  void Note(std::size_t node, const Event& event, Timestamp now) {
    if (const auto* e = std::get_if<PeerLeftEvent>(&event))
      Add(left, node, e->peer.id, now);
    if (const auto* e = std::get_if<PeerDeadEvent>(&event))
      Add(dead, node, e->peer.id, now);
    if (const auto* e = std::get_if<PeerLiveEvent>(&event))
      Add(live, node, e->peer.id, now);
    if (const auto* e = std::get_if<NewPeerEvent>(&event))
      Add(new_peer, node, e->peer.id, now);
    if (const auto* e = std::get_if<PeerForgottenEvent>(&event))
      Add(forgotten, node, e->peer, now);
  }
  static int Count(const std::map<std::pair<std::size_t, PeerId>, Seen>& log,
                   std::size_t node, const PeerId& peer) {
    auto it = log.find({node, peer});
    return it == log.end() ? 0 : it->second.count;
  }
  static std::optional<Timestamp> First(
      const std::map<std::pair<std::size_t, PeerId>, Seen>& log, std::size_t node,
      const PeerId& peer) {
    auto it = log.find({node, peer});
    if (it == log.end()) return std::nullopt;
    return it->second.first;
  }

 private:
  static void Add(std::map<std::pair<std::size_t, PeerId>, Seen>& log, std::size_t node,
                  const PeerId& peer, Timestamp now) {
    Seen& seen = log[{node, peer}];
    if (seen.count++ == 0) seen.first = now;
  }
};

// Whether every node but `except` (and those down) raised an event of `log`
// about `peer`.
inline bool AllOthers(const VirtualCluster& cluster,
                      const std::map<std::pair<std::size_t, PeerId>, EventLog::Seen>& log,
                      std::size_t except, const PeerId& peer) {
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (i == except || !cluster.up(i)) continue;
    if (EventLog::Count(log, i, peer) == 0) return false;
  }
  return true;
}

inline bool ListedInDigest(Engine& engine, const PeerId& peer) {
  for (const DigestEntry& entry : engine.FullDigest()) {
    if (entry.id == peer) return true;
  }
  return false;
}

// Leave() on `node`, then what the runtime does: stop it (here: crash it)
// once its leave is out (Engine::LeaveDone), at the latest one interval
// later. The cluster sends what the call queued at the node's next step.
inline void LeaveAndStop(VirtualCluster& cluster, std::size_t node) {
  const Timestamp left_at = cluster.now();
  REQUIRE(cluster.engine(node).Leave().ok());
  cluster.RunFor(cluster.round() / Engine::kStepsPerRound);
  cluster.RunUntil([&] { return cluster.engine(node).LeaveDone(); },
                   left_at + cluster.round());
  CHECK(cluster.engine(node).LeaveDone());
  cluster.Crash(node);
}

// A cluster of `nodes` on the factory's storages (reap_left_after 30 s,
// reap_dead_after 60 s) and the log of its membership events.
struct LoggedCluster {
  LoggedCluster(std::size_t nodes, std::uint64_t seed, StorageFactory make)
      : cluster(Config(nodes, seed, std::move(make))) {
    cluster.OnEvent(
        [this](std::size_t node, const Event& e) { log.Note(node, e, cluster.now()); });
  }
  static ClusterConfig Config(std::size_t nodes, std::uint64_t seed,
                              StorageFactory make) {
    ClusterConfig config;
    config.nodes = nodes;
    config.rng_seed = seed;
    config.make_storage = std::move(make);
    config.options.reap_left_after = 30s;
    config.options.reap_dead_after = 60s;
    return config;
  }

  VirtualCluster cluster;
  EventLog log;
};

// Leave() on one of 20 nodes, pushes on (the defaults): every other node
// raises `peer left` within 1 s of the call, nobody raises `peer dead`,
// and every node forgets the leaver reap_left_after later.
inline void LeaveReachesEveryNodeThenIsForgotten(StorageFactory make) {
  LoggedCluster run(20, 3, std::move(make));
  VirtualCluster& cluster = run.cluster;
  const EventLog& log = run.log;
  cluster.RunFor(10s);
  const std::size_t leaver = 7;
  const PeerId id = VirtualCluster::IdOf(leaver);
  const Timestamp left_at = cluster.now();
  LeaveAndStop(cluster, leaver);
  REQUIRE(cluster.RunUntil([&] { return AllOthers(cluster, log.left, leaver, id); },
                           left_at + 1s));
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (i == leaver) continue;
    CHECK(EventLog::Count(log.left, i, id) == 1);
    CHECK_FALSE(cluster.storage(i).Get(id)->live);
  }
  const Timestamp all_left = cluster.now();
  const Duration reap_left = cluster.engine(0).options().reap_left_after;
  REQUIRE(cluster.RunUntil([&] { return AllOthers(cluster, log.forgotten, leaver, id); },
                           all_left + reap_left + 2 * cluster.round()));
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (i == leaver) continue;
    // Not before reap_left_after from when the node learnt the leave.
    CHECK(*EventLog::First(log.forgotten, i, id) >=
          *EventLog::First(log.left, i, id) + reap_left);
    CHECK(cluster.storage(i).Get(id) == nullptr);
    CHECK_FALSE(ListedInDigest(cluster.engine(i), id));
  }
  // Nobody brings it back, nobody was convicted.
  cluster.RunFor(20s);
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (i == leaver) continue;
    CHECK(cluster.storage(i).Get(id) == nullptr);
    CHECK(EventLog::Count(log.new_peer, i, id) == 0);
  }
  CHECK(log.dead.empty());
}

// A crashed peer is reaped reap_dead_after after its conviction, also by an
// observer that restarts on its storage in between: down_since is
// persisted, the count does not start again.
inline void CrashedPeerIsReapedAcrossAnObserverRestart(StorageFactory make) {
  LoggedCluster run(5, 4, std::move(make));
  VirtualCluster& cluster = run.cluster;
  const EventLog& log = run.log;
  cluster.RunFor(10s);
  const std::size_t crashed = 4;
  const std::size_t observer = 0;
  const PeerId id = VirtualCluster::IdOf(crashed);
  cluster.Crash(crashed);
  REQUIRE(cluster.RunUntil([&] { return AllOthers(cluster, log.dead, crashed, id); },
                           cluster.now() + 30s));
  const Timestamp convicted = *EventLog::First(log.dead, observer, id);
  const Duration reap_dead = cluster.engine(observer).options().reap_dead_after;
  cluster.RunFor(20s);
  REQUIRE(cluster.storage(observer).Get(id) != nullptr);
  const WallTime down_since = cluster.storage(observer).Get(id)->down_since;
  CHECK(down_since == convicted);
  REQUIRE(cluster.storage(observer).Flush().ok());
  cluster.Crash(observer);
  cluster.RunFor(1s);
  cluster.Restart(observer, /*keep_storage=*/true, Generation(5000));
  REQUIRE(cluster.storage(observer).Get(id) != nullptr);
  CHECK(cluster.storage(observer).Get(id)->down_since == down_since);
  REQUIRE(cluster.RunUntil([&] { return AllOthers(cluster, log.forgotten, crashed, id); },
                           convicted + reap_dead + 10s));
  // The restarted observer did not take the heartbeat relayed of the dead
  // peer for a sign of life: it kept its down_since.
  CHECK(EventLog::Count(log.live, observer, id) == 0);
  const Timestamp forgotten = *EventLog::First(log.forgotten, observer, id);
  CHECK(forgotten >= convicted + reap_dead);
  CHECK(forgotten <= convicted + reap_dead + cluster.round());
  for (std::size_t i = 0; i < crashed; ++i) {
    CHECK(cluster.storage(i).Get(id) == nullptr);
    CHECK(EventLog::Count(log.forgotten, i, id) == 1);
  }
}

// A node that left and is started again on its storage rejoins in the same
// lineage: before the others forgot it (`peer live` again) or after (`new
// peer` again); either way its data is back everywhere.
inline void LeftNodeRestartedOnItsStorageRejoins(StorageFactory make,
                                                 bool after_reaping) {
  LoggedCluster run(5, 5, std::move(make));
  VirtualCluster& cluster = run.cluster;
  const EventLog& log = run.log;
  cluster.RunFor(5s);
  const std::size_t leaver = 3;
  const PeerId id = VirtualCluster::IdOf(leaver);
  REQUIRE(cluster.Update(leaver, "role", "cache").ok());
  cluster.RunFor(3s);
  const Generation generation = cluster.engine(leaver).generation();
  const Timestamp left_at = cluster.now();
  LeaveAndStop(cluster, leaver);
  REQUIRE(cluster.storage(leaver).Flush().ok());
  REQUIRE(cluster.RunUntil([&] { return AllOthers(cluster, log.left, leaver, id); },
                           left_at + 1s));
  if (after_reaping) {
    REQUIRE(
        cluster.RunUntil([&] { return AllOthers(cluster, log.forgotten, leaver, id); },
                         cluster.now() + 40s));
  } else {
    cluster.RunFor(5s);
  }
  cluster.Restart(leaver, /*keep_storage=*/true, Generation(generation.value() + 10));
  CHECK(cluster.engine(leaver).generation() == generation);
  auto back_everywhere = [&] {
    for (std::size_t i = 0; i < cluster.size(); ++i) {
      if (i == leaver) continue;
      const PeerRecord* peer = cluster.storage(i).Get(id);
      if (peer == nullptr || !peer->live || peer->generation != generation) return false;
      auto role = peer->data.find("role");
      if (role == peer->data.end() || role->second.value != "cache") return false;
      auto mark = peer->data.find("");
      if (mark == peer->data.end() || mark->second.kind != EntryKind::kTombstone)
        return false;
    }
    return true;
  };
  REQUIRE(cluster.RunUntil(back_everywhere, cluster.now() + 10s));
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (i == leaver) continue;
    if (after_reaping) {
      CHECK(EventLog::Count(log.new_peer, i, id) == 1);
    } else {
      CHECK(EventLog::Count(log.live, i, id) == 1);
    }
    CHECK(EventLog::Count(log.left, i, id) == 1);
  }
  CHECK(log.dead.empty());
}

// --- stale gossip about a reaped peer ----------------------------------------

// One engine (node 0 of the factory) driven by hand: it knows a lagging peer
// `l` and a dead peer `f` (generation 7, down since 1 s, one key), forgets
// `f` after reap_dead_after (10 s), and is then fed what a lagging node
// still says of `f`.
class ReapedPeerFixture {
 public:
  explicit ReapedPeerFixture(StorageFactory make) : make_(std::move(make)) {
    options_.gossip_fanout = 1;
    options_.push_fanout = 0;
    options_.reap_dead_after = 10s;
    storage_ = make_(0, true);
    REQUIRE(storage_->PutPeer({lagging.id, lagging.address, Generation(7), true}).ok());
    REQUIRE(storage_->PutPeer({gone.id, gone.address, Generation(7), false, 1s}).ok());
    const KeyDelta key{"k", "v", Version(1)};
    REQUIRE(storage_->PutDeltas(gone.id, std::span<const KeyDelta>(&key, 1), Version(1))
                .ok());
    Start(2s);
  }

  void Start(Timestamp now) {
    REQUIRE(Engine::Create(self, options_, *storage_,
                           {.now = now, .fresh_generation = Generation(7)}, &engine_)
                .ok());
  }
  // Closes the storage and reopens it under a new engine.
  void Restart(Timestamp now) {
    REQUIRE(storage_->Flush().ok());
    engine_.reset();
    storage_.reset();
    storage_ = make_(0, false);
    Start(now);
  }
  std::vector<Event> Tick(Timestamp now) {
    engine_->Tick(now);
    engine_->TakeOutbox();
    return engine_->TakeEvents();
  }
  // Delivers `message`; what the engine answered.
  std::vector<OutgoingMessage> Deliver(const Message& message, Timestamp now) {
    engine_->Receive(message, now);
    return engine_->TakeOutbox();
  }
  // What the lagging node says of `f`, in each kind of message.
  Message FromLagging(MessageKind kind, Generation generation,
                      Heartbeat lagging_beat) const {
    Message m;
    m.kind = kind;
    m.sender = lagging;
    PeerDeltas group{gone.id, generation, gone.address, {{"k", "v", Version(1)}}};
    if (kind != MessageKind::kPush) {
      m.digest = {{lagging.id, Generation(7), lagging_beat, Version()},
                  {gone.id, generation, Heartbeat(40), Version(1)}};
    }
    if (kind != MessageKind::kDigest) m.deltas = {group};
    return m;
  }
  // Whether anything in `events` or `outbox` speaks of `f` (new peer,
  // unknown peer, a request or deltas of it).
  bool Mentions(const std::vector<Event>& events,
                const std::vector<OutgoingMessage>& outbox) const {
    for (const Event& event : events) {
      if (const auto* e = std::get_if<NewPeerEvent>(&event); e && e->peer.id == gone.id)
        return true;
      if (const auto* e = std::get_if<UnknownPeerEvent>(&event); e && e->peer == gone.id)
        return true;
    }
    for (const OutgoingMessage& out : outbox) {
      for (const DigestEntry& entry : out.message.digest)
        if (entry.id == gone.id) return true;
      for (const PeerDeltas& group : out.message.deltas)
        if (group.id == gone.id) return true;
    }
    return false;
  }
  bool Remembered() const {
    bool found = false;
    storage_->ForEachForgotten([&](const ForgottenPeer& f) { found |= f.id == gone.id; });
    return found;
  }

  Engine& engine() { return *engine_; }
  Storage& storage() { return *storage_; }

  const PeerEndpoint self{"a", "mem:a"};
  const PeerEndpoint lagging{"l", "mem:l"};
  const PeerEndpoint gone{"f", "mem:f"};

 private:
  StorageFactory make_;
  Options options_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<Engine> engine_;
};

// Feeds every kind of stale message about `f` from the lagging node at
// `now`; none may bring `f` back.
inline void CheckStaleGossipIgnored(ReapedPeerFixture& fixture, Timestamp now,
                                    std::uint64_t beat) {
  for (MessageKind kind : {MessageKind::kDigest, MessageKind::kDigestReply,
                           MessageKind::kDeltas, MessageKind::kPush}) {
    INFO("message kind " << static_cast<int>(kind));
    const auto outbox =
        fixture.Deliver(fixture.FromLagging(kind, Generation(7), Heartbeat(beat++)), now);
    CHECK_FALSE(fixture.Mentions(fixture.engine().TakeEvents(), outbox));
    CHECK(fixture.storage().Get(fixture.gone.id) == nullptr);
    // An older generation is as stale.
    fixture.Deliver(fixture.FromLagging(kind, Generation(6), Heartbeat(beat++)), now);
    CHECK_FALSE(fixture.Mentions(fixture.engine().TakeEvents(), {}));
  }
  CHECK(fixture.Remembered());
}

enum class Return { kItself, kNewerGeneration };

// The reaped peer's stale entries relayed by a lagging node do not bring it
// back, before and after the observer restarts on its storage; the peer
// itself, or a newer generation of its id relayed by anyone, is a new peer.
inline void StaleGossipDoesNotBringAReapedPeerBack(StorageFactory make, Return how) {
  ReapedPeerFixture fixture(std::move(make));
  auto forgotten_in = [](const std::vector<Event>& events) {
    std::vector<PeerForgottenEvent> out;
    for (const Event& e : events)
      if (const auto* f = std::get_if<PeerForgottenEvent>(&e)) out.push_back(*f);
    return out;
  };
  CHECK(forgotten_in(fixture.Tick(5s)).empty());
  // Down since 1 s: reaped at 11 s, at the first round after.
  const std::vector<PeerForgottenEvent> forgotten = forgotten_in(fixture.Tick(12s));
  REQUIRE(forgotten.size() == 1);
  CHECK(forgotten[0].peer == "f");
  CHECK(forgotten[0].generation == Generation(7));
  CHECK(fixture.storage().Get("f") == nullptr);
  CHECK_FALSE(ListedInDigest(fixture.engine(), "f"));
  CheckStaleGossipIgnored(fixture, 12s, 1);

  fixture.Restart(13s);
  CheckStaleGossipIgnored(fixture, 13s, 10);

  Message back;
  if (how == Return::kItself) {
    back.kind = MessageKind::kDigest;
    back.sender = fixture.gone;
    back.digest = {{"f", Generation(7), Heartbeat(50), Version(1)}};
  } else {
    back = fixture.FromLagging(MessageKind::kDeltas, Generation(8), Heartbeat(30));
  }
  fixture.Deliver(back, 14s);
  const std::vector<Event> after = fixture.engine().TakeEvents();
  CHECK(fixture.Mentions(after, {}));
  const PeerRecord* peer = fixture.storage().Get("f");
  REQUIRE(peer != nullptr);
  CHECK(peer->generation == (how == Return::kItself ? Generation(7) : Generation(8)));
  CHECK_FALSE(fixture.Remembered());
}

}  // namespace gossipmonger::membership_scenarios
