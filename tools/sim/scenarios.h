// The simulator's scenarios: one run of one scenario on one seed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gossipmonger/options.h"
#include "gossipmonger/testing/virtual_cluster.h"

namespace gossipmonger::sim {

struct ScenarioConfig {
  std::string scenario = "propagate";
  std::size_t nodes = 100;
  std::size_t runs = 10;
  std::uint64_t seed = 1;
  double loss = 0;
  double interval_ms = 1000;
  double delay_min_ms = 0;
  double delay_max_ms = 0;
  double phi = 8;
  std::size_t max_deltas = 5;
  bool exponential = false;
  double min_std_ms = static_cast<double>(gossipmonger::Options{}.min_std_dev.count());
  std::size_t max_intervals = 100;
  std::size_t max_body_bytes = 64 * 1024;
  double warmup_s = 60;
  double measure_s = 60;
  double update_rate = 0;
  std::size_t threads = 1;
  // Cold start (always for the bootstrap scenario): nodes know only the
  // first `seeds` nodes and start at random instants within
  // `start_window_s`, in random order. Otherwise membership is prejoined.
  bool cold_start = false;
  std::size_t seeds = 3;
  double start_window_s = 2;
  // bootstrap: rounds after the window by which the cluster must be one.
  double bootstrap_rounds = 30;
  // Fanout and push (defaults: the engine's Options).
  std::size_t gossip_fanout = gossipmonger::Options{}.gossip_fanout;
  std::size_t push_fanout = gossipmonger::Options{}.push_fanout;
  std::size_t push_max_hops = gossipmonger::Options{}.push_max_hops;
  double push_rate_limit = gossipmonger::Options{}.push_rate_limit;
  // churn (tools/sim/churn.h): every node is replaced by one with a new id,
  // `generations` times over, one generation every `generation_s`; half
  // leave, half crash. The lifecycle options are short enough for the run;
  // `no_reap` makes reaping wait longer than any run (today's growth).
  std::size_t generations = 10;
  double generation_s = 300;
  double window_rounds = 30;
  std::size_t keys = 4;
  std::size_t value_bytes = 32;
  double tombstone_grace_s = 60;
  double reap_dead_after_s = 60;
  double reap_left_after_s = 30;
  double remember_forgotten_s = 300;
  bool no_reap = false;
};

// churn: the mean per node over one window of rounds.
struct ChurnWindow {
  double end_s = 0;  // virtual time at the window's end
  double bytes_per_node_round = 0;
  double peers_per_node = 0;          // records in its storage, its own included
  double storage_bytes_per_node = 0;  // testing::StorageFootprint::bytes
};

struct RunResult {
  bool finished = true;
  // propagate: rounds from the update until every other node has it.
  std::optional<double> rounds;
  std::optional<double> latency_ms;  // the same in milliseconds
  // detect: seconds from the crash until every survivor convicted it, and
  // each survivor's own conviction time.
  std::optional<double> detect_s;
  std::vector<double> observer_detect_s;
  // steady: bytes sent per node per round (exact encoded sizes).
  std::optional<double> bytes_per_node_round;
  std::optional<double> push_bytes_per_node_round;  // the kPush part of it
  // bootstrap: every node knew every other within bootstrap_rounds (and
  // `rounds` says when, counted from the first start); and at the end every
  // node saw every other live.
  bool one_cluster = false;
  bool all_live = false;
  std::uint64_t false_dead = 0;  // `peer dead` about a peer that was up
  double node_hours = 0;
  // churn: the windows of the churned cluster and of a static cluster of
  // the same size, workload and seed, run side by side; and what happened.
  std::vector<ChurnWindow> churn_series;
  std::vector<ChurnWindow> static_series;
  std::uint64_t replaced = 0, left = 0, crashed = 0, leave_refused = 0;
  std::uint64_t peer_left_events = 0, peer_forgotten_events = 0, peer_dead_events = 0;
};

RunResult RunScenario(const ScenarioConfig& config, std::uint64_t seed);

// The VirtualCluster of a scenario's config: size, network, options.
testing::ClusterConfig MakeClusterConfig(const ScenarioConfig& config,
                                         std::uint64_t seed);

}  // namespace gossipmonger::sim
