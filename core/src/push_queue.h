// PushQueue: what waits to be pushed, and the token bucket that paces push
// batches (push_rate_limit per gossip interval, refilled continuously).
//
// Two kinds of pending deltas: our own above a version (they go down a push
// tree) and, per peer, deltas anti-entropy brought us above a version (they
// go to our ring neighbours, not further). A batch of each kind takes a
// token; while none is left they wait, and what arrives meanwhile is
// coalesced into the same batch. It holds versions, not deltas: the deltas
// are read from storage when a batch goes (PushTree::Flush).
#pragma once

#include <optional>
#include <unordered_map>

#include "engine_context.h"

namespace gossipmonger {

class PushQueue {
 public:
  using Learned = std::unordered_map<PeerId, Version, IdHash, std::equal_to<>>;

  // Starts with a full bucket.
  explicit PushQueue(const Options& options);

  // Our own deltas above `from` are to be pushed (coalesced with what
  // already waits).
  void QueueOwn(Version from) {
    if (!own_from_) own_from_ = from;
  }
  // `id`'s deltas above `from` are to be pushed to our neighbours.
  void QueueLearned(const PeerId& id, Version from);
  // Adds the tokens earned since the last refill, up to the capacity.
  void Refill(Timestamp now);
  // The latest time given to Refill: the push clock, by which
  // acknowledgements are awaited.
  Timestamp clock() const { return last_refill_.value_or(Timestamp(0)); }

  // Our deltas above the returned version wait; nullopt if none do (any
  // pending version at or above `own_version` is done).
  std::optional<Version> PendingOwn(Version own_version);
  // Whether some of our deltas below `own_version` wait (PendingOwn without
  // its bookkeeping).
  bool HasPendingOwn(Version own_version) const {
    return own_from_ && *own_from_ < own_version;
  }
  // Our deltas up to `sent` went; what is above it waits.
  void OwnSentUpTo(Version sent, Version own_version);
  bool HasLearned() const { return !learned_.empty(); }
  // Everything learned that waits, in one batch; ClearLearned forgets it
  // when it went. (Cleared, not replaced: the map keeps its buckets, and so
  // the order in which the next batch is read.)
  const Learned& learned() const { return learned_; }
  void ClearLearned() { learned_.clear(); }
  // Takes a token for a batch; without one, counts a wait and returns false.
  bool TakeToken(EngineStats& stats);
  // Forgets everything pending (pushes are off).
  void Clear();

 private:
  const Options& options_;
  double tokens_;
  std::optional<Timestamp> last_refill_;
  std::optional<Version> own_from_;
  Learned learned_;
};

}  // namespace gossipmonger
