// Engine: the Scuttlebutt protocol without I/O. It holds no socket, thread
// or clock: time comes in as an argument, messages to send and events to
// announce come out as values (TakeOutbox, TakeEvents). The runtime
// (Gossipmonger) drives it from an asio::io_context; the simulator drives
// thousands of them in virtual time; a service's tests can drive a few by
// hand, deterministically (README, "Deterministic tests with the Engine").
//
// Inside, it dispatches to one type per concept (core/src, not installed;
// docs/DESIGN-NOTES.md, "Layers"): the peer view (the storage's only
// writer), liveness, anti-entropy and its gossip targets, pushes, and
// validation.
//
// Ownership: the engine references its Storage, which must outlive it and
// which nothing else may write while the engine lives. The storage holds
// every PeerRecord; the engine keeps only each peer's heartbeat and failure
// detector beside it.
//
// Threading: not thread-safe; one thread (executor) at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "gossipmonger/events.h"
#include "gossipmonger/message.h"
#include "gossipmonger/options.h"
#include "gossipmonger/status.h"
#include "gossipmonger/storage.h"

namespace gossipmonger {

// A message the engine wants sent.
struct OutgoingMessage {
  PeerEndpoint to;
  Message message;
};

// Counters, for tests, the simulator and operators.
struct EngineStats {
  std::uint64_t rounds = 0;
  std::uint64_t messages_received = 0;
  std::uint64_t messages_dropped = 0;  // malformed or over a limit
  std::uint64_t deltas_applied = 0;
  std::uint64_t deltas_ignored = 0;  // already known or of a stale lineage
  std::uint64_t local_pauses = 0;
  std::uint64_t lineage_restarts = 0;  // this node had to take a new generation
  std::uint64_t retries = 0;           // extra digests sent because a round got no reply
  // Pushes (docs/DESIGN-NOTES.md, "Push and fanout").
  std::uint64_t pushes_started = 0;      // batches this node originated
  std::uint64_t push_messages_sent = 0;  // kPush messages, forwards included
  std::uint64_t pushes_received = 0;     // kPush messages received
  std::uint64_t pushes_forwarded = 0;    // received pushes passed on
  std::uint64_t push_waits = 0;          // a push waited for a token
  std::uint64_t deltas_held = 0;         // pushed deltas kept until their prefix came
  std::uint64_t held_dropped = 0;        // held deltas dropped: buffer full
  std::uint64_t push_resends = 0;        // pushes sent again: no ack came
  // Lifecycle (docs/LIFECYCLE.md).
  std::uint64_t tombstones_collected = 0;  // tombstones removed after their grace
  std::uint64_t resets_sent = 0;           // reset groups (first pages) sent
  std::uint64_t resets_applied = 0;        // resets that replaced a holding here
};

class Engine {
 public:
  // The in-process transport's budget (MemoryTransport::kDefaultMaxBodyBytes).
  static constexpr std::size_t kDefaultMaxBodyBytes = 64 * 1024;

  // How an engine starts, beyond its id, options and storage. Every field
  // has the default a test wants: the clock starting at 0, generation 1,
  // RNG seed 0, the in-process transport's budget, virtual wall time.
  struct Startup {
    // The engine's start on the caller's clock.
    Timestamp now = Timestamp(0);
    // The generation to take if the storage holds nothing of `self` (the
    // runtime passes the wall clock in seconds); with persisted state the
    // stored generation and version counter are resumed.
    Generation fresh_generation = Generation(1);
    // Makes every random choice reproducible.
    std::uint64_t rng_seed = 0;
    // The transport's MaxBodyBytes().
    std::size_t max_body_bytes = kDefaultMaxBodyBytes;
    // The wall clock (WallTime) minus the caller's clock at start; 0 makes
    // the caller's clock the wall clock (virtual time in tests and the
    // simulator).
    Duration wall_offset = Duration(0);
  };

  // Starts an engine for `self` (this node's id and address) on `storage`,
  // into *out. Like Gossipmonger::Create it never throws: invalid options,
  // an invalid budget (kInvalidArgument, ValidateOptions' text) or an
  // empty or oversized local id or address (kInvalidArgument) are
  // refused, *out is null and nothing is written. Resuming from the
  // storage may write; a failure of those writes is not refused here but
  // queued as an ErrorEvent (TakeEvents), as every storage failure is.
  static Status Create(PeerEndpoint self, Options options, Storage& storage,
                       const Startup& startup, std::unique_ptr<Engine>* out);
  // For tests: Create with a default Startup (pass {} for default options).
  static Status Create(PeerEndpoint self, Storage& storage, Options options,
                       std::unique_ptr<Engine>* out);
  ~Engine();

  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // --- time: call Tick once per gossip_interval, and Step kStepsPerRound - 1
  // times between two Ticks, evenly spaced (the runtime and the simulator do).
  // One gossip round (the original's gossip() steps): raise the heartbeat, send
  // a digest to a random live peer, maybe to a dead one, to a seed when
  // fewer than MINIMUM_LIVE_PEERS are live (and, beyond the original, to every
  // seed in the first round and to a seed now and then afterwards, so that
  // groups that formed apart merge), then do what Step does.
  void Tick(Timestamp now);
  // What falls due between rounds: convicts live peers whose phi exceeds
  // DEAD_PEER_PHI (done a few times per round, every observer convicts
  // within a fraction of a round of the others), resends pushes not
  // acknowledged in time, sends pushes that waited for a token, and, with
  // gossip_fanout > 1, starts the round's next digest exchange (a round's
  // exchanges are spread over the round, so that each one sees what the
  // previous ones brought; exchanges started together would each deliver
  // the same missing deltas).
  void Step(Timestamp now);
  static constexpr int kStepsPerRound = 4;  // Tick included

  // A message from the transport. Malformed input is dropped, counted and
  // reported as an ErrorEvent; it never throws.
  void Receive(const Message& message, Timestamp now);

  // The original's update(key, value): sets a local key. A changed value takes
  // the next version; an unchanged one takes none. It clears a TTL deadline
  // (as Update with a ttl of 0). With push_fanout > 0 the
  // new delta is pushed at once (a kPush in the outbox) if a push token is
  // left, else coalesced with later ones into the next push. Refused (and nothing
  // changes) if the key or value breaks a limit or could never fit a message
  // of this transport. A storage failure is returned (and announced) but the
  // value stays set in memory.
  Status Update(std::string_view key, std::string_view value);

  // Update with a time to live: the key is deleted (a tombstone, like Delete)
  // once `ttl` has passed on the wall clock; the deadline is persisted and
  // holds across this node's restarts. A TTL of 0 clears a deadline. A
  // changed deadline takes a new version even for an unchanged value.
  Status Update(std::string_view key, std::string_view value, Duration ttl);
  // Deletes a local key: a tombstone takes the next version and travels like
  // an update (pushed at once with push_fanout > 0); reads skip it.
  // Deleting an absent or deleted key changes nothing (ok).
  Status Delete(std::string_view key);
  // Leaves the cluster gracefully: the leave takes the next version and is
  // pushed at once (with push_fanout 0: sent in one last digest exchange
  // with up to gossip_fanout live peers); every peer raises `peer left`
  // (not `peer dead`) and forgets this node after reap_left_after. The
  // engine then sends no digest (it still answers them) and Tick and Step
  // only see the push through; the caller stops it once the push is out
  // (LeaveDone). A second call changes nothing (ok). Restarted from its
  // storage, a node that left rejoins in the same lineage: its first
  // version retracts the leave (docs/LIFECYCLE.md, "Leave").
  Status Leave();
  // Whether a node that called Leave may be stopped: its leave went out in
  // a push, and every push that awaited an acknowledgement got one (or was
  // resent once in vain). False before Leave, and always with push_fanout
  // 0: the leave then spreads only in the answers to the peers' digests, so
  // the caller waits a gossip interval (the runtime does).
  bool LeaveDone() const;

  // Checks Update's argument limits without an engine (for callers on
  // another thread).
  static Status ValidateUpdate(const PeerEndpoint& self, std::string_view key,
                               std::string_view value, const Options& options,
                               std::size_t max_body_bytes);
  // Checks the options and the transport's budget; Create refuses them
  // with this status when they are invalid.
  static Status ValidateOptions(const Options& options, std::size_t max_body_bytes);

  std::vector<OutgoingMessage> TakeOutbox();
  std::vector<Event> TakeEvents();

  // --- inspection -----------------------------------------------------
  const PeerEndpoint& self() const;
  Generation generation() const;
  Heartbeat heartbeat() const;
  Version version() const;
  const Options& options() const;
  const EngineStats& stats() const;
  // The digest this node would send now (its own entry first).
  std::vector<DigestEntry> FullDigest() const;
  // Phi of a known peer at `now`, or nullopt for an unknown one or self.
  std::optional<double> Phi(std::string_view peer_id, Timestamp now) const;
  std::optional<Heartbeat> KnownHeartbeat(std::string_view peer_id) const;
  // How old our freshest news of a peer is (see failure_detector.h).
  std::optional<Duration> HeartbeatAge(std::string_view peer_id, Timestamp now) const;

 private:
  // Gossipmonger builds its engine in place, after Gossipmonger::Create
  // refused what Create refuses (the same check, core/src/validation.h).
  friend class Gossipmonger;
  // Requires what Create checks; only Create and Gossipmonger call it.
  Engine(PeerEndpoint self, Options options, Storage& storage, const Startup& startup);

  // The concepts (core/src/engine.cpp); behind a pointer so that this header
  // names only public types.
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace gossipmonger
