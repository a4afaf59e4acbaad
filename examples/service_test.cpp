// A service's own test, built against an installed gossipmonger with its
// testing kit (find_package(gossipmonger COMPONENTS testing)). Three nodes
// gossip in virtual time (gossipmonger::testing::VirtualCluster): no sockets,
// no sleeping, the same run every time, so the test takes milliseconds and
// can assert "within N rounds".
//
// The service here is small: every node announces the schema version it
// serves under the key "schema", and a node may drop the old schema only
// when every node it knows of serves the new one (EveryoneServes, the
// service's own logic, which in production reads Gossipmonger::storage()).
#include <catch2/catch.hpp>
#include <chrono>
#include <cstddef>
#include <string>
#include <variant>

#include "gossipmonger/storage.h"
#include "gossipmonger/testing/virtual_cluster.h"

namespace gm = gossipmonger;
using gm::testing::ClusterConfig;
using gm::testing::VirtualCluster;

namespace {

// The service's logic under test: whether every peer in `view` (the node
// itself included) announces `version`.
bool EveryoneServes(const gm::Storage& view, const std::string& version) {
  bool all = true;
  view.ForEachPeer([&](const gm::PeerRecord& peer) {
    auto schema = peer.data.find("schema");
    all = all && schema != peer.data.end() && schema->second.value == version;
  });
  return all;
}

// Three nodes that know each other, with the library's default options (a
// gossip round every second, in virtual time), on a network that loses 5%
// of the messages and delays each by 1 to 20 ms.
ClusterConfig ThreeNodes() {
  ClusterConfig config;
  config.nodes = 3;
  config.rng_seed = 7;
  config.link.loss = 0.05;
  config.link.delay_min = std::chrono::milliseconds(1);
  config.link.delay_max = std::chrono::milliseconds(20);
  return config;
}

// Runs until every node sees everyone serving `version`, for at most
// `rounds` gossip rounds; returns whether that happened.
bool AllServeWithin(VirtualCluster& cluster, const std::string& version, int rounds) {
  auto done = [&] {
    for (std::size_t node = 0; node < cluster.size(); ++node) {
      if (!EveryoneServes(cluster.storage(node), version)) return false;
    }
    return true;
  };
  return cluster.RunUntil(done, cluster.now() + cluster.round() * rounds);
}

}  // namespace

TEST_CASE("Every node sees the others' schema within 3 rounds", "[service]") {
  VirtualCluster cluster(ThreeNodes());
  for (std::size_t node = 0; node < cluster.size(); ++node) {
    REQUIRE(cluster.Update(node, "schema", "v1").ok());
  }
  CHECK_FALSE(EveryoneServes(cluster.storage(0), "v1"));  // nothing gossiped yet
  REQUIRE(AllServeWithin(cluster, "v1", 3));

  // One node moves to v2: everyone hears of it, and no node may drop v1.
  REQUIRE(cluster.Update(1, "schema", "v2").ok());
  REQUIRE(cluster.RunUntil([&] { return cluster.AllSee(1, "schema", "v2"); },
                           cluster.now() + cluster.round() * 3));
  for (std::size_t node = 0; node < cluster.size(); ++node) {
    CHECK_FALSE(EveryoneServes(cluster.storage(node), "v1"));
    CHECK_FALSE(EveryoneServes(cluster.storage(node), "v2"));
  }
}

TEST_CASE("A node cut off by a partition catches up after it heals", "[service]") {
  VirtualCluster cluster(ThreeNodes());
  int deaths_of_n2 = 0;
  cluster.OnEvent([&](std::size_t node, const gm::Event& event) {
    const auto* dead = std::get_if<gm::PeerDeadEvent>(&event);
    if (node == 0 && dead != nullptr && dead->peer.id == VirtualCluster::IdOf(2)) {
      ++deaths_of_n2;
    }
  });
  for (std::size_t node = 0; node < cluster.size(); ++node) {
    REQUIRE(cluster.Update(node, "schema", "v1").ok());
  }
  REQUIRE(AllServeWithin(cluster, "v1", 3));

  // Node 2 is cut off from 0 and 1 (the fault model drops every message
  // between the groups) while all three move to v2.
  cluster.Partition({{0, 1}, {2}});
  for (std::size_t node = 0; node < cluster.size(); ++node) {
    REQUIRE(cluster.Update(node, "schema", "v2").ok());
  }
  cluster.RunRounds(30);
  CHECK(cluster.ValueAt(1, 0, "schema") == "v2");
  CHECK(cluster.ValueAt(2, 0, "schema") == "v1");  // old news only
  CHECK_FALSE(EveryoneServes(cluster.storage(2), "v2"));
  CHECK(deaths_of_n2 == 1);  // node 0 noticed node 2 went silent

  cluster.Heal();
  CHECK(AllServeWithin(cluster, "v2", 5));
}
