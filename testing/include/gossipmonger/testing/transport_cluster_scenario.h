// The cluster part of the transport conformance suite: five Gossipmonger
// runtimes on one io_context over the transport under test (127.0.0.1,
// ephemeral ports, 50 ms rounds, MemoryStorage). A transport's tests run
// it with
//
//   TEST_CASE("cluster: ...", "[cluster]") {
//     gossipmonger::testing::ClusterScenario<TcpTraits>();
//   }
//
// with the Traits of transport_conformance.h. Catch2 v2 code.
#pragma once

#include <asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gossipmonger/gossipmonger.h"
#include "gossipmonger/memory_storage.h"
#include "gossipmonger/options.h"
#include "gossipmonger/status.h"
#include "gossipmonger/testing/transport_conformance.h"

namespace gossipmonger::testing {

// The five nodes: node i is "node-<i>", nodes 0 and 1 are everyone's seeds.
// Each node's storage outlives its runtime and transport, so a node can be
// stopped and started again on what it stored. Not movable (the runtimes'
// callbacks point into it).
template <typename Traits>
class RuntimeCluster {
 public:
  static constexpr std::size_t kNodes = 5;

  explicit RuntimeCluster(asio::io_context& io) : io_(io), nodes_(kNodes) {
    options_.gossip_interval = 50ms;
    options_.min_std_dev = 150ms;  // convicts ~1 s after the last heartbeat
    // A loaded test machine stalls the loop now and then; only stalls over
    // 500 ms count as local pauses (which would postpone convictions).
    options_.local_pause_intervals = 10;
    options_.max_deltas_per_gossip = 20;
    for (std::size_t i = 0; i < kNodes; ++i) {
      storages_.push_back(std::make_unique<MemoryStorage>());
      transports_.push_back(MustListen<Traits>(io));
      ports_.push_back(transports_[i]->local_port());
      endpoints_.push_back(
          {"node-" + std::to_string(i), transports_[i]->local_address()});
    }
    options_.seeds = {endpoints_[0], endpoints_[1]};
  }
  RuntimeCluster(const RuntimeCluster&) = delete;
  RuntimeCluster& operator=(const RuntimeCluster&) = delete;

  // Starts node i's runtime on its storage and transport, recording the
  // peers it reports dead and live.
  void Start(std::size_t i) {
    REQUIRE(Gossipmonger::Create(io_, endpoints_[i], options_, *storages_[i],
                                 *transports_[i], &nodes_[i])
                .ok());
    nodes_[i]->OnPeerDead([this, i](const PeerEndpoint& p) { dead[i].insert(p.id); });
    nodes_[i]->OnPeerLive([this, i](const PeerEndpoint& p) { live[i].insert(p.id); });
    // Connection failures to a stopped node are expected; counted only.
    nodes_[i]->OnError([this, i](const Status&) { ++errors[i]; });
    nodes_[i]->Gossip();
  }

  // A stopped process: node i's runtime and transport are destroyed.
  void Stop(std::size_t i) {
    nodes_[i].reset();
    transports_[i].reset();
  }

  // Listens again on node i's old port; false (with `status`) if it cannot.
  bool Relisten(std::size_t i, Status* status) {
    transports_[i] = Traits::Listening(io_, "127.0.0.1", status, ports_[i]);
    return transports_[i] != nullptr;
  }

  // Whether `reader` holds `value` for `owner`'s `key`.
  bool Has(std::size_t reader, std::size_t owner, const std::string& key,
           const std::string& value) const {
    auto got = nodes_[reader]->Get(endpoints_[owner].id, key);
    return got && got->value == value;
  }

  // Whether `predicate(i)` holds for every node i but `except`.
  template <typename Predicate>
  bool AllBut(std::size_t except, Predicate&& predicate) const {
    for (std::size_t i = 0; i < kNodes; ++i) {
      if (i != except && !predicate(i)) return false;
    }
    return true;
  }

  Gossipmonger& node(std::size_t i) { return *nodes_[i]; }
  const PeerId& id(std::size_t i) const { return endpoints_[i].id; }

  // What each node reported: peers convicted, peers live again, errors.
  std::vector<std::set<PeerId>> dead = std::vector<std::set<PeerId>>(kNodes);
  std::vector<std::set<PeerId>> live = std::vector<std::set<PeerId>>(kNodes);
  std::vector<std::size_t> errors = std::vector<std::size_t>(kNodes, 0);

 private:
  asio::io_context& io_;
  Options options_;
  std::vector<PeerEndpoint> endpoints_;
  std::vector<std::uint16_t> ports_;
  // Declared so that runtimes go before the transports and storages they use.
  std::vector<std::unique_ptr<MemoryStorage>> storages_;
  std::vector<std::unique_ptr<typename Traits::Type>> transports_;
  std::vector<std::unique_ptr<Gossipmonger>> nodes_;
};

// The nodes converge on each other's keys; node 2 is stopped (runtime and
// transport destroyed) and every other node reports it dead; it comes back
// on the same port with the same MemoryStorage and every other node reports
// it live, and sees what it writes next.
template <typename Traits>
void ClusterScenario() {
  constexpr std::size_t kNodes = RuntimeCluster<Traits>::kNodes;
  constexpr std::size_t kVictim = 2;
  asio::io_context io;
  RuntimeCluster<Traits> cluster(io);
  for (std::size_t i = 0; i < kNodes; ++i) cluster.Start(i);
  for (std::size_t i = 0; i < kNodes; ++i) {
    REQUIRE(cluster.node(i).Update("key", "value-" + std::to_string(i)).ok());
  }
  auto holds_every_key = [&](std::size_t reader) {
    return cluster.AllBut(reader, [&](std::size_t owner) {
      return cluster.Has(reader, owner, "key", "value-" + std::to_string(owner));
    });
  };
  const bool converged = RunUntil(
      io, [&] { return cluster.AllBut(kNodes, holds_every_key); }, 10s);
  REQUIRE(converged);
  // Let the failure detectors learn the heartbeat rhythm.
  RunFor(io, 500ms);

  for (auto& set : cluster.dead) set.clear();
  cluster.Stop(kVictim);
  const std::string victim = cluster.id(kVictim);
  auto everyone_else = [&](auto&& predicate) {
    return RunUntil(
        io, [&] { return cluster.AllBut(kVictim, predicate); }, 10s);
  };
  CHECK(everyone_else([&](std::size_t i) { return cluster.dead[i].count(victim) > 0; }));

  for (auto& set : cluster.live) set.clear();
  Status status;
  const bool listening = cluster.Relisten(kVictim, &status);
  INFO(status.ToString());
  REQUIRE(listening);
  cluster.Start(kVictim);
  // It resumed from its storage: its own key is still there.
  REQUIRE(cluster.node(kVictim).Get(victim, "key").has_value());
  CHECK(everyone_else([&](std::size_t i) { return cluster.live[i].count(victim) > 0; }));
  REQUIRE(cluster.node(kVictim).Update("after", "restart").ok());
  CHECK(everyone_else(
      [&](std::size_t i) { return cluster.Has(i, kVictim, "after", "restart"); }));
}

}  // namespace gossipmonger::testing
