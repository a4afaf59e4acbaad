#include "sim_flags.h"

#include <algorithm>
#include <optional>
#include <thread>

namespace gossipmonger::sim {
namespace {

using tools::AddNumber;
using tools::kUnbounded;

// Values that need converting once parsed.
struct Raw {
  std::string delay = "0:0";
  std::string failure_model = "normal";
  std::optional<double> warmup_s;
  bool no_push = false;
};

void AddNetworkFlags(CLI::App& app, ScenarioConfig& c, Raw& raw) {
  app.add_option("--scenario", c.scenario, "what to measure")
      ->check(CLI::IsMember({"propagate", "detect", "steady", "bootstrap", "churn"}));
  AddNumber(app, "--nodes", c.nodes, 2, kUnbounded, "cluster size");
  AddNumber(app, "--runs", c.runs, 1, kUnbounded, "independent runs, each its own seed");
  AddNumber(app, "--seed", c.seed, 0, kUnbounded, "base seed; run i uses S+i");
  AddNumber(app, "--loss", c.loss, 0, 1, "per-message loss probability");
  app.add_option("--delay-ms", raw.delay, "per-message delay, uniform in [A,B] ms (A:B)");
  AddNumber(app, "--max-body-bytes", c.max_body_bytes, 0, kUnbounded,
            "the transport's message budget");
  AddNumber(app, "--threads", c.threads, 0, kUnbounded,
            "worker threads; 0: hardware concurrency");
}

void AddEngineFlags(CLI::App& app, ScenarioConfig& c, Raw& raw) {
  AddNumber(app, "--interval-ms", c.interval_ms, 1, kUnbounded, "GOSSIP_INTERVAL");
  app.add_option("--phi", c.phi, "DEAD_PEER_PHI");
  AddNumber(app, "--max-deltas", c.max_deltas, 0, kUnbounded, "MAX_DELTAS_PER_GOSSIP");
  app.add_option("--failure-model", raw.failure_model, "normal or exponential")
      ->check(CLI::IsMember({"normal", "exponential"}));
  app.add_option("--min-std-ms", c.min_std_ms, "floor of the normal model's deviation");
  AddNumber(app, "--max-intervals", c.max_intervals, 1, kUnbounded,
            "MAX_INTERVALS, the detector's window");
  AddNumber(app, "--fanout", c.gossip_fanout, 1, kUnbounded,
            "gossip_fanout: digest partners per round");
  AddNumber(app, "--push-fanout", c.push_fanout, 0, kUnbounded,
            "push_fanout: 0 turns pushes off");
  app.add_flag("--no-push", raw.no_push, "the same as --push-fanout 0");
  AddNumber(app, "--push-max-hops", c.push_max_hops, 1, 255, "push_max_hops");
  app.add_option("--push-rate", c.push_rate_limit,
                 "push_rate_limit: push batches per node per interval")
      ->check(tools::PositiveNumber());
}

void AddScenarioFlags(CLI::App& app, ScenarioConfig& c, Raw& raw) {
  app.add_option("--warmup-s", raw.warmup_s,
                 "simulated seconds before the crash (detect) or the measurement "
                 "(steady) (default 60; detect: 120)");
  app.add_option("--measure-s", c.measure_s, "steady: simulated seconds measured");
  app.add_option("--update-rate", c.update_rate, "steady: updates per node per second");
  app.add_flag("--cold-start", c.cold_start,
               "nodes know only the seeds and start within the start window "
               "(always so in bootstrap)");
  AddNumber(app, "--seeds", c.seeds, 1, kUnbounded,
            "cold start: the first N nodes are the seeds");
  AddNumber(app, "--start-window-s", c.start_window_s, 0, kUnbounded,
            "cold start: nodes start at random instants in [0,S)");
  AddNumber(app, "--bootstrap-rounds", c.bootstrap_rounds, 0, kUnbounded,
            "bootstrap: rounds after the window by which every node must know every "
            "other");
}

void AddChurnFlags(CLI::App& app, ScenarioConfig& c) {
  AddNumber(app, "--generations", c.generations, 1, kUnbounded,
            "churn: times every node is replaced by a node with a new id");
  AddNumber(app, "--generation-s", c.generation_s, 1, kUnbounded,
            "churn: simulated seconds in which the whole cluster is replaced once");
  AddNumber(app, "--window-rounds", c.window_rounds, 1, kUnbounded,
            "churn: rounds per sample of the time series");
  AddNumber(app, "--keys", c.keys, 0, kUnbounded, "churn: keys each node sets at start");
  AddNumber(app, "--value-bytes", c.value_bytes, 0, kUnbounded,
            "churn: bytes of each key's value");
  AddNumber(app, "--tombstone-grace-s", c.tombstone_grace_s, 0.001, kUnbounded,
            "churn: Options::tombstone_grace");
  AddNumber(app, "--reap-dead-after-s", c.reap_dead_after_s, 0.001, kUnbounded,
            "churn: Options::reap_dead_after");
  AddNumber(app, "--reap-left-after-s", c.reap_left_after_s, 0.001, kUnbounded,
            "churn: Options::reap_left_after");
  AddNumber(app, "--remember-forgotten-s", c.remember_forgotten_s, 0.001, kUnbounded,
            "churn: Options::remember_forgotten_for");
  app.add_flag("--no-reap", c.no_reap,
               "churn: reaping waits longer than any run (the growth without it)");
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
  tools::SetUp(app,
               "Runs N nodes of the real engine in virtual time and prints one JSON "
               "object\nwith the figures of one scenario (docs/SIMULATION.md).");
  AddNetworkFlags(app, c, raw);
  AddEngineFlags(app, c, raw);
  AddScenarioFlags(app, c, raw);
  AddChurnFlags(app, c);
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
