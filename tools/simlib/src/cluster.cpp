#include "gossipmonger/sim/cluster.h"

#include <random>

#include "gossipmonger/wire_size.h"

namespace gossipmonger::sim {

namespace {
constexpr Generation kInitialGeneration{1000};

// splitmix64: derives independent seeds for the engines from one seed.
std::uint64_t NextSeed(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace

// Appended rather than `"n" + std::to_string(node)`: GCC 12 at -O3 reports a
// false -Wrestrict inside that operator+ (GCC bug 105329).
std::string SimCluster::IdOf(std::size_t node) {
  std::string id = "n";
  id += std::to_string(node);
  return id;
}
std::string SimCluster::AddressOf(std::size_t node) {
  return "sim:" + std::to_string(node);
}

SimCluster::SimCluster(ClusterConfig config)
    : config_(std::move(config)),
      faults_(config_.seed, config_.link),
      rng_state_(config_.seed),
      interval_(std::chrono::duration_cast<Duration>(config_.options.gossip_interval)) {
  if (!config_.prejoined) {
    config_.options.seeds.clear();
    for (std::size_t i = 0; i < config_.seed_count && i < config_.nodes; ++i) {
      config_.options.seeds.push_back({IdOf(i), AddressOf(i)});
    }
  }
  nodes_.resize(config_.nodes);
  std::mt19937_64 start_rng(NextSeed(rng_state_));
  for (std::size_t i = 0; i < config_.nodes; ++i) {
    nodes_[i].storage = MakeStorage(i, /*wipe=*/true);
    if (config_.prejoined) {
      for (std::size_t j = 0; j < config_.nodes; ++j) {
        if (j != i)
          nodes_[i].storage->PutPeer({IdOf(j), AddressOf(j), kInitialGeneration, true});
      }
    }
    if (config_.start_window > Duration(0)) {
      nodes_[i].up = false;
      std::uniform_int_distribution<Duration::rep> pick(0,
                                                        config_.start_window.count() - 1);
      queue_.push(
          {Timestamp(Duration(pick(start_rng))), sequence_++, i, 0, nullptr, kStart});
    } else {
      StartEngine(i, kInitialGeneration);
    }
  }
}

std::unique_ptr<Storage> SimCluster::MakeStorage(std::size_t node, bool wipe) {
  if (config_.make_storage) return config_.make_storage(node, wipe);
  return std::make_unique<MemoryStorage>();
}

void SimCluster::StartEngine(std::size_t node, Generation fresh_generation) {
  Node& n = nodes_[node];
  n.engine = std::make_unique<Engine>(PeerEndpoint{IdOf(node), AddressOf(node)},
                                      config_.options, *n.storage, now_, fresh_generation,
                                      NextSeed(rng_state_), config_.max_body_bytes);
  n.up = true;
  ++n.incarnation;
  Duration phase{0};
  if (config_.random_phase) {
    std::uniform_int_distribution<Duration::rep> pick(0, interval_.count() - 1);
    std::mt19937_64 rng(NextSeed(rng_state_));
    phase = Duration(pick(rng));
  }
  ScheduleTick(node, now_ + phase);
  Flush(node);
}

void SimCluster::ScheduleTick(std::size_t node, Timestamp at) {
  queue_.push({at, sequence_++, node, nodes_[node].incarnation, nullptr, 0});
  // Steps between rounds, as the runtime does them.
  for (int k = 1; k < Engine::kStepsPerRound; ++k) {
    queue_.push({at + interval_ * k / Engine::kStepsPerRound, sequence_++, node,
                 nodes_[node].incarnation, nullptr, k});
  }
}

Status SimCluster::Update(std::size_t node, const std::string& key,
                          const std::string& value) {
  Status status = engine(node).Update(key, value);
  Flush(node);
  return status;
}

void SimCluster::Crash(std::size_t node) {
  nodes_[node].up = false;
  ++nodes_[node].incarnation;
}

void SimCluster::Restart(std::size_t node, bool keep_storage,
                         Generation fresh_generation) {
  Node& n = nodes_[node];
  n.engine.reset();
  if (!keep_storage || config_.make_storage) {
    n.storage.reset();  // close before reopening the same files
    n.storage = MakeStorage(node, /*wipe=*/!keep_storage);
  }
  StartEngine(node, fresh_generation);
}

void SimCluster::Stall(std::size_t node, Timestamp until) {
  nodes_[node].stalled_until = until;
}

void SimCluster::Flush(std::size_t node) {
  Node& n = nodes_[node];
  for (OutgoingMessage& out : n.engine->TakeOutbox()) {
    if (config_.on_send) config_.on_send(node, out);
    const std::size_t bytes =
        wire_size::Body(out.message) +
        wire_size::Envelope(config_.cluster_name, out.message.sender, out.message.kind);
    auto copies = faults_.Route(AddressOf(node), out.to.address, bytes);
    if (copies.empty()) continue;
    auto shared = std::make_shared<const Message>(std::move(out.message));
    // Addresses are "sim:<index>"; anything else reaches nobody.
    const std::string& to = out.to.address;
    if (to.rfind("sim:", 0) != 0) continue;
    const std::size_t target = std::stoul(to.substr(4));
    if (target >= nodes_.size()) continue;
    for (Duration delay : copies) {
      queue_.push({now_ + delay, sequence_++, target, 0, shared, 0});
    }
  }
  if (on_event_) {
    for (const Event& event : n.engine->TakeEvents()) on_event_(node, event);
  } else {
    n.engine->TakeEvents();
  }
}

void SimCluster::Run(const Scheduled& item) {
  Node& n = nodes_[item.node];
  if (item.phase == kStart) {
    StartEngine(item.node, kInitialGeneration);
    return;
  }
  if (!n.up) return;
  if (item.message) {
    if (now_ < n.stalled_until) {
      // A stalled loop reads its socket when it wakes up.
      queue_.push({n.stalled_until, sequence_++, item.node, 0, item.message, 0});
      return;
    }
    n.engine->Receive(*item.message, now_);
  } else {
    if (item.incarnation != n.incarnation) return;
    if (item.phase != 0) {
      if (now_ >= n.stalled_until) n.engine->Step(now_);
      Flush(item.node);
      return;
    }
    if (now_ < n.stalled_until) {
      ScheduleTick(item.node, n.stalled_until);
      return;
    }
    n.engine->Tick(now_);
    ScheduleTick(item.node, now_ + interval_);
  }
  Flush(item.node);
}

bool SimCluster::Step(Timestamp until) {
  if (queue_.empty() || queue_.top().at > until) return false;
  Scheduled item = queue_.top();
  queue_.pop();
  now_ = item.at;
  Run(item);
  return true;
}

void SimCluster::RunUntil(Timestamp until) {
  while (Step(until)) {
  }
  if (now_ < until) now_ = until;
}

bool SimCluster::RunUntil(const std::function<bool()>& done, Timestamp deadline) {
  if (done()) return true;
  while (Step(deadline)) {
    if (done()) return true;
  }
  if (now_ < deadline) now_ = deadline;
  return done();
}

}  // namespace gossipmonger::sim
