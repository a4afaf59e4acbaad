// SimCluster: N real engines in virtual time over a FaultModel network.
// Deterministic for a given seed: one RNG seeds every engine and the
// network, and events at equal times run in the order they were scheduled.
// Used by the simulator (gossipmonger-sim) and by the tests.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "gossipmonger/engine.h"
#include "gossipmonger/fault_model.h"
#include "gossipmonger/memory_storage.h"

namespace gossipmonger::sim {

struct ClusterConfig {
  std::size_t nodes = 5;
  std::uint64_t seed = 1;
  Options options;
  LinkConditions link;
  std::size_t max_body_bytes = 64 * 1024;
  // Counted in every message's bytes, as the codec's envelope carries it.
  std::string cluster_name = "gossipmonger";
  // True: every node starts knowing every other (membership converged), so
  // that a run measures spreading, not bootstrap. False: each node knows
  // only the seeds (options.seeds are set to the first `seed_count` nodes).
  bool prejoined = true;
  std::size_t seed_count = 1;
  // Rounds start at a random phase in [0, interval) per node.
  bool random_phase = true;
  // Zero: every node starts at time 0. Otherwise each node starts at a
  // random instant in [0, start_window), so in random order, as processes
  // started all at once by a script or an orchestrator do; until then it is
  // down (messages to it are lost, as to a port nobody listens on yet).
  Duration start_window{0};
  // Makes a node's storage. `wipe`: start empty (a first start, or a restart
  // that lost its state); otherwise reopen what the node persisted. Unset:
  // MemoryStorage, whose object survives a Restart that keeps storage.
  std::function<std::unique_ptr<Storage>(std::size_t node, bool wipe)> make_storage;
  // Optional: sees every message a node sends, before the network routes it
  // (so lost messages are seen too). For tests that count bytes per message.
  std::function<void(std::size_t from, const OutgoingMessage& message)> on_send;
};

class SimCluster {
 public:
  using EventHandler = std::function<void(std::size_t node, const Event& event)>;

  explicit SimCluster(ClusterConfig config);

  std::size_t size() const { return nodes_.size(); }
  Timestamp now() const { return now_; }
  static std::string IdOf(std::size_t node);
  static std::string AddressOf(std::size_t node);

  // Runs every event up to and including `until`.
  void RunUntil(Timestamp until);
  void RunFor(Duration duration) { RunUntil(now_ + duration); }
  // Runs until `done()` holds (checked after every event) or `deadline`;
  // returns whether it held.
  bool RunUntil(const std::function<bool()>& done, Timestamp deadline);

  Engine& engine(std::size_t node) { return *nodes_[node].engine; }
  Storage& storage(std::size_t node) { return *nodes_[node].storage; }
  bool up(std::size_t node) const { return nodes_[node].up; }
  FaultModel& faults() { return faults_; }

  // Local update on a node, at the current virtual time.
  Status Update(std::size_t node, const std::string& key, const std::string& value);
  // The node stops: no ticks, messages to it are lost.
  void Crash(std::size_t node);
  // The node comes back: on its old storage (a persisted restart) or on an
  // empty one (with `fresh_generation`).
  void Restart(std::size_t node, bool keep_storage, Generation fresh_generation);
  // Stops a node's rounds without crashing it (a stalled loop) until `until`.
  void Stall(std::size_t node, Timestamp until);

  void OnEvent(EventHandler handler) { on_event_ = std::move(handler); }

 private:
  struct Node {
    std::unique_ptr<Storage> storage;
    std::unique_ptr<Engine> engine;
    bool up = true;
    std::uint64_t incarnation = 0;  // ticks of an older life are ignored
    Timestamp stalled_until{0};
  };
  struct Scheduled {
    Timestamp at;
    std::uint64_t sequence;
    std::size_t node;
    std::uint64_t incarnation;
    std::shared_ptr<const Message> message;  // null: a tick or a check
    // For a tick: 0 = the round, k > 0 = Step k; kStart: the
    // node's first start (ClusterConfig::start_window).
    int phase = 0;
    bool operator>(const Scheduled& other) const {
      return at != other.at ? at > other.at : sequence > other.sequence;
    }
  };

  static constexpr int kStart = -1;
  void StartEngine(std::size_t node, Generation fresh_generation);
  std::unique_ptr<Storage> MakeStorage(std::size_t node, bool wipe);
  void ScheduleTick(std::size_t node, Timestamp at);
  void Run(const Scheduled& item);
  void Flush(std::size_t node);
  bool Step(Timestamp until);

  ClusterConfig config_;
  std::vector<Node> nodes_;
  FaultModel faults_;
  std::priority_queue<Scheduled, std::vector<Scheduled>, std::greater<>> queue_;
  std::uint64_t sequence_ = 0;
  std::uint64_t rng_state_;
  Timestamp now_{0};
  Duration interval_;
  EventHandler on_event_;
};

}  // namespace gossipmonger::sim
