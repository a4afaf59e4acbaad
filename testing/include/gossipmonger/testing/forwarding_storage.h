// ForwardingStorage: a Storage that passes every call to another one. Derive
// from it to count, delay or fail some calls of a real backend in a test
// and forward the rest unchanged.
//
// Ownership: `inner` must outlive the ForwardingStorage.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "gossipmonger/storage.h"

namespace gossipmonger::testing {

class ForwardingStorage : public Storage {
 public:
  explicit ForwardingStorage(Storage& inner) : inner_(inner) {}

  const PeerRecord* Get(std::string_view id) const override { return inner_.Get(id); }
  void ForEachPeer(const std::function<void(const PeerRecord&)>& visit) const override {
    inner_.ForEachPeer(visit);
  }
  std::size_t PeerCount() const override { return inner_.PeerCount(); }
  Status PutPeer(const PeerHeader& header) override { return inner_.PutPeer(header); }
  Status PutDeltas(std::string_view id, std::span<const KeyDelta> deltas,
                   Version max_version_seen) override {
    return inner_.PutDeltas(id, deltas, max_version_seen);
  }
  Status ReplaceData(std::string_view id, std::span<const KeyDelta> deltas,
                     Version max_version_seen, Version clean_through) override {
    return inner_.ReplaceData(id, deltas, max_version_seen, clean_through);
  }
  Status CollectTombstones(std::string_view id, std::span<const std::string> keys,
                           Version collected_through) override {
    return inner_.CollectTombstones(id, keys, collected_through);
  }
  Status ForgetPeer(const ForgottenPeer& forgotten) override {
    return inner_.ForgetPeer(forgotten);
  }
  Status DropForgotten(std::string_view id) override { return inner_.DropForgotten(id); }
  void ForEachForgotten(
      const std::function<void(const ForgottenPeer&)>& visit) const override {
    inner_.ForEachForgotten(visit);
  }
  Status Flush() override { return inner_.Flush(); }

 protected:
  Storage& inner() { return inner_; }

 private:
  Storage& inner_;
};

}  // namespace gossipmonger::testing
