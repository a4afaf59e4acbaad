// Whom a node gossips with each round (the original's gossip() steps): a random
// live peer; a dead one with probability dead / (live + 1), always if none
// is live; a seed when fewer than MINIMUM_LIVE_PEERS are live. Beyond the
// seed: every seed in the first round, a seed every round while fewer peers
// are live than there are seeds, else with probability seeds / known peers
// unless the round's partner is a seed. And seeds bootstrapping a cluster
// whose nodes start knowing nobody else, and merging groups formed apart.
//
// Rounds here tick at one instant so that no peer's liveness changes while
// the targets are counted.
#include "gossip_targets.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "concept_test_support.h"
#include "core/engine_test_support.h"
#include "gossipmonger/testing/virtual_cluster.h"

using namespace gmtest;
using gossipmonger::testing::ClusterConfig;
using gossipmonger::testing::VirtualCluster;

namespace {

struct Targets {
  std::map<std::string, int> by_id;  // SYNs per target
  int rounds = 0;
};

// Ticks `node` `rounds` times and counts the digests it sends per target.
// Unless `replies` is false, each round's first target answers (with an
// empty reply), so that no round is retried.
Targets CountTargets(HandNode& node, int rounds, bool replies = true) {
  Targets targets;
  for (int r = 0; r < rounds; ++r) {
    node->Tick(0s);
    const auto outbox = node.Out();
    for (const OutgoingMessage& out : outbox) {
      REQUIRE(out.message.kind == MessageKind::kDigest);
      ++targets.by_id[out.to.id];
    }
    if (replies && !outbox.empty()) {
      node->Receive(MakeMessage(MessageKind::kDigestReply, outbox[0].to, {}), 0s);
      node.Out();
    }
    ++targets.rounds;
  }
  return targets;
}

int Sum(const Targets& t, const std::vector<std::string>& ids) {
  int n = 0;
  for (const std::string& id : ids) {
    auto it = t.by_id.find(id);
    if (it != t.by_id.end()) n += it->second;
  }
  return n;
}

// Whether every node of `cluster` knows every other.
bool EveryoneKnowsEveryone(VirtualCluster& cluster) {
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (cluster.storage(i).PeerCount() != cluster.size()) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("Each round goes to one random live peer", "[engine][targets]") {
  HandNode a("a");
  const std::vector<std::string> live{"b", "c", "d", "e"};
  for (const std::string& id : live) a.Know(Endpoint(id));
  a.Start();
  const Targets t = CountTargets(a, 800);
  CHECK(Sum(t, live) == 800);  // exactly one per round, nobody else
  CHECK(t.by_id.size() == 4);
  for (const std::string& id : live) {
    INFO("peer " << id);
    CHECK(t.by_id.at(id) > 150);  // 200 expected: roughly uniform
    CHECK(t.by_id.at(id) < 250);
  }
}

TEST_CASE("A round whose digest got no reply is followed by one to two live peers",
          "[engine][targets]") {
  HandNode a("a");
  const std::vector<std::string> live{"b", "c", "d"};
  for (const std::string& id : live) a.Know(Endpoint(id));
  a.Start();
  // Nobody answers: the first round sends one digest, every later round two,
  // to distinct peers.
  for (int round = 0; round < 50; ++round) {
    a->Tick(0s);
    const auto outbox = a.Out();
    REQUIRE(outbox.size() == (round == 0 ? 1u : 2u));
    if (outbox.size() == 2) CHECK(outbox[0].to != outbox[1].to);
  }
  CHECK(a->stats().retries == 49);
  // One reply, and the next round is back to one peer.
  a->Receive(MakeMessage(MessageKind::kDigestReply, Endpoint("b"), {}), 0s);
  a.Out();
  a->Tick(0s);
  CHECK(a.Out().size() == 1);
}

TEST_CASE("A dead peer is also tried, with probability dead / (live + 1)",
          "[engine][targets]") {
  struct Case {
    std::vector<std::string> live;
    std::vector<std::string> dead;
    double probability;
  };
  const std::vector<Case> cases{
      {{"l1"}, {"d1"}, 0.5},
      {{"l1", "l2", "l3"}, {"d1"}, 0.25},
      {{"l1"}, {"d1", "d2", "d3"}, 1.0},  // 3 / 2, capped
      {{}, {"d1", "d2"}, 1.0},            // nobody live: always
  };
  for (const Case& c : cases) {
    INFO(c.live.size() << " live, " << c.dead.size() << " dead");
    HandNode a("a");
    for (const std::string& id : c.live) a.Know(Endpoint(id));
    for (const std::string& id : c.dead) a.Know(Endpoint(id), kGen, false);
    a.Start();
    constexpr int kRounds = 2000;
    const Targets t = CountTargets(a, kRounds);
    CHECK(Sum(t, c.live) == (c.live.empty() ? 0 : kRounds));
    const double dead_rate = Sum(t, c.dead) / static_cast<double>(kRounds);
    CHECK(dead_rate == Approx(c.probability).margin(0.04));
  }
}

TEST_CASE("A starting node announces itself to every seed in its first round",
          "[engine][targets]") {
  Options options = SeedExchange();
  options.seeds = {Endpoint("s1"), Endpoint("s2"), Endpoint("s3")};
  HandNode a("a", options);
  for (const char* id : {"p1", "p2", "p3", "p4", "p5", "p6"}) a.Know(Endpoint(id));
  a.Start();
  Targets first = CountTargets(a, 1);
  CHECK(Sum(first, {"s1", "s2", "s3"}) == 3);
  CHECK(first.by_id["s1"] == 1);
  CHECK(first.by_id["s2"] == 1);
  CHECK(first.by_id["s3"] == 1);
  CHECK(Sum(first, {"p1", "p2", "p3", "p4", "p5", "p6"}) == 1);  // and its round
  // Once only: six live peers, three seeds, so afterwards a seed with
  // probability 3 / 6 per round.
  const Targets later = CountTargets(a, 2000);
  CHECK(Sum(later, {"s1", "s2", "s3"}) / 2000.0 == Approx(0.5).margin(0.04));
}

TEST_CASE("Seeds are called every round while few peers are live, now and then after",
          "[engine][targets]") {
  // The rate of digests to seeds per round, after the first round (which
  // calls every seed).
  auto seed_rate = [](std::size_t minimum, std::size_t live_peers, std::size_t dead_peers,
                      std::vector<PeerEndpoint> seeds) {
    Options options = SeedExchange();
    options.minimum_live_peers = minimum;
    options.seeds = seeds;
    HandNode a("a", options);
    for (std::size_t i = 0; i < live_peers; ++i)
      a.Know(Endpoint("p" + std::to_string(i)));
    for (std::size_t i = 0; i < dead_peers; ++i)
      a.Know(Endpoint("d" + std::to_string(i)), kGen, false);
    a.Start();
    CountTargets(a, 1);
    constexpr int kRounds = 2000;
    const Targets t = CountTargets(a, kRounds);
    std::vector<std::string> seed_ids;
    for (const PeerEndpoint& seed : seeds) seed_ids.push_back(seed.id);
    return Sum(t, seed_ids) / static_cast<double>(kRounds);
  };
  const std::vector<PeerEndpoint> two{Endpoint("s1"), Endpoint("s2")};
  // The original's rule: below MINIMUM_LIVE_PEERS (default 1: alone), always.
  CHECK(Options{}.minimum_live_peers == 1);
  CHECK(seed_rate(1, 0, 0, two) == 1.0);
  CHECK(seed_rate(3, 2, 0, two) == 1.0);
  // Fewer live peers than seeds: always, whatever MINIMUM_LIVE_PEERS.
  CHECK(seed_rate(1, 1, 0, two) == 1.0);
  CHECK(seed_rate(0, 0, 0, two) == 1.0);
  CHECK(seed_rate(0, 1, 5, two) == 1.0);
  // Otherwise with probability seeds / known peers (dead ones included).
  CHECK(seed_rate(1, 2, 0, two) == Approx(1.0));
  CHECK(seed_rate(1, 8, 0, two) == Approx(0.25).margin(0.03));
  CHECK(seed_rate(1, 8, 12, two) == Approx(0.1).margin(0.03));
  CHECK(seed_rate(1, 40, 0, {Endpoint("s1")}) == Approx(1.0 / 40).margin(0.015));

  SECTION("not when this round's partner is a seed") {
    // Two live peers, both seeds: every round's partner is a seed.
    Options options = SeedExchange();
    options.seeds = two;
    HandNode a("a", options);
    a.Know(Endpoint("s1"));
    a.Know(Endpoint("s2"));
    a.Start();
    CountTargets(a, 1);
    const Targets t = CountTargets(a, 500);
    CHECK(Sum(t, {"s1", "s2"}) == 500);  // the round's exchange only
  }
  SECTION("both seeds are used") {
    Options options = SeedExchange();
    options.seeds = two;
    HandNode a("a", options);
    a.Start();
    CountTargets(a, 1);
    Targets t = CountTargets(a, 200);
    CHECK(t.by_id["s1"] > 60);
    CHECK(t.by_id["s2"] > 60);
    CHECK(t.by_id["s1"] + t.by_id["s2"] == 200);
  }
  SECTION("a node never lists itself as its own seed") {
    Options own = SeedExchange();
    own.seeds = {Endpoint("a"), {"other-id", "mem:a"}};  // by id, and by address
    HandNode self_seeded("a", own);
    self_seeded.Start();
    CHECK(CountTargets(self_seeded, 50).by_id.empty());
  }
}

TEST_CASE("Seeds are the last resort when every peer is dead", "[engine][targets]") {
  Options options = SeedExchange();
  options.seeds = {Endpoint("s")};
  HandNode a("a", options);
  a.Know(Endpoint("d1"), kGen, false);
  a.Know(Endpoint("d2"), kGen, false);
  a.Start();
  Targets t = CountTargets(a, 100);
  CHECK(t.by_id["s"] == 100);
  CHECK(Sum(t, {"d1", "d2"}) == 100);
}

TEST_CASE("Seeds bootstrap a cluster that is not prejoined", "[engine][targets]") {
  ClusterConfig config;
  config.nodes = 12;
  config.rng_seed = 13;
  config.prejoined = false;
  config.seed_count = 1;
  VirtualCluster cluster(config);
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    CHECK(cluster.storage(i).PeerCount() == 1);  // itself only
  }
  std::map<std::size_t, std::set<std::string>> announced;
  cluster.OnEvent([&](std::size_t node, const Event& event) {
    if (const auto* peer = std::get_if<NewPeerEvent>(&event)) {
      CHECK(peer->peer.address == "sim:" + peer->peer.id.substr(1));
      announced[node].insert(peer->peer.id);
    }
  });
  const bool everyone_knows_everyone =
      cluster.RunUntil([&] { return EveryoneKnowsEveryone(cluster); }, 60s);
  REQUIRE(everyone_knows_everyone);
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    INFO("node " << i);
    CHECK(announced[i].size() == cluster.size() - 1);  // each `new peer` once
  }
  // And data spreads over the membership they built.
  REQUIRE(cluster.Update(11, "k", "v").ok());
  const bool spread = cluster.RunUntil(
      [&] {
        for (std::size_t i = 0; i < 11; ++i) {
          if (DataOf(cluster.storage(i), "n11").count("k") == 0) return false;
        }
        return true;
      },
      cluster.now() + 30s);
  CHECK(spread);

  SECTION("without seeds nobody finds anybody") {
    ClusterConfig alone = config;
    alone.seed_count = 0;
    VirtualCluster isolated(alone);
    isolated.RunFor(30s);
    for (std::size_t i = 0; i < isolated.size(); ++i) {
      CHECK(isolated.storage(i).PeerCount() == 1);
    }
  }
}

TEST_CASE("Partial digests still spread membership in a large cluster on a small budget",
          "[engine][targets]") {
  ClusterConfig config;
  config.nodes = 40;
  config.rng_seed = 17;
  config.prejoined = false;
  config.max_body_bytes = 300;  // about 20 digest entries: digests are partial
  VirtualCluster cluster(config);
  const bool everyone_knows_everyone =
      cluster.RunUntil([&] { return EveryoneKnowsEveryone(cluster); }, 120s);
  CHECK(everyone_knows_everyone);
}

TEST_CASE("Two clusters that formed apart and share a seed list merge",
          "[engine][targets]") {
  ClusterConfig config;
  config.nodes = 20;
  config.rng_seed = 29;
  config.prejoined = false;
  config.seed_count = 3;  // n0, n1, n2
  VirtualCluster cluster(config);
  // The way a cluster started all at once splits: n0 is up first and its
  // calls to the other seeds go nowhere, while n1 and n2 find each other.
  // Modelled as a partition for the first minute: {n0, n3..n9} and
  // {n1, n2, n10..n19}.
  std::vector<std::string> a{VirtualCluster::AddressOf(0)};
  std::vector<std::string> b{VirtualCluster::AddressOf(1), VirtualCluster::AddressOf(2)};
  for (std::size_t i = 3; i < 20; ++i)
    (i < 10 ? a : b).push_back(VirtualCluster::AddressOf(i));
  cluster.faults().Partition({a, b});
  cluster.RunFor(60s);
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    INFO("node " << i);
    const bool in_a = i == 0 || (i >= 3 && i < 10);
    CHECK(cluster.storage(i).PeerCount() == (in_a ? a.size() : b.size()));
  }
  // The partition heals; nothing else changes.
  cluster.faults().Heal();
  const Timestamp healed = cluster.now();
  REQUIRE(cluster.RunUntil([&] { return EveryoneKnowsEveryone(cluster); }, healed + 10s));
  // A few rounds, not luck: the first seed call of either side merges them.
  CHECK(cluster.now() - healed <= 5s);
  // And they stay one cluster, with nobody convicted.
  cluster.RunFor(30s);
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    INFO("node " << i);
    CHECK(cluster.storage(i).LivePeers(VirtualCluster::IdOf(i)).size() ==
          cluster.size() - 1);
  }
}

TEST_CASE("A cluster whose nodes all start at once, in random order, is one cluster",
          "[engine][targets]") {
  // Nodes start at random instants within two intervals, knowing only the
  // three seeds; a seed's first calls reach seeds that are not up yet. With
  // the original's rule alone (a seed only while no peer is live) most such
  // starts end as two or three clusters for good (docs/SIMULATION.md,
  // "Bootstrap").
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    INFO("seed " << seed);
    ClusterConfig config;
    config.nodes = 50;
    config.rng_seed = seed;
    config.prejoined = false;
    config.seed_count = 3;
    config.start_window = 2s;
    config.link.loss = seed % 2 == 0 ? 0.05 : 0.0;
    VirtualCluster cluster(config);
    CHECK(cluster.RunUntil([&] { return EveryoneKnowsEveryone(cluster); }, 32s));
  }
}

TEST_CASE(
    "A round sends its digest to gossip_fanout distinct live peers, one exchange per "
    "step",
    "[engine][targets]") {
  Options options = SeedExchange();
  options.gossip_fanout = 3;
  HandNode a("a", options);
  for (const char* id : {"b", "c", "d", "e", "f", "g"}) a.Know(Endpoint(id));
  a.Start();
  std::vector<std::string> targets;
  auto collect = [&] {
    std::size_t sent = 0;
    for (const OutgoingMessage& out : a.Out()) {
      REQUIRE(out.message.kind == MessageKind::kDigest);
      targets.push_back(out.to.id);
      ++sent;
    }
    return sent;
  };
  // The first exchange at the tick, the others at the next steps, so that
  // each sees what the previous ones brought.
  a->Tick(Timestamp(0));
  CHECK(collect() == 1);
  a->Step(Timestamp(250ms));
  CHECK(collect() == 1);
  a->Step(Timestamp(500ms));
  CHECK(collect() == 1);
  a->Step(Timestamp(750ms));
  CHECK(collect() == 0);
  CHECK(std::set<std::string>(targets.begin(), targets.end()).size() == 3);
}

// --- GossipTargets on its own ----------------------------------------------------------

namespace {

// Node "a" with six live peers, gossip_fanout 3.
struct TargetsRig {
  TargetsRig() : rig("a", FanoutThree()) {
    for (const char* id : {"b", "c", "d", "e", "f", "g"}) rig.Know(id);
    rig.Load();
  }
  static Options FanoutThree() {
    Options options = SeedExchange();
    options.gossip_fanout = 3;
    return options;
  }
  std::vector<std::string> Sent() {
    std::vector<std::string> ids;
    for (const OutgoingMessage& out : rig.Out()) {
      CHECK(out.message.kind == MessageKind::kDigest);
      ids.push_back(out.to.id);
    }
    return ids;
  }
  ViewRig rig;
  AntiEntropy anti_entropy{rig.context, rig.view};
  GossipTargets targets{rig.context, rig.view, anti_entropy};
};

}  // namespace

TEST_CASE("A round's partners are called one at a time", "[targets]") {
  TargetsRig t;
  t.targets.StartRound();
  std::vector<std::string> called = t.Sent();
  CHECK(called.size() == 1);
  for (int step = 0; step < 3; ++step) {
    t.targets.StartWaitingExchanges(/*all=*/false);
    for (const std::string& id : t.Sent()) called.push_back(id);
  }
  CHECK(called.size() == 3);
  CHECK(std::set<std::string>(called.begin(), called.end()).size() == 3);

  SECTION("or all at once") {
    t.targets.NoteReply();
    t.targets.StartRound();
    CHECK(t.Sent().size() == 1);
    t.targets.StartWaitingExchanges(/*all=*/true);
    CHECK(t.Sent().size() == 2);
  }
}

TEST_CASE("Waiting partners no longer live are skipped", "[targets]") {
  TargetsRig t;
  t.targets.StartRound();
  CHECK(t.Sent().size() == 1);
  for (auto& [id, state] : t.rig.view.states()) t.rig.view.SetLive(id, state, false);
  t.targets.StartWaitingExchanges(/*all=*/true);
  CHECK(t.Sent().empty());
}

TEST_CASE("A round without a reply to the last one calls one more peer", "[targets]") {
  TargetsRig t;
  t.targets.StartRound();
  t.targets.StartWaitingExchanges(/*all=*/true);
  CHECK(t.Sent().size() == 3);
  t.targets.StartRound();  // no reply came
  CHECK(t.Sent().size() == 2);
  CHECK(t.rig.context.stats.retries == 1);
  t.targets.StartWaitingExchanges(/*all=*/true);
  t.Sent();
  t.targets.NoteReply();
  t.targets.StartRound();
  CHECK(t.Sent().size() == 1);
  CHECK(t.rig.context.stats.retries == 1);
}
