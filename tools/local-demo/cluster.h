// DemoCluster: the demo's nodes in one process on one io_context, each with
// its own storage and transport, setting random keys of its own every two
// gossip intervals (with jitter, so that nodes do not move in lock step).
//
// Threading: everything (Start, Stop, Snapshot, the event sink) runs on the
// io_context's thread. Ownership: the cluster owns every node's storage,
// transport and Gossipmonger; the io_context must outlive it.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "config.h"
#include "gossipmonger/gossipmonger.h"
#include "gossipmonger/testing/memory_transport.h"
#include "table.h"

namespace gossipmonger::demo {

// kNotSupported (one line) when this binary lacks the transport or storage
// `config` names: its plugin was switched off at build time.
Status CheckBuilt(const DemoConfig& config);

class DemoCluster {
 public:
  // Called for every event of every node: the node's id and one line.
  using EventSink = std::function<void(const std::string& node, const std::string& text)>;

  DemoCluster(asio::io_context& io, DemoConfig config, EventSink sink);
  ~DemoCluster();
  DemoCluster(const DemoCluster&) = delete;
  DemoCluster& operator=(const DemoCluster&) = delete;

  // Opens every node's storage and transport (all transports listen before
  // any node exists, so seeds know every port) and creates the nodes. On
  // failure nothing runs and the Status names the node.
  Status Open();
  // Starts gossiping and the random updates.
  void Start();
  // Stops the updates and every node (which flushes its storage).
  // Idempotent; must run on the io_context's thread.
  void Stop();

  std::size_t size() const { return nodes_.size(); }
  const std::string& id(std::size_t i) const;
  // The node's own version when it was opened: 0 if it started fresh.
  std::uint64_t resumed_at(std::size_t i) const;
  // Its own version now.
  std::uint64_t version(std::size_t i) const;
  // What every node knows of every node now (no title, no events).
  TableSnapshot Snapshot() const;

 private:
  struct Node;

  Status OpenTransport(int index, std::uint16_t port, Node& node);
  Status OpenNode(int index, const std::vector<PeerEndpoint>& seeds);
  void Subscribe(Node& node);
  void ScheduleUpdate(Node& node);
  void UpdateRandomKey(Node& node);

  asio::io_context& io_;
  DemoConfig config_;
  EventSink sink_;
  testing::MemoryNetwork network_;  // used only by the memory transport
  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<Node>> nodes_;
  bool stopped_ = false;
};

}  // namespace gossipmonger::demo
