// VirtualCluster's own surface, as a service's tests use it: updates reach
// every node's view in virtual time, a partition by node index cuts exactly
// the nodes outside a group until Heal, rounds advance virtual time by the
// gossip interval, and one rng_seed replays one run. (The engine's behaviour
// on a VirtualCluster is tested in tests/core.)
#include "gossipmonger/testing/virtual_cluster.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <string>

using gossipmonger::testing::ClusterConfig;
using gossipmonger::testing::VirtualCluster;
using namespace std::chrono_literals;

namespace {

ClusterConfig ThreeNodes(std::uint64_t rng_seed) {
  ClusterConfig config;
  config.nodes = 3;
  config.rng_seed = rng_seed;
  config.options.gossip_interval = 100ms;
  return config;
}

}  // namespace

TEST_CASE("A local update is in its node's view at once and in every view within rounds",
          "[testing][virtual-cluster]") {
  VirtualCluster cluster(ThreeNodes(1));
  REQUIRE(cluster.Update(0, "color", "blue").ok());
  CHECK(cluster.ValueAt(0, 0, "color") == std::optional<std::string>("blue"));
  CHECK_FALSE(cluster.ValueAt(1, 0, "color").has_value());
  CHECK_FALSE(cluster.ValueAt(0, 0, "size").has_value());
  CHECK_FALSE(cluster.AllSee(0, "color", "blue"));

  const bool seen = cluster.RunUntil([&] { return cluster.AllSee(0, "color", "blue"); },
                                     cluster.now() + cluster.round() * 5);
  CHECK(seen);
  CHECK(cluster.ValueAt(2, 0, "color") == std::optional<std::string>("blue"));
}

TEST_CASE("Rounds advance virtual time by the gossip interval",
          "[testing][virtual-cluster]") {
  VirtualCluster cluster(ThreeNodes(2));
  CHECK(cluster.round() == 100ms);
  const auto start = cluster.now();
  cluster.RunRounds(3);
  CHECK(cluster.now() - start == 300ms);
  CHECK(cluster.engine(0).stats().rounds >= 2);
}

TEST_CASE("A node partitioned off misses updates and catches up after Heal",
          "[testing][virtual-cluster]") {
  VirtualCluster cluster(ThreeNodes(3));
  cluster.Partition({{0, 1}, {2}});
  REQUIRE(cluster.Update(0, "color", "green").ok());
  cluster.RunRounds(20);
  CHECK(cluster.ValueAt(1, 0, "color") == std::optional<std::string>("green"));
  CHECK_FALSE(cluster.ValueAt(2, 0, "color").has_value());
  CHECK(cluster.faults().stats().messages_partitioned > 0);

  cluster.Heal();
  const bool caught_up =
      cluster.RunUntil([&] { return cluster.AllSee(0, "color", "green"); },
                       cluster.now() + cluster.round() * 30);
  CHECK(caught_up);
}

TEST_CASE("A crashed node is not asked to see anything", "[testing][virtual-cluster]") {
  VirtualCluster cluster(ThreeNodes(4));
  cluster.Crash(2);
  CHECK_FALSE(cluster.up(2));
  REQUIRE(cluster.Update(0, "color", "red").ok());
  cluster.RunRounds(10);
  CHECK(cluster.AllSee(0, "color", "red"));
  CHECK_FALSE(cluster.ValueAt(2, 0, "color").has_value());
}

TEST_CASE("One rng_seed replays one run", "[testing][virtual-cluster]") {
  ClusterConfig config = ThreeNodes(5);
  config.link.loss = 0.2;
  config.link.delay_max = 30ms;
  VirtualCluster first(config);
  VirtualCluster second(config);
  for (VirtualCluster* cluster : {&first, &second}) {
    REQUIRE(cluster->Update(1, "k", "v").ok());
    cluster->RunRounds(10);
  }
  CHECK(first.faults().stats().messages_sent == second.faults().stats().messages_sent);
  CHECK(first.faults().stats().bytes_sent == second.faults().stats().bytes_sent);
  CHECK(first.faults().stats().messages_lost == second.faults().stats().messages_lost);
  CHECK(first.faults().stats().messages_lost > 0);
}
