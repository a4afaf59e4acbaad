// VirtualCluster's churn calls (what gossipmonger-sim's churn scenario
// uses): a node added while the cluster runs joins through its seeds, a
// removed node is down for good, and MeasureStorage counts what a storage
// holds. Leave's own test needs the engine's lifecycle (docs/LIFECYCLE.md).
#include <catch2/catch.hpp>
#include <chrono>
#include <variant>

#include "gossipmonger/memory_storage.h"
#include "gossipmonger/testing/virtual_cluster.h"

using gossipmonger::Event;
using gossipmonger::PeerLeftEvent;
using gossipmonger::testing::ClusterConfig;
using gossipmonger::testing::MeasureStorage;
using gossipmonger::testing::VirtualCluster;
using namespace std::chrono_literals;

namespace {

ClusterConfig FourNodes() {
  ClusterConfig config;
  config.nodes = 4;
  config.options.gossip_interval = 100ms;
  return config;
}

}  // namespace

TEST_CASE("A node added while running takes a new id and joins through its seeds",
          "[testing][virtual-cluster]") {
  VirtualCluster cluster(FourNodes());
  cluster.RunRounds(3);
  const std::size_t added = cluster.AddNode({1, 2});
  CHECK(added == 4);
  CHECK(cluster.size() == 5);
  CHECK(VirtualCluster::IdOf(added) == "n4");
  CHECK(cluster.up(added));
  REQUIRE(cluster.Update(added, "role", "newcomer").ok());
  const bool joined = cluster.RunUntil(
      [&] {
        if (!cluster.AllSee(added, "role", "newcomer")) return false;
        for (std::size_t node = 0; node < cluster.size(); ++node) {
          if (cluster.Footprint(node).peers != 5) return false;
        }
        return true;
      },
      cluster.now() + cluster.round() * 20);
  CHECK(joined);
}

TEST_CASE("A removed node is down for good and holds nothing",
          "[testing][virtual-cluster]") {
  VirtualCluster cluster(FourNodes());
  cluster.RunRounds(2);
  cluster.Remove(3);
  CHECK_FALSE(cluster.up(3));
  CHECK_FALSE(cluster.present(3));
  CHECK(cluster.Footprint(3).peers == 0);
  CHECK(cluster.Footprint(3).bytes == 0);
  cluster.RunRounds(5);  // messages to it are lost; nothing touches it
  REQUIRE(cluster.Update(0, "still", "here").ok());
  CHECK(cluster.RunUntil([&] { return cluster.AllSee(0, "still", "here"); },
                         cluster.now() + cluster.round() * 10));
}

TEST_CASE("MeasureStorage counts peers, entries and their bytes",
          "[testing][virtual-cluster]") {
  gossipmonger::MemoryStorage storage;
  CHECK(MeasureStorage(storage).peers == 0);
  REQUIRE(storage.PutPeer({"ab", "sim:1", gossipmonger::Generation(1), true}).ok());
  REQUIRE(storage.PutPeer({"cde", "sim:22", gossipmonger::Generation(1), true}).ok());
  gossipmonger::KeyDelta delta;
  delta.key = "key";
  delta.value = "value";
  delta.version = gossipmonger::Version(1);
  REQUIRE(storage.PutDeltas("ab", {&delta, 1}, gossipmonger::Version(1)).ok());
  const auto footprint = MeasureStorage(storage);
  CHECK(footprint.peers == 2);
  CHECK(footprint.entries == 1);
  CHECK(footprint.forgotten == 0);
  // (2 + 5 + 40) + (3 + 6 + 40) + (3 + 5 + 17)
  CHECK(footprint.bytes == 47 + 49 + 25);
}

// Needs the engine's Leave (docs/LIFECYCLE.md).
TEST_CASE("A node that leaves is announced as left and goes down a round later",
          "[testing][virtual-cluster]") {
  VirtualCluster cluster(FourNodes());
  std::size_t left = 0;
  cluster.OnEvent([&](std::size_t, const Event& event) {
    const auto* e = std::get_if<PeerLeftEvent>(&event);
    if (e != nullptr && e->peer.id == "n3") ++left;
  });
  cluster.RunRounds(3);
  REQUIRE(cluster.Leave(3).ok());
  CHECK(cluster.up(3));
  cluster.RunFor(cluster.round() + 1ms);
  CHECK_FALSE(cluster.up(3));
  CHECK(
      cluster.RunUntil([&] { return left == 3; }, cluster.now() + cluster.round() * 10));
}
