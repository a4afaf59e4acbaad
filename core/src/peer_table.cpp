#include "gossipmonger/peer_table.h"

#include <algorithm>
#include <string>

namespace gossipmonger {

namespace {

Status UnknownPeer(std::string_view id) {
  return Status::Error(StatusCode::kInvalidArgument,
                       "deltas for unknown peer '" + std::string(id) + "'");
}

VersionedValue StoredValue(const KeyDelta& delta) {
  return {delta.value, delta.version, delta.kind, delta.expires_at};
}

}  // namespace

const PeerRecord* PeerTable::Get(std::string_view id) const {
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : &it->second;
}

void PeerTable::ForEach(const std::function<void(const PeerRecord&)>& visit) const {
  for (const auto& [id, peer] : peers_) visit(peer);
}

Status PeerTable::PutPeer(const PeerHeader& header, PutPeerResult* result) {
  if (header.id.empty()) {
    return Status::Error(StatusCode::kInvalidArgument, "peer id is empty");
  }
  PutPeerResult outcome;
  auto [it, inserted] = peers_.try_emplace(header.id);
  PeerRecord& peer = it->second;
  outcome.created = inserted;
  if (inserted) {
    peer.id = header.id;
  } else if (peer.generation != header.generation) {
    outcome.data_dropped = !peer.data.empty() || peer.max_version_seen != Version();
    peer.data.clear();
    peer.max_version_seen = Version();
    peer.collected_through = Version();
    peer.clean_through = Version();
  }
  peer.address = header.address;
  peer.generation = header.generation;
  peer.live = header.live;
  peer.down_since = header.down_since;
  if (result != nullptr) *result = outcome;
  return Status::Ok();
}

Status PeerTable::Restore(PeerRecord&& record) {
  if (record.id.empty()) {
    return Status::Error(StatusCode::kInvalidArgument, "peer id is empty");
  }
  if (peers_.find(record.id) != peers_.end()) {
    return Status::Error(StatusCode::kInvalidArgument,
                         "peer '" + record.id + "' is already present");
  }
  for (const auto& [key, value] : record.data) {
    if (value.version > record.max_version_seen) {
      return Status::Error(StatusCode::kInvalidArgument,
                           "a value's version " + std::to_string(value.version.value()) +
                               " exceeds max_version_seen " +
                               std::to_string(record.max_version_seen.value()));
    }
  }
  std::string id = record.id;
  peers_.emplace(std::move(id), std::move(record));
  return Status::Ok();
}

Status PeerTable::CheckDeltas(std::string_view id, std::span<const KeyDelta> deltas,
                              Version max_version_seen) const {
  const PeerRecord* peer = Get(id);
  if (peer == nullptr) return UnknownPeer(id);
  Version previous = peer->max_version_seen;
  for (const KeyDelta& delta : deltas) {
    if (delta.version <= previous) {
      return Status::Error(StatusCode::kInvalidArgument,
                           "delta versions must ascend above max_version_seen");
    }
    previous = delta.version;
  }
  if (max_version_seen < previous) {
    return Status::Error(StatusCode::kInvalidArgument,
                         "max_version_seen below the last delta's version");
  }
  return Status::Ok();
}

Status PeerTable::PutDeltas(std::string_view id, std::span<const KeyDelta> deltas,
                            Version max_version_seen) {
  Status checked = CheckDeltas(id, deltas, max_version_seen);
  if (!checked.ok()) return checked;
  PeerRecord& peer = peers_.find(id)->second;
  for (const KeyDelta& delta : deltas) {
    peer.data[delta.key] = StoredValue(delta);
  }
  peer.max_version_seen = max_version_seen;
  return Status::Ok();
}

Status PeerTable::CheckReplaceData(std::string_view id, std::span<const KeyDelta> deltas,
                                   Version max_version_seen) const {
  if (Get(id) == nullptr) return UnknownPeer(id);
  Version previous;
  for (const KeyDelta& delta : deltas) {
    if (delta.version <= previous) {
      return Status::Error(StatusCode::kInvalidArgument, "reset versions must ascend");
    }
    previous = delta.version;
  }
  if (max_version_seen < previous) {
    return Status::Error(StatusCode::kInvalidArgument,
                         "max_version_seen below the last delta's version");
  }
  return Status::Ok();
}

Status PeerTable::ReplaceData(std::string_view id, std::span<const KeyDelta> deltas,
                              Version max_version_seen, Version clean_through) {
  Status checked = CheckReplaceData(id, deltas, max_version_seen);
  if (!checked.ok()) return checked;
  PeerRecord& peer = peers_.find(id)->second;
  peer.data.clear();
  for (const KeyDelta& delta : deltas) peer.data[delta.key] = StoredValue(delta);
  peer.max_version_seen = max_version_seen;
  peer.clean_through = clean_through;
  return Status::Ok();
}

Status PeerTable::CheckCollectTombstones(std::string_view id,
                                         std::span<const std::string> keys,
                                         Version collected_through) const {
  const PeerRecord* peer = Get(id);
  if (peer == nullptr) return UnknownPeer(id);
  for (const std::string& key : keys) {
    auto it = peer->data.find(key);
    if (it == peer->data.end() || it->second.kind != EntryKind::kTombstone ||
        it->second.version > collected_through) {
      return Status::Error(StatusCode::kInvalidArgument,
                           "'" + key + "' is not a tombstone at or below " +
                               std::to_string(collected_through.value()));
    }
  }
  return Status::Ok();
}

Status PeerTable::CollectTombstones(std::string_view id,
                                    std::span<const std::string> keys,
                                    Version collected_through) {
  Status checked = CheckCollectTombstones(id, keys, collected_through);
  if (!checked.ok()) return checked;
  PeerRecord& peer = peers_.find(id)->second;
  for (const std::string& key : keys) peer.data.erase(key);
  peer.collected_through = std::max(peer.collected_through, collected_through);
  return Status::Ok();
}

Status PeerTable::ForgetPeer(const ForgottenPeer& forgotten) {
  auto it = peers_.find(forgotten.id);
  if (it == peers_.end()) return UnknownPeer(forgotten.id);
  peers_.erase(it);
  RestoreForgotten(forgotten);
  return Status::Ok();
}

void PeerTable::DropForgotten(std::string_view id) {
  auto it = forgotten_.find(id);
  if (it != forgotten_.end()) forgotten_.erase(it);
}

void PeerTable::ForEachForgotten(
    const std::function<void(const ForgottenPeer&)>& visit) const {
  for (const auto& [id, forgotten] : forgotten_) visit(forgotten);
}

const ForgottenPeer* PeerTable::FindForgotten(std::string_view id) const {
  auto it = forgotten_.find(id);
  return it == forgotten_.end() ? nullptr : &it->second;
}

void PeerTable::RestoreForgotten(ForgottenPeer forgotten) {
  std::string id = forgotten.id;
  forgotten_.insert_or_assign(std::move(id), std::move(forgotten));
}

}  // namespace gossipmonger
