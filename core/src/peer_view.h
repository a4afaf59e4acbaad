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

  // The stored record's (see the invariant above).
  Generation generation() const { return generation_; }
  Version max_version_seen() const { return max_version_seen_; }
  bool live() const { return live_; }
  WallTime down_since() const { return down_since_; }

 private:
  friend class PeerView;
  Generation generation_;
  Version max_version_seen_;
  bool live_ = true;
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
  // Sets a local key: a changed value takes the next version (a failed
  // write is reported and returned; the value stays set in memory); an
  // unchanged one takes none (ok); a new key beyond max_keys_per_peer is
  // refused (kLimitExceeded, nothing changes).
  Status SetOwnValue(std::string_view key, std::string_view value);
  // Takes the next version for an entry of `kind` with an empty value under
  // `key` (the leave entry, or the tombstone that retracts it), in one
  // write; `expires_at` as KeyDelta's. A failed write is reported and
  // returned; the entry stays set in memory.
  Status SetOwnMark(std::string_view key, EntryKind kind, WallTime expires_at = {});
  // Takes the generation after `above` and renumbers our data from version
  // 1, in the order of its old versions.
  void TakeNewLineage(Generation above);

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
  DigestEntry EntryOf(const PeerId& id, const PeerState& state) const {
    return {id, state.generation(), state.heartbeat, state.max_version_seen()};
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
  // new address it brings, skips what we hold, stores the rest (`update`
  // for each) unless it would exceed max_keys_per_peer. One storage read;
  // one data write, after one header write if the lineage or address
  // changed.
  void ApplyDeltas(const PeerDeltas& group, Timestamp now);

 private:
  // The view's storage writes; each updates `state` to what it wrote.
  void PutHeader(PeerState& state, const PeerHeader& header);
  void PutData(PeerState& state, std::string_view id, std::span<const KeyDelta> deltas,
               Version max_version_seen);
  // The state of a stored peer; built from its record if missing.
  PeerState& Track(const PeerRecord& record, Timestamp now);
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
};

}  // namespace gossipmonger
