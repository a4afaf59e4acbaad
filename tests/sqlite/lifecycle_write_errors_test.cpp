// Lifecycle writes on a disk that refuses writes (the fault-injecting VFS),
// handled like PutDeltas: the call (or, batched, the Flush that commits it)
// returns kIOError, memory keeps the change, the peers concerned become
// unsynced, and once the disk heals Flush rewrites everything stored under
// their ids from memory, a forgotten peer's rows and memories included.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "gossipmonger/sqlite_storage.h"
#include "gossipmonger/testing/storage_conformance_support.h"
#include "sqlite/fault_vfs.h"
#include "sqlite/test_util.h"

using namespace gossipmonger;
using namespace gossipmonger::sqlite_test;
using gossipmonger::testing::storage_suite::DescribeStorage;

namespace {

const KeyDelta kTombstone{"t", "", Version(2), EntryKind::kTombstone, WallTime(50)};

// Peers "self" (a value and a tombstone), "gone" and "reset" (some data) and
// the memory of a forgotten "old".
void WriteSetUp(Storage& storage) {
  REQUIRE(storage.PutPeer({"self", "me", Generation(1), true}).ok());
  REQUIRE(storage
              .PutDeltas("self", std::vector{KeyDelta{"k", "v", Version(1)}, kTombstone},
                         Version(2))
              .ok());
  for (const char* id : {"gone", "reset", "old"}) {
    REQUIRE(storage.PutPeer({id, "there", Generation(7), true}).ok());
    REQUIRE(storage.PutDeltas(id, std::vector{KeyDelta{"a", "1", Version(3)}}, Version(3))
                .ok());
  }
  REQUIRE(storage.ForgetPeer({"old", Generation(7), WallTime(10)}).ok());
  REQUIRE(storage.Flush().ok());
}

// Each lifecycle write once; a failing disk may refuse any of them.
void WriteLifecycle(Storage& storage) {
  const std::vector<Status> statuses = {
      storage.ForgetPeer({"gone", Generation(7), WallTime(20)}),
      storage.ReplaceData("reset", std::vector{KeyDelta{"b", "2", Version(9)}},
                          Version(9), Version(11)),
      storage.CollectTombstones("self", std::vector<std::string>{"t"}, Version(2)),
      storage.DropForgotten("old"),
      storage.PutPeer({"self", "me", Generation(1), false, WallTime(30)}),
  };
  for (const Status& status : statuses) {
    INFO(status.ToString());
    CHECK((status.ok() || status.code() == StatusCode::kIOError));
  }
  // Memory has every change, whatever the disk said.
  CHECK(storage.Get("gone") == nullptr);
  CHECK(storage.Get("reset")->clean_through == Version(11));
  CHECK(storage.Get("self")->data.count("t") == 0);
  CHECK(storage.Get("self")->down_since == WallTime(30));
  std::size_t forgotten = 0;
  storage.ForEachForgotten([&](const ForgottenPeer& peer) {
    CHECK(peer.id == "gone");
    ++forgotten;
  });
  CHECK(forgotten == 1);
}

}  // namespace

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
    WriteSetUp(*storage);
    FaultVfs::fail_writes = true;
    const int injected_before = FaultVfs::injected;
    WriteLifecycle(*storage);
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
