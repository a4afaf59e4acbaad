// PushTree: fresh deltas sent at once, outside the rounds (rumour mongering
// over the anti-entropy, as Demers et al. 1987 combine them). See
// docs/DESIGN-NOTES.md, "Push and fanout".
//
// A local update goes down a tree over the ring of live peer ids: the
// sender splits the ring (or the arc it is responsible for) into
// push_fanout parts and sends to one member of each, responsible for its
// part (PushRoute). Deltas first learned by anti-entropy go to our ring
// neighbours (who most likely missed the same push). A push with a part to
// forward to is acknowledged, and sent again once if the acknowledgement is
// late.
//
// Invariants:
// - A pushed group carries every change of its peer in (continues_from,
//   last]; it is applied only when it continues the prefix the receiver
//   holds, else held (HeldDeltas) until anti-entropy or a push fills the gap.
// - A node forwards a delta at most once (only what was new to it), to at
//   most push_fanout peers, and never more than push_max_hops from its
//   origin: each origination costs at most (n - 1) * push_fanout messages,
//   and about n - 1 when the views agree (a tree).
// - Only originations take a token (PushQueue); what waits for one is
//   coalesced into the next push.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "deltas_above.h"
#include "engine_context.h"
#include "held_deltas.h"
#include "peer_view.h"
#include "push_queue.h"

namespace gossipmonger {

class PushTree {
 public:
  // In its first rounds a node learns old news (it is starting, or
  // restarting after being down): deltas anti-entropy brings it then are
  // not pushed to its ring neighbours, who hold them already.
  static constexpr std::uint64_t kCatchUpRounds = 5;
  // A push with a part of the tree to forward to (PushRoute::forwards) is
  // acknowledged at once by an empty kPush; one not acknowledged after this
  // long is sent again, once, at the next step (Tick or Step). At most
  // kMaxUnacked pushes are remembered. Pushes to leaves are neither
  // acknowledged nor resent.
  static constexpr Duration kAckWait = std::chrono::milliseconds(20);
  static constexpr std::size_t kMaxUnacked = 4096;

  PushTree(EngineContext& context, PeerView& view);

  // A kPush: an acknowledgement, or groups to apply (or hold) and forward
  // down our part of the tree.
  void Receive(const Message& push, Timestamp now);
  // Our own deltas above `from` are to be pushed (with the next Flush).
  void QueueOwn(Version from) { queue_.QueueOwn(from); }
  // Anti-entropy applied deltas of `id` (its lineage and version were
  // `generation_before` and `before`): what was new to us waits to be
  // pushed to our ring neighbours (after kCatchUpRounds).
  void NoteLearned(const PeerId& id, Generation generation_before, Version before);
  // Applies held groups of `id` that now continue its prefix.
  void ReleaseHeld(const PeerId& id, Timestamp now);
  void RefillTokens(Timestamp now) { queue_.Refill(now); }
  // Sends what is pending, while tokens last.
  void Flush();
  // Sends again, once, the pushes still unacknowledged after kAckWait.
  void ResendUnacked(Timestamp now);

  // Nothing of ours waits to be pushed and no push awaits an
  // acknowledgement (each was acknowledged, or resent once in vain).
  bool Settled() const {
    return !queue_.HasPendingOwn(view_.version()) && unacked_.empty();
  }

  const HeldDeltas& held() const { return held_; }

 private:
  struct Unacked {
    PeerEndpoint to;
    Message push;
    Timestamp sent_at;
  };
  // Applies or holds one pushed group; returns the part that was new to us
  // (what we forward), or nullopt.
  std::optional<PeerDeltas> ApplyGroup(const PeerDeltas& group, Timestamp now);
  // A group of `peer`'s deltas above `from`, ascending, within
  // MAX_DELTAS_PER_GOSSIP and `*budget` bytes (which it lowers).
  PeerDeltas GroupAbove(const PeerRecord& peer, Version from, std::size_t* budget);
  // The body budget of a push's groups: what its route may leave.
  std::size_t GroupsBudget() const;
  // Pushes deltas anti-entropy brought us to our neighbours on the ring.
  void PushToNeighbours(const std::vector<PeerDeltas>& groups);
  // Splits the live peers on the arc (after, until] (the whole ring when
  // after == until), without `exclude`, into push_fanout parts and sends
  // `groups` to a random member of each, responsible for its part.
  void PushDown(const std::vector<PeerDeltas>& groups, const PeerId& after,
                const PeerId& until, std::size_t hops_left, std::string_view exclude);
  void SendPush(const PeerEndpoint& to, const std::vector<PeerDeltas>& groups,
                PushRoute route);

  EngineContext& context_;
  PeerView& view_;
  PushQueue queue_;
  HeldDeltas held_;
  std::vector<Unacked> unacked_;
  DeltaCandidates scratch_;
};

}  // namespace gossipmonger
