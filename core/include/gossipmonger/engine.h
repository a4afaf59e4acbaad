// Engine: the Scuttlebutt protocol without I/O. It holds no socket, thread
// or clock: time comes in as an argument, messages to send and events to
// announce come out as values (TakeOutbox, TakeEvents). The runtime
// (Gossipmonger) drives it from an asio::io_context; the simulator drives
// thousands of them in virtual time.
//
// Ownership: the engine references its Storage, which must outlive it. The
// storage holds every PeerRecord; the engine keeps only each peer's
// heartbeat and failure detector.
//
// Threading: not thread-safe; one thread (executor) at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gossipmonger/events.h"
#include "gossipmonger/failure_detector.h"
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
};

class Engine {
 public:
  // `self`: this node's id and address. `fresh_generation`: the generation to
  // take if `storage` holds nothing of `self` (the runtime passes the wall
  // clock in seconds); with persisted state the stored generation and
  // version counter are resumed. `rng_seed` makes every random choice
  // reproducible. `max_body_bytes`: the transport's MaxBodyBytes().
  Engine(PeerEndpoint self, Options options, Storage& storage, Timestamp now,
         Generation fresh_generation, std::uint64_t rng_seed, std::size_t max_body_bytes);

  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // One gossip round (the seed's gossip() steps): raise the heartbeat, send
  // a digest to a random live peer, maybe to a dead one, to a seed when
  // fewer than MINIMUM_LIVE_PEERS are live (and, beyond the seed, to every
  // seed in the first round and to a seed now and then afterwards, so that
  // groups that formed apart merge), then convict peers whose phi exceeds
  // DEAD_PEER_PHI.
  void Tick(Timestamp now);

  // Convicts live peers whose phi exceeds DEAD_PEER_PHI (Tick does it too).
  // Calling it a few times per round (kLivenessChecksPerRound) makes every
  // observer convict within a fraction of a round of the others. With
  // gossip_fanout > 1 each call also starts the round's next digest
  // exchange: a round's exchanges are spread over the round, so that each
  // one sees what the previous ones brought (exchanges started together
  // would each deliver the same missing deltas).
  void CheckLiveness(Timestamp now);
  static constexpr int kLivenessChecksPerRound = 4;
  // In its first rounds a node learns old news (it is starting, or
  // restarting after being down): deltas anti-entropy brings it then are
  // not relayed to its ring neighbours, who hold them already.
  static constexpr std::uint64_t kCatchUpRounds = 5;
  // Bounds of the buffer of pushed deltas that do not continue the prefix
  // we hold yet (kept until anti-entropy or another push fills the gap).
  static constexpr std::size_t kMaxHeldGroupsPerPeer = 8;
  static constexpr std::size_t kMaxHeldDeltas = 4096;
  // A push with deltas and a part of the tree to forward to
  // (PushRoute::forwards) is acknowledged at once by an empty kPush; one not
  // acknowledged after this long is sent again, once, at the next step
  // (Tick or CheckLiveness). At most kMaxUnacked pushes are remembered.
  // Pushes to leaves are neither acknowledged nor resent.
  static constexpr Duration kPushAckWait = std::chrono::milliseconds(20);
  static constexpr std::size_t kMaxUnacked = 4096;

  // A message from the transport. Malformed input is dropped, counted and
  // reported as an ErrorEvent; it never throws.
  void Receive(const Message& message, Timestamp now);

  // The seed's update(key, value): sets a local key. A changed value takes
  // the next version; an unchanged one takes none. With push_fanout > 0 the
  // new delta is pushed at once (a kPush in the outbox) if a push token is
  // left, else coalesced with later ones into the next push. Refused (and nothing
  // changes) if the key or value breaks a limit or could never fit a message
  // of this transport. A storage failure is returned (and announced) but the
  // value stays set in memory.
  Status Update(std::string_view key, std::string_view value);

  // Checks Update's argument limits without an engine (for callers on
  // another thread).
  static Status ValidateUpdate(const PeerEndpoint& self, std::string_view key,
                               std::string_view value, const Options& options,
                               std::size_t max_body_bytes);
  // Checks the options and the transport's budget; the constructor throws
  // std::invalid_argument with this text when they are invalid.
  static Status ValidateOptions(const Options& options, std::size_t max_body_bytes);

  std::vector<OutgoingMessage> TakeOutbox();
  std::vector<Event> TakeEvents();

  // --- inspection -----------------------------------------------------
  const PeerEndpoint& self() const { return self_; }
  Generation generation() const { return generation_; }
  Heartbeat heartbeat() const { return heartbeat_; }
  Version version() const { return version_; }
  const Options& options() const { return options_; }
  const EngineStats& stats() const { return stats_; }
  // The digest this node would send now (its own entry first).
  std::vector<DigestEntry> FullDigest() const;
  // Phi of a known peer at `now`, or nullopt for an unknown one or self.
  std::optional<double> Phi(std::string_view peer_id, Timestamp now) const;
  std::optional<Heartbeat> KnownHeartbeat(std::string_view peer_id) const;
  // How old our freshest news of a peer is (see failure_detector.h).
  std::optional<Duration> HeartbeatAge(std::string_view peer_id, Timestamp now) const;

 private:
  // What the engine keeps of a peer beside its PeerRecord.
  struct Liveness {
    Heartbeat heartbeat;
    PhiAccrualDetector detector;
    // Mirror of the PeerRecord's generation, max_version_seen and live,
    // refreshed by Mirror() after every write to the peer (the engine is the
    // storage's only writer), so that digests, rounds and liveness checks
    // need not look the storage up.
    Generation generation;
    Version max_version_seen;
    bool live = true;
    // The number of the last digest that listed this peer (ReplyToDigest).
    std::uint64_t listed_in = 0;
  };
  struct IdHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const {
      return std::hash<std::string_view>{}(s);
    }
  };
  // A peer the receiver of a message lacks deltas of.
  struct DeltaNeed {
    const PeerRecord* peer;
    Version from_version_excluded;
    bool send_address;
  };

  void StartFromStorage(Timestamp now, Generation fresh_generation);
  // Restarts (engine.cpp, "restarts"): at a first step long after our
  // construction, the detectors of peers not heard of since start counting;
  // a peer that restarted on its persisted state is live as soon as it
  // speaks.
  void StartDetectors(Timestamp now);
  void NoticePeerRestart(const PeerId& id, Liveness& liveness, Timestamp now);
  Status ValidateMessage(const Message& message) const;
  // Returns, for each digest entry, the liveness of the peer it names after
  // absorbing it (nullptr for ourselves and for peers we do not know).
  std::vector<Liveness*> AbsorbDigest(const Message& message, Timestamp now);
  void AbsorbOwnEntry(const DigestEntry& entry);
  // Returns the peer's liveness after absorbing, or nullptr if it is unknown.
  Liveness* AbsorbPeerEntry(const DigestEntry& entry, const PeerEndpoint& sender,
                            Timestamp now);
  void ApplyDeltas(const Message& message, Timestamp now);
  void ApplyPeerDeltas(const PeerDeltas& group, Timestamp now);
  void ReplyToDigest(const Message& digest, const std::vector<Liveness*>& listed);

  // --- pushes (engine_push.cpp) ---
  void ReceivePush(const Message& push, Timestamp now);
  // Applies or holds one pushed group; returns the part that was new to us
  // (what we forward), or nullopt.
  std::optional<PeerDeltas> ApplyPushGroup(const PeerDeltas& group, Timestamp now);
  // Keeps a group that does not continue our prefix yet; false if we held
  // it already.
  bool Hold(PeerDeltas group);
  // Applies held groups of `id` that now continue the prefix; drops those
  // the prefix has passed.
  void ReleaseHeld(const PeerId& id, Timestamp now);
  void DropHeld(std::vector<PeerDeltas>& held, std::size_t index);
  // Remembers that anti-entropy brought deltas of `id` above `before`.
  void NoteLearned(const PeerId& id, Generation generation_before, Version before);
  void RefillPushTokens(Timestamp now);
  // Sends what is pending, while tokens last.
  void FlushPushes();
  // A group of `peer`'s deltas above `from`, ascending, within
  // MAX_DELTAS_PER_GOSSIP and `*budget` bytes (which it lowers).
  PeerDeltas PushGroupOf(const PeerRecord& peer, Version from, std::size_t* budget) const;
  // Splits the live peers on the arc (after, until] (the whole ring when
  // after == until), without `exclude`, into push_fanout parts and sends
  // `groups` to a random member of each, responsible for its part.
  void PushDown(const std::vector<PeerDeltas>& groups, const PeerId& after,
                const PeerId& until, std::size_t hops_left, std::string_view exclude);
  // Sends again, once, the pushes still unacknowledged after kPushAckWait.
  void ResendUnacked(Timestamp now);
  // Pushes deltas anti-entropy brought us to our neighbours on the ring.
  void PushToNeighbours(const std::vector<PeerDeltas>& groups);
  void SendPush(const PeerEndpoint& to, const std::vector<PeerDeltas>& groups,
                PushRoute route);
  // Live peers but ourselves, sorted by id (the push ring); cached.
  const std::vector<const PeerId*>& LiveRing();
  void AcknowledgeReply(const Message& reply);

  // Fills `out.deltas` from `needs` within MAX_DELTAS_PER_GOSSIP and the byte
  // budget; `out.digest` must already be final.
  void FillDeltas(std::vector<DeltaNeed> needs, Message& out);
  std::vector<DigestEntry> DigestForSyn(bool* partial);
  void SendDigest(const PeerEndpoint& to);
  void ChooseGossipTargets();
  // The seed exchange of a round (see GossipToSeeds in engine.cpp): `live`
  // and `known` count peers but ourselves; `partners` are the round's.
  void GossipToSeeds(std::size_t live, std::size_t known,
                     const std::vector<const PeerId*>& partners);
  // options.seeds without ourselves (by id or by address).
  std::vector<PeerEndpoint> OtherSeeds() const;
  // Sends the digest of the next (or, with `all`, every) exchange of this
  // round that is still waiting, to peers still live.
  void StartStaggeredExchanges(bool all);
  // Convicts peers (CheckLiveness without starting an exchange).
  void JudgeLiveness(Timestamp now);
  // How much staler than usual our news of everyone is right now; reorders
  // `ages`.
  Duration ViewStarvation(std::vector<Duration>& ages);
  // A local pause is a gap longer than local_pause_intervals between two
  // steps (Tick or CheckLiveness); the silence it caused is forgiven.
  void NoticeLocalPause(Timestamp now);
  void ForgivePause(Timestamp now);
  void StartNewLineage(Generation above);

  // Creates or re-lineages a peer; returns false (and reports) if refused.
  bool AdmitPeer(const PeerHeader& header, Timestamp now);
  void SetLive(const PeerId& id, Liveness& liveness, bool live);
  // The liveness of a stored peer; created if missing, so that a storage
  // filled behind the engine's back cannot make it throw.
  Liveness& LivenessOf(const PeerId& id, Timestamp now);
  // Copies the stored generation, max_version_seen and live of a peer into
  // its Liveness; call after every write to a remote peer.
  Liveness& Mirror(const PeerId& id, Timestamp now);
  DigestEntry EntryOf(const PeerId& id, const Liveness& liveness) const;
  void Report(Status status);
  void Persist(Status status);
  DigestEntry OwnEntry() const;
  Message NewMessage(MessageKind kind) const;
  std::size_t BodyBudget() const { return max_body_bytes_; }

  PeerEndpoint self_;
  Options options_;
  Storage& storage_;
  std::size_t max_body_bytes_;
  Generation generation_;
  Version version_;
  Heartbeat heartbeat_;
  std::optional<Timestamp> last_tick_;
  std::optional<Timestamp> last_step_;
  Timestamp built_at_{};  // the engine's construction (StartFromStorage)
  std::optional<double> typical_view_age_ms_;
  // A digest went to a live peer and no reply has come back since.
  bool awaiting_reply_ = false;
  // The first round sent a digest to every seed.
  bool announced_to_seeds_ = false;
  // This round's digest partners after the first, in the order they are
  // called (one per CheckLiveness).
  std::vector<PeerId> staggered_targets_;
  // Push state. Tokens: push batches we may still start (a bucket of
  // push_rate_limit, refilled over time). Pending: what waits for a token,
  // our own deltas above pending_own_from_ (pushed down a tree) and deltas
  // anti-entropy brought us (pushed to random peers, not forwarded).
  double push_tokens_ = 0;
  std::optional<Timestamp> last_refill_;
  std::optional<Version> pending_own_from_;
  std::unordered_map<PeerId, Version, IdHash, std::equal_to<>> pending_learned_;
  // Pushed groups waiting for their prefix, per peer (bounded by
  // kMaxHeldGroupsPerPeer and, in deltas, kMaxHeldDeltas).
  std::unordered_map<PeerId, std::vector<PeerDeltas>, IdHash, std::equal_to<>> held_;
  std::size_t held_deltas_ = 0;
  struct Unacked {
    PeerEndpoint to;
    Message push;
    Timestamp sent_at;
  };
  std::vector<Unacked> unacked_;
  std::vector<const PeerId*> ring_;
  bool ring_dirty_ = true;
  // Every stored peer but ourselves has an entry (StartFromStorage,
  // AdmitPeer, LivenessOf).
  std::unordered_map<PeerId, Liveness, IdHash, std::equal_to<>> liveness_;
  std::uint64_t digests_received_ = 0;
  // The normal model's z at which phi equals DEAD_PEER_PHI.
  double conviction_z_ = 0;
  std::mt19937_64 rng_;
  std::vector<OutgoingMessage> outbox_;
  std::vector<Event> events_;
  EngineStats stats_;
};

}  // namespace gossipmonger
