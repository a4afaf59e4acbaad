#include "tombstone_collector.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace gossipmonger {

void TombstoneCollector::Track(const PeerId& id, const std::string& key, Version version,
                               WallTime deadline) {
  by_peer_[id].insert_or_assign(version, Pending{key, deadline});
}

void TombstoneCollector::Untrack(std::string_view id, Version version) {
  auto it = by_peer_.find(id);
  if (it == by_peer_.end()) return;
  it->second.erase(version);
  if (it->second.empty()) by_peer_.erase(it);
}

void TombstoneCollector::Forget(std::string_view id) {
  auto it = by_peer_.find(id);
  if (it != by_peer_.end()) by_peer_.erase(it);
}

void TombstoneCollector::TrackRecord(const PeerRecord& record) {
  for (const auto& [key, value] : record.data) {
    if (value.kind == EntryKind::kTombstone)
      Track(record.id, key, value.version, value.expires_at);
  }
}

std::size_t TombstoneCollector::Count(std::string_view id) const {
  auto it = by_peer_.find(id);
  return it == by_peer_.end() ? 0 : it->second.size();
}

WallTime TombstoneCollector::LatestDeadline() const {
  WallTime latest{};
  for (const auto& [id, tombstones] : by_peer_) {
    for (const auto& [version, pending] : tombstones)
      latest = std::max(latest, pending.deadline);
  }
  return latest;
}

std::size_t TombstoneCollector::CollectDue(WallTime now, Storage& storage,
                                           EngineContext& context) {
  std::size_t collected = 0;
  for (auto it = by_peer_.begin(); it != by_peer_.end();) {
    ByVersion& tombstones = it->second;
    // Most rounds most peers have nothing due: one comparison each.
    const bool due = tombstones.begin()->second.deadline <= now;
    if (due && !CollectPeer(it->first, tombstones, now, storage, context, &collected)) {
      tombstones.clear();
    }
    it = tombstones.empty() ? by_peer_.erase(it) : std::next(it);
  }
  return collected;
}

bool TombstoneCollector::CollectPeer(const PeerId& id, ByVersion& tombstones,
                                     WallTime now, Storage& storage,
                                     EngineContext& context, std::size_t* collected) {
  const PeerRecord* record = storage.Get(id);
  if (record == nullptr) return false;
  std::vector<std::string> keys;
  Version floor;
  auto it = tombstones.begin();
  for (; it != tombstones.end(); ++it) {
    const auto& [version, pending] = *it;
    if (pending.deadline > now || version >= record->max_version_seen) break;
    // The index is exact; the check keeps a write of another concept (one
    // that forgot to tell us) from failing the whole batch.
    auto stored = record->data.find(pending.key);
    if (stored != record->data.end() && stored->second.kind == EntryKind::kTombstone &&
        stored->second.version == version) {
      keys.push_back(pending.key);
    }
    floor = version;
  }
  if (floor == Version()) return true;
  tombstones.erase(tombstones.begin(), it);
  context.ReportIfFailed(storage.CollectTombstones(id, keys, floor));
  *collected += keys.size();
  return true;
}

}  // namespace gossipmonger
