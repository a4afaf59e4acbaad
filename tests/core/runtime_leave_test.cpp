// Gossipmonger::Leave on the runtime: three nodes on one asio::io_context
// over the in-process MemoryNetwork, with a 20 ms gossip interval, run for
// bounded real time. The node that leaves stops by itself; the others raise
// `peer left`, never `peer dead`.
#include <asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gossipmonger/gossipmonger.h"
#include "gossipmonger/memory_storage.h"
#include "gossipmonger/testing/memory_transport.h"

using namespace gossipmonger;
using gossipmonger::testing::MemoryNetwork;
using gossipmonger::testing::MemoryTransport;
using namespace std::chrono_literals;

namespace {

struct LeaveCluster {
  static constexpr std::size_t kNodes = 3;

  explicit LeaveCluster(std::size_t push_fanout) : network(io, 7) {
    Options options;
    options.gossip_interval = 20ms;
    options.push_fanout = push_fanout;
    options.seeds = {{"r0", "mem:r0"}};
    for (std::size_t i = 0; i < kNodes; ++i) {
      const std::string id = "r" + std::to_string(i);
      storages.push_back(std::make_unique<MemoryStorage>());
      transports.push_back(std::make_unique<MemoryTransport>(network, "mem:" + id));
      std::unique_ptr<Gossipmonger> node;
      REQUIRE(Gossipmonger::Create(io, {id, "mem:" + id}, options, *storages.back(),
                                   *transports.back(), &node)
                  .ok());
      node->OnPeerLeft([this, i](const PeerEndpoint& p) { left[i].push_back(p.id); });
      node->OnPeerDead([this](const PeerEndpoint&) { ++dead; });
      nodes.push_back(std::move(node));
    }
    for (auto& node : nodes) REQUIRE(node->Gossip().ok());
  }
  ~LeaveCluster() {
    for (auto& node : nodes) node.reset();
  }

  // Runs the io_context in 5 ms slices (restarted when it ran out of work)
  // until `done()`, at most `limit`.
  bool RunUntil(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (; !done(); io.restart()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io.run_for(5ms);
    }
    return true;
  }
  bool Stopped(std::size_t i) {
    return nodes[i]->Gossip().code() == StatusCode::kStopped;
  }

  asio::io_context io;
  MemoryNetwork network;
  std::vector<std::unique_ptr<MemoryStorage>> storages;
  std::vector<std::unique_ptr<MemoryTransport>> transports;
  std::vector<std::unique_ptr<Gossipmonger>> nodes;
  std::vector<std::string> left[kNodes];
  int dead = 0;
};

}  // namespace

TEST_CASE("A runtime node that leaves stops, and the others raise peer left",
          "[runtime][lifecycle]") {
  const std::size_t push_fanout = GENERATE(4, 0);
  INFO("push_fanout " << push_fanout);
  LeaveCluster cluster(push_fanout);
  REQUIRE(cluster.RunUntil(
      [&] {
        for (auto& storage : cluster.storages)
          if (storage->PeerCount() != LeaveCluster::kNodes) return false;
        return true;
      },
      5s));
  REQUIRE(cluster.nodes[2]->Leave().ok());
  // Stopped once the push is acknowledged, or after one interval.
  REQUIRE(cluster.RunUntil([&] { return cluster.Stopped(2); }, 2s));
  CHECK(cluster.nodes[2]->Leave().code() == StatusCode::kStopped);
  CHECK(cluster.nodes[2]->Update("k", "v").code() == StatusCode::kStopped);
  REQUIRE(cluster.RunUntil(
      [&] { return !cluster.left[0].empty() && !cluster.left[1].empty(); }, 2s));
  CHECK(cluster.left[0] == std::vector<std::string>{"r2"});
  CHECK(cluster.left[1] == std::vector<std::string>{"r2"});
  // Long past any conviction of a silent peer: nobody is judged dead.
  const std::uint64_t rounds = cluster.nodes[0]->engine().stats().rounds;
  REQUIRE(cluster.RunUntil(
      [&] { return cluster.nodes[0]->engine().stats().rounds >= rounds + 50; }, 5s));
  CHECK(cluster.dead == 0);
  CHECK(cluster.left[0].size() == 1);
}
