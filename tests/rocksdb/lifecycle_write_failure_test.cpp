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
#include "gossipmonger/testing/storage_conformance_lifecycle.h"
#include "rocksdb/rdb_test_util.h"

using namespace gossipmonger;
using namespace gossipmonger::rocksdb_test;
using namespace gossipmonger::testing::storage_suite;

namespace {

RocksDbStorageOptions OptionsFor(const std::string& mode) {
  RocksDbStorageOptions options;
  options.durability =
      mode == "sync" ? RocksDbDurability::kSynchronous : RocksDbDurability::kBatched;
  return options;
}

}  // namespace

TEST_CASE("rocksdb child: lifecycle write failure", "[.child]") {
  ::signal(SIGXFSZ, SIG_IGN);  // else exceeding RLIMIT_FSIZE kills the process
  const std::string path = ChildEnv("GM_RDB_PATH");
  auto storage = OpenOrFail(path, OptionsFor(ChildEnv("GM_RDB_MODE")));
  WriteLifecycleSetUp(*storage);
  REQUIRE(storage->PutPeer({"trigger", "t", Generation(1), true}).ok());

  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
  rlimit limited = saved;
  limited.rlim_cur = 1u << 20;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &limited) == 0);
  const std::string big(2u << 20, 'b');  // its write fails
  CHECK(storage
            ->PutDeltas("trigger", std::vector{KeyDelta{"big", big, Version(1)}},
                        Version(1))
            .code() == StatusCode::kIOError);

  // "trigger": its write failed. Every lifecycle write now goes to memory only, and says
  // so.
  for (const Status& status : WriteEveryLifecycleChange(*storage)) {
    INFO(status.ToString());
    CHECK(status.code() == StatusCode::kIOError);
  }
  CheckEveryLifecycleChange(*storage);
  CHECK(storage->stats().peers_pending_rewrite == 5);
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
