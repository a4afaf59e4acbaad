// PeerView: what this node knows of itself and of every peer, and the only
// writer of its Storage.
//
// The storage holds each peer's record (address, generation, data,
// max_version_seen, live). Beside it the view keeps, per peer, a PeerState:
// what is never persisted (the heartbeat and its failure detector) and the
// record's generation, max_version_seen and live, so that digests, rounds
// and liveness checks (several times per round, for every peer) need no
// storage lookup.
//
// Invariant: a PeerState's generation(), max_version_seen(), live() and
// down_since() equal its stored record's. It holds by construction: the storage has no
// other writer (storage.h: one engine per storage), and the view's two
// writes, PutHeader and PutData, update the state from what they wrote,
// never by reading the storage back. Every stored peer but this node has a
// state (Load, Admit, Track).
//
// This node's own lineage (generation, version counter, heartbeat) is the
// view's too: its record is in the storage beside the peers'.
//
// Lifecycle (docs/LIFECYCLE.md): the view stores tombstones (deletes) and
// applies resets (peer_view_reset.cpp); beside the storage it keeps the
// tombstone index (TombstoneCollector) and its own keys' TTL deadlines
// (TtlDeadlines) exact, at each of its writes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine_context.h"
#include "gossipmonger/failure_detector.h"
#include "gossipmonger/message.h"
#include "gossipmonger/peer.h"
#include "gossipmonger/storage.h"
#include "tombstone_collector.h"
#include "ttl_deadlines.h"

namespace gossipmonger {

class PeerState {
 public:
  PeerState(Timestamp now, const Options& options) : detector(now, options) {}

  // The freshest heartbeat heard and the detector it feeds (Liveness).
  Heartbeat heartbeat;
  PhiAccrualDetector detector;
  // AntiEntropy's mark: the number of the last digest that listed this peer.
  std::uint64_t listed_in = 0;
  // Departures' mark: the stored record holds the peer's leave entry. A
  // left peer is not live, never judged, targeted or revived.
  bool left = false;
  // Whether this node has evidence of its own that the peer lives: it was
  // stored live when we started, it sent us a message itself, or we saw its
  // heartbeat rise. A peer learned of by relay has none yet. Only a live,
  // vouched peer is introduced to nodes that do not know it (offered in a
  // reply, sent when asked for, pushed on when learned): so a peer that
  // died is not passed from newcomer to newcomer by nodes that never saw it
  // alive, and reaping can forget it (docs/LIFECYCLE.md, "Reaping").
  bool vouched = false;
  bool introducible() const { return live_ && vouched && !left; }

  // The stored record's (see the invariant above).
  Generation generation() const { return generation_; }
  Version max_version_seen() const { return max_version_seen_; }
  bool live() const { return live_; }
  Version clean_through() const { return clean_through_; }
  WallTime down_since() const { return down_since_; }

 private:
  friend class PeerView;
  Generation generation_;
  Version max_version_seen_;
  bool live_ = true;
  Version clean_through_;
  // Not persisted: until then, deltas of a plain group (one that is neither
  // a reset nor a push) of this peer are ignored. Set when a reset lowered
  // max_version_seen: a group in flight may answer a digest that announced
  // the higher version, and would leave a gap.
  Timestamp plain_refused_until_{};
  WallTime down_since_{};
};

class PeerView {
 public:
  using States = std::unordered_map<PeerId, PeerState, IdHash, std::equal_to<>>;

  PeerView(EngineContext& context, Storage& storage);

  // Resumes this node's persisted lineage (same generation, same version
  // counter, so peers that hold its data need nothing of it again) or
  // starts `fresh_generation`, and builds a state for every stored peer.
  void Load(Timestamp now, Generation fresh_generation);

  // --- this node -----------------------------------------------------------
  Generation generation() const { return generation_; }
  Version version() const { return version_; }
  Heartbeat heartbeat() const { return heartbeat_; }
  DigestEntry OwnEntry() const {
    return {context_.self.id, generation_, heartbeat_, version_};
  }
  const PeerRecord& OwnRecord() const { return *storage_.Get(context_.self.id); }
  void RaiseHeartbeat(std::uint64_t rounds) {
    heartbeat_ = Heartbeat(heartbeat_.value() + rounds);
  }
  // Continues our heartbeat above one the cluster saw from an earlier run.
  void RaiseHeartbeatAbove(Heartbeat seen) { heartbeat_ = seen.next(); }
  // Sets a local key, to expire at `expires_at` (0: never): a changed value
  // or deadline takes the next version (a failed write is reported and
  // returned; the value stays set in memory); an unchanged one takes none
  // (ok); a new live key beyond max_keys_per_peer (which counts live keys,
  // not tombstones) is refused (kLimitExceeded, nothing changes).
  Status SetOwnValue(std::string_view key, std::string_view value,
                     WallTime expires_at = WallTime());
  // Deletes a local key: a tombstone, collected after tombstone_grace from
  // `now`, takes the next version. An absent or deleted key: nothing (ok).
  Status DeleteOwnKey(std::string_view key, WallTime now);
  // Our keys whose TTL deadline is at or before `now` (to be deleted).
  std::vector<std::string> TakeExpiredKeys(WallTime now) { return ttl_.TakeDue(now); }
  // Takes the next version for an entry of `kind` with an empty value under
  // `key` (the leave entry, or the tombstone that retracts it), in one
  // write; a tombstone is collected after tombstone_grace from `now`. A
  // failed write is reported and returned; the entry stays set in memory.
  Status SetOwnMark(std::string_view key, EntryKind kind, WallTime now);
  // Takes the generation after `above` and renumbers our data from version
  // 1, in the order of its old versions. Tombstones are dropped: the new
  // lineage shares nothing with the old one, so nobody needs them.
  void TakeNewLineage(Generation above);
  // Collects the tombstones due at `now` (TombstoneCollector).
  void CollectTombstones(WallTime now);
  // The latest wall time this node stored (docs/LIFECYCLE.md, "Clocks"):
  // a tombstone's deadline minus tombstone_grace is when it was stored. TTL
  // deadlines say nothing of it (they lie ahead when written). WallTime()
  // if nothing is dated.
  WallTime LatestStoredWallTime() const;

  // --- peers -----------------------------------------------------------------
  // The stored record (its data and address), or nullptr; valid until the
  // view's next write.
  const PeerRecord* Record(std::string_view id) const { return storage_.Get(id); }
  PeerState* Find(std::string_view id);
  const PeerState* Find(std::string_view id) const;
  // Every peer's state, for iteration. Through the mutable one Liveness
  // updates heartbeats and detectors; the stored copies stay the view's
  // (private to PeerState), and entries are added only by the view.
  const States& states() const { return states_; }
  States& states() { return states_; }
  std::size_t size() const { return states_.size(); }
  // clean_through is announced only while a reset is under way.
  DigestEntry EntryOf(const PeerId& id, const PeerState& state) const {
    const Version max = state.max_version_seen();
    const Version clean = max < state.clean_through() ? state.clean_through() : Version();
    return {id, state.generation(), state.heartbeat, max, clean};
  }
  // Live peers but ourselves, sorted by id (the push ring); cached.
  const std::vector<const PeerId*>& LiveRing();

  // --- changes ---------------------------------------------------------------
  // Adds a peer we did not know (`new peer`); nullptr, and reported, once
  // max_peers is reached.
  PeerState* Admit(const PeerHeader& header, Timestamp now);
  // Marks a peer live or dead (`peer live` / `peer dead`); a dead peer is
  // down since `down_since` (the wall clock at its conviction; 0 would
  // leave it undated, never reaped). A live one is undated.
  void SetLive(const PeerId& id, PeerState& state, bool live,
               WallTime down_since = WallTime());
  // Marks a peer not live since `since` without judging it (it left): no
  // event, Departures raises `peer left`.
  void MarkDown(const PeerId& id, PeerState& state, WallTime since);
  // Reaping: forgets the peer (record, data and state) and has the storage
  // remember `forgotten` (Storage::ForgetPeer). Whether the peer is gone
  // (false if the storage still holds it: the write failed and changed
  // nothing).
  bool Forget(const ForgottenPeer& forgotten);
  // The peer restarted empty: its newer `generation` replaces what we held
  // of it (data included); it is live, heard at `heartbeat` now.
  void AdoptLineage(const PeerId& id, PeerState& state, std::string address,
                    Generation generation, Heartbeat heartbeat, Timestamp now);
  void SetAddress(const PeerId& id, PeerState& state, std::string address);
  // Applies a group of a peer's deltas received by anti-entropy (or a
  // pushed group that continues our prefix): adopts a newer lineage or a
  // new address it brings, skips what we hold, stores the rest unless it
  // would exceed max_keys_per_peer: `update` for each value, `delete` for a
  // tombstone of a key we held a value of (not for one we never saw), no
  // event for a leave entry. A reset (reset_through above what we hold)
  // replaces our holding instead (ApplyReset). One storage read; one data
  // write, after one header write if the lineage or address changed.
  void ApplyDeltas(const PeerDeltas& group, Timestamp now);

 private:
  // The view's storage writes; each updates `state` to what it wrote.
  void PutHeader(PeerState& state, const PeerHeader& header);
  void PutData(PeerState& state, std::string_view id, std::span<const KeyDelta> deltas,
               Version max_version_seen);
  // The state of a stored peer; built from its record if missing.
  PeerState& Track(const PeerRecord& record, Timestamp now);
  // What storing `fresh` (above what we hold) changes, read before any
  // write: the live keys after it, and per delta whether its key was live.
  struct Effect {
    std::size_t live_keys = 0;
    std::vector<bool> held_value;              // per delta: we held a value of its key
    std::vector<Version> replaced_tombstones;  // our tombstones it overwrites
  };
  Effect Examine(const PeerRecord* peer, std::span<const KeyDelta> fresh) const;
  // Refuses (reports) a group that would leave the peer more live keys
  // than max_keys_per_peer.
  bool WithinKeyLimit(const PeerDeltas& group, std::size_t live_keys,
                      std::size_t fresh) const;
  // The deltas as stored here: a tombstone dated for collection, no TTL of
  // the owner's. `deltas` itself when nothing changes.
  std::span<const KeyDelta> Localized(std::span<const KeyDelta> deltas, WallTime now,
                                      std::vector<KeyDelta>& scratch) const;
  // Stores `fresh` of a known peer and raises their events; `peer` is the
  // record before any write (nullptr: nothing held).
  void StoreFresh(const PeerDeltas& group, PeerState& state,
                  std::span<const KeyDelta> fresh, const Effect& effect, Timestamp now);
  // Whether a group with reset_through replaces what we hold of its peer:
  // it is clean through more than we are (or a lineage we lack).
  static bool ResetReplaces(const PeerDeltas& group, const PeerRecord* peer);
  // A reset (peer_view_reset.cpp): replaces our holding of the peer with the
  // group (Storage::ReplaceData); `delete` for each live key it lacks.
  void ApplyReset(const PeerDeltas& group, const PeerRecord* peer, Timestamp now);
  // When a tombstone stored at `now` is collected.
  WallTime TombstoneDeadline(WallTime now) const;
  // Live keys of a stored record: entries that are not tombstones.
  std::size_t LiveKeys(const PeerRecord& record) const {
    return record.data.size() - tombstones_.Count(record.id);
  }
  // Makes our record of the group's peer agree with the group's header:
  // admits an unknown peer, adopts a newer lineage or takes a new address.
  // The peer's state, or nullptr if the group is to be dropped.
  PeerState* AcceptHeader(const PeerDeltas& group, const PeerRecord* peer, Timestamp now);

  EngineContext& context_;
  Storage& storage_;
  Generation generation_;
  Version version_;
  Heartbeat heartbeat_;
  States states_;
  std::vector<const PeerId*> ring_;
  bool ring_dirty_ = true;
  TombstoneCollector tombstones_;
  TtlDeadlines ttl_;
};

}  // namespace gossipmonger
