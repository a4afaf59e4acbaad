// gossipmonger-sim: runs N nodes of the real engine in virtual time over a
// simulated network and prints one JSON object with the figures of one
// scenario. See --help and docs/SIMULATION.md.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "churn.h"
#include "percentile.h"
#include "scenarios.h"
#include "sim_flags.h"

namespace {

using gossipmonger::sim::RunResult;
using gossipmonger::sim::ScenarioConfig;

// NaN (printed as null) for no samples.
double Percentile(const std::vector<double>& values, double p) {
  return values.empty() ? std::nan("") : gossipmonger::tools::Percentile(values, p);
}

double Mean(const std::vector<double>& values) {
  if (values.empty()) return std::nan("");
  double sum = 0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

std::string Json(double value) {
  if (!std::isfinite(value)) return "null";
  std::ostringstream out;
  out.precision(6);
  out << value;
  return out.str();
}

double PeakRssMib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return std::nan("");
}

// Every run of the scenario, on config.threads threads.
std::vector<RunResult> RunAll(const ScenarioConfig& config) {
  std::vector<RunResult> results(config.runs);
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> workers;
  for (std::size_t t = 0; t < std::min(config.threads, config.runs); ++t) {
    workers.emplace_back([&] {
      for (std::size_t run = next++; run < config.runs; run = next++) {
        results[run] = gossipmonger::sim::RunScenario(config, config.seed + run);
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  return results;
}

// The samples of every run, pooled.
struct Pooled {
  std::vector<double> rounds, latency, detect, observer_detect, bytes, push_bytes;
  std::uint64_t false_dead = 0, unfinished = 0, one_cluster = 0, all_live = 0;
  double node_hours = 0;
};

Pooled Pool(const std::vector<RunResult>& results) {
  Pooled p;
  for (const RunResult& r : results) {
    if (r.rounds) p.rounds.push_back(*r.rounds);
    if (r.latency_ms) p.latency.push_back(*r.latency_ms);
    if (r.push_bytes_per_node_round) p.push_bytes.push_back(*r.push_bytes_per_node_round);
    if (r.detect_s) p.detect.push_back(*r.detect_s);
    p.observer_detect.insert(p.observer_detect.end(), r.observer_detect_s.begin(),
                             r.observer_detect_s.end());
    if (r.bytes_per_node_round) p.bytes.push_back(*r.bytes_per_node_round);
    p.false_dead += r.false_dead;
    p.one_cluster += r.one_cluster ? 1 : 0;
    p.all_live += r.all_live ? 1 : 0;
    p.unfinished += r.finished ? 0 : 1;
    p.node_hours += r.node_hours;
  }
  return p;
}

// The one JSON object the simulator prints.
std::string Report(const ScenarioConfig& config, const std::vector<RunResult>& results) {
  const Pooled p = Pool(results);
  std::ostringstream out;
  out << "{\"scenario\":\"" << config.scenario << "\",\"nodes\":" << config.nodes
      << ",\"runs\":" << config.runs << ",\"seed\":" << config.seed
      << ",\"loss\":" << Json(config.loss)
      << ",\"interval_ms\":" << Json(config.interval_ms) << ",\"delay_ms\":["
      << Json(config.delay_min_ms) << "," << Json(config.delay_max_ms)
      << "],\"phi\":" << Json(config.phi) << ",\"max_deltas\":" << config.max_deltas
      << ",\"failure_model\":\"" << (config.exponential ? "exponential" : "normal")
      << "\""
      << ",\"fanout\":" << config.gossip_fanout
      << ",\"push_fanout\":" << config.push_fanout
      << ",\"push_max_hops\":" << config.push_max_hops
      << ",\"push_rate\":" << Json(config.push_rate_limit);
  if (config.scenario == "propagate") {
    out << ",\"rounds_mean\":" << Json(Mean(p.rounds))
        << ",\"rounds_p50\":" << Json(Percentile(p.rounds, 0.5))
        << ",\"rounds_p99\":" << Json(Percentile(p.rounds, 0.99))
        << ",\"rounds_max\":" << Json(Percentile(p.rounds, 1.0))
        << ",\"latency_ms_p50\":" << Json(Percentile(p.latency, 0.5))
        << ",\"latency_ms_p99\":" << Json(Percentile(p.latency, 0.99))
        << ",\"latency_ms_max\":" << Json(Percentile(p.latency, 1.0));
  } else if (config.scenario == "detect") {
    out << ",\"detect_s_p50\":" << Json(Percentile(p.detect, 0.5))
        << ",\"detect_s_p99\":" << Json(Percentile(p.detect, 0.99))
        << ",\"detect_s_max\":" << Json(Percentile(p.detect, 1.0))
        << ",\"observer_detect_s_p50\":" << Json(Percentile(p.observer_detect, 0.5))
        << ",\"false_dead\":" << p.false_dead << ",\"node_hours\":" << Json(p.node_hours);
  } else if (config.scenario == "bootstrap") {
    out << ",\"seeds\":" << config.seeds
        << ",\"start_window_s\":" << Json(config.start_window_s)
        << ",\"bootstrap_rounds\":" << Json(config.bootstrap_rounds)
        << ",\"one_cluster_runs\":" << p.one_cluster
        << ",\"all_live_runs\":" << p.all_live
        << ",\"rounds_p50\":" << Json(Percentile(p.rounds, 0.5))
        << ",\"rounds_p99\":" << Json(Percentile(p.rounds, 0.99))
        << ",\"rounds_max\":" << Json(Percentile(p.rounds, 1.0))
        << ",\"false_dead\":" << p.false_dead << ",\"node_hours\":" << Json(p.node_hours);
  } else if (config.scenario == "churn") {
    out << gossipmonger::sim::ChurnReportFields(config, results);
  } else {
    out << ",\"bytes_per_node_round\":" << Json(Mean(p.bytes))
        << ",\"push_bytes_per_node_round\":" << Json(Mean(p.push_bytes))
        << ",\"bytes_budget_64n_512\":" << 64 * config.nodes + 512
        << ",\"update_rate\":" << Json(config.update_rate);
  }
  out << ",\"unfinished_runs\":" << p.unfinished
      << ",\"peak_rss_mib\":" << Json(PeakRssMib()) << "}";
  return out.str();
}

}  // namespace

int main(int argc, char** argv) {
  const gossipmonger::sim::SimFlags flags =
      gossipmonger::sim::ParseSimFlags(std::vector<std::string>(argv + 1, argv + argc));
  switch (flags.command_line.action) {
    case gossipmonger::tools::CommandLine::Action::kHelp:
    case gossipmonger::tools::CommandLine::Action::kVersion:
      std::cout << flags.command_line.text;
      return 0;
    case gossipmonger::tools::CommandLine::Action::kError:
      std::cerr << "gossipmonger-sim: " << flags.command_line.text << " (see --help)\n";
      return 2;
    case gossipmonger::tools::CommandLine::Action::kRun:
      break;
  }
  std::cout << Report(flags.config, RunAll(flags.config)) << std::endl;
  return 0;
}
