// Restarts and lineage. A node restarted on its kept storage resumes its
// generation and version counter (versions never go backwards, peers do not
// receive its data again) and catches its heartbeat up with what the cluster
// saw. A node restarted empty takes a new lineage: with a higher generation
// directly, with the same or a lower one once digests show it the lineage it
// lost; either way its peers drop the old lineage's keys.
#include <algorithm>
#include <catch2/catch.hpp>
#include <numeric>
#include <optional>

#include "core/engine_test_support.h"
#include "gossipmonger/testing/virtual_cluster.h"

using namespace gmtest;
using gossipmonger::testing::ClusterConfig;
using gossipmonger::testing::VirtualCluster;

namespace {

constexpr std::size_t kNodes = 5;

ClusterConfig RestartConfig(std::uint64_t seed) {
  ClusterConfig config;
  config.nodes = kNodes;
  config.rng_seed = seed;
  // A node restarted empty knows nobody: it finds the cluster through n1.
  config.options.seeds = {{VirtualCluster::IdOf(1), VirtualCluster::AddressOf(1)}};
  return config;
}

// Whether every other node holds exactly `owner`'s current lineage and data.
bool PeersHoldExactly(VirtualCluster& cluster, std::size_t owner) {
  const PeerRecord* own = cluster.storage(owner).Get(VirtualCluster::IdOf(owner));
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (i == owner) continue;
    const PeerRecord* held = cluster.storage(i).Get(VirtualCluster::IdOf(owner));
    if (held == nullptr || held->generation != own->generation ||
        held->max_version_seen != own->max_version_seen || held->data != own->data) {
      return false;
    }
  }
  return true;
}

// Every node writes a few keys and the cluster converges on them.
void SeedData(VirtualCluster& cluster) {
  cluster.RunFor(10s);
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    for (int k = 1; k <= 5; ++k) {
      REQUIRE(cluster.Update(i, "old" + std::to_string(k), "v" + std::to_string(i)).ok());
    }
  }
  REQUIRE(cluster.RunUntil(
      [&] {
        for (std::size_t i = 0; i < cluster.size(); ++i) {
          if (!PeersHoldExactly(cluster, i)) return false;
        }
        return true;
      },
      cluster.now() + 60s));
}

std::uint64_t AppliedByOthers(VirtualCluster& cluster, std::size_t except) {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (i != except) n += cluster.engine(i).stats().deltas_applied;
  }
  return n;
}

}  // namespace

TEST_CASE("A node restarted on its kept storage resumes its lineage",
          "[engine][restart]") {
  VirtualCluster cluster(RestartConfig(31));
  SeedData(cluster);
  const Generation generation = cluster.engine(0).generation();
  const Version version = cluster.engine(0).version();
  REQUIRE(version == Version(5));
  const Heartbeat heartbeat = cluster.engine(0).heartbeat();
  const std::uint64_t applied_before = AppliedByOthers(cluster, 0);
  std::size_t revived = 0;
  cluster.OnEvent([&](std::size_t, const Event& event) {
    if (const auto* live = std::get_if<PeerLiveEvent>(&event))
      revived += live->peer.id == "n0";
  });

  cluster.Crash(0);
  cluster.RunFor(30s);  // long enough for its peers to convict it
  // The fresh generation offered is ignored: the storage has one.
  cluster.Restart(0, /*keep_storage=*/true, Generation(generation.value() + 999));
  Engine& restarted = cluster.engine(0);
  CHECK(restarted.generation() == generation);
  CHECK(restarted.version() == version);

  // Versions never go backwards: the next change takes version 6.
  REQUIRE(cluster.Update(0, "new", "x").ok());
  CHECK(restarted.version() == Version(6));
  REQUIRE(cluster.RunUntil([&] { return PeersHoldExactly(cluster, 0); },
                           cluster.now() + 60s));
  // Each peer applied the one new key, nothing of the old ones again.
  CHECK(AppliedByOthers(cluster, 0) - applied_before == kNodes - 1);
  // And the restarted node downloaded nothing it already had.
  cluster.RunFor(20s);
  CHECK(restarted.stats().deltas_applied == 0);
  // Its heartbeat resumed above what its peers had seen, so they see it live.
  CHECK(restarted.heartbeat() > heartbeat);
  CHECK(revived == kNodes - 1);
  for (std::size_t i = 1; i < kNodes; ++i) {
    CHECK(cluster.storage(i).Get("n0")->live);
    CHECK(cluster.storage(i).Get("n0")->generation == generation);
  }
  CHECK(restarted.stats().lineage_restarts == 0);
}

TEST_CASE("A node restarted empty with a higher generation replaces its old lineage",
          "[engine][restart]") {
  VirtualCluster cluster(RestartConfig(32));
  SeedData(cluster);
  const Generation old_generation = cluster.engine(0).generation();
  cluster.Crash(0);
  cluster.RunFor(5s);
  const Generation fresh(old_generation.value() + 10);
  cluster.Restart(0, /*keep_storage=*/false, fresh);
  CHECK(cluster.engine(0).generation() == fresh);
  CHECK(cluster.engine(0).version() == Version(0));
  REQUIRE(cluster.Update(0, "fresh", "1").ok());

  REQUIRE(cluster.RunUntil([&] { return PeersHoldExactly(cluster, 0); },
                           cluster.now() + 60s));
  for (std::size_t i = 1; i < kNodes; ++i) {
    INFO("node " << i);
    const PeerRecord* held = cluster.storage(i).Get("n0");
    CHECK(held->generation == fresh);
    CHECK(held->data.size() == 1);
    CHECK(held->data.count("old1") == 0);  // the old lineage's keys are gone
    CHECK(held->data.at("fresh") == VersionedValue{"1", Version(1)});
  }
  // It learned the cluster back from its seed, data included.
  REQUIRE(cluster.RunUntil(
      [&] {
        for (std::size_t i = 1; i < kNodes; ++i) {
          if (DataOf(cluster.storage(0), VirtualCluster::IdOf(i)).size() != 5)
            return false;
        }
        return true;
      },
      cluster.now() + 60s));
  CHECK(cluster.storage(0).PeerCount() == kNodes);
  CHECK(cluster.engine(0).stats().lineage_restarts == 0);
}

TEST_CASE("A node restarted empty with the same generation takes a new lineage",
          "[engine][restart]") {
  VirtualCluster cluster(RestartConfig(33));
  SeedData(cluster);
  const Generation old_generation = cluster.engine(0).generation();
  cluster.Crash(0);
  cluster.RunFor(5s);

  SECTION("the same generation") {
    cluster.Restart(0, /*keep_storage=*/false, old_generation);
  }
  SECTION("a lower generation (its clock went back)") {
    cluster.Restart(0, /*keep_storage=*/false, Generation(old_generation.value() - 500));
  }
  std::vector<Generation> new_lineages;
  std::size_t errors = 0;
  cluster.OnEvent([&](std::size_t node, const Event& event) {
    if (node != 0) return;
    if (const auto* lineage = std::get_if<NewLineageEvent>(&event)) {
      new_lineages.push_back(lineage->generation);
    }
    if (std::holds_alternative<ErrorEvent>(event)) ++errors;
  });
  // A write made before it noticed must survive the change of lineage.
  REQUIRE(cluster.Update(0, "fresh", "1").ok());
  REQUIRE(cluster.RunUntil(
      [&] {
        return cluster.engine(0).generation() > old_generation &&
               PeersHoldExactly(cluster, 0);
      },
      cluster.now() + 60s));
  CHECK(cluster.engine(0).stats().lineage_restarts == 1);
  // Reported through its own event, with the generation taken, and not as
  // an error.
  REQUIRE(new_lineages.size() == 1);
  CHECK(new_lineages[0] == Generation(old_generation.value() + 1));
  CHECK(errors == 0);
  CHECK(cluster.engine(0).generation() == Generation(old_generation.value() + 1));
  const PeerRecord* own = cluster.storage(0).Get("n0");
  CHECK(own->data.size() == 1);
  CHECK(own->data.at("fresh") == VersionedValue{"1", Version(1)});
  for (std::size_t i = 1; i < kNodes; ++i) {
    INFO("node " << i);
    const PeerRecord* held = cluster.storage(i).Get("n0");
    CHECK(held->data.count("old1") == 0);
    CHECK(held->data.at("fresh").value == "1");
  }
  // Once settled, it stays settled.
  cluster.RunFor(30s);
  CHECK(cluster.engine(0).stats().lineage_restarts == 1);
}

TEST_CASE("A restarted node's first exchange: no data re-sent, heartbeat caught up",
          "[engine][restart]") {
  HandNode a("a");
  HandNode b("b");
  StartPair(a, b);
  for (int k = 0; k < 4; ++k) REQUIRE(a->Update("k" + std::to_string(k), "v").ok());
  // A gossips for a while; B learns everything, heartbeat 10 included.
  for (int s = 1; s <= 10; ++s) {
    a->Tick(Timestamp(1s) * s);
    b->Receive(Single(a.Out(), b.self), Timestamp(1s) * s);
    a->Receive(Single(b.Out(), a.self), Timestamp(1s) * s);
    for (const OutgoingMessage& ack : a.Out()) b->Receive(ack.message, Timestamp(1s) * s);
  }
  REQUIRE(b.Peer("a")->max_version_seen == Version(4));
  REQUIRE(b->KnownHeartbeat("a") == Heartbeat(10));

  // A restarts on the same storage.
  a.engine.reset();
  a.Start(12s, Generation(999));
  CHECK(a->generation() == kGen);
  CHECK(a->version() == Version(4));
  CHECK(a->heartbeat() == Heartbeat(0));

  a->Tick(13s);
  const Message syn = Single(a.Out(), b.self);
  CHECK(syn.digest[0] == Entry("a", 100, 1, 4));
  b->Receive(syn, 13s);
  const Message reply = Single(b.Out(), a.self);
  // B needs nothing of A and tells A the heartbeat it saw last.
  CHECK(reply.deltas.empty());
  CHECK(reply.digest == std::vector{Entry("a", 100, 10, 4)});
  a->Receive(reply, 13s);
  CHECK(a.Out().empty());
  CHECK(a->heartbeat() > Heartbeat(10));

  // From then on, B sees A's heartbeat rise again.
  a->Tick(14s);
  b->Receive(Single(a.Out(), b.self), 14s);
  CHECK(b->KnownHeartbeat("a") > Heartbeat(10));
  CHECK(b->stats().deltas_applied == 4);  // only the first life's four keys
}

TEST_CASE("A third party's digest carries a peer's new lineage", "[engine][restart]") {
  // B holds C's old lineage; A's SYN lists C's new one. B adopts it (its old
  // keys of C go), says it has nothing of it yet, and A's ACK fills it in.
  HandNode a("a");
  HandNode b("b");
  for (HandNode* node : {&a, &b}) node->Know(Endpoint("c"), Generation(1));
  b.KnowData("c", {Delta("old", "x", 1), Delta("older", "y", 2)});
  StartPair(a, b);
  // A learns C's new lineage (from C itself).
  a->Receive(
      MakeMessage(MessageKind::kDeltas, Endpoint("c"), {},
                  {PeerDeltas{"c", Generation(2), "mem:c", {Delta("new", "z", 1)}}}),
      1s);
  REQUIRE(a.Peer("c")->generation == Generation(2));

  b->Receive(MakeMessage(MessageKind::kDigest, a.self, a->FullDigest()), 2s);
  const PeerRecord* c_at_b = b.Peer("c");
  CHECK(c_at_b->generation == Generation(2));
  CHECK(c_at_b->data.empty());
  CHECK(c_at_b->max_version_seen == Version(0));
  const Message reply = Single(b.Out(), a.self);
  CHECK(reply.digest == std::vector{Entry("c", 2, 0, 0)});
  CHECK(reply.deltas.empty());

  a->Receive(reply, 2s);
  const Message ack = Single(a.Out(), b.self);
  CHECK(ack.deltas ==
        std::vector{PeerDeltas{"c", Generation(2), "", {Delta("new", "z", 1)}}});
  b->Receive(ack, 2s);
  CHECK(b.Peer("c")->data.size() == 1);
  CHECK(b.Peer("c")->data.at("new").value == "z");

  // A stale digest that still lists the old lineage changes nothing.
  b->Receive(MakeMessage(MessageKind::kDigest, Endpoint("d"),
                         {Entry("d", 1, 1, 0), Entry("c", 1, 50, 2)}),
             3s);
  CHECK(b.Peer("c")->generation == Generation(2));
  CHECK(b.Peer("c")->data.size() == 1);
}

namespace {

// A digest from A itself listing its own heartbeat (generation kGen).
Message DigestFromA(std::uint64_t heartbeat) {
  return MakeMessage(MessageKind::kDigest, Endpoint("a"),
                     {Entry("a", kGen.value(), heartbeat, 0)});
}

// How old B's news of A is at `now`, in milliseconds (readable when a
// check fails).
double AgeOfAMs(HandNode& b, Timestamp now) {
  const std::optional<Duration> age = b->HeartbeatAge("a", now);
  REQUIRE(age.has_value());
  return static_cast<double>(age->count()) / 1000.0;
}

// B hears A's heartbeats 1..10 over ten seconds, one per second.
void HearTenSeconds(HandNode& b) {
  for (int s = 1; s <= 10; ++s) {
    const Timestamp now = Timestamp(1s) * s;
    b->Tick(now);
    b.Out();
    b->Receive(DigestFromA(static_cast<std::uint64_t>(s)), now);
    b.Out();
  }
  REQUIRE(b.Events().empty());
  REQUIRE(b->KnownHeartbeat("a") == Heartbeat(10));
}

}  // namespace

TEST_CASE("A peer restarted on its kept storage is live again at its first message",
          "[engine][restart]") {
  // A restarted on its storage keeps its generation but counts its heartbeat
  // from zero until an answer shows it the old value. Its own message says
  // it is up: B must not wait for that round trip and a rise.
  HandNode b("b");
  b.Know(Endpoint("a"));
  b.Start(0s);
  HearTenSeconds(b);

  // A is down until B convicts it.
  Timestamp now = 10s;
  bool dead = false;
  while (!dead && now < Timestamp(120s)) {
    now += 1s;
    b->Tick(now);
    b.Out();
    dead = !EventsOf<PeerDeadEvent>(b.Events()).empty();
  }
  REQUIRE(dead);

  // A's first digest after its restart, heartbeat 1.
  now += 500ms;
  b->Receive(DigestFromA(1), now);
  const auto live = EventsOf<PeerLiveEvent>(b.Events());
  REQUIRE(live.size() == 1);
  CHECK(live[0].peer == Endpoint("a"));
  CHECK(b.Peer("a")->live);
  CHECK(AgeOfAMs(b, now) == 0);
  // The answer still shows A the heartbeat B knows, so that A jumps past it.
  const Message reply = Single(b.Out(), Endpoint("a"));
  CHECK(std::find(reply.digest.begin(), reply.digest.end(),
                  Entry("a", kGen.value(), 10, 0)) != reply.digest.end());
  CHECK(b->KnownHeartbeat("a") == Heartbeat(10));

  // A, caught up, ticks on: no further event, fresh news.
  for (std::uint64_t h = 12; h < 42; ++h) {
    now += 1s;
    b->Tick(now);
    b.Out();
    b->Receive(DigestFromA(h), now);
    b.Out();
    REQUIRE(b.Events().empty());
    CHECK(AgeOfAMs(b, now) < 500);
  }
  // A real crash is still detected.
  dead = false;
  const Timestamp crash = now;
  while (!dead && now < crash + 60s) {
    now += 1s;
    b->Tick(now);
    b.Out();
    dead = !EventsOf<PeerDeadEvent>(b.Events()).empty();
  }
  CHECK(dead);
}

TEST_CASE("A peer back before it was convicted is not judged by its time down",
          "[engine][restart]") {
  HandNode b("b");
  b.Know(Endpoint("a"));
  b.Start(0s);
  HearTenSeconds(b);
  // Down three seconds: not convicted yet.
  for (int s = 11; s <= 13; ++s) {
    b->Tick(Timestamp(1s) * s);
    b.Out();
  }
  REQUIRE(b.Events().empty());

  b->Receive(DigestFromA(1), 13500ms);
  b.Out();
  CHECK(AgeOfAMs(b, 13500ms) == 0);
  // A jumped to 11 on B's answer and ticked to 12: B judges that news
  // fresh, not three seconds late (its three seconds down are no lateness
  // of A's heartbeats).
  b->Receive(DigestFromA(12), 14500ms);
  b.Out();
  CHECK(AgeOfAMs(b, 14500ms) < 200);
  CHECK(b.Events().empty());
}

TEST_CASE("A node that starts gossiping long after it was built convicts nobody at once",
          "[engine][restart]") {
  // Peers restored from storage are judged from the node's first round, not
  // from its construction, and a peer that is gone is still convicted as
  // soon as by a node built at that first round.
  HandNode early("a");
  HandNode on_time("a");
  for (HandNode* node : {&early, &on_time}) node->Know(Endpoint("b"));
  early.Start(0s);
  on_time.Start(60s);
  std::optional<Timestamp> early_dead;
  std::optional<Timestamp> on_time_dead;
  for (int s = 0; s <= 120 && !(early_dead && on_time_dead); ++s) {
    const Timestamp now = Timestamp(60s) + Timestamp(1s) * s;
    early->Tick(now);
    on_time->Tick(now);
    early.Out();
    on_time.Out();
    if (!EventsOf<PeerDeadEvent>(early.Events()).empty() && !early_dead) early_dead = now;
    if (!EventsOf<PeerDeadEvent>(on_time.Events()).empty() && !on_time_dead)
      on_time_dead = now;
  }
  REQUIRE(on_time_dead.has_value());
  REQUIRE(early_dead.has_value());
  CHECK(*early_dead == *on_time_dead);
  CHECK(*early_dead > Timestamp(61s));
}
