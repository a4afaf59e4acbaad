// Lifecycle writes after a write the operating system refused (as in
// write_failure_test.cpp: a child lowers RLIMIT_FSIZE, the kernel fails the
// log write with EFBIG): each returns kIOError and memory keeps it; once the
// limit is lifted, Flush() reopens the database and rewrites everything
// stored under the ids concerned, a forgotten peer's records and memories
// included. The parent then reopens the database and finds what the child's
// memory held.
#include <signal.h>
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "gossipmonger/rocksdb_storage.h"
#include "gossipmonger/testing/storage_conformance_support.h"
#include "rocksdb/rdb_test_util.h"

using namespace gossipmonger;
using namespace gossipmonger::rocksdb_test;
using gossipmonger::testing::storage_suite::DescribeStorage;

namespace {

RocksDbStorageOptions OptionsFor(const std::string& mode) {
  RocksDbStorageOptions options;
  options.durability =
      mode == "sync" ? RocksDbDurability::kSynchronous : RocksDbDurability::kBatched;
  return options;
}

// Peers "self" (a value and a tombstone), "gone" and "reset" (some data) and
// the memory of a forgotten "old".
void WriteSetUp(Storage& storage) {
  const KeyDelta tombstone{"t", "", Version(2), EntryKind::kTombstone, WallTime(50)};
  REQUIRE(storage.PutPeer({"self", "me", Generation(1), true}).ok());
  REQUIRE(storage
              .PutDeltas("self", std::vector{KeyDelta{"k", "v", Version(1)}, tombstone},
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

}  // namespace

TEST_CASE("rocksdb child: lifecycle write failure", "[.child]") {
  ::signal(SIGXFSZ, SIG_IGN);  // else exceeding RLIMIT_FSIZE kills the process
  const std::string path = ChildEnv("GM_RDB_PATH");
  auto storage = OpenOrFail(path, OptionsFor(ChildEnv("GM_RDB_MODE")));
  WriteSetUp(*storage);

  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
  rlimit limited = saved;
  limited.rlim_cur = 1u << 20;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &limited) == 0);
  const std::string big(2u << 20, 'b');  // its write fails
  CHECK(storage
            ->PutDeltas("self", std::vector{KeyDelta{"big", big, Version(3)}}, Version(3))
            .code() == StatusCode::kIOError);

  // Every lifecycle write now goes to memory only, and says so.
  CHECK(storage->ForgetPeer({"gone", Generation(7), WallTime(20)}).code() ==
        StatusCode::kIOError);
  CHECK(storage
            ->ReplaceData("reset", std::vector{KeyDelta{"b", "2", Version(9)}},
                          Version(9), Version(11))
            .code() == StatusCode::kIOError);
  CHECK(storage->CollectTombstones("self", std::vector<std::string>{"t"}, Version(2))
            .code() == StatusCode::kIOError);
  CHECK(storage->DropForgotten("old").code() == StatusCode::kIOError);
  CHECK(storage->Get("gone") == nullptr);
  CHECK(storage->Get("reset")->clean_through == Version(11));
  CHECK(storage->Get("self")->collected_through == Version(2));
  CHECK(storage->stats().peers_pending_rewrite == 4);
  CHECK(storage->Flush().code() == StatusCode::kIOError);  // still "full"

  REQUIRE(::setrlimit(RLIMIT_FSIZE, &saved) == 0);
  const Status flushed = storage->Flush();
  INFO(flushed.ToString());
  REQUIRE(flushed.ok());
  CHECK(storage->stats().peers_pending_rewrite == 0);
  Report(DescribeStorage(*storage));
}

namespace {

void RunLifecycleWriteFailure(const std::string& mode) {
  ScratchDir dir;
  const std::string path = dir.Sub("db");
  Child child("rocksdb child: lifecycle write failure",
              {{"GM_RDB_PATH", path}, {"GM_RDB_MODE", mode}});
  std::string memory;  // the child's DescribeStorage after the recovery
  child.ReadToEof(&memory, std::chrono::steady_clock::now() + std::chrono::seconds(60));
  const int exit_code = child.Wait();
  INFO("child exit " << exit_code << ", output:\n" << child.output());
  REQUIRE(exit_code == 0);
  REQUIRE(memory.find("forgotten gone generation=7 at=20") != std::string::npos);
  auto storage = OpenOrFail(path, OptionsFor(mode));
  CHECK(DescribeStorage(*storage) == memory);
}

}  // namespace

TEST_CASE(
    "RocksDB: lifecycle writes after a failed write: memory keeps them, Flush catches up",
    "[rocksdb][failure]") {
  RunLifecycleWriteFailure(GENERATE(std::string("batched"), std::string("sync")));
}
