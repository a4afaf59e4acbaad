// VirtualCluster: N real engines (the sans-IO Engine of engine.h) gossiping
// in virtual time over a FaultModel network. Nothing sleeps: the cluster
// jumps from one scheduled event (a node's gossip round, a liveness check,
// a message arriving) to the next, so minutes of gossip take milliseconds.
// For a service's own tests, the library's tests and the simulator
// (gossipmonger-sim); part of the testing kit (gossipmonger::testing).
//
//   gossipmonger::testing::ClusterConfig config;
//   config.nodes = 3;
//   gossipmonger::testing::VirtualCluster cluster(config);
//   cluster.Update(0, "color", "blue");
//   cluster.RunRounds(5);
//   assert(cluster.AllSee(0, "color", "blue"));
//
// Deterministic for a given rng_seed: it starts the network's RNG and the
// one that derives every engine's, and events at equal times run in the
// order they were scheduled.
// Node i has the id IdOf(i) ("n<i>") and the address AddressOf(i)
// ("sim:<i>"), which is what the fault model's partitions name.
//
// Nodes can be added while the cluster runs (AddNode: the next index, so a
// new id) and removed for good (Leave, Crash, Remove): churn.
//
// Ownership: the cluster owns every node's Storage and Engine. A reference
// from engine(i) is valid until node i restarts or is removed; one from
// storage(i) too when the restart does not keep the storage or
// config.make_storage is set. References to a node's objects stay valid
// when other nodes are added.
// Threading: none; one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gossipmonger/engine.h"
#include "gossipmonger/events.h"
#include "gossipmonger/options.h"
#include "gossipmonger/status.h"
#include "gossipmonger/storage.h"
#include "gossipmonger/testing/fault_model.h"
#include "gossipmonger/types.h"

namespace gossipmonger::testing {

struct ClusterConfig {
  std::size_t nodes = 5;
  // Starts the random number generators of every engine and of the network.
  std::uint64_t rng_seed = 1;
  // Every node's options; with prejoined false, options.seeds is replaced.
  Options options;
  LinkConditions link;
  // Every node's Engine is given this as the transport's MaxBodyBytes().
  std::size_t max_body_bytes = 64 * 1024;
  // Counted in every message's bytes (FaultModel::stats), as the codec's
  // envelope carries it.
  std::string cluster_name = "gossipmonger";
  // True: every node starts knowing every other (membership converged), so
  // that a run measures spreading, not bootstrap. False: each node knows
  // only the first `seed_count` nodes, as its options.seeds.
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

// What a node's storage holds, counted through the Storage interface (so for
// any backend): peers (its own record included), entries of their data
// (values, tombstones, leave entries) and remembered forgotten peers.
// `bytes` is a logical size, the bytes a compact encoding of that working
// set needs: per peer its id and address and 40 bytes (generation,
// max_version_seen, down_since, collected_through, clean_through), per
// entry its key and value and 17 bytes (version, expires_at, kind), per
// forgotten peer its id and 16 bytes (generation, forgotten_at). It leaves
// out the allocator's and containers' overhead, which depend on the
// backend, so it compares like with like across runs.
struct StorageFootprint {
  std::size_t peers = 0;
  std::size_t entries = 0;
  std::size_t forgotten = 0;
  std::size_t bytes = 0;
};
StorageFootprint MeasureStorage(const Storage& storage);

class VirtualCluster {
 public:
  using EventHandler = std::function<void(std::size_t node, const Event& event)>;

  // Starts every node at virtual time 0 (or within config.start_window).
  // Throws std::invalid_argument, with the Status text of Engine::Create, if
  // config.options are invalid: a test tool, where invalid options are the
  // test's own bug.
  explicit VirtualCluster(ClusterConfig config);
  ~VirtualCluster();
  VirtualCluster(const VirtualCluster&) = delete;
  VirtualCluster& operator=(const VirtualCluster&) = delete;

  std::size_t size() const;
  Timestamp now() const;
  // One gossip round: config.options.gossip_interval.
  Duration round() const;
  static std::string IdOf(std::size_t node);
  static std::string AddressOf(std::size_t node);

  // --- virtual time ---------------------------------------------------
  // Runs every event up to and including `until`.
  void RunUntil(Timestamp until);
  void RunFor(Duration duration) { RunUntil(now() + duration); }
  void RunRounds(std::size_t rounds) {
    RunFor(round() * static_cast<Duration::rep>(rounds));
  }
  // Runs until `done()` holds (checked after every event) or `deadline`;
  // returns whether it held.
  bool RunUntil(const std::function<bool()>& done, Timestamp deadline);

  // --- what nodes do --------------------------------------------------
  // Local update on a node, at the current virtual time.
  Status Update(std::size_t node, std::string_view key, std::string_view value);
  // The lifecycle calls of a node's engine (docs/LIFECYCLE.md), at the
  // current virtual time.
  Status Update(std::size_t node, std::string_view key, std::string_view value,
                Duration ttl);
  Status Delete(std::size_t node, std::string_view key);
  // The node leaves gracefully (Engine::Leave, its push sent at once) and
  // goes down one round later, as the runtime stops a node that left (at
  // the latest one interval after the leave). Nothing changes if the engine
  // refuses (its status is returned).
  Status Leave(std::size_t node);
  // Adds a node with the next index (so an id never used before), an empty
  // storage and generation `generation`, started now at a random phase. It
  // knows only `seeds` (nodes of this cluster, its options.seeds) and joins
  // through them. Returns its index. Not from inside an event handler.
  std::size_t AddNode(const std::vector<std::size_t>& seeds,
                      Generation generation = Generation(1000));
  // Takes a node out for good: down (as Crash) and its engine and storage
  // freed. engine(node) and storage(node) must not be called afterwards.
  void Remove(std::size_t node);
  // The node stops: no rounds, messages to it are lost.
  void Crash(std::size_t node);
  // The node comes back with a new Engine: on its old storage (a persisted
  // restart) or on an empty one; `fresh_generation` is taken only if the
  // storage holds nothing of the node (Engine's constructor).
  void Restart(std::size_t node, bool keep_storage, Generation fresh_generation);
  // Stops a node's rounds without crashing it (a stalled loop) until
  // `until`; messages that reach it meanwhile wait until then.
  void Stall(std::size_t node, Timestamp until);
  // Sees every event of every node (replaces the previous handler).
  void OnEvent(EventHandler handler);

  // --- the network ----------------------------------------------------
  FaultModel& faults();
  // Splits the nodes into groups that reach only their own group (nodes
  // in no group reach each other); replaces any earlier partition.
  void Partition(const std::vector<std::vector<std::size_t>>& groups);
  void Heal();

  // --- what nodes see -------------------------------------------------
  // The value `observer` holds for `owner`'s key, or nullopt (also for a
  // deleted key).
  std::optional<std::string> ValueAt(std::size_t observer, std::size_t owner,
                                     std::string_view key) const;
  // Whether every node that is up holds `value` for `owner`'s key.
  bool AllSee(std::size_t owner, std::string_view key, std::string_view value) const;
  bool up(std::size_t node) const;
  // Whether the node's engine and storage still exist (not Remove'd).
  bool present(std::size_t node) const;
  // What node `node`'s storage holds (MeasureStorage); zero once removed.
  StorageFootprint Footprint(std::size_t node) const;
  Engine& engine(std::size_t node);
  Storage& storage(std::size_t node);
  const Storage& storage(std::size_t node) const;

 private:
  // The nodes and the queue of scheduled events (virtual_cluster.cpp).
  class State;
  std::unique_ptr<State> state_;
};

}  // namespace gossipmonger::testing
