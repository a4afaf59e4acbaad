// Departures: nodes leaving the cluster on purpose, this one and its peers
// (docs/LIFECYCLE.md, "Leave").
//
// - This node: Leave() stores the leave entry (EntryKind::kLeave under the
//   reserved empty key, which no user key can be) at the next version; from
//   then on the engine only pushes (it sends no digest). A node started on
//   storage whose own record holds its leave entry retracts it (a tombstone
//   for the empty key, the next version) and so rejoins in the same lineage.
// - Peers: once a peer's deltas are applied, a record holding its leave
//   entry makes it left (`peer left`, once): not live, down since this
//   node's wall clock (reaping counts from it), and never judged, called,
//   pushed to or revived (PeerState::left). The retraction, or a new lineage
//   of its id, makes it an ordinary peer that is not live: its next
//   heartbeat rise makes it live (`peer live`).
//
// Invariant: PeerState::left is true exactly when the peer's stored record
// holds its leave entry, once NoteApplied ran after each write of its data
// (the engine calls it after every message; PeerView::AdoptLineage clears
// it with the data it drops).
#pragma once

#include "engine_context.h"
#include "peer_view.h"

namespace gossipmonger {

class Departures {
 public:
  Departures(EngineContext& context, PeerView& view);

  // At start, after PeerView::Load: marks the stored peers that left, and
  // retracts our own leave if we left in an earlier run. Whether it wrote
  // a retraction (a version of ours to push).
  bool Load(Timestamp now);
  // Our leave (Engine::Leave): the leave entry at the next version. Only
  // the first call writes; later ones are ok and change nothing.
  Status Leave();
  bool leaving() const { return leaving_; }
  // After deltas of `id` were applied (anti-entropy, a push, held deltas
  // released): the peer's leave, or its retraction, takes effect.
  void NoteApplied(const PeerId& id, Timestamp now);

  // Whether `record` holds its owner's leave entry.
  static bool HoldsLeave(const PeerRecord& record);

 private:
  // Marks a peer left: not live since now, `peer left` if `announce`.
  void MarkLeft(const PeerId& id, PeerState& state, Timestamp now, bool announce);

  EngineContext& context_;
  PeerView& view_;
  bool leaving_ = false;
};

}  // namespace gossipmonger
