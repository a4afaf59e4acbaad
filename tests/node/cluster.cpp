#include "node/cluster.h"

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <string>

namespace gossipmonger::node_test {

std::string UniqueClusterName() {
  static std::atomic<unsigned> next{0};
  return "test-" + std::to_string(::getpid()) + "-" + std::to_string(next++);
}

std::vector<std::string> NodeArgs(const NodeConfig& config, const std::string& id,
                                  const std::string& listen, const std::string& seed) {
  std::vector<std::string> args = {"--id",
                                   id,
                                   "--listen",
                                   listen,
                                   "--transport",
                                   config.transport,
                                   "--gossip-interval-ms",
                                   config.gossip_interval_ms,
                                   "--cluster",
                                   config.cluster};
  args.push_back("--storage");
  args.push_back(config.storage == "memory"
                     ? "memory"
                     : config.storage + ":" + StoragePath(config, id));
  if (!seed.empty()) {
    args.push_back("--seed");
    args.push_back(seed);
  }
  args.insert(args.end(), config.extra_args.begin(), config.extra_args.end());
  if (config.node_args) {
    const std::vector<std::string> own = config.node_args(id);
    args.insert(args.end(), own.begin(), own.end());
  }
  return args;
}

std::string StoragePath(const NodeConfig& config, const std::string& id) {
  return config.dir + "/" + id + (config.storage == "rocksdb" ? ".rocksdb" : ".db");
}

Cluster::Cluster(NodeConfig config, int size) : config_(std::move(config)) {
  for (int i = 0; i < size; ++i) {
    nodes_.push_back(std::make_unique<NodeProcess>(
        NodeArgs(config_, Id(i), "127.0.0.1:0", i == 0 ? "" : Seed())));
    ports_.push_back(nodes_.back()->Port());
  }
  for (int i = 0; i < size; ++i) WaitForMembership(i);
}

std::string Cluster::Seed() { return Id(0) + "@127.0.0.1:" + std::to_string(ports_[0]); }

void Cluster::WaitForMembership(int i) {
  for (int j = 0; j < size(); ++j) {
    if (j == i) continue;
    INFO(Id(i) << " learns of " << Id(j));
    REQUIRE(node(i).WaitForEvent("new_peer", {{"peer", Id(j)}}));
  }
}

void Cluster::Restart(int i) {
  const auto index = static_cast<std::size_t>(i);
  nodes_[index].reset();  // SIGKILL if still running
  const std::string listen = "127.0.0.1:" + std::to_string(ports_[index]);
  nodes_[index] = std::make_unique<NodeProcess>(
      NodeArgs(config_, Id(i), listen, i == 0 ? "" : Seed()));
  REQUIRE(nodes_[index]->Port() == ports_[index]);
}

}  // namespace gossipmonger::node_test
