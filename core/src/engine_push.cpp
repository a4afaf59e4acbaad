// Pushes: fresh deltas sent at once, outside the rounds (rumour mongering
// over the anti-entropy, as Demers et al. 1987 combine them). See
// docs/DESIGN-NOTES.md, "Push and fanout".
//
// Invariants:
// - A pushed group carries every change of its peer in (continues_from,
//   last]; it is applied only when it continues the prefix the receiver
//   holds, else held (bounded) until anti-entropy or a push fills the gap.
// - A node forwards a delta at most once (only what was new to it), to at
//   most push_fanout peers, and never more than push_max_hops from its
//   origin: each origination costs at most (n - 1) * push_fanout messages,
//   and about n - 1 when the views agree (a tree).
// - Only originations take a token of the rate limit; what waits for one is
//   coalesced into the next push.
#include <algorithm>
#include <utility>

#include "gossipmonger/engine.h"
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

}  // namespace

// --- receiving ----------------------------------------------------------------

void Engine::ReceivePush(const Message& push, Timestamp now) {
  ++stats_.pushes_received;
  if (push.deltas.empty()) {
    // An acknowledgement: the peer has what we pushed to it (only pushes
    // with a part of the tree to forward to are acknowledged).
    std::erase_if(unacked_, [&](const Unacked& u) { return u.to.id == push.sender.id; });
    return;
  }
  const PushRoute& route = push.push;
  if (route.forwards()) outbox_.push_back({push.sender, NewMessage(MessageKind::kPush)});
  // What was new to us travels on trimmed to its new part; a group that
  // brought nothing new (anti-entropy was faster, or this is a resend) still
  // goes down our part of the tree, whose nodes may lack it: the route, not
  // newness, bounds forwarding (the arc shrinks and hops_left falls at every
  // hop, so one push reaches each node of its arc at most once per copy).
  std::vector<PeerDeltas> onward;
  for (const PeerDeltas& group : push.deltas) {
    std::optional<PeerDeltas> part = ApplyPushGroup(group, now);
    onward.push_back(part ? std::move(*part) : group);
  }
  const std::size_t hops_left =
      std::min<std::size_t>(route.hops_left, options_.push_max_hops);
  if (options_.push_fanout == 0 || hops_left == 0 || !route.forwards()) return;
  ++stats_.pushes_forwarded;
  PushDown(onward, route.range_after, route.range_until, hops_left - 1, push.sender.id);
}

std::optional<PeerDeltas> Engine::ApplyPushGroup(const PeerDeltas& group, Timestamp now) {
  if (group.id == self_.id) {
    stats_.deltas_ignored += group.deltas.size();
    return std::nullopt;
  }
  const PeerRecord* peer = storage_.Get(group.id);
  if (peer == nullptr) {
    if (group.address.empty()) {
      stats_.deltas_ignored += group.deltas.size();
      events_.push_back(UnknownPeerEvent{group.id});
      return std::nullopt;
    }
    if (!AdmitPeer({group.id, group.address, group.generation, true}, now)) {
      return std::nullopt;
    }
    peer = storage_.Get(group.id);
  }
  if (group.generation < peer->generation ||
      (group.generation > peer->generation && group.continues_from != Version())) {
    // A stale lineage, or a newer one whose prefix we lack: anti-entropy
    // brings the new lineage whole.
    stats_.deltas_ignored += group.deltas.size();
    return std::nullopt;
  }
  const bool same_lineage = group.generation == peer->generation;
  const Version known = same_lineage ? peer->max_version_seen : Version();
  PeerDeltas part{group.id,
                  group.generation,
                  group.address,
                  {},
                  std::max(group.continues_from, known)};
  for (const KeyDelta& delta : group.deltas) {
    if (delta.version > known) part.deltas.push_back(delta);
  }
  if (part.deltas.empty()) {
    stats_.deltas_ignored += group.deltas.size();
    return std::nullopt;
  }
  if (group.continues_from > known) {
    if (!Hold(part)) return std::nullopt;  // held already: not new
    return part;
  }
  ApplyPeerDeltas(group, now);
  if (!held_.empty()) ReleaseHeld(group.id, now);
  return part;
}

// --- the buffer of groups waiting for their prefix ------------------------------

bool Engine::Hold(PeerDeltas group) {
  std::vector<PeerDeltas>& held = held_[group.id];
  for (const PeerDeltas& other : held) {
    if (other.generation == group.generation &&
        other.deltas.back().version >= group.deltas.back().version &&
        other.continues_from <= group.continues_from) {
      return false;  // covers it already
    }
  }
  if (held.size() >= kMaxHeldGroupsPerPeer ||
      held_deltas_ + group.deltas.size() > kMaxHeldDeltas) {
    // Full: anti-entropy will bring these. Still new to us, so forwarded.
    stats_.held_dropped += group.deltas.size();
    if (held.empty()) held_.erase(group.id);
    return true;
  }
  stats_.deltas_held += group.deltas.size();
  held_deltas_ += group.deltas.size();
  held.push_back(std::move(group));
  return true;
}

void Engine::DropHeld(std::vector<PeerDeltas>& held, std::size_t index) {
  held_deltas_ -= held[index].deltas.size();
  held.erase(held.begin() + static_cast<long>(index));
}

void Engine::ReleaseHeld(const PeerId& id, Timestamp now) {
  auto it = held_.find(id);
  if (it == held_.end()) return;
  std::vector<PeerDeltas>& held = it->second;
  bool progress = true;
  while (progress && !held.empty()) {
    progress = false;
    const PeerRecord* peer = storage_.Get(id);
    if (peer == nullptr) break;
    for (std::size_t i = 0; i < held.size(); ++i) {
      const PeerDeltas& group = held[i];
      if (group.generation != peer->generation ||
          group.deltas.back().version <= peer->max_version_seen) {
        DropHeld(held, i);  // another lineage, or the prefix passed it
        progress = true;
        break;
      }
      if (group.continues_from <= peer->max_version_seen) {
        const PeerDeltas ready = std::move(held[i]);
        DropHeld(held, i);
        ApplyPeerDeltas(ready, now);
        progress = true;
        break;
      }
    }
  }
  if (held.empty()) held_.erase(it);
}

// --- starting pushes --------------------------------------------------------------

void Engine::NoteLearned(const PeerId& id, Generation generation_before, Version before) {
  if (options_.push_fanout == 0 || stats_.rounds <= kCatchUpRounds) return;
  auto it = liveness_.find(id);
  if (it == liveness_.end()) return;
  const Liveness& after = it->second;
  const bool new_lineage = after.generation != generation_before;
  if (!new_lineage && after.max_version_seen <= before) return;
  const Version from = new_lineage ? Version() : before;
  auto [pending, inserted] = pending_learned_.try_emplace(id, from);
  if (!inserted) pending->second = std::min(pending->second, from);
}

void Engine::RefillPushTokens(Timestamp now) {
  const double capacity = std::max(1.0, options_.push_rate_limit);
  if (last_refill_ && now > *last_refill_) {
    const double intervals =
        static_cast<double>((now - *last_refill_).count()) /
        static_cast<double>(
            std::chrono::duration_cast<Duration>(options_.gossip_interval).count());
    push_tokens_ =
        std::min(capacity, push_tokens_ + intervals * options_.push_rate_limit);
  }
  if (!last_refill_ || now > *last_refill_) last_refill_ = now;
}

void Engine::FlushPushes() {
  if (options_.push_fanout == 0) {
    pending_own_from_.reset();
    pending_learned_.clear();
    return;
  }
  // The route's ids are at most max_peer_id_bytes long.
  const std::size_t route_reserve =
      wire_size::Uint(255) + 2 * wire_size::Str(options_.limits.max_peer_id_bytes);
  const std::size_t empty_body = wire_size::PushBodyOverhead({}) + route_reserve;
  if (pending_own_from_ && pending_own_from_ >= version_) pending_own_from_.reset();
  if (pending_own_from_) {
    if (push_tokens_ < 1) {
      ++stats_.push_waits;
    } else {
      push_tokens_ -= 1;
      std::size_t budget = BodyBudget() - std::min(BodyBudget(), empty_body);
      PeerDeltas group =
          PushGroupOf(*storage_.Get(self_.id), *pending_own_from_, &budget);
      // What did not fit waits for the next token.
      pending_own_from_ = group.deltas.empty() ? version_ : group.deltas.back().version;
      if (*pending_own_from_ >= version_) pending_own_from_.reset();
      if (!group.deltas.empty()) {
        ++stats_.pushes_started;
        PushDown({std::move(group)}, self_.id, self_.id, options_.push_max_hops - 1, {});
      }
    }
  }
  if (!pending_learned_.empty()) {
    if (push_tokens_ < 1) {
      ++stats_.push_waits;
      return;
    }
    push_tokens_ -= 1;
    std::size_t budget = BodyBudget() - std::min(BodyBudget(), empty_body);
    std::vector<PeerDeltas> groups;
    for (const auto& [id, from] : pending_learned_) {
      const PeerRecord* peer = storage_.Get(id);
      if (peer == nullptr || !peer->live) continue;
      PeerDeltas group = PushGroupOf(*peer, from, &budget);
      if (!group.deltas.empty()) groups.push_back(std::move(group));
    }
    // What did not fit is left to anti-entropy.
    pending_learned_.clear();
    if (groups.empty()) return;
    ++stats_.pushes_started;
    PushToNeighbours(groups);
  }
}

void Engine::PushToNeighbours(const std::vector<PeerDeltas>& groups) {
  // We missed a push, so most likely did our neighbours on the ring: a push
  // tree covers contiguous arcs, and a lost message loses one. Push down the
  // arc of the push_fanout^2 nearest peers on each side; those that have it
  // already stop it there.
  const std::vector<const PeerId*>& ring = LiveRing();
  if (ring.empty()) return;
  const std::size_t n = ring.size();
  const std::size_t side = options_.push_fanout * options_.push_fanout;
  if (2 * side >= n) {
    PushDown(groups, self_.id, self_.id, options_.push_max_hops - 1, {});
    return;
  }
  // ring[pos] is the first peer after us.
  const std::size_t pos = static_cast<std::size_t>(
      std::upper_bound(ring.begin(), ring.end(), self_.id,
                       [](const PeerId& a, const PeerId* b) { return a < *b; }) -
      ring.begin());
  const PeerId after = *ring[(pos + n - side - 1) % n];
  const PeerId until = *ring[(pos + side - 1) % n];
  PushDown(groups, after, until, options_.push_max_hops - 1, {});
}

PeerDeltas Engine::PushGroupOf(const PeerRecord& peer, Version from,
                               std::size_t* budget) const {
  PeerDeltas group{peer.id, peer.generation, peer.address, {}, from};
  std::size_t size =
      wire_size::PushGroupOverhead(peer.id, peer.generation, peer.address, from);
  if (size > *budget) return group;
  std::vector<std::pair<Version, const std::string*>> candidates;
  for (const auto& [key, value] : peer.data) {
    if (value.version > from) candidates.push_back({value.version, &key});
  }
  const std::size_t take = std::min(
      {candidates.size(), options_.max_deltas_per_gossip, wire_size::kMaxArrayElements});
  std::partial_sort(candidates.begin(), candidates.begin() + static_cast<long>(take),
                    candidates.end());
  // Ascending, never skipping one to fit a later one (gap-free).
  for (std::size_t i = 0; i < take; ++i) {
    KeyDelta delta{*candidates[i].second, peer.data.at(*candidates[i].second).value,
                   candidates[i].first};
    const std::size_t delta_size = wire_size::Delta(delta);
    if (size + delta_size > *budget) break;
    size += delta_size;
    group.deltas.push_back(std::move(delta));
  }
  if (!group.deltas.empty()) *budget -= size;
  return group;
}

// --- routing ------------------------------------------------------------------------

const std::vector<const PeerId*>& Engine::LiveRing() {
  if (ring_dirty_) {
    ring_.clear();
    for (const auto& [id, liveness] : liveness_) {
      if (liveness.live) ring_.push_back(&id);
    }
    std::sort(ring_.begin(), ring_.end(),
              [](const PeerId* a, const PeerId* b) { return *a < *b; });
    ring_dirty_ = false;
  }
  return ring_;
}

void Engine::PushDown(const std::vector<PeerDeltas>& groups, const PeerId& after,
                      const PeerId& until, std::size_t hops_left,
                      std::string_view exclude) {
  const std::vector<const PeerId*>& ring = LiveRing();
  if (ring.empty()) return;
  // The arc's members in ring order, starting after `after`.
  auto start = std::upper_bound(ring.begin(), ring.end(), after,
                                [](const PeerId& a, const PeerId* b) { return a < *b; });
  std::vector<const PeerId*> members;
  const std::size_t first = static_cast<std::size_t>(start - ring.begin());
  for (std::size_t k = 0; k < ring.size(); ++k) {
    const PeerId* id = ring[(first + k) % ring.size()];
    if (!OnArc(*id, after, until)) break;
    if (*id != exclude) members.push_back(id);
  }
  const std::size_t parts = std::min(options_.push_fanout, members.size());
  for (std::size_t part = 0; part < parts; ++part) {
    const std::size_t begin = part * members.size() / parts;
    const std::size_t end = (part + 1) * members.size() / parts;
    std::uniform_int_distribution<std::size_t> pick(begin, end - 1);
    const PeerRecord* target = storage_.Get(*members[pick(rng_)]);
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

void Engine::SendPush(const PeerEndpoint& to, const std::vector<PeerDeltas>& groups,
                      PushRoute route) {
  Message push = NewMessage(MessageKind::kPush);
  push.push = std::move(route);
  push.deltas = groups;
  // Forwarded groups were sized for another route; drop what no longer fits
  // (anti-entropy brings it).
  while (!push.deltas.empty() && wire_size::Body(push) > BodyBudget())
    push.deltas.pop_back();
  if (push.deltas.empty()) return;
  ++stats_.push_messages_sent;
  if (push.push.forwards()) {
    if (unacked_.size() >= kMaxUnacked) unacked_.erase(unacked_.begin());
    unacked_.push_back({to, push, last_refill_.value_or(Timestamp(0))});
  }
  outbox_.push_back({to, std::move(push)});
}

void Engine::ResendUnacked(Timestamp now) {
  if (unacked_.empty()) return;
  std::vector<Unacked> waiting;
  for (Unacked& u : unacked_) {
    if (now - u.sent_at < kPushAckWait) {
      waiting.push_back(std::move(u));
      continue;
    }
    ++stats_.push_resends;
    ++stats_.push_messages_sent;
    outbox_.push_back({std::move(u.to), std::move(u.push)});
  }
  unacked_ = std::move(waiting);
}

}  // namespace gossipmonger
