// The shared storage conformance suite on RocksDbStorage, in both durability
// modes, with a reopen factory: every check also runs on what a reopened
// database holds.
#include <catch2/catch.hpp>
#include <memory>

#include "gossipmonger/rocksdb_storage.h"
#include "gossipmonger/testing/storage_conformance.h"
#include "rocksdb/rdb_test_util.h"

using namespace gossipmonger;
using namespace gossipmonger::rocksdb_test;

namespace {

void RunConformance(RocksDbDurability durability) {
  ScratchDir dir;
  const std::string path = dir.Sub("db");
  RocksDbStorageOptions options;
  options.durability = durability;
  auto open = [&]() -> std::unique_ptr<Storage> { return OpenOrFail(path, options); };
  gossipmonger::testing::RunStorageConformance(
      [&]() -> std::unique_ptr<Storage> {
        const Status destroyed = RocksDbStorage::Destroy(path);
        INFO(destroyed.ToString());
        REQUIRE(destroyed.ok());
        return open();
      },
      open);
}

}  // namespace

TEST_CASE("RocksDB (batched) storage conforms to the Storage contract", "[storage]") {
  RunConformance(RocksDbDurability::kBatched);
}

TEST_CASE("RocksDB (synchronous) storage conforms to the Storage contract", "[storage]") {
  RunConformance(RocksDbDurability::kSynchronous);
}
