#include "gossipmonger/testing/virtual_cluster.h"

#include <queue>
#include <random>
#include <stdexcept>

#include "gossipmonger/memory_storage.h"
#include "gossipmonger/wire_size.h"

namespace gossipmonger::testing {

namespace {
constexpr Generation kInitialGeneration{1000};

// splitmix64: derives the engines' independent rng_seeds from one.
std::uint64_t NextSeed(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace

// The nodes and a queue of what happens next, in virtual time. Every engine
// is driven only from here: a tick runs its round, a check its liveness
// check, a message its Receive; after each, its outbox goes to the fault
// model and its events to the handler (Flush).
class VirtualCluster::State {
 public:
  struct Node {
    std::unique_ptr<Storage> storage;
    std::unique_ptr<Engine> engine;
    bool up = true;
    std::uint64_t incarnation = 0;  // ticks of an older life are ignored
    Timestamp stalled_until{0};
    // A node added while running has options of its own (its seeds); null:
    // the cluster's.
    std::unique_ptr<Options> own_options;
  };

  explicit State(ClusterConfig config);

  void StartEngine(std::size_t node, Generation fresh_generation);
  // Down: no rounds, messages to it are lost.
  void TakeDown(std::size_t node);
  void ScheduleStop(std::size_t node, Timestamp at);
  std::unique_ptr<Storage> MakeStorage(std::size_t node, bool wipe);
  // Sends what the node's engine wants sent and announces its events.
  void Flush(std::size_t node);
  // Runs the next event if it is due by `until`; false if none is.
  bool Step(Timestamp until);

  ClusterConfig config;
  std::vector<Node> nodes;
  FaultModel faults;
  Timestamp now{0};
  Duration interval;
  EventHandler on_event;

 private:
  struct Scheduled {
    Timestamp at;
    std::uint64_t sequence;
    std::size_t node;
    std::uint64_t incarnation;
    std::shared_ptr<const Message> message;  // null: a tick or a check
    // For a tick: 0 = the round, k > 0 = liveness check k; kStart: the
    // node's first start (ClusterConfig::start_window).
    int phase = 0;
    bool operator>(const Scheduled& other) const {
      return at != other.at ? at > other.at : sequence > other.sequence;
    }
  };
  static constexpr int kStart = -1;
  static constexpr int kStop = -2;  // a node that left goes down

  void Prejoin(std::size_t node);
  void ScheduleTick(std::size_t node, Timestamp at);
  void Push(Timestamp at, std::size_t node, std::uint64_t incarnation,
            std::shared_ptr<const Message> message, int phase);
  void Run(const Scheduled& item);
  void RunTick(const Scheduled& item);

  std::priority_queue<Scheduled, std::vector<Scheduled>, std::greater<>> queue_;
  std::uint64_t sequence_ = 0;
  std::uint64_t rng_state_;
};

VirtualCluster::State::State(ClusterConfig cluster_config)
    : config(std::move(cluster_config)),
      faults(config.rng_seed, config.link),
      interval(std::chrono::duration_cast<Duration>(config.options.gossip_interval)),
      rng_state_(config.rng_seed) {
  if (!config.prejoined) {
    config.options.seeds.clear();
    for (std::size_t i = 0; i < config.seed_count && i < config.nodes; ++i) {
      config.options.seeds.push_back({IdOf(i), AddressOf(i)});
    }
  }
  nodes.resize(config.nodes);
  std::mt19937_64 start_rng(NextSeed(rng_state_));
  for (std::size_t i = 0; i < config.nodes; ++i) {
    nodes[i].storage = MakeStorage(i, /*wipe=*/true);
    if (config.prejoined) Prejoin(i);
    if (config.start_window > Duration(0)) {
      nodes[i].up = false;
      std::uniform_int_distribution<Duration::rep> pick(0,
                                                        config.start_window.count() - 1);
      Push(Timestamp(Duration(pick(start_rng))), i, 0, nullptr, kStart);
    } else {
      StartEngine(i, kInitialGeneration);
    }
  }
}

void VirtualCluster::State::Prejoin(std::size_t node) {
  for (std::size_t j = 0; j < config.nodes; ++j) {
    if (j != node)
      nodes[node].storage->PutPeer({IdOf(j), AddressOf(j), kInitialGeneration, true});
  }
}

std::unique_ptr<Storage> VirtualCluster::State::MakeStorage(std::size_t node, bool wipe) {
  if (config.make_storage) return config.make_storage(node, wipe);
  return std::make_unique<MemoryStorage>();
}

void VirtualCluster::State::StartEngine(std::size_t node, Generation fresh_generation) {
  Node& n = nodes[node];
  const Options& options = n.own_options ? *n.own_options : config.options;
  Status started =
      Engine::Create(PeerEndpoint{IdOf(node), AddressOf(node)}, options, *n.storage,
                     {.now = now,
                      .fresh_generation = fresh_generation,
                      .rng_seed = NextSeed(rng_state_),
                      .max_body_bytes = config.max_body_bytes},
                     &n.engine);
  // A test tool: invalid options are the test's own bug (virtual_cluster.h).
  if (!started.ok()) throw std::invalid_argument(started.ToString());
  n.up = true;
  ++n.incarnation;
  Duration phase{0};
  if (config.random_phase) {
    std::uniform_int_distribution<Duration::rep> pick(0, interval.count() - 1);
    std::mt19937_64 rng(NextSeed(rng_state_));
    phase = Duration(pick(rng));
  }
  ScheduleTick(node, now + phase);
  Flush(node);
}

void VirtualCluster::State::Push(Timestamp at, std::size_t node,
                                 std::uint64_t incarnation,
                                 std::shared_ptr<const Message> message, int phase) {
  queue_.push({at, sequence_++, node, incarnation, std::move(message), phase});
}

void VirtualCluster::State::ScheduleTick(std::size_t node, Timestamp at) {
  Push(at, node, nodes[node].incarnation, nullptr, 0);
  // Liveness checks between rounds, as the runtime does them.
  for (int k = 1; k < Engine::kStepsPerRound; ++k) {
    Push(at + interval * k / Engine::kStepsPerRound, node, nodes[node].incarnation,
         nullptr, k);
  }
}

void VirtualCluster::State::Flush(std::size_t node) {
  Node& n = nodes[node];
  for (OutgoingMessage& out : n.engine->TakeOutbox()) {
    if (config.on_send) config.on_send(node, out);
    const std::size_t bytes =
        wire_size::Body(out.message) +
        wire_size::Envelope(config.cluster_name, out.message.sender, out.message.kind);
    auto copies = faults.Route(AddressOf(node), out.to.address, bytes);
    if (copies.empty()) continue;
    auto shared = std::make_shared<const Message>(std::move(out.message));
    // Addresses are "sim:<index>"; anything else reaches nobody.
    const std::string& to = out.to.address;
    if (to.rfind("sim:", 0) != 0) continue;
    const std::size_t target = std::stoul(to.substr(4));
    if (target >= nodes.size()) continue;
    for (Duration delay : copies) Push(now + delay, target, 0, shared, 0);
  }
  if (on_event) {
    for (const Event& event : n.engine->TakeEvents()) on_event(node, event);
  } else {
    n.engine->TakeEvents();
  }
}

void VirtualCluster::State::TakeDown(std::size_t node) {
  nodes[node].up = false;
  ++nodes[node].incarnation;
}

void VirtualCluster::State::ScheduleStop(std::size_t node, Timestamp at) {
  Push(at, node, nodes[node].incarnation, nullptr, kStop);
}

void VirtualCluster::State::Run(const Scheduled& item) {
  Node& n = nodes[item.node];
  if (item.phase == kStart) {
    StartEngine(item.node, kInitialGeneration);
    return;
  }
  if (item.phase == kStop) {
    if (item.incarnation == n.incarnation) TakeDown(item.node);
    return;
  }
  if (!n.up) return;
  if (!item.message) {
    RunTick(item);
    return;
  }
  if (now < n.stalled_until) {
    // A stalled loop reads its socket when it wakes up.
    Push(n.stalled_until, item.node, 0, item.message, 0);
    return;
  }
  n.engine->Receive(*item.message, now);
  Flush(item.node);
}

void VirtualCluster::State::RunTick(const Scheduled& item) {
  Node& n = nodes[item.node];
  if (item.incarnation != n.incarnation) return;
  if (item.phase != 0) {
    if (now >= n.stalled_until) n.engine->Step(now);
  } else if (now < n.stalled_until) {
    ScheduleTick(item.node, n.stalled_until);
    return;
  } else {
    n.engine->Tick(now);
    ScheduleTick(item.node, now + interval);
  }
  Flush(item.node);
}

bool VirtualCluster::State::Step(Timestamp until) {
  if (queue_.empty() || queue_.top().at > until) return false;
  Scheduled item = queue_.top();
  queue_.pop();
  now = item.at;
  Run(item);
  return true;
}

// --- VirtualCluster ----------------------------------------------------

VirtualCluster::VirtualCluster(ClusterConfig config)
    : state_(std::make_unique<State>(std::move(config))) {}

VirtualCluster::~VirtualCluster() = default;

// Appended rather than `"n" + std::to_string(node)`: GCC 12 at -O3 reports a
// false -Wrestrict inside that operator+ (GCC bug 105329).
std::string VirtualCluster::IdOf(std::size_t node) {
  std::string id = "n";
  id += std::to_string(node);
  return id;
}
std::string VirtualCluster::AddressOf(std::size_t node) {
  return "sim:" + std::to_string(node);
}

std::size_t VirtualCluster::size() const { return state_->nodes.size(); }
Timestamp VirtualCluster::now() const { return state_->now; }
Duration VirtualCluster::round() const { return state_->interval; }

void VirtualCluster::RunUntil(Timestamp until) {
  while (state_->Step(until)) {
  }
  if (state_->now < until) state_->now = until;
}

bool VirtualCluster::RunUntil(const std::function<bool()>& done, Timestamp deadline) {
  if (done()) return true;
  while (state_->Step(deadline)) {
    if (done()) return true;
  }
  if (state_->now < deadline) state_->now = deadline;
  return done();
}

Status VirtualCluster::Update(std::size_t node, std::string_view key,
                              std::string_view value) {
  Status status = engine(node).Update(key, value);
  state_->Flush(node);
  return status;
}

Status VirtualCluster::Update(std::size_t node, std::string_view key,
                              std::string_view value, Duration ttl) {
  Status status = engine(node).Update(key, value, ttl);
  state_->Flush(node);
  return status;
}

Status VirtualCluster::Delete(std::size_t node, std::string_view key) {
  Status status = engine(node).Delete(key);
  state_->Flush(node);
  return status;
}

Status VirtualCluster::Leave(std::size_t node) {
  Status status = engine(node).Leave();
  state_->Flush(node);
  if (status.ok()) state_->ScheduleStop(node, now() + round());
  return status;
}

std::size_t VirtualCluster::AddNode(const std::vector<std::size_t>& seeds,
                                    Generation generation) {
  const std::size_t node = state_->nodes.size();
  auto options = std::make_unique<Options>(state_->config.options);
  options->seeds.clear();
  for (std::size_t seed : seeds) options->seeds.push_back({IdOf(seed), AddressOf(seed)});
  state_->nodes.emplace_back();
  state_->nodes[node].own_options = std::move(options);
  state_->nodes[node].storage = state_->MakeStorage(node, /*wipe=*/true);
  state_->StartEngine(node, generation);
  return node;
}

void VirtualCluster::Remove(std::size_t node) {
  state_->TakeDown(node);
  state_->nodes[node].engine.reset();
  state_->nodes[node].storage.reset();
}

void VirtualCluster::Crash(std::size_t node) { state_->TakeDown(node); }

void VirtualCluster::Restart(std::size_t node, bool keep_storage,
                             Generation fresh_generation) {
  State::Node& n = state_->nodes[node];
  n.engine.reset();
  if (!keep_storage || state_->config.make_storage) {
    n.storage.reset();  // close before reopening the same files
    n.storage = state_->MakeStorage(node, /*wipe=*/!keep_storage);
  }
  state_->StartEngine(node, fresh_generation);
}

void VirtualCluster::Stall(std::size_t node, Timestamp until) {
  state_->nodes[node].stalled_until = until;
}

void VirtualCluster::OnEvent(EventHandler handler) {
  state_->on_event = std::move(handler);
}

FaultModel& VirtualCluster::faults() { return state_->faults; }

void VirtualCluster::Partition(const std::vector<std::vector<std::size_t>>& groups) {
  std::vector<std::vector<std::string>> addresses;
  for (const auto& group : groups) {
    addresses.emplace_back();
    for (std::size_t node : group) addresses.back().push_back(AddressOf(node));
  }
  state_->faults.Partition(addresses);
}

void VirtualCluster::Heal() { state_->faults.Heal(); }

std::optional<std::string> VirtualCluster::ValueAt(std::size_t observer,
                                                   std::size_t owner,
                                                   std::string_view key) const {
  const PeerRecord* peer = storage(observer).Get(IdOf(owner));
  if (peer == nullptr) return std::nullopt;
  auto it = peer->data.find(std::string(key));
  // A deleted key (tombstone) or the leave entry is no value (as Get).
  if (it == peer->data.end() || it->second.kind != EntryKind::kValue) return std::nullopt;
  return it->second.value;
}

bool VirtualCluster::AllSee(std::size_t owner, std::string_view key,
                            std::string_view value) const {
  for (std::size_t node = 0; node < size(); ++node) {
    if (up(node) && ValueAt(node, owner, key) != value) return false;
  }
  return true;
}

bool VirtualCluster::up(std::size_t node) const { return state_->nodes[node].up; }
bool VirtualCluster::present(std::size_t node) const {
  return state_->nodes[node].storage != nullptr;
}

StorageFootprint VirtualCluster::Footprint(std::size_t node) const {
  if (!present(node)) return {};
  return MeasureStorage(storage(node));
}

StorageFootprint MeasureStorage(const Storage& storage) {
  StorageFootprint footprint;
  storage.ForEachPeer([&](const PeerRecord& peer) {
    ++footprint.peers;
    footprint.bytes += peer.id.size() + peer.address.size() + 40;
    for (const auto& [key, entry] : peer.data) {
      ++footprint.entries;
      footprint.bytes += key.size() + entry.value.size() + 17;
    }
  });
  storage.ForEachForgotten([&](const ForgottenPeer& forgotten) {
    ++footprint.forgotten;
    footprint.bytes += forgotten.id.size() + 16;
  });
  return footprint;
}
Engine& VirtualCluster::engine(std::size_t node) { return *state_->nodes[node].engine; }
Storage& VirtualCluster::storage(std::size_t node) {
  return *state_->nodes[node].storage;
}
const Storage& VirtualCluster::storage(std::size_t node) const {
  return *state_->nodes[node].storage;
}

}  // namespace gossipmonger::testing
