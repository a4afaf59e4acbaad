// The restart catch-up scenario, shared by the SQLite and RocksDB cluster
// tests: a node holding 10,000 keys of its own and 10,000 learned keys
// restarts on its database while its peers change 100 keys; it must
// reconverge, and the bytes exchanged for the catch-up must stay within 2x
// the bytes of the changed entries (plus the digests that find them).
//
// Setup (virtual time, VirtualCluster, no loss, no delay):
//   - 5 nodes, each on its own database (the backend's make_storage);
//   - max_deltas_per_gossip = 1000 for the whole run (options are per
//     cluster), so that the 20,000 setup keys spread in a few dozen rounds
//     instead of thousands; a 64 KiB body budget;
//   - node 0 sets 10,000 keys, node 1 sets 10,000 keys; everyone converges;
//   - node 0's storage is flushed (batched mode), node 0 crashes;
//   - node 1 changes 40 of its keys, nodes 2, 3 and 4 set 20 new keys each
//     (100 changed entries); nodes 1-4 converge among themselves;
//   - node 0 restarts on its database and everyone converges again.
// Counted during the catch-up (from node 0's restart until every node holds
// every owner's latest version): every message sent by or to node 0, as
// VirtualCluster routes it (ClusterConfig::on_send), split into
//   delta entry bytes  sum of wire_size::Delta over the deltas carried;
//   group bytes        sum of wire_size::Group (delta entries + per-peer header);
//   digest bytes       everything else (envelope, flags, digest entries).
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "gossipmonger/testing/virtual_cluster.h"
#include "gossipmonger/wire_size.h"

namespace gossipmonger::restart_scenario {

using testing::ClusterConfig;
using testing::VirtualCluster;

struct Figures {
  std::size_t changed_entries = 0;
  std::uint64_t changed_entry_bytes = 0;  // sum of wire_size::Delta of the changes
  std::uint64_t messages = 0;             // sent by or to node 0 during catch-up
  std::uint64_t total_bytes = 0;          // their encoded bytes (envelope included)
  std::uint64_t digest_bytes = 0;         // total - group bytes
  std::uint64_t group_bytes = 0;
  std::uint64_t delta_entry_bytes = 0;
  std::uint64_t delta_entries = 0;
  std::uint64_t node0_delta_entries = 0;  // deltas of node 0's own keys, sent anywhere
  double catch_up_seconds = 0;            // virtual time
  double catch_up_rounds = 0;
};

inline std::string Numbered(const char* prefix, int i) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s%05d", prefix, i);
  return buffer;
}

// Whether every up node holds every owner's latest version (gap-free prefixes
// make max_version_seen equality mean "has every entry").
inline bool Converged(VirtualCluster& cluster, bool skip_node0) {
  for (std::size_t owner = 0; owner < cluster.size(); ++owner) {
    if (skip_node0 && owner == 0) continue;
    const Version latest = cluster.engine(owner).version();
    for (std::size_t i = 0; i < cluster.size(); ++i) {
      if (i == owner || !cluster.up(i) || (skip_node0 && i == 0)) continue;
      const PeerRecord* peer = cluster.storage(i).Get(VirtualCluster::IdOf(owner));
      if (peer == nullptr || peer->max_version_seen != latest) return false;
    }
  }
  return true;
}

inline Figures Run(const std::string& backend, std::uint64_t seed,
                   std::function<std::unique_ptr<Storage>(std::size_t node, bool wipe)> make_storage) {
  using namespace std::chrono_literals;
  constexpr int kOwnKeys = 10'000;

  Figures figures;
  bool counting = false;
  const std::string node0_address = VirtualCluster::AddressOf(0);
  const std::string node0_id = VirtualCluster::IdOf(0);

  ClusterConfig config;
  config.nodes = 5;
  config.rng_seed = seed;
  config.options.max_deltas_per_gossip = 1000;
  config.make_storage = std::move(make_storage);
  config.on_send = [&](std::size_t from, const OutgoingMessage& out) {
    if (!counting || (from != 0 && out.to.address != node0_address)) return;
    const Message& m = out.message;
    const std::size_t bytes =
        wire_size::Body(m) + wire_size::Envelope(config.cluster_name, m.sender, m.kind);
    ++figures.messages;
    figures.total_bytes += bytes;
    for (const PeerDeltas& group : m.deltas) {
      figures.group_bytes += wire_size::Group(group);
      for (const KeyDelta& delta : group.deltas) {
        figures.delta_entry_bytes += wire_size::Delta(delta);
        ++figures.delta_entries;
        if (group.id == node0_id) ++figures.node0_delta_entries;
      }
    }
  };
  VirtualCluster cluster(config);
  cluster.RunFor(5s);

  // Node 0: 10,000 keys of its own; node 1: 10,000 that node 0 learns.
  for (int i = 0; i < kOwnKeys; ++i) {
    REQUIRE(cluster.Update(0, Numbered("own-", i), Numbered("zero-value-", i)).ok());
    REQUIRE(cluster.Update(1, Numbered("key-", i), Numbered("one-value-", i)).ok());
  }
  REQUIRE(cluster.RunUntil([&] { return Converged(cluster, false); }, cluster.now() + 600s));
  {
    const PeerRecord* learned = cluster.storage(0).Get(VirtualCluster::IdOf(1));
    REQUIRE(learned != nullptr);
    REQUIRE(learned->data.size() == kOwnKeys);
    REQUIRE(cluster.storage(0).Get(node0_id)->data.size() == kOwnKeys);
  }

  // Node 0 goes down (its batch made durable first, as the runtime's
  // per-round Flush would have).
  const Generation generation = cluster.engine(0).generation();
  const Version version = cluster.engine(0).version();
  std::vector<Version> seen_before;
  for (std::size_t owner = 0; owner < cluster.size(); ++owner) {
    seen_before.push_back(
        cluster.storage(0).Get(VirtualCluster::IdOf(owner))->max_version_seen);
  }
  REQUIRE(cluster.storage(0).Flush().ok());
  cluster.Crash(0);

  // 100 changes while it is down: 40 overwritten keys of node 1, 20 new
  // keys on each of nodes 2, 3, 4.
  std::vector<std::pair<std::size_t, std::string>> changed;
  for (int i = 0; i < 40; ++i) {
    changed.emplace_back(1, Numbered("key-", i * 250));
    REQUIRE(cluster.Update(1, changed.back().second, Numbered("changed-", i)).ok());
  }
  for (std::size_t node = 2; node <= 4; ++node) {
    for (int i = 0; i < 20; ++i) {
      changed.emplace_back(node, Numbered("new-", i));
      REQUIRE(cluster.Update(node, changed.back().second, Numbered("fresh-", i)).ok());
    }
  }
  REQUIRE(cluster.RunUntil([&] { return Converged(cluster, true); }, cluster.now() + 120s));
  cluster.RunFor(5s);  // node 0 is convicted dead by now; the others are quiet
  figures.changed_entries = changed.size();
  for (const auto& [owner, key] : changed) {
    const VersionedValue& v =
        cluster.storage(owner).Get(VirtualCluster::IdOf(owner))->data.at(key);
    figures.changed_entry_bytes += wire_size::Delta(KeyDelta{key, v.value, v.version});
  }
  std::vector<std::uint64_t> applied_before;
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    applied_before.push_back(cluster.engine(i).stats().deltas_applied);
  }

  // Restart on the database; count everything node 0 sends and receives
  // until everyone holds everything.
  counting = true;
  const Timestamp restarted_at = cluster.now();
  cluster.Restart(0, /*keep_storage=*/true, Generation(generation.value() + 1000));
  CHECK(cluster.engine(0).generation() == generation);
  CHECK(cluster.engine(0).version() == version);
  for (std::size_t owner = 0; owner < cluster.size(); ++owner) {
    const PeerRecord* peer = cluster.storage(0).Get(VirtualCluster::IdOf(owner));
    REQUIRE(peer != nullptr);
    CHECK(peer->max_version_seen == seen_before[owner]);  // nothing went backwards
  }
  REQUIRE(cluster.RunUntil([&] { return Converged(cluster, false); }, cluster.now() + 60s));
  counting = false;
  const Duration took = cluster.now() - restarted_at;
  figures.catch_up_seconds = std::chrono::duration<double>(took).count();
  figures.catch_up_rounds =
      figures.catch_up_seconds /
      std::chrono::duration<double>(config.options.gossip_interval).count();
  figures.digest_bytes = figures.total_bytes - figures.group_bytes;

  std::cout << "[" << backend << ", seed " << seed << "] restart catch-up: " << figures.changed_entries
            << " changed entries = " << figures.changed_entry_bytes << " B (wire_size::Delta); "
            << figures.messages << " messages by/to node 0 = " << figures.total_bytes
            << " B total: " << figures.digest_bytes << " B digests/envelopes, "
            << figures.group_bytes << " B delta groups, of which " << figures.delta_entry_bytes
            << " B in " << figures.delta_entries << " delta entries; node-0 deltas re-sent: "
            << figures.node0_delta_entries << "; caught up in " << figures.catch_up_seconds
            << " s virtual (" << figures.catch_up_rounds << " rounds)\n";

  // Versions never went backwards, and the lineage was kept.
  CHECK(cluster.engine(0).generation() == generation);
  CHECK(cluster.engine(0).version() == version);
  CHECK(cluster.engine(0).stats().lineage_restarts == 0);
  // Node 0 got the 100 changes, and nothing it already had.
  CHECK(cluster.engine(0).stats().deltas_applied == figures.changed_entries);
  for (const auto& [owner, key] : changed) {
    const PeerRecord* peer = cluster.storage(0).Get(VirtualCluster::IdOf(owner));
    REQUIRE(peer != nullptr);
    CHECK(peer->data.at(key) ==
          cluster.storage(owner).Get(VirtualCluster::IdOf(owner))->data.at(key));
  }
  // Nobody received node 0's 10,000 keys (or anything else) again.
  CHECK(figures.node0_delta_entries == 0);
  for (std::size_t i = 1; i < cluster.size(); ++i) {
    INFO("node " << i);
    CHECK(cluster.engine(i).stats().deltas_applied == applied_before[i]);
  }
  // The catch-up's delta bytes are within 2x the changed entries' bytes, and
  // everything exchanged within 2x (changed entries + digests).
  CHECK(figures.delta_entry_bytes <= 2 * figures.changed_entry_bytes);
  CHECK(figures.total_bytes <= 2 * (figures.changed_entry_bytes + figures.digest_bytes));
  return figures;
}

}  // namespace gossipmonger::restart_scenario
