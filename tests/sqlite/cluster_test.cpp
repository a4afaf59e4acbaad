// SqliteStorage under real engines: a VirtualCluster (virtual time) whose nodes
// each persist to their own database file. Restarting on the file resumes
// the node's lineage without anyone re-sending what it already had;
// restarting wiped starts a lineage the others adopt, dropping the old keys.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "gossipmonger/sqlite_storage.h"
#include "gossipmonger/testing/virtual_cluster.h"
#include "sqlite/test_util.h"

using namespace gossipmonger;
using namespace gossipmonger::sqlite_test;
using gossipmonger::testing::ClusterConfig;
using gossipmonger::testing::VirtualCluster;
using namespace std::chrono_literals;

namespace {

// Whether every up node other than `owner` holds `key` = `value` of owner
// (`value` empty: holds no `key` at all).
bool OthersSee(VirtualCluster& cluster, std::size_t owner, const std::string& key,
               const std::string& value) {
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (i == owner || !cluster.up(i)) continue;
    const PeerRecord* peer = cluster.storage(i).Get(VirtualCluster::IdOf(owner));
    if (peer == nullptr) return false;
    auto it = peer->data.find(key);
    if (value.empty() ? it != peer->data.end()
                      : it == peer->data.end() || it->second.value != value) {
      return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("SQLite: a cluster restarts nodes from their database files", "[cluster]") {
  ScratchDir dir;
  auto path_of = [&](std::size_t node) { return dir.File("node-" + std::to_string(node) + ".db"); };
  ClusterConfig config;
  config.nodes = 5;
  config.rng_seed = 5;
  config.make_storage = [&](std::size_t node, bool wipe) -> std::unique_ptr<Storage> {
    if (wipe) REQUIRE(SqliteStorage::Destroy(path_of(node)).ok());
    return OpenOrFail(path_of(node));
  };
  VirtualCluster cluster(config);
  cluster.RunFor(10s);
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    REQUIRE(cluster.Update(i, "name", "node " + std::to_string(i)).ok());
    REQUIRE(cluster.Update(i, "load", std::to_string(i * 10)).ok());
  }
  auto all_converged = [&] {
    for (std::size_t i = 0; i < cluster.size(); ++i) {
      if (!OthersSee(cluster, i, "name", "node " + std::to_string(i))) return false;
      if (!OthersSee(cluster, i, "load", std::to_string(i * 10))) return false;
    }
    return true;
  };
  REQUIRE(cluster.RunUntil(all_converged, cluster.now() + 60s));

  SECTION("a node restarted on its file resumes, and nobody re-sends it anything") {
    const Generation generation = cluster.engine(1).generation();
    const Version version = cluster.engine(1).version();
    cluster.Crash(1);
    cluster.Restart(1, /*keep_storage=*/true, Generation(generation.value() + 50));
    CHECK(cluster.engine(1).generation() == generation);
    CHECK(cluster.engine(1).version() == version);
    for (std::size_t owner = 0; owner < cluster.size(); ++owner) {
      const PeerRecord* peer = cluster.storage(1).Get(VirtualCluster::IdOf(owner));
      REQUIRE(peer != nullptr);
      CHECK(peer->data.at("name").value == "node " + std::to_string(owner));
    }
    cluster.RunFor(20s);
    CHECK(cluster.engine(1).stats().deltas_applied == 0);
    CHECK(cluster.engine(1).stats().lineage_restarts == 0);
    REQUIRE(cluster.Update(1, "load", "99").ok());
    CHECK(cluster.engine(1).version() == version.next());
    REQUIRE(cluster.RunUntil([&] { return OthersSee(cluster, 1, "load", "99"); },
                             cluster.now() + 60s));
  }

  SECTION("a node restarted wiped starts a new lineage; its old keys go everywhere") {
    const Generation old_generation = cluster.engine(4).generation();
    cluster.Crash(4);
    cluster.RunFor(5s);
    const Generation fresh(old_generation.value() + 100);
    cluster.Restart(4, /*keep_storage=*/false, fresh);
    CHECK(cluster.engine(4).generation() == fresh);
    REQUIRE(cluster.Update(4, "name", "reborn").ok());
    REQUIRE(cluster.RunUntil(
        [&] { return OthersSee(cluster, 4, "name", "reborn") && OthersSee(cluster, 4, "load", ""); },
        cluster.now() + 60s));
  }

  // Every file holds what its node has in memory.
  std::vector<Snapshot> in_memory;
  for (std::size_t i = 0; i < cluster.size(); ++i) in_memory.push_back(TakeSnapshot(cluster.storage(i)));
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    cluster.Crash(i);
    cluster.Restart(i, /*keep_storage=*/true, Generation(1));
    INFO("node " << i);
    CHECK(TakeSnapshot(cluster.storage(i)) == in_memory[i]);
  }
}

