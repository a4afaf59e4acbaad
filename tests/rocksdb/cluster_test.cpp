// RocksDbStorage under real engines: a VirtualCluster whose nodes persist to
// RocksDB. A node that restarts on its database resumes its lineage and its
// version counter; a node that restarts wiped starts a new lineage that the
// others adopt.
#include <catch2/catch.hpp>
#include <chrono>

#include "gossipmonger/rocksdb_storage.h"
#include "gossipmonger/testing/virtual_cluster.h"
#include "rocksdb/rdb_test_util.h"

using namespace gossipmonger;
using namespace gossipmonger::rocksdb_test;
using gossipmonger::testing::ClusterConfig;
using gossipmonger::testing::VirtualCluster;
using namespace std::chrono_literals;

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

TEST_CASE("RocksDB: cluster nodes restart from their databases", "[rocksdb][cluster]") {
  ScratchDir dir;
  ClusterConfig config;
  config.nodes = 5;
  config.rng_seed = 11;
  config.make_storage = [&](std::size_t node, bool wipe) -> std::unique_ptr<Storage> {
    const std::string path = dir.Sub("node-" + std::to_string(node));
    if (wipe) {
      const Status destroyed = RocksDbStorage::Destroy(path);
      INFO(destroyed.ToString());
      REQUIRE(destroyed.ok());
    }
    return OpenOrFail(path);
  };
  VirtualCluster cluster(config);
  cluster.RunFor(10s);
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    REQUIRE(cluster.Update(i, "k", "v" + std::to_string(i)).ok());
  }
  auto converged = [&](const std::string& prefix) {
    for (std::size_t owner = 0; owner < cluster.size(); ++owner) {
      if (!EveryUpNodeHas(cluster, owner, "k", prefix + std::to_string(owner))) return false;
    }
    return true;
  };
  REQUIRE(cluster.RunUntil([&] { return converged("v"); }, cluster.now() + 60s));

  // Node 2 crashes and comes back on its database.
  const Generation generation = cluster.engine(2).generation();
  const Version version = cluster.engine(2).version();
  cluster.Crash(2);
  cluster.RunFor(5s);
  cluster.Restart(2, /*keep_storage=*/true, Generation(generation.value() + 1000));
  CHECK(cluster.engine(2).generation() == generation);
  CHECK(cluster.engine(2).version() == version);
  // What it knew of the others came back from disk, before any gossip.
  for (std::size_t owner = 0; owner < cluster.size(); ++owner) {
    const PeerRecord* peer = cluster.storage(2).Get(VirtualCluster::IdOf(owner));
    REQUIRE(peer != nullptr);
    CHECK(peer->data.at("k").value == "v" + std::to_string(owner));
  }
  // Its next update continues the counter, and spreads.
  REQUIRE(cluster.Update(2, "k", "w2").ok());
  CHECK(cluster.engine(2).version() == version.next());
  REQUIRE(cluster.RunUntil([&] { return EveryUpNodeHas(cluster, 2, "k", "w2"); },
                           cluster.now() + 60s));

  // Node 3 comes back wiped: a new lineage, which the others adopt.
  const Generation old_generation = cluster.engine(3).generation();
  cluster.Crash(3);
  cluster.RunFor(5s);
  const Generation fresh(old_generation.value() + 1000);
  cluster.Restart(3, /*keep_storage=*/false, fresh);
  CHECK(cluster.engine(3).generation() == fresh);
  REQUIRE(cluster.Update(3, "k", "fresh").ok());
  REQUIRE(cluster.RunUntil([&] { return EveryUpNodeHas(cluster, 3, "k", "fresh"); },
                           cluster.now() + 60s));
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (i == 3) continue;
    const PeerRecord* peer = cluster.storage(i).Get(VirtualCluster::IdOf(3));
    REQUIRE(peer != nullptr);
    CHECK(peer->generation == fresh);
  }
  // And every node's database holds what its memory holds.
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    const Snapshot in_memory = TakeSnapshot(cluster.storage(i));
    cluster.Crash(i);
    cluster.Restart(i, /*keep_storage=*/true, Generation(1));
    CHECK(TakeSnapshot(cluster.storage(i)) == in_memory);
  }
}
