// gossipmonger-sim's command line (CLI11; see --help and docs/SIMULATION.md).
#pragma once

#include <string>
#include <vector>

#include "command_line.h"
#include "scenarios.h"

namespace gossipmonger::sim {

// The scenario the flags describe, or help or a one-line error instead.
struct SimFlags {
  tools::CommandLine command_line;
  ScenarioConfig config;
};

SimFlags ParseSimFlags(const std::vector<std::string>& args);

}  // namespace gossipmonger::sim
