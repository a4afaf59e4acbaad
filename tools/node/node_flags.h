// Command-line flags of gossipmonger-node. Parsing never exits or prints:
// it returns the flags, or what to do instead (help, version) or a one-line
// error naming the offending flag. `gossipmonger-node keygen` is parsed
// here too (Action::kKeygen).
//
// Hand-written, unlike the other tools' command lines (CLI11,
// tools/support/command_line.h): CLI11 brings <iostream> and its own code
// into every node process, +0.65 MiB of peak memory (4.20 -> 4.93 MiB on
// memory storage, 5.44 -> 6.08 on SQLite, over the 6 MiB a node may take:
// docs/real-processes.md, "Memory of one node").
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gossipmonger/options.h"
#include "gossipmonger/socket_transport.h"
#include "gossipmonger/types.h"

namespace gossipmonger::node {

// "HOST:PORT" split; HOST may be "[v6]" (brackets stripped here).
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

struct NodeFlags {
  std::string id;
  HostPort listen;
  // Empty: the listen address (with the bound port when --listen said 0).
  std::string advertise;
  std::string transport = "tcp";   // tcp | udp
  std::string storage = "memory";  // memory | sqlite:PATH | rocksdb:PATH
  std::string cluster = "gossipmonger";
  // --keyring FILE (docs/SECURITY.md, "The node program"). Empty: no file;
  // the keyring starts empty and changes to it are not kept.
  std::string keyring_path;
  // --encryption; nullopt: the keyring file's mode, else require when the
  // keyring holds a key, else off.
  std::optional<Encryption> encryption;
  std::chrono::milliseconds replay_window{30'000};
  bool read_stdin = true;
  // SIGTERM leaves the cluster (Gossipmonger::Leave) before exiting instead
  // of only stopping; SIGINT always only stops.
  bool leave_on_sigterm = false;
  // Test knobs for gossipmonger-bench (docs/transport-comparison.md), not in
  // --help: probability that a send is lost, and delay added to every send.
  double inject_loss = 0;
  std::int64_t inject_delay_ms = 0;
  Options options;  // seeds and the original's options
  // --set KEY=VALUE: the node's initial data (Gossipmonger::Create).
  std::map<std::string, std::string> initial_data;
};

struct ParsedFlags {
  // kKeygen: `gossipmonger-node keygen`, print a new key and exit.
  enum class Action { kRun, kHelp, kVersion, kKeygen, kError };
  Action action = Action::kRun;
  NodeFlags flags;
  std::string error;  // kError: one line, names the flag
};

ParsedFlags ParseFlags(const std::vector<std::string>& args);

// Parses "HOST:PORT" / "[V6]:PORT"; nullopt if malformed.
std::optional<HostPort> ParseHostPort(const std::string& text);
// Formats a host and port back as an address ("[v6]:port" for IPv6).
std::string FormatHostPort(const std::string& host, std::uint16_t port);

extern const char kUsage[];

}  // namespace gossipmonger::node
