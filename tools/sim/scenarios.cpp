#include "scenarios.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>

#include "churn.h"
#include "gossipmonger/testing/virtual_cluster.h"
#include "gossipmonger/wire_size.h"

namespace gossipmonger::sim {

using testing::ClusterConfig;
using testing::VirtualCluster;

namespace {

Duration Ms(double ms) { return Duration(static_cast<Duration::rep>(ms * 1000.0)); }
Duration Seconds(double s) { return Ms(s * 1000.0); }
double ToSeconds(Duration d) { return static_cast<double>(d.count()) / 1e6; }

// Counts `peer dead` events about peers that are up.
struct FalseDeadCounter {
  explicit FalseDeadCounter(VirtualCluster& c) : cluster(c) {}
  void operator()(const Event& event) {
    const auto* dead = std::get_if<PeerDeadEvent>(&event);
    if (dead == nullptr) return;
    const std::size_t index = std::stoul(dead->peer.id.substr(1));
    if (cluster.up(index)) {
      ++count;
      if (std::getenv("SIM_TRACE"))
        std::fprintf(stderr, "false dead of %s at %.1fs\n", dead->peer.id.c_str(),
                     static_cast<double>(cluster.now().count()) / 1e6);
    }
  }
  VirtualCluster& cluster;
  std::uint64_t count = 0;
};

RunResult Propagate(const ScenarioConfig& config, std::uint64_t seed) {
  VirtualCluster cluster(MakeClusterConfig(config, seed));
  const Duration interval = Ms(config.interval_ms);
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ULL);
  FalseDeadCounter false_dead(cluster);
  const std::size_t owner =
      std::uniform_int_distribution<std::size_t>(0, config.nodes - 1)(rng);
  const std::string owner_id = VirtualCluster::IdOf(owner);
  std::size_t informed = 0;
  cluster.OnEvent([&](std::size_t, const Event& event) {
    false_dead(event);
    const auto* update = std::get_if<UpdateEvent>(&event);
    if (update != nullptr && update->peer == owner_id && update->key == "probe")
      ++informed;
  });
  // Two rounds so heartbeats flow, then the update at a random moment.
  cluster.RunFor(2 * interval);
  cluster.RunFor(Duration(
      std::uniform_int_distribution<Duration::rep>(0, interval.count() - 1)(rng)));
  const Timestamp start = cluster.now();
  cluster.Update(owner, "probe", "value");
  RunResult result;
  result.finished = cluster.RunUntil([&] { return informed >= config.nodes - 1; },
                                     start + 500 * interval);
  if (result.finished) {
    result.rounds = static_cast<double>((cluster.now() - start).count()) /
                    static_cast<double>(interval.count());
    result.latency_ms = static_cast<double>((cluster.now() - start).count()) / 1000.0;
  }
  result.false_dead = false_dead.count;
  result.node_hours =
      static_cast<double>(config.nodes) * ToSeconds(cluster.now()) / 3600.0;
  return result;
}

RunResult Detect(const ScenarioConfig& config, std::uint64_t seed) {
  VirtualCluster cluster(MakeClusterConfig(config, seed));
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ULL);
  FalseDeadCounter false_dead(cluster);
  const std::size_t victim =
      std::uniform_int_distribution<std::size_t>(0, config.nodes - 1)(rng);
  const std::string victim_id = VirtualCluster::IdOf(victim);
  std::vector<Timestamp> convicted_at(config.nodes, Timestamp::max());
  std::size_t convicted = 0;
  cluster.OnEvent([&](std::size_t node, const Event& event) {
    false_dead(event);
    const auto* dead = std::get_if<PeerDeadEvent>(&event);
    if (dead != nullptr && dead->peer.id == victim_id && !cluster.up(victim) &&
        convicted_at[node] == Timestamp::max()) {
      convicted_at[node] = cluster.now();
      ++convicted;
    }
  });
  cluster.RunFor(Seconds(config.warmup_s));
  cluster.RunFor(Duration(std::uniform_int_distribution<Duration::rep>(
      0, Ms(config.interval_ms).count() - 1)(rng)));
  const Timestamp crash = cluster.now();
  cluster.Crash(victim);
  RunResult result;
  result.finished = cluster.RunUntil([&] { return convicted >= config.nodes - 1; },
                                     crash + Seconds(300));
  Timestamp last = crash;
  for (std::size_t node = 0; node < config.nodes; ++node) {
    if (node == victim || convicted_at[node] == Timestamp::max()) continue;
    result.observer_detect_s.push_back(ToSeconds(convicted_at[node] - crash));
    last = std::max(last, convicted_at[node]);
  }
  if (result.finished) result.detect_s = ToSeconds(last - crash);
  result.false_dead = false_dead.count;
  result.node_hours =
      static_cast<double>(config.nodes) * ToSeconds(cluster.now()) / 3600.0;
  return result;
}

RunResult Steady(const ScenarioConfig& config, std::uint64_t seed) {
  ClusterConfig cluster_config = MakeClusterConfig(config, seed);
  // Counts the bytes of pushes (lost ones too, as FaultModel counts them).
  std::uint64_t push_bytes = 0;
  bool measuring = false;
  cluster_config.on_send = [&](std::size_t, const OutgoingMessage& out) {
    if (!measuring || out.message.kind != MessageKind::kPush) return;
    push_bytes += wire_size::Body(out.message) +
                  wire_size::Envelope(cluster_config.cluster_name, out.message.sender,
                                      out.message.kind);
  };
  VirtualCluster cluster(cluster_config);
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ULL);
  FalseDeadCounter false_dead(cluster);
  cluster.OnEvent([&](std::size_t, const Event& event) { false_dead(event); });
  cluster.RunFor(Seconds(config.warmup_s));
  const std::uint64_t bytes_before = cluster.faults().stats().bytes_sent;
  measuring = true;
  const Timestamp start = cluster.now();
  const Timestamp end = start + Seconds(config.measure_s);
  // Updates at `update_rate` per node per second, in slices of 10 ms.
  const Duration slice = Ms(10);
  const double p_update = config.update_rate * ToSeconds(slice);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  std::uint64_t counter = 0;
  while (cluster.now() < end) {
    if (p_update > 0) {
      for (std::size_t node = 0; node < config.nodes; ++node) {
        if (coin(rng) < p_update) {
          cluster.Update(node, "key" + std::to_string(counter % 16),
                         std::to_string(counter));
          ++counter;
        }
      }
    }
    cluster.RunFor(slice);
  }
  RunResult result;
  const double rounds = ToSeconds(cluster.now() - start) / (config.interval_ms / 1000.0);
  result.bytes_per_node_round =
      static_cast<double>(cluster.faults().stats().bytes_sent - bytes_before) /
      static_cast<double>(config.nodes) / rounds;
  result.push_bytes_per_node_round =
      static_cast<double>(push_bytes) / static_cast<double>(config.nodes) / rounds;
  result.false_dead = false_dead.count;
  result.node_hours =
      static_cast<double>(config.nodes) * ToSeconds(cluster.now()) / 3600.0;
  return result;
}

// Nodes that know only the seeds start within the window; the run ends
// kRoundsAfterJoin rounds after every node knows every other, or
// bootstrap_rounds after the window.
constexpr int kRoundsAfterJoin = 5;
RunResult Bootstrap(const ScenarioConfig& config, std::uint64_t seed) {
  VirtualCluster cluster(MakeClusterConfig(config, seed));
  FalseDeadCounter false_dead(cluster);
  const std::size_t n = config.nodes;
  std::size_t known_pairs = 0;  // (node, peer) pairs admitted; no peer is ever forgotten
  cluster.OnEvent([&](std::size_t, const Event& event) {
    false_dead(event);
    if (std::holds_alternative<NewPeerEvent>(event)) ++known_pairs;
  });
  const Duration interval = Ms(config.interval_ms);
  const Timestamp deadline =
      Timestamp(Seconds(config.start_window_s)) +
      Duration(static_cast<Duration::rep>(config.bootstrap_rounds *
                                          static_cast<double>(interval.count())));
  RunResult result;
  result.one_cluster =
      cluster.RunUntil([&] { return known_pairs >= n * (n - 1); }, deadline);
  if (result.one_cluster) {
    result.rounds = static_cast<double>(cluster.now().count()) /
                    static_cast<double>(interval.count());
  }
  // Nobody forgets a peer, so one cluster stays one: a few more rounds show
  // whether bootstrap left anyone convicted.
  cluster.RunUntil(std::min(deadline, cluster.now() + kRoundsAfterJoin * interval));
  result.all_live = true;
  for (std::size_t node = 0; node < n; ++node) {
    std::size_t live_others = 0;
    cluster.storage(node).ForEachPeer([&](const PeerRecord& peer) {
      live_others += peer.live && peer.id != VirtualCluster::IdOf(node) ? 1 : 0;
    });
    result.all_live = result.all_live && live_others == n - 1;
  }
  result.false_dead = false_dead.count;
  result.node_hours = static_cast<double>(n) * ToSeconds(cluster.now()) / 3600.0;
  return result;
}

}  // namespace

ClusterConfig MakeClusterConfig(const ScenarioConfig& config, std::uint64_t seed) {
  ClusterConfig cluster;
  cluster.nodes = config.nodes;
  cluster.rng_seed = seed;
  cluster.max_body_bytes = config.max_body_bytes;
  cluster.link.loss = config.loss;
  cluster.link.delay_min = Ms(config.delay_min_ms);
  cluster.link.delay_max = Ms(config.delay_max_ms);
  Options& options = cluster.options;
  options.gossip_interval =
      std::chrono::milliseconds(static_cast<std::int64_t>(config.interval_ms));
  options.dead_peer_phi = config.phi;
  options.max_deltas_per_gossip = config.max_deltas;
  options.failure_model =
      config.exponential ? FailureModel::kExponential : FailureModel::kNormal;
  options.max_intervals = config.max_intervals;
  options.min_std_dev =
      std::chrono::milliseconds(static_cast<std::int64_t>(config.min_std_ms));
  options.gossip_fanout = config.gossip_fanout;
  options.push_fanout = config.push_fanout;
  options.push_max_hops = config.push_max_hops;
  options.push_rate_limit = config.push_rate_limit;
  if (config.cold_start || config.scenario == "bootstrap") {
    cluster.prejoined = false;
    cluster.seed_count = config.seeds;
    cluster.start_window = Seconds(config.start_window_s);
  }
  return cluster;
}

RunResult RunScenario(const ScenarioConfig& config, std::uint64_t seed) {
  if (config.scenario == "detect") return Detect(config, seed);
  if (config.scenario == "steady") return Steady(config, seed);
  if (config.scenario == "bootstrap") return Bootstrap(config, seed);
  if (config.scenario == "churn") return Churn(config, seed);
  return Propagate(config, seed);
}

}  // namespace gossipmonger::sim
