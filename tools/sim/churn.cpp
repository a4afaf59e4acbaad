#include "churn.h"

#include <algorithm>
#include <deque>
#include <random>
#include <sstream>

namespace gossipmonger::sim {

using testing::ClusterConfig;
using testing::VirtualCluster;

namespace {

Duration FromSeconds(double s) { return Duration(static_cast<Duration::rep>(s * 1e6)); }
double InSeconds(Duration d) { return static_cast<double>(d.count()) / 1e6; }
std::chrono::milliseconds OptionMs(double s) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000.0));
}

// No reaping: later than any run (ten years), for the growth of today.
constexpr double kNeverS = 10 * 365 * 86400.0;

ClusterConfig ChurnClusterConfig(const ScenarioConfig& config, std::uint64_t seed) {
  ClusterConfig cluster = MakeClusterConfig(config, seed);
  Options& options = cluster.options;
  options.tombstone_grace = OptionMs(config.tombstone_grace_s);
  options.reap_dead_after = OptionMs(config.no_reap ? kNeverS : config.reap_dead_after_s);
  options.reap_left_after = OptionMs(config.no_reap ? kNeverS : config.reap_left_after_s);
  options.remember_forgotten_for = OptionMs(config.remember_forgotten_s);
  return cluster;
}

// A node's workload: config.keys keys of config.value_bytes bytes, set when
// it starts.
void SetKeys(VirtualCluster& cluster, std::size_t node, const ScenarioConfig& config) {
  for (std::size_t k = 0; k < config.keys; ++k) {
    std::string value = VirtualCluster::IdOf(node) + "/" + std::to_string(k) + ":";
    value.resize(std::max(value.size(), config.value_bytes), 'v');
    cluster.Update(node, "key" + std::to_string(k), value);
  }
}

// Samples one cluster window by window: the means over its nodes that are
// up at the window's end.
class Sampler {
 public:
  explicit Sampler(VirtualCluster& cluster)
      : cluster_(cluster),
        bytes_before_(cluster.faults().stats().bytes_sent),
        since_(cluster.now()) {}

  ChurnWindow Sample() {
    ChurnWindow window;
    window.end_s = InSeconds(cluster_.now());
    std::size_t up = 0;
    for (std::size_t node = 0; node < cluster_.size(); ++node) {
      if (!cluster_.up(node)) continue;
      const testing::StorageFootprint footprint = cluster_.Footprint(node);
      ++up;
      window.peers_per_node += static_cast<double>(footprint.peers);
      window.storage_bytes_per_node += static_cast<double>(footprint.bytes);
    }
    const std::uint64_t bytes = cluster_.faults().stats().bytes_sent;
    const double rounds =
        InSeconds(cluster_.now() - since_) / InSeconds(cluster_.round());
    if (up > 0) {
      const double nodes = static_cast<double>(up);
      window.peers_per_node /= nodes;
      window.storage_bytes_per_node /= nodes;
      window.bytes_per_node_round =
          static_cast<double>(bytes - bytes_before_) / nodes / rounds;
    }
    bytes_before_ = bytes;
    since_ = cluster_.now();
    return window;
  }

 private:
  VirtualCluster& cluster_;
  std::uint64_t bytes_before_;
  Timestamp since_;
};

// Replaces the nodes one by one: each generation visits every slot once in
// a random order; the departing node leaves (even replacements) or crashes
// (odd ones), and a node with a new id takes its slot, seeded by three
// random nodes of other slots.
class Churner {
 public:
  Churner(VirtualCluster& cluster, const ScenarioConfig& config, std::uint64_t seed)
      : cluster_(cluster), config_(config), rng_(seed ^ 0xc2b2ae3d27d4eb4fULL) {
    for (std::size_t node = 0; node < config.nodes; ++node) slots_.push_back(node);
  }

  void ReplaceNext(RunResult& result) {
    if (next_ == order_.size()) {
      order_ = slots_index();
      std::shuffle(order_.begin(), order_.end(), rng_);
      next_ = 0;
    }
    const std::size_t slot = order_[next_++];
    Depart(slots_[slot], result);
    slots_[slot] = cluster_.AddNode(Seeds(slot));
    SetKeys(cluster_, slots_[slot], config_);
    ++result.replaced;
  }

  // Frees the nodes that left at least two rounds ago (down by then).
  void RemoveDeparted() {
    while (!leaving_.empty() && leaving_.front().first <= cluster_.now()) {
      cluster_.Remove(leaving_.front().second);
      leaving_.pop_front();
    }
  }

 private:
  std::vector<std::size_t> slots_index() const {
    std::vector<std::size_t> index(slots_.size());
    for (std::size_t i = 0; i < index.size(); ++i) index[i] = i;
    return index;
  }

  void Depart(std::size_t node, RunResult& result) {
    if ((result.replaced % 2) == 0) {
      if (cluster_.Leave(node).ok()) {
        ++result.left;
        leaving_.emplace_back(cluster_.now() + 2 * cluster_.round(), node);
        return;
      }
      ++result.leave_refused;  // the engine cannot leave: it crashes instead
    }
    ++result.crashed;
    cluster_.Remove(node);
  }

  std::vector<std::size_t> Seeds(std::size_t slot) {
    std::vector<std::size_t> seeds;
    std::uniform_int_distribution<std::size_t> pick(0, slots_.size() - 1);
    for (int tries = 0; seeds.size() < 3 && tries < 100; ++tries) {
      const std::size_t other = pick(rng_);
      const std::size_t node = slots_[other];
      if (other == slot || std::find(seeds.begin(), seeds.end(), node) != seeds.end())
        continue;
      seeds.push_back(node);
    }
    return seeds;
  }

  VirtualCluster& cluster_;
  const ScenarioConfig& config_;
  std::mt19937_64 rng_;
  std::vector<std::size_t> slots_;  // the node of each slot now
  std::vector<std::size_t> order_;  // this generation's order of slots
  std::size_t next_ = 0;
  std::deque<std::pair<Timestamp, std::size_t>> leaving_;
};

// Counts the lifecycle events of the churned cluster.
void CountEvents(VirtualCluster& cluster, RunResult& result) {
  cluster.OnEvent([&result](std::size_t, const Event& event) {
    if (std::holds_alternative<PeerLeftEvent>(event)) ++result.peer_left_events;
    if (std::holds_alternative<PeerForgottenEvent>(event)) ++result.peer_forgotten_events;
    if (std::holds_alternative<PeerDeadEvent>(event)) ++result.peer_dead_events;
  });
}

}  // namespace

RunResult Churn(const ScenarioConfig& config, std::uint64_t seed) {
  const ClusterConfig cluster_config = ChurnClusterConfig(config, seed);
  VirtualCluster churned(cluster_config);
  VirtualCluster still(cluster_config);  // the static cluster
  RunResult result;
  CountEvents(churned, result);
  for (std::size_t node = 0; node < config.nodes; ++node) {
    SetKeys(churned, node, config);
    SetKeys(still, node, config);
  }
  churned.RunFor(FromSeconds(config.warmup_s));
  still.RunFor(FromSeconds(config.warmup_s));
  Sampler churn_sampler(churned);
  Sampler static_sampler(still);
  Churner churner(churned, config, seed);

  const Timestamp start = churned.now();
  const Timestamp end =
      start + FromSeconds(config.generation_s * static_cast<double>(config.generations));
  const Duration replace_every =
      FromSeconds(config.generation_s / static_cast<double>(config.nodes));
  const Duration window = Duration(static_cast<Duration::rep>(
      config.window_rounds * static_cast<double>(churned.round().count())));
  Timestamp next_replace = start + replace_every;
  Timestamp next_window = start + window;
  while (next_window <= end) {
    const Timestamp until = std::min(next_replace, next_window);
    churned.RunUntil(until);
    still.RunUntil(until);
    churner.RemoveDeparted();
    if (until == next_replace) {
      churner.ReplaceNext(result);
      next_replace += replace_every;
    }
    if (until == next_window) {
      result.churn_series.push_back(churn_sampler.Sample());
      result.static_series.push_back(static_sampler.Sample());
      next_window += window;
    }
  }
  result.node_hours =
      static_cast<double>(config.nodes) * InSeconds(churned.now()) / 3600.0;
  return result;
}

namespace {

// The series of every run, averaged window by window (every run has the
// same windows).
std::vector<ChurnWindow> Average(const std::vector<RunResult>& results, bool churned) {
  std::vector<ChurnWindow> mean;
  for (const RunResult& r : results) {
    const std::vector<ChurnWindow>& series = churned ? r.churn_series : r.static_series;
    if (mean.empty()) mean.resize(series.size());
    for (std::size_t i = 0; i < std::min(mean.size(), series.size()); ++i) {
      mean[i].end_s = series[i].end_s;
      mean[i].bytes_per_node_round += series[i].bytes_per_node_round;
      mean[i].peers_per_node += series[i].peers_per_node;
      mean[i].storage_bytes_per_node += series[i].storage_bytes_per_node;
    }
  }
  const double runs = static_cast<double>(std::max<std::size_t>(results.size(), 1));
  for (ChurnWindow& w : mean) {
    w.bytes_per_node_round /= runs;
    w.peers_per_node /= runs;
    w.storage_bytes_per_node /= runs;
  }
  return mean;
}

// The mean of the windows from index `from` on.
ChurnWindow MeanFrom(const std::vector<ChurnWindow>& series, std::size_t from) {
  ChurnWindow mean;
  std::size_t n = 0;
  for (std::size_t i = from; i < series.size(); ++i, ++n) {
    mean.bytes_per_node_round += series[i].bytes_per_node_round;
    mean.peers_per_node += series[i].peers_per_node;
    mean.storage_bytes_per_node += series[i].storage_bytes_per_node;
  }
  if (n > 0) {
    mean.bytes_per_node_round /= static_cast<double>(n);
    mean.peers_per_node /= static_cast<double>(n);
    mean.storage_bytes_per_node /= static_cast<double>(n);
  }
  return mean;
}

std::string Number(double value) {
  std::ostringstream out;
  out.precision(6);
  out << value;
  return out.str();
}

std::string WindowJson(const ChurnWindow& w) {
  return "{\"bytes_per_node_round\":" + Number(w.bytes_per_node_round) +
         ",\"peers_per_node\":" + Number(w.peers_per_node) +
         ",\"storage_bytes_per_node\":" + Number(w.storage_bytes_per_node) + "}";
}

std::string Ratio(double churned, double still) {
  return still > 0 ? Number(churned / still) : "null";
}

}  // namespace

std::string ChurnReportFields(const ScenarioConfig& config,
                              const std::vector<RunResult>& results) {
  const std::vector<ChurnWindow> churned = Average(results, true);
  const std::vector<ChurnWindow> still = Average(results, false);
  const std::size_t steady_from = churned.size() / 2;
  const ChurnWindow c = MeanFrom(churned, steady_from);
  const ChurnWindow s = MeanFrom(still, steady_from);
  const bool within = c.bytes_per_node_round <= 1.3 * s.bytes_per_node_round &&
                      c.peers_per_node <= 1.3 * s.peers_per_node &&
                      c.storage_bytes_per_node <= 1.3 * s.storage_bytes_per_node;
  RunResult totals;
  for (const RunResult& r : results) {
    totals.replaced += r.replaced;
    totals.left += r.left;
    totals.crashed += r.crashed;
    totals.leave_refused += r.leave_refused;
    totals.peer_left_events += r.peer_left_events;
    totals.peer_forgotten_events += r.peer_forgotten_events;
    totals.peer_dead_events += r.peer_dead_events;
  }
  std::ostringstream out;
  out << ",\"generations\":" << config.generations
      << ",\"generation_s\":" << Number(config.generation_s)
      << ",\"window_rounds\":" << Number(config.window_rounds)
      << ",\"keys\":" << config.keys << ",\"value_bytes\":" << config.value_bytes
      << ",\"reaping\":" << (config.no_reap ? "false" : "true")
      << ",\"tombstone_grace_s\":" << Number(config.tombstone_grace_s)
      << ",\"reap_dead_after_s\":" << Number(config.reap_dead_after_s)
      << ",\"reap_left_after_s\":" << Number(config.reap_left_after_s)
      << ",\"remember_forgotten_s\":" << Number(config.remember_forgotten_s)
      << ",\"replaced\":" << totals.replaced << ",\"left\":" << totals.left
      << ",\"crashed\":" << totals.crashed
      << ",\"leave_refused\":" << totals.leave_refused
      << ",\"peer_left_events\":" << totals.peer_left_events
      << ",\"peer_forgotten_events\":" << totals.peer_forgotten_events
      << ",\"peer_dead_events\":" << totals.peer_dead_events
      << ",\"steady_from_s\":" << Number(churned.empty() ? 0 : churned[steady_from].end_s)
      << ",\"steady_churn\":" << WindowJson(c) << ",\"steady_static\":" << WindowJson(s)
      << ",\"ratio\":{\"bytes_per_node_round\":"
      << Ratio(c.bytes_per_node_round, s.bytes_per_node_round)
      << ",\"peers_per_node\":" << Ratio(c.peers_per_node, s.peers_per_node)
      << ",\"storage_bytes_per_node\":"
      << Ratio(c.storage_bytes_per_node, s.storage_bytes_per_node)
      << "},\"within_1_3x\":" << (within ? "true" : "false") << ",\"series\":[";
  for (std::size_t i = 0; i < churned.size() && i < still.size(); ++i) {
    out << (i ? "," : "") << "{\"t_s\":" << Number(churned[i].end_s)
        << ",\"churn\":" << WindowJson(churned[i])
        << ",\"static\":" << WindowJson(still[i]) << "}";
  }
  out << "]";
  return out.str();
}

}  // namespace gossipmonger::sim
