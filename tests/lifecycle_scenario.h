// Lifecycle scenarios across restarts (docs/LIFECYCLE.md), in virtual time
// on VirtualCluster, written over a storage backend so that each backend's
// tests run them (tests/core: memory; SQLite and RocksDB once their
// lifecycle writes land):
//   - DeleteSurvivesOldCopy: a delete reaches every node; after the
//     tombstone is collected everywhere, a node restarted from a copy of
//     its storage taken before the delete does not bring the key back and
//     raises `delete` for it;
//   - TtlAfterOwnerRestart: a key with a TTL expires on time after its
//     owner restarts from its storage, and everyone sees the delete.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gossipmonger/testing/virtual_cluster.h"

namespace gossipmonger::lifecycle_scenario {

using testing::ClusterConfig;
using testing::VirtualCluster;
using namespace std::chrono_literals;

// A backend as the scenarios need it: ClusterConfig::make_storage, plus a
// copy of a node's persisted state (taken after Flush) that the next
// open(node, wipe=false) reopens instead of the node's current state.
struct Backend {
  std::function<std::unique_ptr<Storage>(std::size_t node, bool wipe)> open;
  std::function<void(std::size_t node)> save_copy;
  std::function<void(std::size_t node)> restore_copy;
};

inline ClusterConfig Config(const Backend& backend) {
  ClusterConfig config;
  config.nodes = 4;
  config.rng_seed = 14;
  config.options.tombstone_grace = 30s;
  config.make_storage = backend.open;
  return config;
}

inline bool Deleted(const VirtualCluster& cluster, std::size_t node, const char* key) {
  const PeerRecord* owner = cluster.storage(node).Get(VirtualCluster::IdOf(0));
  if (owner == nullptr) return false;
  auto it = owner->data.find(key);
  return it == owner->data.end() || it->second.kind == EntryKind::kTombstone;
}

inline void DeleteSurvivesOldCopy(const Backend& backend) {
  VirtualCluster cluster(Config(backend));
  std::vector<std::size_t> deletes_at(cluster.size(), 0);
  std::size_t resurrections = 0;
  cluster.OnEvent([&](std::size_t node, const Event& event) {
    if (const auto* d = std::get_if<DeleteEvent>(&event); d && d->key == "gone")
      ++deletes_at[node];
    if (const auto* u = std::get_if<UpdateEvent>(&event); u && u->key == "gone")
      resurrections += cluster.now() > 10s ? 1 : 0;
  });
  REQUIRE(cluster.Update(0, "gone", "v").ok());
  REQUIRE(cluster.Update(0, "kept", "v").ok());
  REQUIRE(cluster.RunUntil([&] { return cluster.AllSee(0, "gone", "v"); }, 10s));
  REQUIRE(cluster.storage(3).Flush().ok());
  backend.save_copy(3);  // node 3's storage before the delete
  REQUIRE(cluster.engine(0).Delete("gone").ok());
  REQUIRE(cluster.Update(0, "after", "v").ok());  // the delete is not the latest change
  const Version deleted_at(3);  // gone v1, kept v2, the tombstone v3, after v4
  REQUIRE(cluster.engine(0).version() == Version(4));
  REQUIRE(cluster.RunUntil(
      [&] {
        for (std::size_t i = 0; i < cluster.size(); ++i) {
          if (!Deleted(cluster, i, "gone")) return false;
        }
        return true;
      },
      20s));
  for (std::size_t i = 1; i < cluster.size(); ++i) CHECK(deletes_at[i] == 1);
  // Past the grace everywhere: collected by every node.
  cluster.RunFor(40s);
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    const PeerRecord* owner = cluster.storage(i).Get(VirtualCluster::IdOf(0));
    INFO("node " << i);
    CHECK(owner->collected_through >= deleted_at);
    CHECK(owner->data.count("gone") == 0);
  }
  cluster.Crash(3);
  backend.restore_copy(3);
  cluster.Restart(3, /*keep_storage=*/true, Generation(1));
  REQUIRE(cluster.ValueAt(3, 0, "gone") == "v");  // the old copy, until it gossips
  REQUIRE(
      cluster.RunUntil([&] { return Deleted(cluster, 3, "gone"); }, cluster.now() + 10s));
  cluster.RunFor(20s);
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    INFO("node " << i);
    CHECK(Deleted(cluster, i, "gone"));
    CHECK(cluster.ValueAt(i, 0, "kept") == "v");
    CHECK(cluster.ValueAt(i, 0, "after") == "v");
  }
  CHECK(deletes_at[3] == 2);  // once before the copy was restored, once after
  CHECK(cluster.engine(3).stats().resets_applied >= 1);  // it lagged past the floor
  CHECK(resurrections == 0);
}

inline void TtlAfterOwnerRestart(const Backend& backend) {
  VirtualCluster cluster(Config(backend));
  cluster.RunFor(1s);
  const Timestamp set_at = cluster.now();
  REQUIRE(cluster.engine(0).Update("short", "v", 20s).ok());
  REQUIRE(cluster.engine(0).Update("long", "v", 60s).ok());
  REQUIRE(cluster.RunUntil([&] { return cluster.AllSee(0, "long", "v"); }, 10s));
  REQUIRE(cluster.storage(0).Flush().ok());
  cluster.Crash(0);
  cluster.RunUntil(set_at + 30s);  // "short" expires while its owner is down
  CHECK(cluster.ValueAt(1, 0, "short") == "v");
  cluster.Restart(0, /*keep_storage=*/true, Generation(1));
  const Timestamp restarted = cluster.now();
  REQUIRE(cluster.RunUntil([&] { return Deleted(cluster, 0, "short"); }, restarted + 1s));
  REQUIRE(cluster.RunUntil([&] { return Deleted(cluster, 0, "long"); }, set_at + 61s));
  // On time: at the owner's first step after the deadline, which counts
  // from the engine's latest step before the call (at most a step earlier).
  const Duration step = cluster.round() / Engine::kStepsPerRound;
  CHECK(cluster.now() >= set_at + 60s - step);
  CHECK(cluster.now() <= set_at + 60s + step);
  REQUIRE(cluster.RunUntil(
      [&] {
        for (std::size_t i = 1; i < cluster.size(); ++i) {
          if (!Deleted(cluster, i, "long") || !Deleted(cluster, i, "short")) return false;
        }
        return true;
      },
      cluster.now() + 5s));
}

}  // namespace gossipmonger::lifecycle_scenario
