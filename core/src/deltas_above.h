// Choosing which of a peer's deltas go into a message, shared by
// anti-entropy (AntiEntropy::FillDeltas) and pushes (PushTree).
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "gossipmonger/message.h"
#include "gossipmonger/peer.h"

namespace gossipmonger {

// Scratch space, reused across calls to spare allocations.
using DeltaCandidates = std::vector<std::pair<Version, const std::string*>>;

// Appends to `group` the entries (values, tombstones, leave) of `peer` whose version is
// above `from`, in ascending version order, at most `max_deltas` of them, while `*used`
// plus their encoded size stays within `limit` (raising `*used`). It never skips a
// version to fit a later one: the receiver's prefix must stay gap-free.
void AppendDeltasAbove(const PeerRecord& peer, Version from, std::size_t max_deltas,
                       std::size_t limit, std::size_t* used, DeltaCandidates& scratch,
                       PeerDeltas& group);

}  // namespace gossipmonger
