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
    if (peer.id != self.id) Track(peer, now);
  });
}

// --- this node ------------------------------------------------------------------

Status PeerView::SetOwnValue(std::string_view key, std::string_view value) {
  const PeerRecord& own = OwnRecord();
  auto it = own.data.find(std::string(key));
  if (it != own.data.end() && it->second.value == value) return Status::Ok();
  const std::size_t max_keys = context_.options.limits.max_keys_per_peer;
  if (it == own.data.end() && own.data.size() >= max_keys) {
    return Status::Error(StatusCode::kLimitExceeded,
                         "max_keys_per_peer (" + std::to_string(max_keys) + ") reached");
  }
  version_ = version_.next();
  const KeyDelta delta{std::string(key), std::string(value), version_};
  Status stored = storage_.PutDeltas(context_.self.id,
                                     std::span<const KeyDelta>(&delta, 1), version_);
  context_.ReportIfFailed(stored);
  return stored;
}

Status PeerView::SetOwnMark(std::string_view key, EntryKind kind, WallTime expires_at) {
  version_ = version_.next();
  const KeyDelta delta{std::string(key), std::string(), version_, kind, expires_at};
  Status stored = storage_.PutDeltas(context_.self.id,
                                     std::span<const KeyDelta>(&delta, 1), version_);
  context_.ReportIfFailed(stored);
  return stored;
}

void PeerView::TakeNewLineage(Generation above) {
  generation_ = above.next();
  std::vector<std::pair<Version, KeyDelta>> ordered;
  for (const auto& [key, value] : OwnRecord().data) {
    ordered.push_back({value.version, KeyDelta{key, value.value, Version(), value.kind}});
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
    ring_dirty_ = true;
  }
  return it->second;
}

// --- changes ------------------------------------------------------------------------

void PeerView::PutHeader(PeerState& state, const PeerHeader& header) {
  context_.ReportIfFailed(storage_.PutPeer(header));
  // Storage::PutPeer: another generation shares nothing with the old one.
  if (header.generation != state.generation_) state.max_version_seen_ = Version();
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
  const bool same_lineage = peer != nullptr && group.generation == peer->generation;
  // Skip what we already hold; the rest continues our prefix.
  const Version held = same_lineage ? peer->max_version_seen : Version();
  auto first = std::find_if(group.deltas.begin(), group.deltas.end(),
                            [&](const KeyDelta& d) { return d.version > held; });
  const std::span<const KeyDelta> fresh(first, group.deltas.end());
  // Keys the peer would have (a new lineage or a new peer starts empty).
  std::size_t keys = fresh.size();
  if (same_lineage) {
    keys = peer->data.size();
    for (const KeyDelta& delta : fresh) keys += peer->data.count(delta.key) == 0 ? 1 : 0;
  }
  PeerState* state = AcceptHeader(group, peer, now);
  if (state == nullptr) return;
  stats.deltas_ignored += static_cast<std::uint64_t>(first - group.deltas.begin());
  if (fresh.empty()) return;
  const std::size_t max_keys = context_.options.limits.max_keys_per_peer;
  if (keys > max_keys) {
    stats.deltas_ignored += fresh.size();
    context_.Report(Status::Error(StatusCode::kLimitExceeded,
                                  "ignored deltas of peer '" + group.id +
                                      "': max_keys_per_peer (" +
                                      std::to_string(max_keys) + ") reached"));
    return;
  }
  PutData(*state, group.id, fresh, fresh.back().version);
  stats.deltas_applied += fresh.size();
  for (const KeyDelta& delta : fresh) {
    context_.Announce(UpdateEvent{group.id, delta.key, delta.value, delta.version});
  }
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
