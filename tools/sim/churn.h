// The churn scenario (docs/SIMULATION.md, "Churn"): a cluster whose every
// node is replaced by one with a new id, config.generations times over
// (half leave gracefully, half crash), sampled window by window beside a
// static cluster of the same size, workload and seed. It shows whether
// bytes per round, peers held and storage size stay bounded once reaping
// runs (docs/LIFECYCLE.md, "Reaping").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scenarios.h"

namespace gossipmonger::sim {

RunResult Churn(const ScenarioConfig& config, std::uint64_t seed);

// The churn scenario's JSON members (to follow the common ones): the series
// of both clusters averaged over the runs, window by window, and the
// summary: the means over the steady state (the second half of the churn)
// of both clusters and their ratio, which the issue bounds at 1.3.
std::string ChurnReportFields(const ScenarioConfig& config,
                              const std::vector<RunResult>& results);

}  // namespace gossipmonger::sim
