// MemoryStorage: the original's gossipmonger-memory-storage. Keeps every peer in
// memory; nothing survives the process. Its object may outlive an engine, so
// a test can restart a node "with persisted state" inside one process.
#pragma once

#include <memory>

#include "gossipmonger/peer_table.h"
#include "gossipmonger/storage.h"

namespace gossipmonger {

class MemoryStorage final : public Storage {
 public:
  const PeerRecord* Get(std::string_view id) const override { return table_.Get(id); }
  void ForEachPeer(const std::function<void(const PeerRecord&)>& visit) const override {
    table_.ForEach(visit);
  }
  std::size_t PeerCount() const override { return table_.size(); }
  Status PutPeer(const PeerHeader& header) override { return table_.PutPeer(header); }
  Status PutDeltas(std::string_view id, std::span<const KeyDelta> deltas,
                   Version max_version_seen) override {
    return table_.PutDeltas(id, deltas, max_version_seen);
  }
  Status ReplaceData(std::string_view id, std::span<const KeyDelta> deltas,
                     Version max_version_seen, Version clean_through) override {
    return table_.ReplaceData(id, deltas, max_version_seen, clean_through);
  }
  Status CollectTombstones(std::string_view id, std::span<const std::string> keys,
                           Version collected_through) override {
    return table_.CollectTombstones(id, keys, collected_through);
  }
  Status ForgetPeer(const ForgottenPeer& forgotten) override {
    return table_.ForgetPeer(forgotten);
  }
  Status DropForgotten(std::string_view id) override {
    table_.DropForgotten(id);
    return Status::Ok();
  }
  void ForEachForgotten(
      const std::function<void(const ForgottenPeer&)>& visit) const override {
    table_.ForEachForgotten(visit);
  }

 private:
  PeerTable table_;
};

}  // namespace gossipmonger
