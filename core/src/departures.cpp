#include "departures.h"

#include <algorithm>
#include <string>

namespace gossipmonger {

Departures::Departures(EngineContext& context, PeerView& view)
    : context_(context), view_(view) {}

bool Departures::HoldsLeave(const PeerRecord& record) {
  auto it = record.data.find(std::string());
  return it != record.data.end() && it->second.kind == EntryKind::kLeave;
}

bool Departures::Load(Timestamp now) {
  for (auto& [id, state] : view_.states()) {
    const PeerRecord* record = view_.Record(id);
    if (record == nullptr || !HoldsLeave(*record)) continue;
    if (state.live()) {
      // Stored before its header was (a crash between the two writes).
      MarkLeft(id, state, now, /*announce=*/false);
    } else {
      state.left = true;
      left_.insert(id);
    }
  }
  if (!HoldsLeave(view_.OwnRecord())) return false;
  // We left in an earlier run and are started again on our storage: back
  // in the same lineage. The retraction is a tombstone like any other, with
  // its collection deadline.
  view_.SetOwnMark(std::string(), EntryKind::kTombstone, context_.WallNow(now));
  return true;
}

Status Departures::Leave() {
  if (leaving_) return Status::Ok();
  leaving_ = true;
  return view_.SetOwnMark(std::string(), EntryKind::kLeave, WallTime());
}

bool Departures::MayChange(const PeerDeltas& group, bool released_held) const {
  if (released_held || !left_.empty()) return true;
  return std::any_of(group.deltas.begin(), group.deltas.end(),
                     [](const KeyDelta& delta) { return delta.key.empty(); });
}

void Departures::PruneLeft() {
  std::erase_if(left_, [&](const PeerId& id) {
    const PeerState* state = view_.Find(id);
    return state == nullptr || !state->left;
  });
}

void Departures::NoteApplied(const PeerId& id, Timestamp now) {
  PeerState* state = view_.Find(id);
  const PeerRecord* record = view_.Record(id);
  if (state == nullptr || record == nullptr) return;
  const bool holds_leave = HoldsLeave(*record);
  if (holds_leave == state->left) return;
  if (holds_leave) {
    MarkLeft(id, *state, now, /*announce=*/true);
  } else {
    // Retracted: still not live, until its heartbeat rises (Liveness).
    state->left = false;
    left_.erase(id);
  }
}

void Departures::MarkLeft(const PeerId& id, PeerState& state, Timestamp now,
                          bool announce) {
  state.left = true;
  left_.insert(id);
  const PeerRecord* record = view_.Record(id);
  if (record == nullptr) return;
  PeerEndpoint peer{id, record->address};  // copied: the write below moves the record
  view_.MarkDown(id, state, context_.WallNow(now));
  if (announce) context_.Announce(PeerLeftEvent{std::move(peer)});
}

}  // namespace gossipmonger
