// PeerView: applying a reset (docs/LIFECYCLE.md, "Tombstone collection").
// A peer that collected tombstones we never saw sends its whole holding of
// the owner instead of deltas; we replace ours with it, in one batch.
#include <string_view>
#include <unordered_set>
#include <utility>

#include "peer_view.h"

namespace gossipmonger {

namespace {

// The events a reset raises, from what we held before it (nullptr: nothing,
// or another lineage, whose end raises nothing as for plain deltas):
// `update` for a value we did not hold at that version, `delete` for a live
// key it deletes or lacks. A key a paged reset lacks may come back in a
// later page (it was set again since): `delete`, then `update`.
std::vector<Event> ResetEvents(const PeerDeltas& group, const PeerRecord* held) {
  std::vector<Event> events;
  std::unordered_set<std::string_view> in_reset;
  for (const KeyDelta& delta : group.deltas) {
    in_reset.insert(delta.key);
    const VersionedValue* old = nullptr;
    if (held != nullptr) {
      auto it = held->data.find(delta.key);
      if (it != held->data.end()) old = &it->second;
    }
    const bool had_value = old != nullptr && old->kind == EntryKind::kValue;
    if (delta.kind == EntryKind::kValue &&
        !(had_value && old->version == delta.version)) {
      events.emplace_back(UpdateEvent{group.id, delta.key, delta.value, delta.version});
    } else if (delta.kind == EntryKind::kTombstone && had_value) {
      events.emplace_back(DeleteEvent{group.id, delta.key, delta.version});
    }
  }
  if (held == nullptr) return events;
  for (const auto& [key, old] : held->data) {
    // Deleted at or before reset_through; the tombstone is collected.
    if (old.kind == EntryKind::kValue && in_reset.count(key) == 0)
      events.emplace_back(DeleteEvent{group.id, key, group.reset_through});
  }
  return events;
}

}  // namespace

void PeerView::ApplyReset(const PeerDeltas& group, const PeerRecord* peer,
                          Timestamp now) {
  const bool same_lineage = peer != nullptr && group.generation == peer->generation;
  const PeerRecord* held = same_lineage ? peer : nullptr;
  std::vector<Event> events = ResetEvents(group, held);
  const Version old_max = held != nullptr ? held->max_version_seen : Version();
  std::size_t live = 0;
  for (const KeyDelta& delta : group.deltas) {
    live += delta.kind != EntryKind::kTombstone ? 1 : 0;
  }
  PeerState* state = AcceptHeader(group, peer, now);  // `peer` may move from here
  if (state == nullptr || !WithinKeyLimit(group, live, group.deltas.size())) return;
  std::vector<KeyDelta> scratch;
  const std::span<const KeyDelta> stored =
      Localized(group.deltas, context_.WallNow(now), scratch);
  const Version last = stored.back().version;
  // A reset that fits one message leaves us at the sender's max version
  // (TombstoneCollector keeps each holding's top entry); a first page leaves
  // us clean through reset_through, which our digest announces meanwhile.
  const Version clean = group.reset_through > last ? group.reset_through : Version();
  context_.ReportIfFailed(storage_.ReplaceData(group.id, stored, last, clean));
  state->max_version_seen_ = last;
  state->clean_through_ = clean;
  if (last < old_max) state->plain_refused_until_ = now + context_.interval();
  tombstones_.Forget(group.id);
  for (const KeyDelta& delta : stored) {
    if (delta.kind == EntryKind::kTombstone)
      tombstones_.Track(group.id, delta.key, delta.version, delta.expires_at);
  }
  ++context_.stats.resets_applied;
  context_.stats.deltas_applied += stored.size();
  for (Event& event : events) context_.Announce(std::move(event));
}

}  // namespace gossipmonger
