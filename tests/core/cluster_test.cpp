// Whole-cluster behaviour in virtual time: convergence, conviction of a
// crashed node, and its return.
#include <catch2/catch.hpp>
#include <set>

#include "gossipmonger/testing/virtual_cluster.h"

using namespace gossipmonger;
using gossipmonger::testing::ClusterConfig;
using gossipmonger::testing::VirtualCluster;

namespace {

bool EveryUpNodeHas(VirtualCluster& cluster, std::size_t owner, const std::string& key,
                    const std::string& value) {
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (!cluster.up(i) || i == owner) continue;
    const PeerRecord* peer = cluster.storage(i).Get(VirtualCluster::IdOf(owner));
    if (peer == nullptr) return false;
    auto it = peer->data.find(key);
    if (it == peer->data.end() || it->second.value != value) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("100 nodes converge, convict a crashed node and see it live again") {
  ClusterConfig config;
  config.nodes = 100;
  config.rng_seed = 42;
  VirtualCluster cluster(config);

  // Warm up the failure detectors, then every node sets one key.
  cluster.RunFor(std::chrono::seconds(30));
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    REQUIRE(cluster.Update(i, "k", "v" + std::to_string(i)).ok());
  }
  const bool converged = cluster.RunUntil(
      [&] {
        for (std::size_t owner = 0; owner < cluster.size(); ++owner) {
          if (!EveryUpNodeHas(cluster, owner, "k", "v" + std::to_string(owner))) return false;
        }
        return true;
      },
      cluster.now() + std::chrono::seconds(120));
  REQUIRE(converged);

  std::set<std::size_t> convicted_by;
  std::set<std::size_t> revived_by;
  std::size_t false_convictions = 0;
  const std::size_t victim = 17;
  cluster.OnEvent([&](std::size_t node, const Event& event) {
    if (const auto* dead = std::get_if<PeerDeadEvent>(&event)) {
      if (dead->peer.id == VirtualCluster::IdOf(victim)) {
        convicted_by.insert(node);
      } else {
        ++false_convictions;
      }
    }
    if (const auto* live = std::get_if<PeerLiveEvent>(&event)) {
      if (live->peer.id == VirtualCluster::IdOf(victim)) revived_by.insert(node);
    }
  });
  cluster.Crash(victim);
  const bool all_convicted = cluster.RunUntil([&] { return convicted_by.size() == 99; },
                                              cluster.now() + std::chrono::seconds(60));
  CHECK(all_convicted);
  CHECK(false_convictions == 0);

  cluster.Restart(victim, /*keep_storage=*/true, Generation(1));
  const bool all_revived = cluster.RunUntil([&] { return revived_by.size() == 99; },
                                            cluster.now() + std::chrono::seconds(60));
  CHECK(all_revived);
  CHECK(false_convictions == 0);
  // It resumed its lineage: nobody saw a new generation.
  CHECK(cluster.engine(victim).generation() == Generation(1000));
}
