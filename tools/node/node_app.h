// NodeApp: the glue between one Gossipmonger and the outside world of
// gossipmonger-node. It prints the runtime's events as JSON lines and
// executes stdin commands. Everything here runs on the io_context's thread
// (the runtime's executor): event callbacks run there, and stdin lines are
// posted there by the reader thread.
#pragma once

#include <asio/io_context.hpp>
#include <string>

#include "gossipmonger/gossipmonger.h"
#include "instrumented_transport.h"
#include "json_line.h"

namespace gossipmonger::node {

class NodeApp {
 public:
  // `node`, `writer` and `counters` (may be null: `stats` is then an
  // error) must outlive this object.
  NodeApp(asio::io_context& io, Gossipmonger& node, LineWriter& writer,
          const bench::TransportCounters* counters = nullptr);

  // Prints the `listening` event and starts gossiping.
  void Start(const std::string& address);
  // One stdin line (without its newline).
  void Execute(const std::string& line);
  // Stops gossiping, flushes the storage and stops the io_context. Idempotent.
  void Shutdown();

 private:
  void AttachEvents();
  void Set(const std::string& key, const std::string& value);
  void Get(const std::string& peer, const std::string& key);
  void Peers();
  void Stats();
  void Error(const std::string& message);

  asio::io_context& io_;
  Gossipmonger& node_;
  LineWriter& writer_;
  const bench::TransportCounters* counters_;
  bool stopped_ = false;
};

}  // namespace gossipmonger::node
