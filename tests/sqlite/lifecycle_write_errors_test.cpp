// Lifecycle writes on a disk that refuses writes (the fault-injecting VFS),
// handled like PutDeltas: the call (or, batched, the Flush that commits it)
// returns kIOError, memory keeps the change, the peers concerned become
// unsynced, and once the disk heals Flush rewrites everything stored under
// their ids from memory, a forgotten peer's rows and memories included.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "gossipmonger/sqlite_storage.h"
#include "gossipmonger/testing/storage_conformance_lifecycle.h"
#include "sqlite/fault_vfs.h"
#include "sqlite/test_util.h"

using namespace gossipmonger;
using namespace gossipmonger::sqlite_test;
using namespace gossipmonger::testing::storage_suite;

TEST_CASE(
    "lifecycle writes on a disk that refuses writes: Flush catches up once it heals",
    "[sqlite][failure]") {
  FaultVfs::Register();
  FaultVfs::Heal();
  const auto durability =
      GENERATE(SqliteDurability::kSynchronous, SqliteDurability::kBatched);
  ScratchDir dir;
  const std::string path = dir.File("faulty.db");
  SqliteStorageOptions options;
  options.durability = durability;
  options.vfs = FaultVfs::kName;
  std::string expected;
  {
    auto storage = OpenOrFail(path, options);
    WriteLifecycleSetUp(*storage);
    FaultVfs::fail_writes = true;
    const int injected_before = FaultVfs::injected;
    for (const Status& status : WriteEveryLifecycleChange(*storage)) {
      INFO(status.ToString());
      CHECK((status.ok() || status.code() == StatusCode::kIOError));
    }
    CheckEveryLifecycleChange(*storage);
    // Still failing: Flush cannot write them either, and says so.
    CHECK(storage->Flush().code() == StatusCode::kIOError);
    CHECK(FaultVfs::injected > injected_before);
    CHECK(storage->UnsyncedPeerCount() > 0);
    FaultVfs::Heal();
    const Status flushed = storage->Flush();
    INFO(flushed.ToString());
    REQUIRE(flushed.ok());
    CHECK(storage->UnsyncedPeerCount() == 0);
    expected = DescribeStorage(*storage);
  }
  auto reopened = OpenOrFail(path, options);
  CHECK(DescribeStorage(*reopened) == expected);
}
