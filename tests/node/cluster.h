// Starting small clusters of gossipmonger-node processes on loopback for
// the node tests. Ports are picked by the nodes (--listen 127.0.0.1:0) and
// read back from their `listening` events.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "node/node_process.h"

namespace gossipmonger::node_test {

// A cluster name no other NodeConfig of any process uses: tests run in
// parallel on one loopback, and a node may get the port a killed node of
// another test had; the cluster check keeps their nodes apart.
std::string UniqueClusterName();

struct NodeConfig {
  std::string transport = "tcp";
  // "memory", or "sqlite" / "rocksdb": a database per node in `dir`.
  std::string storage = "memory";
  std::string dir;
  // Short rounds so that the tests finish quickly.
  std::string gossip_interval_ms = "100";
  // Flags given to every node after the others (e.g. the reap options).
  std::vector<std::string> extra_args = {};
  // `--cluster`: one per config, so the nodes of one Cluster share it.
  std::string cluster = UniqueClusterName();
  // Flags of one node only (e.g. its own --keyring file), given last; none
  // when empty.
  std::function<std::vector<std::string>(const std::string& id)> node_args = {};
};

// The flags of node `id` listening on `listen`, seeded by `seed` (an
// "ID@HOST:PORT", or empty for none).
std::vector<std::string> NodeArgs(const NodeConfig& config, const std::string& id,
                                  const std::string& listen, const std::string& seed);

// Where node `id` keeps its SQLite file or RocksDB directory.
std::string StoragePath(const NodeConfig& config, const std::string& id);

// Nodes "node0".."node<n-1>"; node0 is everyone's seed. Returns once every
// node has announced every other one (new_peer).
class Cluster {
 public:
  Cluster(NodeConfig config, int size);

  NodeProcess& node(int i) { return *nodes_[static_cast<std::size_t>(i)]; }
  int size() const { return static_cast<int>(nodes_.size()); }
  static std::string Id(int i) { return "node" + std::to_string(i); }
  // Kills node i (if running) and starts it again on the same port and
  // storage; waits for its `listening` event only.
  void Restart(int i);
  // Waits until node i has announced every other node as a new peer.
  void WaitForMembership(int i);

 private:
  std::string Seed();

  NodeConfig config_;
  std::vector<std::uint16_t> ports_;
  std::vector<std::unique_ptr<NodeProcess>> nodes_;
};

}  // namespace gossipmonger::node_test
