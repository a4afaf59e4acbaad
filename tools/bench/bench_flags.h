// Command line of gossipmonger-bench. Parsing never exits or prints.
//
//   gossipmonger-bench [run] [options]       both transports on this host
//   gossipmonger-bench nodes [options]       this host's share of a cluster
//   gossipmonger-bench analyze LOG...        merge hosts' logs, print table
#pragma once

#include <string>
#include <vector>

namespace gossipmonger::bench {

struct Workload {
  int nodes = 10;          // run: nodes per transport; nodes: on this host
  double update_rate = 1;  // sets per node per second
  int value_bytes = 100;
  double duration_s = 30;  // of the update phase
  double warmup_timeout_s = 60;
  double drain_s = 10;  // after the last set, for updates to arrive
  double loss = 0;      // injected per-send loss probability
  int delay_ms = 0;     // injected per-send delay
  int gossip_interval_ms = 1000;
  double dead_peer_phi = 0;  // passed to the nodes if set (0: their default, 8)
  int gossip_fanout = 0;     // passed to the nodes if set (0: their default, 3)
  int push_fanout = -1;      // passed to the nodes if set (-1: their default, 4)
  int repeat = 1;            // run: runs per transport, interleaved (tcp, udp, tcp, ...)
  // run: SIGKILL the last node this long after the drain (0: no kill), then
  // wait up to detect_timeout_s for every other node's peer_dead.
  double kill_after_s = 0;
  // run: instead, SIGKILL it this long after the first node started (0:
  // off): detection in a cluster's first minutes. If warm-up, updates and
  // drain take longer, the kill comes right after them.
  double kill_at_s = 0;
  double detect_timeout_s = 30;
};

struct BenchFlags {
  enum class Mode { kRun, kNodes, kAnalyze, kHelp, kError };
  Mode mode = Mode::kRun;
  std::string error;
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

extern const char kBenchUsage[];

}  // namespace gossipmonger::bench
