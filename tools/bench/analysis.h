// Turns a RunLog into the figures of the comparison table.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "detection.h"
#include "records.h"

namespace gossipmonger::bench {

struct TransportResult {
  std::string transport;
  std::size_t nodes = 0;
  std::size_t updates = 0;   // sets issued
  std::size_t complete = 0;  // sets that reached every other node
  // Per set that reached everyone: last arrival − set (ms).
  std::vector<double> to_all_ms;
  // Per (set, receiving node): arrival − set (ms).
  std::vector<double> delivery_ms;
  double to_all_p50 = 0, to_all_p99 = 0, delivery_p50 = 0, delivery_p99 = 0;
  // Means over nodes, per node and second of the measurement window.
  double messages_per_s = 0, bytes_per_s = 0;
  double lost_fraction = 0;              // injected losses / sends
  double cpu_s_mean = 0, cpu_s_max = 0;  // per node, over the window
  double cpu_s_per_min = 0;              // mean over nodes of cpu_s / window
  double peak_rss_mib_median = 0, peak_rss_mib_max = 0;
  // Failure detection (NaN without a kill): over kills, the time until
  // every observer reported the killed node dead, worst and median; over
  // (kill, observer), the median report time.
  Detection detection;
  double detect_every_max_s = 0, detect_every_p50_s = 0, detect_observer_p50_s = 0;
};

// Nodes are every node named by a node record (or, without any, by a set or
// an update). A node's updates of its own keys are not expected.
TransportResult Analyze(const RunLog& log);

}  // namespace gossipmonger::bench
