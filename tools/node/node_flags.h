// Command-line flags of gossipmonger-node (docs/node.md), parsed by CLI11.
// Parsing never exits or prints: it returns the flags, or what to do
// instead (help, version) or a one-line error naming the offending flag.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "command_line.h"
#include "gossipmonger/options.h"
#include "host_port.h"

namespace gossipmonger::node {

struct NodeFlags {
  std::string id;
  HostPort listen;
  // Empty: the listen address (with the bound port when --listen said 0).
  std::string advertise;
  std::string transport = "tcp";   // tcp | udp
  std::string storage = "memory";  // memory | sqlite:PATH | rocksdb:PATH
  std::string cluster = "gossipmonger";
  bool read_stdin = true;
  // Test knobs for gossipmonger-bench (docs/transport-comparison.md), not in
  // --help: probability that a send is lost, and delay added to every send.
  double inject_loss = 0;
  std::int64_t inject_delay_ms = 0;
  Options options;  // seeds and the seed's options
};

struct ParsedFlags {
  tools::CommandLine command_line;  // kRun: `flags` hold the command line
  NodeFlags flags;
};

ParsedFlags ParseFlags(const std::vector<std::string>& args);

}  // namespace gossipmonger::node
