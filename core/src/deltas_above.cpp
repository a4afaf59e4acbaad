#include "deltas_above.h"

#include "gossipmonger/wire_size.h"

#include <algorithm>

namespace gossipmonger {

void AppendDeltasAbove(const PeerRecord& peer, Version from, std::size_t max_deltas,
                       std::size_t limit, std::size_t* used, DeltaCandidates& scratch,
                       PeerDeltas& group) {
  scratch.clear();
  for (const auto& [key, value] : peer.data) {
    if (value.version > from) scratch.push_back({value.version, &key});
  }
  const std::size_t take =
      std::min({scratch.size(), max_deltas, wire_size::kMaxArrayElements});
  std::partial_sort(scratch.begin(), scratch.begin() + static_cast<long>(take),
                    scratch.end());
  for (std::size_t i = 0; i < take; ++i) {
    const std::string& key = *scratch[i].second;
    const VersionedValue& stored = peer.data.at(key);
    // Its kind travels; its expires_at (the owner's TTL, our collection
    // deadline) is local and does not.
    KeyDelta delta{key, stored.value, scratch[i].first, stored.kind};
    const std::size_t delta_size = wire_size::Delta(delta);
    if (*used + delta_size > limit) break;
    *used += delta_size;
    group.deltas.push_back(std::move(delta));
  }
}

}  // namespace gossipmonger
