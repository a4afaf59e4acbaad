#include "peer_view.h"

#include <algorithm>
#include <string>
#include <utility>

#include "validation.h"

namespace gossipmonger {

namespace {

// down_since 0 means "not dated"; a peer marked down at wall time 0 (a
// virtual clock at its very start) is dated 1 µs, so that it is reaped.
WallTime DownSince(WallTime wall) { return std::max(wall, WallTime(1)); }

}  // namespace

PeerView::PeerView(EngineContext& context, Storage& storage)
    : context_(context), storage_(storage) {}

void PeerView::Load(Timestamp now, Generation fresh_generation) {
  const PeerEndpoint& self = context_.self;
  const PeerRecord* own = storage_.Get(self.id);
  if (own != nullptr && own->generation != Generation()) {
    generation_ = own->generation;
    version_ = own->max_version_seen;
    if (own->address != self.address || !own->live) {
      context_.ReportIfFailed(
          storage_.PutPeer({self.id, self.address, generation_, true}));
    }
  } else {
    generation_ = std::max(fresh_generation, Generation(1));
    context_.ReportIfFailed(storage_.PutPeer({self.id, self.address, generation_, true}));
  }
  storage_.ForEachPeer([&](const PeerRecord& peer) {
    tombstones_.TrackRecord(peer);
    if (peer.id != self.id) Track(peer, now);
  });
  ttl_.Rebuild(OwnRecord());
}

// --- this node ------------------------------------------------------------------

Status PeerView::SetOwnValue(std::string_view key, std::string_view value,
                             WallTime expires_at) {
  const PeerRecord& own = OwnRecord();
  KeyDelta delta{std::string(key), std::string(value), Version(), EntryKind::kValue,
                 expires_at};
  auto it = own.data.find(delta.key);
  const bool held = it != own.data.end();
  const bool live = held && it->second.kind == EntryKind::kValue;
  if (live && it->second.value == value && it->second.expires_at == expires_at) {
    return Status::Ok();
  }
  const std::size_t max_keys = context_.options.limits.max_keys_per_peer;
  if (!live && LiveKeys(own) >= max_keys) {
    return Status::Error(StatusCode::kLimitExceeded,
                         "max_keys_per_peer (" + std::to_string(max_keys) + ") reached");
  }
  if (held && it->second.kind == EntryKind::kTombstone) {
    tombstones_.Untrack(context_.self.id, it->second.version);
  }
  version_ = version_.next();
  delta.version = version_;
  Status stored = storage_.PutDeltas(context_.self.id,
                                     std::span<const KeyDelta>(&delta, 1), version_);
  context_.ReportIfFailed(stored);
  ttl_.Set(delta.key, expires_at);
  return stored;
}

Status PeerView::DeleteOwnKey(std::string_view key, WallTime now) {
  const PeerRecord& own = OwnRecord();
  auto it = own.data.find(std::string(key));
  if (it == own.data.end() || it->second.kind != EntryKind::kValue) return Status::Ok();
  version_ = version_.next();
  const KeyDelta delta{std::string(key), std::string(), version_, EntryKind::kTombstone,
                       TombstoneDeadline(now)};
  Status stored = storage_.PutDeltas(context_.self.id,
                                     std::span<const KeyDelta>(&delta, 1), version_);
  context_.ReportIfFailed(stored);
  tombstones_.Track(context_.self.id, delta.key, delta.version, delta.expires_at);
  ttl_.Clear(delta.key);
  return stored;
}

WallTime PeerView::TombstoneDeadline(WallTime now) const {
  // WallTime() would mean "never"; a grace of 0 at the epoch still collects.
  return std::max(now + context_.options.tombstone_grace, WallTime(1));
}

void PeerView::CollectTombstones(WallTime now) {
  context_.stats.tombstones_collected += tombstones_.CollectDue(now, storage_, context_);
}

WallTime PeerView::LatestStoredWallTime() const {
  const WallTime latest = tombstones_.LatestDeadline();
  if (latest == WallTime()) return WallTime();
  // Exact while tombstone_grace is unchanged; lowered since, this is ahead
  // by at most the decrease (a forward step: docs/LIFECYCLE.md, "Clocks").
  return latest - context_.options.tombstone_grace;
}

Status PeerView::SetOwnMark(std::string_view key, EntryKind kind, WallTime now) {
  const PeerRecord& own = OwnRecord();
  if (auto it = own.data.find(std::string(key));
      it != own.data.end() && it->second.kind == EntryKind::kTombstone) {
    tombstones_.Untrack(context_.self.id, it->second.version);
  }
  version_ = version_.next();
  const WallTime expires_at =
      kind == EntryKind::kTombstone ? TombstoneDeadline(now) : WallTime();
  const KeyDelta delta{std::string(key), std::string(), version_, kind, expires_at};
  Status stored = storage_.PutDeltas(context_.self.id,
                                     std::span<const KeyDelta>(&delta, 1), version_);
  context_.ReportIfFailed(stored);
  if (kind == EntryKind::kTombstone) {
    tombstones_.Track(context_.self.id, delta.key, delta.version, expires_at);
  }
  return stored;
}

void PeerView::TakeNewLineage(Generation above) {
  generation_ = above.next();
  std::vector<std::pair<Version, KeyDelta>> ordered;
  for (const auto& [key, value] : OwnRecord().data) {
    if (value.kind == EntryKind::kTombstone) continue;
    ordered.push_back({value.version, KeyDelta{key, value.value, Version(), value.kind,
                                               value.expires_at}});
  }
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<KeyDelta> data;
  data.reserve(ordered.size());
  Version version;
  for (auto& [old_version, delta] : ordered) {
    version = version.next();
    delta.version = version;
    data.push_back(std::move(delta));
  }
  const PeerEndpoint& self = context_.self;
  context_.ReportIfFailed(storage_.PutPeer({self.id, self.address, generation_, true}));
  tombstones_.Forget(self.id);
  version_ = version;
  context_.ReportIfFailed(storage_.PutDeltas(self.id, data, version_));
}

// --- peers ------------------------------------------------------------------------

PeerState* PeerView::Find(std::string_view id) {
  auto it = states_.find(id);
  return it == states_.end() ? nullptr : &it->second;
}

const PeerState* PeerView::Find(std::string_view id) const {
  auto it = states_.find(id);
  return it == states_.end() ? nullptr : &it->second;
}

const std::vector<const PeerId*>& PeerView::LiveRing() {
  if (ring_dirty_) {
    ring_.clear();
    for (const auto& [id, state] : states_) {
      if (state.live()) ring_.push_back(&id);
    }
    std::sort(ring_.begin(), ring_.end(),
              [](const PeerId* a, const PeerId* b) { return *a < *b; });
    ring_dirty_ = false;
  }
  return ring_;
}

PeerState& PeerView::Track(const PeerRecord& record, Timestamp now) {
  auto it = states_.find(record.id);
  if (it == states_.end()) {
    it = states_.emplace(record.id, PeerState(now, context_.options)).first;
    PeerState& state = it->second;
    state.generation_ = record.generation;
    state.max_version_seen_ = record.max_version_seen;
    state.live_ = record.live;
    state.down_since_ = record.down_since;
    state.vouched = record.live;
    ring_dirty_ = true;
  }
  return it->second;
}

// --- changes ------------------------------------------------------------------------

void PeerView::PutHeader(PeerState& state, const PeerHeader& header) {
  context_.ReportIfFailed(storage_.PutPeer(header));
  // Storage::PutPeer: another generation shares nothing with the old one.
  if (header.generation != state.generation_) {
    state.max_version_seen_ = Version();
    state.clean_through_ = Version();
    tombstones_.Forget(header.id);
  }
  state.generation_ = header.generation;
  if (header.live != state.live_) ring_dirty_ = true;
  state.live_ = header.live;
  state.down_since_ = header.down_since;
}

void PeerView::PutData(PeerState& state, std::string_view id,
                       std::span<const KeyDelta> deltas, Version max_version_seen) {
  context_.ReportIfFailed(storage_.PutDeltas(id, deltas, max_version_seen));
  state.max_version_seen_ = max_version_seen;
}

PeerState* PeerView::Admit(const PeerHeader& header, Timestamp now) {
  if (header.address.empty()) return nullptr;  // it could never be called back
  Status admitted =
      validation::AdmitPeer(header.id, storage_.PeerCount(), context_.options.limits);
  if (!admitted.ok()) {
    context_.Report(std::move(admitted));
    return nullptr;
  }
  PeerState& state =
      states_.insert_or_assign(header.id, PeerState(now, context_.options)).first->second;
  ring_dirty_ = true;
  PutHeader(state, header);
  context_.Announce(NewPeerEvent{{header.id, header.address}});
  return &state;
}

void PeerView::SetLive(const PeerId& id, PeerState& state, bool live,
                       WallTime down_since) {
  const PeerRecord* peer = storage_.Get(id);
  if (peer == nullptr) return;
  PeerHeader header{peer->id, peer->address, peer->generation, live,
                    live ? WallTime() : down_since};
  PutHeader(state, header);
  if (live) {
    context_.Announce(PeerLiveEvent{{header.id, header.address}});
  } else {
    context_.Announce(PeerDeadEvent{{header.id, header.address}});
  }
}

void PeerView::MarkDown(const PeerId& id, PeerState& state, WallTime since) {
  const PeerRecord* peer = storage_.Get(id);
  if (peer == nullptr) return;
  PutHeader(state, {peer->id, peer->address, peer->generation, false, DownSince(since)});
}

bool PeerView::Forget(const ForgottenPeer& forgotten) {
  context_.ReportIfFailed(storage_.ForgetPeer(forgotten));
  // A failed write normally still changes the working set; one that did
  // not leaves the peer known (and its state, by the invariant).
  if (storage_.Get(forgotten.id) != nullptr) return false;
  auto it = states_.find(forgotten.id);
  if (it == states_.end()) return true;
  if (it->second.live_) ring_dirty_ = true;
  states_.erase(it);
  return true;
}

void PeerView::AdoptLineage(const PeerId& id, PeerState& state, std::string address,
                            Generation generation, Heartbeat heartbeat, Timestamp now) {
  const bool was_dead = !state.live_;
  // A new lineage has not left (whatever the old one did).
  state.left = false;
  PutHeader(state, {id, address, generation, true});
  // The silence before the restart teaches the detector nothing.
  state.heartbeat = heartbeat;
  state.detector.Restart(heartbeat, now, context_.options);
  if (was_dead) context_.Announce(PeerLiveEvent{{id, std::move(address)}});
}

void PeerView::SetAddress(const PeerId& id, PeerState& state, std::string address) {
  PutHeader(state,
            {id, std::move(address), state.generation_, state.live_, state.down_since_});
}

void PeerView::ApplyDeltas(const PeerDeltas& group, Timestamp now) {
  EngineStats& stats = context_.stats;
  if (group.id == context_.self.id) {
    // We are the owner: nobody knows our data better than we do.
    stats.deltas_ignored += group.deltas.size();
    return;
  }
  // The one read. The record may move at our first write, so everything
  // needed of it is taken before.
  const PeerRecord* peer = storage_.Get(group.id);
  if (peer != nullptr && group.generation < peer->generation) {
    stats.deltas_ignored += group.deltas.size();
    return;
  }
  if (group.reset_through != Version() && !group.deltas.empty() &&
      ResetReplaces(group, peer)) {
    ApplyReset(group, peer, now);
    return;
  }
  // A reset we are as clean as continues our prefix like plain deltas.
  const bool same_lineage = peer != nullptr && group.generation == peer->generation;
  // Skip what we already hold; the rest continues our prefix.
  const Version held = same_lineage ? peer->max_version_seen : Version();
  auto first = std::find_if(group.deltas.begin(), group.deltas.end(),
                            [&](const KeyDelta& d) { return d.version > held; });
  const std::span<const KeyDelta> fresh(first, group.deltas.end());
  const Effect effect = Examine(same_lineage ? peer : nullptr, fresh);
  PeerState* state = AcceptHeader(group, peer, now);
  if (state == nullptr) return;
  stats.deltas_ignored += static_cast<std::uint64_t>(first - group.deltas.begin());
  if (fresh.empty()) return;
  const bool plain =
      group.reset_through == Version() && group.continues_from == Version();
  if (plain && now < state->plain_refused_until_) {
    stats.deltas_ignored += fresh.size();
    return;
  }
  if (!WithinKeyLimit(group, effect.live_keys, fresh.size())) return;
  StoreFresh(group, *state, fresh, effect, now);
}

PeerView::Effect PeerView::Examine(const PeerRecord* peer,
                                   std::span<const KeyDelta> fresh) const {
  Effect effect;
  effect.held_value.reserve(fresh.size());
  std::size_t live = peer != nullptr ? LiveKeys(*peer) : 0;
  for (const KeyDelta& delta : fresh) {
    const VersionedValue* old = nullptr;
    if (peer != nullptr) {
      auto it = peer->data.find(delta.key);
      if (it != peer->data.end()) old = &it->second;
    }
    const bool was_live = old != nullptr && old->kind != EntryKind::kTombstone;
    if (old != nullptr && !was_live) effect.replaced_tombstones.push_back(old->version);
    live = live - (was_live ? 1 : 0) + (delta.kind != EntryKind::kTombstone ? 1 : 0);
    effect.held_value.push_back(old != nullptr && old->kind == EntryKind::kValue);
  }
  effect.live_keys = live;
  return effect;
}

bool PeerView::WithinKeyLimit(const PeerDeltas& group, std::size_t live_keys,
                              std::size_t fresh) const {
  const std::size_t max_keys = context_.options.limits.max_keys_per_peer;
  if (live_keys <= max_keys) return true;
  context_.stats.deltas_ignored += fresh;
  context_.Report(Status::Error(StatusCode::kLimitExceeded,
                                "ignored deltas of peer '" + group.id +
                                    "': max_keys_per_peer (" + std::to_string(max_keys) +
                                    ") reached"));
  return false;
}

std::span<const KeyDelta> PeerView::Localized(std::span<const KeyDelta> deltas,
                                              WallTime now,
                                              std::vector<KeyDelta>& scratch) const {
  const bool as_is = std::all_of(deltas.begin(), deltas.end(), [](const KeyDelta& d) {
    return d.kind != EntryKind::kTombstone && d.expires_at == WallTime();
  });
  if (as_is) return deltas;
  scratch.assign(deltas.begin(), deltas.end());
  const WallTime deadline = TombstoneDeadline(now);
  for (KeyDelta& delta : scratch) {
    delta.expires_at = delta.kind == EntryKind::kTombstone ? deadline : WallTime();
  }
  return scratch;
}

void PeerView::StoreFresh(const PeerDeltas& group, PeerState& state,
                          std::span<const KeyDelta> fresh, const Effect& effect,
                          Timestamp now) {
  std::vector<KeyDelta> scratch;
  const std::span<const KeyDelta> stored =
      Localized(fresh, context_.WallNow(now), scratch);
  PutData(state, group.id, stored, stored.back().version);
  context_.stats.deltas_applied += stored.size();
  for (Version version : effect.replaced_tombstones)
    tombstones_.Untrack(group.id, version);
  for (std::size_t i = 0; i < stored.size(); ++i) {
    const KeyDelta& delta = stored[i];
    switch (delta.kind) {
      case EntryKind::kValue:
        context_.Announce(UpdateEvent{group.id, delta.key, delta.value, delta.version});
        break;
      case EntryKind::kTombstone:
        tombstones_.Track(group.id, delta.key, delta.version, delta.expires_at);
        // A key we never held a value of was never visible here.
        if (effect.held_value[i])
          context_.Announce(DeleteEvent{group.id, delta.key, delta.version});
        break;
      case EntryKind::kLeave:
        break;  // the peer's departure: read from its record after this call
    }
  }
}

bool PeerView::ResetReplaces(const PeerDeltas& group, const PeerRecord* peer) {
  if (peer == nullptr || group.generation > peer->generation) return true;
  return group.reset_through > std::max(peer->max_version_seen, peer->clean_through);
}

PeerState* PeerView::AcceptHeader(const PeerDeltas& group, const PeerRecord* peer,
                                  Timestamp now) {
  if (peer == nullptr) {
    if (group.address.empty()) {
      context_.stats.deltas_ignored += group.deltas.size();
      context_.Announce(UnknownPeerEvent{group.id});
      return nullptr;
    }
    return Admit({group.id, group.address, group.generation, true}, now);
  }
  PeerState& state = Track(*peer, now);
  if (group.generation > peer->generation) {
    AdoptLineage(group.id, state, group.address.empty() ? peer->address : group.address,
                 group.generation, Heartbeat(), now);
  } else if (!group.address.empty() && group.address != peer->address) {
    SetAddress(group.id, state, group.address);
  }
  return &state;
}

}  // namespace gossipmonger
