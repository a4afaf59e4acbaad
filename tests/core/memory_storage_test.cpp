// MemoryStorage against the storage conformance suite. It has no
// persistence, so the suite runs without a reopen step.
#include "gossipmonger/memory_storage.h"

#include <catch2/catch.hpp>
#include <memory>

#include "gossipmonger/testing/forwarding_storage.h"
#include "gossipmonger/testing/storage_conformance.h"

GOSSIPMONGER_STORAGE_CONFORMANCE_TEST(
    "Memory", [] { return std::make_unique<gossipmonger::MemoryStorage>(); }, nullptr)

namespace {

// A storage whose "disk" is a MemoryStorage handed over from one object to
// the next: closing parks it, reopening takes it back. It runs the suite's
// reopen path on the memory backend, so that the path persistent backends
// depend on is itself exercised by the core tests.
class HandedOverStorage final : public gossipmonger::testing::ForwardingStorage {
 public:
  explicit HandedOverStorage(std::unique_ptr<gossipmonger::MemoryStorage>& disk)
      : ForwardingStorage(*disk), disk_(disk), table_(std::move(disk)) {}
  ~HandedOverStorage() override { disk_ = std::move(table_); }

 private:
  std::unique_ptr<gossipmonger::MemoryStorage>& disk_;
  std::unique_ptr<gossipmonger::MemoryStorage> table_;
};

}  // namespace

TEST_CASE("The conformance suite's reopen path runs on a handed-over memory storage",
          "[storage]") {
  std::unique_ptr<gossipmonger::MemoryStorage> disk;
  int reopened = 0;
  gossipmonger::testing::RunStorageConformance(
      [&] {
        disk = std::make_unique<gossipmonger::MemoryStorage>();
        return std::make_unique<HandedOverStorage>(disk);
      },
      [&] {
        ++reopened;
        // The previous object must be gone before reopening: its contents
        // are back on the "disk".
        REQUIRE(disk != nullptr);
        return std::make_unique<HandedOverStorage>(disk);
      });
  // Every section checks its writes after a reopen (this runs once per
  // section).
  CHECK(reopened > 0);
}
