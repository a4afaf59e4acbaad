// PeerTable: the in-memory working set every Storage backend keeps. Memory
// storage is a PeerTable; the persistent backends are a PeerTable plus
// write-through. It validates writes so that every backend enforces the
// Storage contract the same way.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "gossipmonger/message.h"
#include "gossipmonger/peer.h"
#include "gossipmonger/status.h"

namespace gossipmonger {

class PeerTable {
 public:
  const PeerRecord* Get(std::string_view id) const;
  void ForEach(const std::function<void(const PeerRecord&)>& visit) const;
  std::size_t size() const { return peers_.size(); }

  struct PutPeerResult {
    bool created = false;
    bool data_dropped = false;  // the generation changed
  };
  // Storage::PutPeer's semantics. Fails only on an empty id.
  Status PutPeer(const PeerHeader& header, PutPeerResult* result = nullptr);
  // Storage::PutDeltas's semantics; checks the peer exists, that versions
  // ascend and exceed the current max_version_seen, and that
  // `max_version_seen` is at least the last delta's version. On failure
  // nothing is changed.
  Status PutDeltas(std::string_view id, std::span<const KeyDelta> deltas,
                   Version max_version_seen);
  // Checks PutDeltas's preconditions without changing anything, so a
  // persistent backend can refuse a batch before writing it.
  Status CheckDeltas(std::string_view id, std::span<const KeyDelta> deltas,
                     Version max_version_seen) const;
  // Storage::ReplaceData, CollectTombstones, ForgetPeer and DropForgotten's
  // semantics; on failure nothing is changed. The Check functions test the
  // preconditions without changing anything, so that a persistent backend
  // can refuse a batch before writing it.
  Status ReplaceData(std::string_view id, std::span<const KeyDelta> deltas,
                     Version max_version_seen, Version clean_through);
  Status CheckReplaceData(std::string_view id, std::span<const KeyDelta> deltas,
                          Version max_version_seen) const;
  Status CollectTombstones(std::string_view id, std::span<const std::string> keys,
                           Version collected_through);
  Status CheckCollectTombstones(std::string_view id, std::span<const std::string> keys,
                                Version collected_through) const;
  Status ForgetPeer(const ForgottenPeer& forgotten);
  void DropForgotten(std::string_view id);
  void ForEachForgotten(const std::function<void(const ForgottenPeer&)>& visit) const;
  // The remembered forgotten peer of this id, or nullptr; valid until the
  // next change of the forgotten peers.
  const ForgottenPeer* FindForgotten(std::string_view id) const;
  // Bulk load of a remembered forgotten peer (replaces one of that id).
  void RestoreForgotten(ForgottenPeer forgotten);

  // Bulk load for a persistent backend's Open: takes a whole peer at once
  // instead of PutPeer plus PutDeltas in version order. Checks that the id is
  // non-empty and not already present and that no value's version exceeds
  // `record.max_version_seen` (kInvalidArgument otherwise, and nothing
  // changes; `record` is then left as it was). On success `record` is moved
  // in. The gap-free prefix invariant (peer.h) cannot be checked from one
  // record; the backend answers for it.
  Status Restore(PeerRecord&& record);
  // Makes room for `peers` peers in all, so that loading them does not
  // rehash. Changes nothing observable.
  void Reserve(std::size_t peers) { peers_.reserve(peers); }
  void Clear() {
    peers_.clear();
    forgotten_.clear();
  }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::unordered_map<std::string, PeerRecord, Hash, std::equal_to<>> peers_;
  std::unordered_map<std::string, ForgottenPeer, Hash, std::equal_to<>> forgotten_;
};

}  // namespace gossipmonger
