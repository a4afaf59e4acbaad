#include "held_deltas.h"

#include <utility>

namespace gossipmonger {

bool HeldDeltas::Hold(PeerDeltas group) {
  std::vector<PeerDeltas>& groups = held_[group.id];
  for (const PeerDeltas& other : groups) {
    if (other.generation == group.generation &&
        other.deltas.back().version >= group.deltas.back().version &&
        other.continues_from <= group.continues_from) {
      return false;  // covers it already
    }
  }
  if (groups.size() >= kMaxGroupsPerPeer || deltas_ + group.deltas.size() > kMaxDeltas) {
    // Full: anti-entropy will bring these. Still new to us, so forwarded.
    stats_.held_dropped += group.deltas.size();
    if (groups.empty()) held_.erase(group.id);
    return true;
  }
  stats_.deltas_held += group.deltas.size();
  deltas_ += group.deltas.size();
  groups.push_back(std::move(group));
  return true;
}

void HeldDeltas::Drop(std::vector<PeerDeltas>& groups, std::size_t index,
                      std::optional<PeerDeltas>* taken) {
  // Counted before it moves: a moved-from group has no deltas left to count.
  deltas_ -= groups[index].deltas.size();
  if (taken != nullptr) *taken = std::move(groups[index]);
  groups.erase(groups.begin() + static_cast<long>(index));
}

std::optional<PeerDeltas> HeldDeltas::TakeReady(const PeerId& id, Generation generation,
                                                Version max_version_seen) {
  auto it = held_.find(id);
  if (it == held_.end()) return std::nullopt;
  std::vector<PeerDeltas>& groups = it->second;
  std::optional<PeerDeltas> ready;
  std::size_t i = 0;
  while (!ready && i < groups.size()) {
    const PeerDeltas& group = groups[i];
    if (group.generation != generation ||
        group.deltas.back().version <= max_version_seen) {
      Drop(groups, i);  // another lineage, or the prefix passed it
      i = 0;
    } else if (group.continues_from <= max_version_seen) {
      Drop(groups, i, &ready);
    } else {
      ++i;
    }
  }
  if (groups.empty()) held_.erase(it);
  return ready;
}

}  // namespace gossipmonger
