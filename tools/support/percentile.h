// Order statistics of samples, one definition for every tool that reports
// latencies or other distributions (gossipmonger-bench, gossipmonger-sim).
#pragma once

#include <vector>

namespace gossipmonger::tools {

// The nearest-rank p-quantile (p in [0, 1]) of `values`: the smallest value
// with at least p of the samples at or below it. 0 for no samples.
//
// Why nearest rank and not interpolation between ranks: a latency report
// should state a latency that was observed ("99% of the updates arrived
// within X", X one of them), and a tail figure should never be lower than
// the samples justify. With 10 runs, p99 is the worst run, where
// interpolation would invent a value between the two worst.
double Percentile(std::vector<double> values, double p);

}  // namespace gossipmonger::tools
