// Failure detection from kill and `peer_dead` records: how long after the
// SIGKILL each surviving node reported the killed one dead, and how many
// reports named a node that was still up (false convictions).
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "records.h"

namespace gossipmonger::bench {

struct Detection {
  std::size_t kills = 0;
  // Per kill: the last observer's report − the kill (s); only kills that
  // every observer reported.
  std::vector<double> every_observer_s;
  // Per (kill, observer that reported it): its first report − the kill (s).
  std::vector<double> observer_s;
  std::size_t missed = 0;      // (kill, observer) pairs never reported
  std::size_t false_dead = 0;  // reports about a node not killed before them
};

// `nodes`: every node of a run (the same ids in every run); the observers
// of a kill are all of them but the killed node.
Detection AnalyzeDetection(const RunLog& log, const std::set<std::string>& nodes);

}  // namespace gossipmonger::bench
