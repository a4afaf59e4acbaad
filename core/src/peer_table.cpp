#include "gossipmonger/peer_table.h"

#include <string>

namespace gossipmonger {

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
  }
  peer.address = header.address;
  peer.generation = header.generation;
  peer.live = header.live;
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
  if (peer == nullptr) {
    return Status::Error(StatusCode::kInvalidArgument,
                         "deltas for unknown peer '" + std::string(id) + "'");
  }
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
    VersionedValue& slot = peer.data[delta.key];
    slot.value = delta.value;
    slot.version = delta.version;
  }
  peer.max_version_seen = max_version_seen;
  return Status::Ok();
}

}  // namespace gossipmonger
