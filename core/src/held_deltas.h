// HeldDeltas: pushed groups that do not continue the prefix this node holds
// of their peer yet, kept until anti-entropy or another push fills the gap
// (PushTree releases them). Bounded: at most kMaxGroupsPerPeer groups per
// peer and kMaxDeltas deltas in all; beyond that a group is dropped and
// left to anti-entropy.
#pragma once

#include <cstddef>
#include <optional>
#include <unordered_map>
#include <vector>

#include "engine_context.h"
#include "gossipmonger/message.h"

namespace gossipmonger {

class HeldDeltas {
 public:
  static constexpr std::size_t kMaxGroupsPerPeer = 8;
  static constexpr std::size_t kMaxDeltas = 4096;

  // Counts held and dropped deltas in `stats`.
  explicit HeldDeltas(EngineStats& stats) : stats_(stats) {}

  // Keeps `group` (non-empty deltas above its continues_from). False if a
  // held group covers it already (it is not new); true if it is kept, or
  // dropped because the buffer is full (still new to us).
  bool Hold(PeerDeltas group);
  // The next held group of peer `id` that continues a prefix of
  // `generation` up to `max_version_seen`, removed from the buffer; drops on
  // the way the groups of another lineage and those the prefix has passed.
  std::optional<PeerDeltas> TakeReady(const PeerId& id, Generation generation,
                                      Version max_version_seen);
  bool empty() const { return held_.empty(); }
  std::size_t deltas() const { return deltas_; }

 private:
  // Removes groups[index] from the buffer, into `*taken` if given.
  void Drop(std::vector<PeerDeltas>& groups, std::size_t index,
            std::optional<PeerDeltas>* taken = nullptr);

  EngineStats& stats_;
  std::unordered_map<PeerId, std::vector<PeerDeltas>, IdHash, std::equal_to<>> held_;
  std::size_t deltas_ = 0;  // in all groups
};

}  // namespace gossipmonger
