#include "push_tree.h"

#include <algorithm>
#include <random>
#include <utility>

#include "gossipmonger/wire_size.h"

namespace gossipmonger {

namespace {

// Whether `id` lies on the arc (after, until] of the ring of ids; after ==
// until is the whole ring.
bool OnArc(std::string_view id, std::string_view after, std::string_view until) {
  if (after == until) return true;
  if (after < until) return id > after && id <= until;
  return id > after || id <= until;  // the arc wraps past the largest id
}

// The position in the sorted `ring` of the first id after `id`.
std::size_t FirstAfter(const std::vector<const PeerId*>& ring, const PeerId& id) {
  return static_cast<std::size_t>(
      std::upper_bound(ring.begin(), ring.end(), id,
                       [](const PeerId& a, const PeerId* b) { return a < *b; }) -
      ring.begin());
}

}  // namespace

PushTree::PushTree(EngineContext& context, PeerView& view)
    : context_(context), view_(view), queue_(context.options), held_(context.stats) {}

// --- receiving ----------------------------------------------------------------

void PushTree::Receive(const Message& push, Timestamp now) {
  ++context_.stats.pushes_received;
  if (push.deltas.empty()) {
    // An acknowledgement: the peer has what we pushed to it (only pushes
    // with a part of the tree to forward to are acknowledged).
    std::erase_if(unacked_, [&](const Unacked& u) { return u.to.id == push.sender.id; });
    return;
  }
  const PushRoute& route = push.push;
  if (route.forwards())
    context_.Send(push.sender, context_.NewMessage(MessageKind::kPush));
  // What was new to us travels on trimmed to its new part; a group that
  // brought nothing new (anti-entropy was faster, or this is a resend) still
  // goes down our part of the tree, whose nodes may lack it: the route, not
  // newness, bounds forwarding (the arc shrinks and hops_left falls at every
  // hop, so one push reaches each node of its arc at most once per copy).
  std::vector<PeerDeltas> onward;
  for (const PeerDeltas& group : push.deltas) {
    std::optional<PeerDeltas> part = ApplyGroup(group, now);
    onward.push_back(part ? std::move(*part) : group);
  }
  const std::size_t hops_left =
      std::min<std::size_t>(route.hops_left, context_.options.push_max_hops);
  if (context_.options.push_fanout == 0 || hops_left == 0 || !route.forwards()) return;
  ++context_.stats.pushes_forwarded;
  PushDown(onward, route.range_after, route.range_until, hops_left - 1, push.sender.id);
}

std::optional<PeerDeltas> PushTree::ApplyGroup(const PeerDeltas& group, Timestamp now) {
  EngineStats& stats = context_.stats;
  if (group.id == context_.self.id) {
    stats.deltas_ignored += group.deltas.size();
    return std::nullopt;
  }
  PeerState* state = view_.Find(group.id);
  if (state == nullptr) {
    if (group.address.empty()) {
      stats.deltas_ignored += group.deltas.size();
      context_.Announce(UnknownPeerEvent{group.id});
      return std::nullopt;
    }
    state = view_.Admit({group.id, group.address, group.generation, true}, now);
    if (state == nullptr) return std::nullopt;
  }
  if (group.generation < state->generation() ||
      (group.generation > state->generation() && group.continues_from != Version())) {
    // A stale lineage, or a newer one whose prefix we lack: anti-entropy
    // brings the new lineage whole.
    stats.deltas_ignored += group.deltas.size();
    return std::nullopt;
  }
  const bool same_lineage = group.generation == state->generation();
  const Version known = same_lineage ? state->max_version_seen() : Version();
  PeerDeltas part{group.id,
                  group.generation,
                  group.address,
                  {},
                  std::max(group.continues_from, known)};
  for (const KeyDelta& delta : group.deltas) {
    if (delta.version > known) part.deltas.push_back(delta);
  }
  if (part.deltas.empty()) {
    stats.deltas_ignored += group.deltas.size();
    return std::nullopt;
  }
  if (group.continues_from > known) {
    if (!held_.Hold(part)) return std::nullopt;  // held already: not new
    return part;
  }
  view_.ApplyDeltas(group, now);
  ReleaseHeld(group.id, now);
  return part;
}

void PushTree::ReleaseHeld(const PeerId& id, Timestamp now) {
  if (held_.empty()) return;
  for (;;) {
    const PeerState* state = view_.Find(id);
    if (state == nullptr) return;
    std::optional<PeerDeltas> ready =
        held_.TakeReady(id, state->generation(), state->max_version_seen());
    if (!ready) return;
    view_.ApplyDeltas(*ready, now);
  }
}

// --- starting pushes --------------------------------------------------------------

void PushTree::NoteLearned(const PeerId& id, Generation generation_before,
                           Version before) {
  if (context_.options.push_fanout == 0 || context_.stats.rounds <= kCatchUpRounds)
    return;
  const PeerState* after = view_.Find(id);
  // Not a peer we saw alive ourselves: we do not spread it (a left peer's
  // leave still goes on).
  if (after == nullptr || !after->vouched) return;
  const bool new_lineage = after->generation() != generation_before;
  if (!new_lineage && after->max_version_seen() <= before) return;
  queue_.QueueLearned(id, new_lineage ? Version() : before);
}

std::size_t PushTree::GroupsBudget() const {
  // The route's ids are at most max_peer_id_bytes long.
  const std::size_t route_reserve =
      wire_size::Uint(255) +
      2 * wire_size::Str(context_.options.limits.max_peer_id_bytes);
  const std::size_t empty_body = wire_size::PushBodyOverhead({}) + route_reserve;
  return context_.max_body_bytes - std::min(context_.max_body_bytes, empty_body);
}

void PushTree::Flush() {
  const Options& options = context_.options;
  if (options.push_fanout == 0) {
    queue_.Clear();
    return;
  }
  const Version own_version = view_.version();
  if (std::optional<Version> from = queue_.PendingOwn(own_version);
      from && queue_.TakeToken(context_.stats)) {
    std::size_t budget = GroupsBudget();
    PeerDeltas group = GroupAbove(view_.OwnRecord(), *from, &budget);
    // What did not fit waits for the next token.
    queue_.OwnSentUpTo(group.deltas.empty() ? own_version : group.deltas.back().version,
                       own_version);
    if (!group.deltas.empty()) {
      ++context_.stats.pushes_started;
      const PeerId& self = context_.self.id;
      PushDown({std::move(group)}, self, self, options.push_max_hops - 1, {});
    }
  }
  if (!queue_.HasLearned() || !queue_.TakeToken(context_.stats)) return;
  std::size_t budget = GroupsBudget();
  std::vector<PeerDeltas> groups;
  for (const auto& [id, from] : queue_.learned()) {
    const PeerRecord* peer = view_.Record(id);
    const PeerState* state = view_.Find(id);
    // A dead peer's news is old; a peer's leave is news to pass on.
    if (peer == nullptr || state == nullptr || (!peer->live && !state->left)) continue;
    PeerDeltas group = GroupAbove(*peer, from, &budget);
    if (!group.deltas.empty()) groups.push_back(std::move(group));
  }
  // What did not fit is left to anti-entropy.
  queue_.ClearLearned();
  if (groups.empty()) return;
  ++context_.stats.pushes_started;
  PushToNeighbours(groups);
}

PeerDeltas PushTree::GroupAbove(const PeerRecord& peer, Version from,
                                std::size_t* budget) {
  PeerDeltas group{peer.id, peer.generation, peer.address, {}, from};
  std::size_t size =
      wire_size::PushGroupOverhead(peer.id, peer.generation, peer.address, from);
  // A pushed group carries every change above `from`; we no longer hold
  // the tombstones we collected, so below our floor we cannot (anti-entropy
  // sends a reset instead).
  if (size > *budget || from < peer.collected_through) return group;
  AppendDeltasAbove(peer, from, context_.options.max_deltas_per_gossip, *budget, &size,
                    scratch_, group);
  if (!group.deltas.empty()) *budget -= size;
  return group;
}

// --- routing ------------------------------------------------------------------------

void PushTree::PushToNeighbours(const std::vector<PeerDeltas>& groups) {
  // We missed a push, so most likely did our neighbours on the ring: a push
  // tree covers contiguous arcs, and a lost message loses one. Push down the
  // arc of the push_fanout^2 nearest peers on each side; those that have it
  // already stop it there.
  const std::vector<const PeerId*>& ring = view_.LiveRing();
  if (ring.empty()) return;
  const PeerId& self = context_.self.id;
  const std::size_t hops = context_.options.push_max_hops - 1;
  const std::size_t n = ring.size();
  const std::size_t side = context_.options.push_fanout * context_.options.push_fanout;
  if (2 * side >= n) {
    PushDown(groups, self, self, hops, {});
    return;
  }
  const std::size_t pos = FirstAfter(ring, self);  // ring[pos]: the first peer after us
  const PeerId after = *ring[(pos + n - side - 1) % n];
  const PeerId until = *ring[(pos + side - 1) % n];
  PushDown(groups, after, until, hops, {});
}

void PushTree::PushDown(const std::vector<PeerDeltas>& groups, const PeerId& after,
                        const PeerId& until, std::size_t hops_left,
                        std::string_view exclude) {
  const std::vector<const PeerId*>& ring = view_.LiveRing();
  if (ring.empty()) return;
  // The arc's members in ring order, starting after `after`.
  std::vector<const PeerId*> members;
  const std::size_t first = FirstAfter(ring, after);
  for (std::size_t k = 0; k < ring.size(); ++k) {
    const PeerId* id = ring[(first + k) % ring.size()];
    if (!OnArc(*id, after, until)) break;
    if (*id != exclude) members.push_back(id);
  }
  const std::size_t parts = std::min(context_.options.push_fanout, members.size());
  for (std::size_t part = 0; part < parts; ++part) {
    const std::size_t begin = part * members.size() / parts;
    const std::size_t end = (part + 1) * members.size() / parts;
    std::uniform_int_distribution<std::size_t> pick(begin, end - 1);
    const PeerRecord* target = view_.Record(*members[pick(context_.rng)]);
    if (target == nullptr) continue;
    PushRoute route;
    if (hops_left > 0 && end - begin > 1) {
      route.hops_left = static_cast<std::uint8_t>(hops_left);
      route.range_after = part == 0 ? after : *members[begin - 1];
      route.range_until = *members[end - 1];
    }
    SendPush({target->id, target->address}, groups, std::move(route));
  }
}

void PushTree::SendPush(const PeerEndpoint& to, const std::vector<PeerDeltas>& groups,
                        PushRoute route) {
  Message push = context_.NewMessage(MessageKind::kPush);
  push.push = std::move(route);
  push.deltas = groups;
  // Forwarded groups were sized for another route; drop what no longer fits
  // (anti-entropy brings it).
  while (!push.deltas.empty() && wire_size::Body(push) > context_.max_body_bytes) {
    push.deltas.pop_back();
  }
  if (push.deltas.empty()) return;
  ++context_.stats.push_messages_sent;
  if (push.push.forwards()) {
    if (unacked_.size() >= kMaxUnacked) unacked_.erase(unacked_.begin());
    unacked_.push_back({to, push, queue_.clock()});
  }
  context_.Send(to, std::move(push));
}

void PushTree::ResendUnacked(Timestamp now) {
  if (unacked_.empty()) return;
  std::vector<Unacked> waiting;
  for (Unacked& u : unacked_) {
    if (now - u.sent_at < kAckWait) {
      waiting.push_back(std::move(u));
      continue;
    }
    ++context_.stats.push_resends;
    ++context_.stats.push_messages_sent;
    context_.Send(std::move(u.to), std::move(u.push));
  }
  unacked_ = std::move(waiting);
}

}  // namespace gossipmonger
