// NodeApp: the glue between one Gossipmonger and the outside world of
// gossipmonger-node. It prints the runtime's events as JSON lines and
// executes stdin commands. Everything here runs on the io_context's thread
// (the runtime's executor): event callbacks run there, and stdin lines are
// posted there by the reader thread.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <string>

#include "gossipmonger/gossipmonger.h"
#include "json_line.h"
#include "node_keyring.h"
#include "plugins.h"

namespace gossipmonger::node {

class NodeApp {
 public:
  // `node`, `writer`, `transport` (may be null: `stats` is then an error)
  // and `keyring` (may be null: the key commands are then errors) must
  // outlive this object.
  NodeApp(asio::io_context& io, Gossipmonger& node, LineWriter& writer,
          const ListeningTransport* transport = nullptr, NodeKeyring* keyring = nullptr);

  // Prints the `listening` event and starts gossiping.
  void Start(const std::string& address);
  // One stdin line (without its newline).
  void Execute(const std::string& line);
  // Stops gossiping, flushes the storage and stops the io_context. Idempotent.
  void Shutdown();
  // Leaves the cluster (Gossipmonger::Leave) and shuts down once the
  // runtime has stopped the node (after the leave's push was acknowledged
  // or one gossip interval passed). If the runtime refuses to leave, prints
  // an `error` event and, with `shutdown_if_refused` (SIGTERM with
  // --leave-on-sigterm), shuts down anyway; else the node goes on.
  void Leave(bool shutdown_if_refused);

 private:
  void AttachEvents();
  void AttachLifecycleEvents();
  void Set(const std::string& key, const std::string& value);
  void SetWithTtl(const std::string& key, const std::string& value, std::int64_t ttl_ms);
  void Delete(const std::string& key);
  // Polls until the runtime has stopped the node after Leave (Gossip
  // answers kStopped), or `leave_deadline_` passed, then shuts down.
  void AwaitStopAfterLeave();
  void Get(const std::string& peer, const std::string& key);
  void Peers();
  void Stats();
  // The key commands and `encryption`: a `keyring` event, or an `error`.
  void ChangeKeyring(const std::string& command, const std::function<Status()>& change);
  void Error(const std::string& message);

  asio::io_context& io_;
  Gossipmonger& node_;
  LineWriter& writer_;
  const ListeningTransport* transport_;
  NodeKeyring* keyring_;
  bool stopped_ = false;
  bool leaving_ = false;
  asio::steady_timer leave_timer_;
  std::chrono::steady_clock::time_point leave_deadline_;
};

}  // namespace gossipmonger::node
