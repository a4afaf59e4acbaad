#include "sim_flags.h"

#include <algorithm>
#include <optional>
#include <thread>

namespace gossipmonger::sim {
namespace {

using tools::kUnbounded;
using tools::NumberIn;

const CLI::Validator kWhole = NumberIn(0, kUnbounded, true);
const CLI::Validator kAtLeastOne = NumberIn(1, kUnbounded, true);

// Values that need converting once parsed.
struct Raw {
  std::string delay = "0:0";
  std::string failure_model = "normal";
  std::optional<double> warmup_s;
  bool no_push = false;
};

void AddNetworkFlags(CLI::App& app, ScenarioConfig& c, Raw& raw) {
  app.add_option("--scenario", c.scenario, "what to measure")
      ->check(CLI::IsMember({"propagate", "detect", "steady", "bootstrap"}))
      ->capture_default_str();
  app.add_option("--nodes", c.nodes, "cluster size")
      ->check(NumberIn(2, kUnbounded, true))
      ->capture_default_str();
  app.add_option("--runs", c.runs, "independent runs, each with its own seed")
      ->check(kAtLeastOne)
      ->capture_default_str();
  app.add_option("--seed", c.seed, "base seed; run i uses S+i")
      ->check(kWhole)
      ->capture_default_str();
  app.add_option("--loss", c.loss, "per-message loss probability")
      ->check(NumberIn(0, 1))
      ->capture_default_str();
  app.add_option("--delay-ms", raw.delay, "per-message delay, uniform in [A,B] ms (A:B)")
      ->capture_default_str();
  app.add_option("--max-body-bytes", c.max_body_bytes, "the transport's message budget")
      ->check(kWhole)
      ->capture_default_str();
  app.add_option("--threads", c.threads, "worker threads; 0: hardware concurrency")
      ->check(kWhole)
      ->capture_default_str();
}

void AddEngineFlags(CLI::App& app, ScenarioConfig& c, Raw& raw) {
  app.add_option("--interval-ms", c.interval_ms, "GOSSIP_INTERVAL")
      ->check(NumberIn(1, kUnbounded))
      ->capture_default_str();
  app.add_option("--phi", c.phi, "DEAD_PEER_PHI")->capture_default_str();
  app.add_option("--max-deltas", c.max_deltas, "MAX_DELTAS_PER_GOSSIP")
      ->check(kWhole)
      ->capture_default_str();
  app.add_option("--failure-model", raw.failure_model, "normal or exponential")
      ->check(CLI::IsMember({"normal", "exponential"}))
      ->capture_default_str();
  app.add_option("--min-std-ms", c.min_std_ms, "floor of the normal model's deviation")
      ->capture_default_str();
  app.add_option("--max-intervals", c.max_intervals,
                 "MAX_INTERVALS, the detector's window")
      ->check(kAtLeastOne)
      ->capture_default_str();
  app.add_option("--fanout", c.gossip_fanout, "gossip_fanout: digest partners per round")
      ->check(kAtLeastOne)
      ->capture_default_str();
  app.add_option("--push-fanout", c.push_fanout, "push_fanout: 0 turns pushes off")
      ->check(kWhole)
      ->capture_default_str();
  app.add_flag("--no-push", raw.no_push, "the same as --push-fanout 0");
  app.add_option("--push-max-hops", c.push_max_hops, "push_max_hops")
      ->check(NumberIn(1, 255, true))
      ->capture_default_str();
  app.add_option("--push-rate", c.push_rate_limit,
                 "push_rate_limit: push batches per node per interval")
      ->check(tools::PositiveNumber())
      ->capture_default_str();
}

void AddScenarioFlags(CLI::App& app, ScenarioConfig& c, Raw& raw) {
  app.add_option("--warmup-s", raw.warmup_s,
                 "simulated seconds before the crash (detect) or the measurement "
                 "(steady) [60; detect: 120]");
  app.add_option("--measure-s", c.measure_s, "steady: simulated seconds measured")
      ->capture_default_str();
  app.add_option("--update-rate", c.update_rate, "steady: updates per node per second")
      ->capture_default_str();
  app.add_flag("--cold-start", c.cold_start,
               "nodes know only the seeds and start within the start window (always so "
               "in bootstrap)");
  app.add_option("--seeds", c.seeds, "cold start: the first N nodes are the seeds")
      ->check(kAtLeastOne)
      ->capture_default_str();
  app.add_option("--start-window-s", c.start_window_s,
                 "cold start: nodes start at random instants in [0,S)")
      ->check(NumberIn(0, kUnbounded))
      ->capture_default_str();
  app.add_option("--bootstrap-rounds", c.bootstrap_rounds,
                 "bootstrap: rounds after the window by which every node must know "
                 "every other")
      ->check(NumberIn(0, kUnbounded))
      ->capture_default_str();
}

// --delay-ms A:B into the config; an error message or "".
std::string ApplyDelay(const std::string& text, ScenarioConfig& c) {
  const auto colon = text.find(':');
  const auto number = [](const std::string& part) {
    char* end = nullptr;
    const double value = std::strtod(part.c_str(), &end);
    return !part.empty() && *end == '\0' ? value : -1;
  };
  if (colon == std::string::npos) return "--delay-ms takes MIN:MAX";
  c.delay_min_ms = number(text.substr(0, colon));
  c.delay_max_ms = number(text.substr(colon + 1));
  if (c.delay_min_ms < 0 || c.delay_max_ms < c.delay_min_ms)
    return "--delay-ms needs 0 <= MIN <= MAX";
  return "";
}

}  // namespace

SimFlags ParseSimFlags(const std::vector<std::string>& args) {
  SimFlags flags;
  ScenarioConfig& c = flags.config;
  Raw raw;
  CLI::App app("", "gossipmonger-sim");
  tools::FormatHelp(app,
                    "Runs N nodes of the real engine in virtual time and prints one JSON "
                    "object\nwith the figures of one scenario (docs/SIMULATION.md).");
  AddNetworkFlags(app, c, raw);
  AddEngineFlags(app, c, raw);
  AddScenarioFlags(app, c, raw);
  flags.command_line = tools::ParseCommandLine(app, args);
  if (flags.command_line.action != tools::CommandLine::Action::kRun) return flags;
  if (std::string error = ApplyDelay(raw.delay, c); !error.empty()) {
    flags.command_line = {tools::CommandLine::Action::kError, error};
    return flags;
  }
  c.exponential = raw.failure_model == "exponential";
  if (raw.no_push) c.push_fanout = 0;
  c.warmup_s = raw.warmup_s.value_or(c.scenario == "detect" ? 120.0 : 60.0);
  if (c.threads == 0) c.threads = std::max(1u, std::thread::hardware_concurrency());
  return flags;
}

}  // namespace gossipmonger::sim
