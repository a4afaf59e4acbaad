// Command line of gossipmonger-bench, parsed by CLI11. Parsing never exits
// or prints.
//
//   gossipmonger-bench [run] [options]       both transports on this host
//   gossipmonger-bench nodes [options]       this host's share of a cluster
//   gossipmonger-bench analyze LOG...        merge hosts' logs, print table
#pragma once

#include <string>
#include <vector>

#include "workload.h"

namespace gossipmonger::bench {

struct BenchFlags {
  enum class Mode { kRun, kNodes, kAnalyze, kHelp, kError };
  Mode mode = Mode::kRun;
  std::string error;  // kError: one line
  std::string help;   // kHelp: the usage
  Workload workload;
  std::vector<std::string> transports = {"tcp", "udp"};
  std::string node_binary;  // empty: the built-in default
  bool json = false;
  std::string plot;  // PNG path
  std::string log;   // record file (nodes: required)
  // nodes mode
  std::string listen_host = "127.0.0.1";
  std::string advertise_host;  // empty: listen_host
  int base_port = 0;           // node i listens on base_port + i (0: any)
  std::string id_prefix = "n";
  std::vector<std::string> seeds;  // ID@HOST:PORT
  int cluster_size = 0;            // all hosts together (0: --nodes)
  double start_at_s = 0;           // Unix time the updates start (0: when warm)
  // analyze mode
  std::vector<std::string> logs;
};

BenchFlags ParseBenchFlags(const std::vector<std::string>& args);

}  // namespace gossipmonger::bench
