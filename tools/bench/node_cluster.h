// Runs this host's gossipmonger-node processes through one workload:
// start, warm-up (every node knows the whole cluster), updates at a fixed
// rate, drain, then transport counters and /proc usage; optionally a quiet
// phase, a SIGKILL and the wait for every other node's `peer_dead`. The local
// comparison runs the whole cluster here; across hosts each host runs its
// share and the records are merged afterwards.
#pragma once

#include <string>
#include <vector>

#include "records.h"
#include "workload.h"

namespace gossipmonger::bench {

struct ClusterPlan {
  std::string transport;
  std::string node_binary;
  Workload workload;     // workload.nodes: nodes on this host
  int cluster_size = 0;  // on all hosts
  std::string listen_host = "127.0.0.1";
  std::string advertise_host;  // empty: listen_host
  int base_port = 0;           // 0: any free port
  std::string id_prefix = "n";
  std::vector<std::string> seeds;  // nodes of other hosts, ID@HOST:PORT
  std::string key_prefix;          // keeps keys unique over repeated runs
  int run = 0;                     // tags kill and dead records
  double start_at_s = 0;           // Unix time to start the updates at (0: once warm)
};

// Appends to `log` (transport, sets, updates, one node record per local node,
// every peer_dead, the kill).
// Progress goes to stderr. False (and `error`) if a node cannot start or the
// cluster does not form within workload.warmup_timeout_s.
bool RunCluster(const ClusterPlan& plan, RunLog* log, std::string* error);

}  // namespace gossipmonger::bench
