// The lifecycle scenarios (tests/lifecycle_scenario.h) on memory storage:
// each node's "disk" is a MemoryStorage that outlives its engine, and a
// copy of it is the storage taken before the delete.
#include <map>

#include "gossipmonger/memory_storage.h"
#include "gossipmonger/testing/forwarding_storage.h"
#include "lifecycle_scenario.h"

namespace {

using namespace gossipmonger;

struct MemoryDisks {
  std::map<std::size_t, MemoryStorage> disks;
  std::map<std::size_t, MemoryStorage> copies;

  lifecycle_scenario::Backend Backend() {
    return {[this](std::size_t node, bool wipe) -> std::unique_ptr<Storage> {
              if (wipe) disks[node] = MemoryStorage();
              // The disk outlives the engine and its Storage object.
              return std::make_unique<testing::ForwardingStorage>(disks[node]);
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
