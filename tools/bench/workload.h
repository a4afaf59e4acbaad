// What gossipmonger-bench runs: the cluster workload every mode that starts
// nodes shares, and that the reports print as their header.
#pragma once

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

}  // namespace gossipmonger::bench
