// Output of gossipmonger-bench: the side-by-side table, the JSON object and
// the gnuplot latency plot.
#pragma once

#include <string>
#include <vector>

#include "analysis.h"
#include "workload.h"

namespace gossipmonger::bench {

// One column per transport, one row per figure; with exactly two
// transports a third column gives the second over the first.
std::string RenderTable(const Workload& workload,
                        const std::vector<TransportResult>& results);

// The workload as JSON members, without braces ("update_rate":1,...): the
// one spelling shared by RenderJson and the --log workload record, which
// `analyze` reads back.
std::string WorkloadJsonFields(const Workload& workload);

// {"workload":{...},"transports":{"tcp":{...},...}}
std::string RenderJson(const Workload& workload,
                       const std::vector<TransportResult>& results);

// Writes the latency CDFs (to every node, and per delivery) of each transport
// to `png` with gnuplot. Returns an error message, or "" on success.
std::string Plot(const Workload& workload, const std::vector<TransportResult>& results,
                 const std::string& png);

}  // namespace gossipmonger::bench
