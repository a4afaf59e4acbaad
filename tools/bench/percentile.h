// Order statistics of latency samples.
#pragma once

#include <vector>

namespace gossipmonger::bench {

// The nearest-rank p-quantile (p in [0, 1]) of `values`: the smallest value
// with at least p of the samples at or below it. 0 for no samples.
double Percentile(std::vector<double> values, double p);

}  // namespace gossipmonger::bench
