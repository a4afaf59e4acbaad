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
// that could change that (PeerView::AdoptLineage clears it with the data it
// drops). The engine asks MayChange first, so that the common group (no
// leave, nobody left) costs no lookup: only a delta under the empty key
// can bring a leave, and only a group of a left peer (a reset) or held
// deltas released by the message can drop one unseen.
#pragma once

#include <unordered_set>

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
  // Whether applying `group` may have changed whether its peer left (see
  // the invariant); `released_held`: the message may have released held
  // deltas.
  bool MayChange(const PeerDeltas& group, bool released_held) const;
  // After deltas of `id` were applied (anti-entropy, a push, held deltas
  // released): the peer's leave, or its retraction, takes effect.
  void NoteApplied(const PeerId& id, Timestamp now);
  // Once per round: forgets the left peers that were reaped or came back
  // by a new lineage meanwhile.
  void PruneLeft();

  // Whether `record` holds its owner's leave entry.
  static bool HoldsLeave(const PeerRecord& record);

 private:
  // Marks a peer left: not live since now, `peer left` if `announce`.
  void MarkLeft(const PeerId& id, PeerState& state, Timestamp now, bool announce);

  EngineContext& context_;
  PeerView& view_;
  bool leaving_ = false;
  // The peers marked left (a superset until PruneLeft).
  std::unordered_set<PeerId, IdHash, std::equal_to<>> left_;
};

}  // namespace gossipmonger
