// The lifecycle scenarios (tests/lifecycle_scenario.h) on memory storage:
// each node's "disk" is a MemoryStorage that outlives its engine, and a
// copy of it is the storage taken before the delete.
#include <map>

#include "gossipmonger/memory_storage.h"
#include "lifecycle_scenario.h"

namespace {

using namespace gossipmonger;

// A node's view of its disk: every call goes to the MemoryStorage the
// backend keeps, so the state survives the engine and its Storage object.
class DiskView final : public Storage {
 public:
  explicit DiskView(MemoryStorage& disk) : disk_(disk) {}
  const PeerRecord* Get(std::string_view id) const override { return disk_.Get(id); }
  void ForEachPeer(const std::function<void(const PeerRecord&)>& visit) const override {
    disk_.ForEachPeer(visit);
  }
  std::size_t PeerCount() const override { return disk_.PeerCount(); }
  Status PutPeer(const PeerHeader& header) override { return disk_.PutPeer(header); }
  Status PutDeltas(std::string_view id, std::span<const KeyDelta> deltas,
                   Version max_version_seen) override {
    return disk_.PutDeltas(id, deltas, max_version_seen);
  }
  Status ReplaceData(std::string_view id, std::span<const KeyDelta> deltas,
                     Version max_version_seen, Version clean_through) override {
    return disk_.ReplaceData(id, deltas, max_version_seen, clean_through);
  }
  Status CollectTombstones(std::string_view id, std::span<const std::string> keys,
                           Version collected_through) override {
    return disk_.CollectTombstones(id, keys, collected_through);
  }
  Status ForgetPeer(const ForgottenPeer& forgotten) override {
    return disk_.ForgetPeer(forgotten);
  }
  Status DropForgotten(std::string_view id) override { return disk_.DropForgotten(id); }
  void ForEachForgotten(
      const std::function<void(const ForgottenPeer&)>& visit) const override {
    disk_.ForEachForgotten(visit);
  }

 private:
  MemoryStorage& disk_;
};

struct MemoryDisks {
  std::map<std::size_t, MemoryStorage> disks;
  std::map<std::size_t, MemoryStorage> copies;

  lifecycle_scenario::Backend Backend() {
    return {[this](std::size_t node, bool wipe) -> std::unique_ptr<Storage> {
              if (wipe) disks[node] = MemoryStorage();
              return std::make_unique<DiskView>(disks[node]);
            },
            [this](std::size_t node) { copies[node] = disks[node]; },
            [this](std::size_t node) { disks[node] = copies.at(node); }};
  }
};

}  // namespace

TEST_CASE(
    "After collection everywhere, a node restored from a copy older than the "
    "delete does not bring the key back (memory)",
    "[cluster][lifecycle]") {
  MemoryDisks disks;
  lifecycle_scenario::DeleteSurvivesOldCopy(disks.Backend());
}

TEST_CASE("A TTL expires on time after its owner restarts from storage (memory)",
          "[cluster][lifecycle]") {
  MemoryDisks disks;
  lifecycle_scenario::TtlAfterOwnerRestart(disks.Backend());
}
