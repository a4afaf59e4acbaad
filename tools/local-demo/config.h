// The demo's command line (CLI11): what to run (nodes, transport, storage,
// timing) and how to show it. Parsing is a pure function so that tests can
// check it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gossipmonger::demo {

// Where the nodes keep their state. kind is "memory", "sqlite" or "rocksdb";
// dir (empty for memory) holds one file (sqlite) or directory (rocksdb) per
// node, so that a second run on the same dir resumes every node.
struct StorageSpec {
  std::string kind = "memory";
  std::string dir;
};

struct DemoConfig {
  int nodes = 5;
  double duration_seconds = 0;    // 0: until SIGINT/SIGTERM
  int interval_ms = 1000;         // GOSSIP_INTERVAL; each node updates every 2
  std::string transport = "tcp";  // "tcp", "udp" or "memory"
  StorageSpec storage;
  int base_port = 9741;  // node i listens on base_port + i; 0: ephemeral ports
  bool plain = false;    // force the event log even on a terminal
  std::optional<std::uint64_t> seed;  // random keys and values; none: random
};

struct ParseResult {
  DemoConfig config;
  bool help = false;
  std::string usage;  // the --help text
  std::string error;  // non-empty: the arguments were refused (exit 2)
};

// Parses argv[1..]. Never exits or prints.
ParseResult ParseArgs(const std::vector<std::string>& args);

}  // namespace gossipmonger::demo
