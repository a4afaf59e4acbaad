// Whom a node gossips with each round (the seed's gossip() steps): a random
// live peer; a dead one with probability dead / (live + 1), always if none
// is live; a seed when fewer than MINIMUM_LIVE_PEERS are live. And seeds
// bootstrapping a cluster whose nodes start knowing nobody else.
//
// Rounds here tick at one instant so that no peer's liveness changes while
// the targets are counted.
#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "core/engine_test_support.h"
#include "gossipmonger/sim/cluster.h"

using namespace gmtest;
using gossipmonger::sim::SimCluster;

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

TEST_CASE("MINIMUM_LIVE_PEERS makes a node contact a seed", "[engine][targets]") {
  auto seed_rate = [](std::size_t minimum, std::size_t live_peers,
                      std::vector<PeerEndpoint> seeds) {
    Options options = SeedExchange();
    options.minimum_live_peers = minimum;
    options.seeds = std::move(seeds);
    HandNode a("a", options);
    for (std::size_t i = 0; i < live_peers; ++i)
      a.Know(Endpoint("p" + std::to_string(i)));
    a.Start();
    const Targets t = CountTargets(a, 200);
    return Sum(t, {"s1", "s2"}) / 200.0;
  };
  const std::vector<PeerEndpoint> seeds{Endpoint("s1"), Endpoint("s2")};
  // The seed's default: below one live peer, i.e. when alone.
  CHECK(Options{}.minimum_live_peers == 1);
  CHECK(seed_rate(1, 0, seeds) == 1.0);
  CHECK(seed_rate(1, 1, seeds) == 0.0);
  CHECK(seed_rate(3, 2, seeds) == 1.0);
  CHECK(seed_rate(2, 2, seeds) == 0.0);
  CHECK(seed_rate(0, 0, seeds) == 0.0);
  // Both seeds are used.
  Options options = SeedExchange();
  options.seeds = seeds;
  HandNode a("a", options);
  a.Start();
  Targets t = CountTargets(a, 200);
  CHECK(t.by_id["s1"] > 60);
  CHECK(t.by_id["s2"] > 60);
  CHECK(t.by_id["s1"] + t.by_id["s2"] == 200);

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
  sim::ClusterConfig config;
  config.nodes = 12;
  config.seed = 13;
  config.prejoined = false;
  config.seed_count = 1;
  SimCluster cluster(config);
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
  const bool everyone_knows_everyone = cluster.RunUntil(
      [&] {
        for (std::size_t i = 0; i < cluster.size(); ++i) {
          if (cluster.storage(i).PeerCount() != cluster.size()) return false;
        }
        return true;
      },
      60s);
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
    sim::ClusterConfig alone = config;
    alone.seed_count = 0;
    SimCluster isolated(alone);
    isolated.RunFor(30s);
    for (std::size_t i = 0; i < isolated.size(); ++i) {
      CHECK(isolated.storage(i).PeerCount() == 1);
    }
  }
}

TEST_CASE("Partial digests still spread membership in a large cluster on a small budget",
          "[engine][targets]") {
  sim::ClusterConfig config;
  config.nodes = 40;
  config.seed = 17;
  config.prejoined = false;
  config.max_body_bytes = 300;  // about 20 digest entries: digests are partial
  SimCluster cluster(config);
  const bool everyone_knows_everyone = cluster.RunUntil(
      [&] {
        for (std::size_t i = 0; i < cluster.size(); ++i) {
          if (cluster.storage(i).PeerCount() != cluster.size()) return false;
        }
        return true;
      },
      120s);
  CHECK(everyone_knows_everyone);
}
