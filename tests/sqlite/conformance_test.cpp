// The shared storage conformance suite, on SqliteStorage in both durability
// modes, with a reopen factory so that every check also runs on what a
// reopened database holds.
#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>

#include "gossipmonger/sqlite_storage.h"
#include "gossipmonger/testing/storage_conformance.h"
#include "sqlite/test_util.h"

using namespace gossipmonger;
using namespace gossipmonger::sqlite_test;

namespace {

void RunConformance(SqliteDurability durability) {
  ScratchDir dir;
  const std::string path = dir.File("conformance.db");
  SqliteStorageOptions options;
  options.durability = durability;
  auto open = [&]() -> std::unique_ptr<Storage> {
    std::unique_ptr<SqliteStorage> storage;
    const Status status = SqliteStorage::Open(path, options, &storage);
    INFO(status.ToString());
    REQUIRE(status.ok());
    return storage;
  };
  testing::RunStorageConformance(
      [&] {
        REQUIRE(SqliteStorage::Destroy(path).ok());
        return open();
      },
      open);
}

}  // namespace

TEST_CASE("SQLite storage (batched) conforms to the Storage contract", "[storage]") {
  RunConformance(SqliteDurability::kBatched);
}

TEST_CASE("SQLite storage (synchronous) conforms to the Storage contract", "[storage]") {
  RunConformance(SqliteDurability::kSynchronous);
}
