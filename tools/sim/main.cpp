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

#include "scenarios.h"

namespace {

using gossipmonger::sim::RunResult;
using gossipmonger::sim::ScenarioConfig;

const char kUsage[] =
    "usage: gossipmonger-sim [options]\n"
    "  --scenario propagate|detect|steady|bootstrap   what to measure (default "
    "propagate)\n"
    "  --nodes N            cluster size (default 100)\n"
    "  --runs R             independent runs, each with its own seed (default 10)\n"
    "  --seed S             base seed; run i uses S+i (default 1)\n"
    "  --loss P             per-message loss probability, 0..1 (default 0)\n"
    "  --interval-ms MS     GOSSIP_INTERVAL (default 1000)\n"
    "  --delay-ms A:B       per-message network delay, uniform in [A,B] ms (default "
    "0:0)\n"
    "  --phi X              DEAD_PEER_PHI (default 8)\n"
    "  --max-deltas N       MAX_DELTAS_PER_GOSSIP (default 5)\n"
    "  --failure-model normal|exponential  (default normal)\n"
    "  --min-std-ms MS      floor of the normal model's deviation (default 400)\n"
    "  --max-intervals N    MAX_INTERVALS, the detector's window (default 100)\n"
    "  --max-body-bytes N   the transport's message budget (default 65536)\n"
    "  --warmup-s S         simulated seconds before the crash (detect) or the\n"
    "                       measurement (steady) (default 60; detect: 120)\n"
    "  --measure-s S        steady: simulated seconds measured (default 60)\n"
    "  --update-rate R      steady: updates per node per second (default 0)\n"
    "  --fanout K           gossip_fanout: digest partners per round (default 3)\n"
    "  --push-fanout F      push_fanout: 0 turns pushes off (default 4)\n"
    "  --no-push            the same as --push-fanout 0\n"
    "  --push-max-hops H    push_max_hops (default 12)\n"
    "  --push-rate R        push_rate_limit: push batches per node per interval (default "
    "8)\n"
    "  --cold-start         nodes know only the seeds and start within the start\n"
    "                       window (always so in bootstrap)\n"
    "  --seeds N            cold start: the first N nodes are the seeds (default 3)\n"
    "  --start-window-s S   cold start: nodes start at random instants in [0,S)\n"
    "                       (default 2)\n"
    "  --bootstrap-rounds R bootstrap: rounds after the window by which every node\n"
    "                       must know every other (default 30)\n"
    "  --threads T          worker threads (default: hardware concurrency)\n"
    "  --help\n";

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << "gossipmonger-sim: " << message << "\n";
  std::exit(2);
}

double ParseNumber(const std::string& flag, const std::string& text) {
  try {
    std::size_t used = 0;
    double value = std::stod(text, &used);
    if (used != text.size() || !std::isfinite(value)) throw std::invalid_argument(text);
    return value;
  } catch (const std::exception&) {
    Fail("invalid value for " + flag + ": '" + text + "'");
  }
}

ScenarioConfig ParseArgs(int argc, char** argv) {
  ScenarioConfig config;
  std::optional<double> warmup;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (flag == "--no-push") {
      config.push_fanout = 0;
      continue;
    }
    if (flag == "--cold-start") {
      config.cold_start = true;
      continue;
    }
    if (i + 1 >= argc) Fail("missing value for " + flag);
    const std::string value = argv[++i];
    if (flag == "--scenario") {
      if (value != "propagate" && value != "detect" && value != "steady" &&
          value != "bootstrap") {
        Fail("unknown scenario '" + value + "'");
      }
      config.scenario = value;
    } else if (flag == "--nodes") {
      config.nodes = static_cast<std::size_t>(ParseNumber(flag, value));
      if (config.nodes < 2) Fail("--nodes must be at least 2");
    } else if (flag == "--runs") {
      config.runs = static_cast<std::size_t>(ParseNumber(flag, value));
      if (config.runs < 1) Fail("--runs must be at least 1");
    } else if (flag == "--seed") {
      config.seed = static_cast<std::uint64_t>(ParseNumber(flag, value));
    } else if (flag == "--loss") {
      config.loss = ParseNumber(flag, value);
      if (config.loss < 0 || config.loss > 1) Fail("--loss must be within 0..1");
    } else if (flag == "--interval-ms") {
      config.interval_ms = ParseNumber(flag, value);
      if (config.interval_ms < 1) Fail("--interval-ms must be at least 1");
    } else if (flag == "--delay-ms") {
      auto colon = value.find(':');
      if (colon == std::string::npos) Fail("--delay-ms takes MIN:MAX");
      config.delay_min_ms = ParseNumber(flag, value.substr(0, colon));
      config.delay_max_ms = ParseNumber(flag, value.substr(colon + 1));
      if (config.delay_min_ms < 0 || config.delay_max_ms < config.delay_min_ms) {
        Fail("--delay-ms needs 0 <= MIN <= MAX");
      }
    } else if (flag == "--phi") {
      config.phi = ParseNumber(flag, value);
    } else if (flag == "--max-deltas") {
      config.max_deltas = static_cast<std::size_t>(ParseNumber(flag, value));
    } else if (flag == "--failure-model") {
      if (value != "normal" && value != "exponential") Fail("unknown failure model");
      config.exponential = value == "exponential";
    } else if (flag == "--min-std-ms") {
      config.min_std_ms = ParseNumber(flag, value);
    } else if (flag == "--max-intervals") {
      config.max_intervals = static_cast<std::size_t>(ParseNumber(flag, value));
      if (config.max_intervals < 1) Fail("--max-intervals must be at least 1");
    } else if (flag == "--max-body-bytes") {
      config.max_body_bytes = static_cast<std::size_t>(ParseNumber(flag, value));
    } else if (flag == "--warmup-s") {
      warmup = ParseNumber(flag, value);
    } else if (flag == "--measure-s") {
      config.measure_s = ParseNumber(flag, value);
    } else if (flag == "--update-rate") {
      config.update_rate = ParseNumber(flag, value);
    } else if (flag == "--fanout") {
      config.gossip_fanout = static_cast<std::size_t>(ParseNumber(flag, value));
      if (config.gossip_fanout < 1) Fail("--fanout must be at least 1");
    } else if (flag == "--push-fanout") {
      config.push_fanout = static_cast<std::size_t>(ParseNumber(flag, value));
    } else if (flag == "--push-max-hops") {
      config.push_max_hops = static_cast<std::size_t>(ParseNumber(flag, value));
      if (config.push_max_hops < 1 || config.push_max_hops > 255) {
        Fail("--push-max-hops must be within 1..255");
      }
    } else if (flag == "--push-rate") {
      config.push_rate_limit = ParseNumber(flag, value);
      if (!(config.push_rate_limit > 0)) Fail("--push-rate must be positive");
    } else if (flag == "--seeds") {
      config.seeds = static_cast<std::size_t>(ParseNumber(flag, value));
      if (config.seeds < 1) Fail("--seeds must be at least 1");
    } else if (flag == "--start-window-s") {
      config.start_window_s = ParseNumber(flag, value);
      if (config.start_window_s < 0) Fail("--start-window-s must not be negative");
    } else if (flag == "--bootstrap-rounds") {
      config.bootstrap_rounds = ParseNumber(flag, value);
      if (config.bootstrap_rounds < 0) Fail("--bootstrap-rounds must not be negative");
    } else if (flag == "--threads") {
      config.threads = static_cast<std::size_t>(ParseNumber(flag, value));
    } else {
      Fail("unknown flag '" + flag + "' (see --help)");
    }
  }
  config.warmup_s = warmup.value_or(config.scenario == "detect" ? 120.0 : 60.0);
  if (config.threads == 0)
    config.threads = std::max(1u, std::thread::hardware_concurrency());
  return config;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return std::nan("");
  std::sort(values.begin(), values.end());
  const double rank = p * static_cast<double>(values.size() - 1);
  const auto low = static_cast<std::size_t>(std::floor(rank));
  const auto high = static_cast<std::size_t>(std::ceil(rank));
  return values[low] + (values[high] - values[low]) * (rank - static_cast<double>(low));
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

}  // namespace

int main(int argc, char** argv) {
  const ScenarioConfig config = ParseArgs(argc, argv);
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

  std::vector<double> rounds, latency, detect, observer_detect, bytes, push_bytes;
  std::uint64_t false_dead = 0, unfinished = 0, one_cluster = 0, all_live = 0;
  double node_hours = 0;
  for (const RunResult& r : results) {
    if (r.rounds) rounds.push_back(*r.rounds);
    if (r.latency_ms) latency.push_back(*r.latency_ms);
    if (r.push_bytes_per_node_round) push_bytes.push_back(*r.push_bytes_per_node_round);
    if (r.detect_s) detect.push_back(*r.detect_s);
    observer_detect.insert(observer_detect.end(), r.observer_detect_s.begin(),
                           r.observer_detect_s.end());
    if (r.bytes_per_node_round) bytes.push_back(*r.bytes_per_node_round);
    false_dead += r.false_dead;
    one_cluster += r.one_cluster ? 1 : 0;
    all_live += r.all_live ? 1 : 0;
    unfinished += r.finished ? 0 : 1;
    node_hours += r.node_hours;
  }

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
    out << ",\"rounds_mean\":" << Json(Mean(rounds))
        << ",\"rounds_p50\":" << Json(Percentile(rounds, 0.5))
        << ",\"rounds_p99\":" << Json(Percentile(rounds, 0.99))
        << ",\"rounds_max\":" << Json(Percentile(rounds, 1.0))
        << ",\"latency_ms_p50\":" << Json(Percentile(latency, 0.5))
        << ",\"latency_ms_p99\":" << Json(Percentile(latency, 0.99))
        << ",\"latency_ms_max\":" << Json(Percentile(latency, 1.0));
  } else if (config.scenario == "detect") {
    out << ",\"detect_s_p50\":" << Json(Percentile(detect, 0.5))
        << ",\"detect_s_p99\":" << Json(Percentile(detect, 0.99))
        << ",\"detect_s_max\":" << Json(Percentile(detect, 1.0))
        << ",\"observer_detect_s_p50\":" << Json(Percentile(observer_detect, 0.5))
        << ",\"false_dead\":" << false_dead << ",\"node_hours\":" << Json(node_hours);
  } else if (config.scenario == "bootstrap") {
    out << ",\"seeds\":" << config.seeds
        << ",\"start_window_s\":" << Json(config.start_window_s)
        << ",\"bootstrap_rounds\":" << Json(config.bootstrap_rounds)
        << ",\"one_cluster_runs\":" << one_cluster << ",\"all_live_runs\":" << all_live
        << ",\"rounds_p50\":" << Json(Percentile(rounds, 0.5))
        << ",\"rounds_p99\":" << Json(Percentile(rounds, 0.99))
        << ",\"rounds_max\":" << Json(Percentile(rounds, 1.0))
        << ",\"false_dead\":" << false_dead << ",\"node_hours\":" << Json(node_hours);
  } else {
    out << ",\"bytes_per_node_round\":" << Json(Mean(bytes))
        << ",\"push_bytes_per_node_round\":" << Json(Mean(push_bytes))
        << ",\"bytes_budget_64n_512\":" << 64 * config.nodes + 512
        << ",\"update_rate\":" << Json(config.update_rate);
  }
  out << ",\"unfinished_runs\":" << unfinished
      << ",\"peak_rss_mib\":" << Json(PeakRssMib()) << "}";
  std::cout << out.str() << std::endl;
  return 0;
}
