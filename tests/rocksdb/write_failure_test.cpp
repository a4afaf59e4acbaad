// A write the operating system refuses. A child process lowers its
// RLIMIT_FSIZE below what the next write needs (the kernel then fails the
// write with EFBIG, as it would fail it with ENOSPC on a full disk), checks
// that the storage returns kIOError while memory keeps every change, that it
// neither crashes nor corrupts anything, and that once the limit is lifted
// the next Flush() reopens the database and catches up. The parent then
// reopens the database and finds every change.
#include <signal.h>
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "gossipmonger/rocksdb_storage.h"
#include "rocksdb/rdb_test_util.h"

using namespace gossipmonger;
using namespace gossipmonger::rocksdb_test;

namespace {

constexpr std::size_t kLimit = 1u << 20;
const std::string kBig(2u << 20, 'b');  // more than kLimit: its write fails

RocksDbStorageOptions OptionsFor(const std::string& mode) {
  RocksDbStorageOptions options;
  options.durability =
      mode == "sync" ? RocksDbDurability::kSynchronous : RocksDbDurability::kBatched;
  return options;
}

}  // namespace

TEST_CASE("rocksdb child: write failure", "[.child]") {
  // Without this, exceeding RLIMIT_FSIZE kills the process with SIGXFSZ.
  ::signal(SIGXFSZ, SIG_IGN);
  const std::string path = ChildEnv("GM_RDB_PATH");
  auto storage = OpenOrFail(path, OptionsFor(ChildEnv("GM_RDB_MODE")));
  REQUIRE(storage->PutPeer({"self", "self:1", Generation(3), true}).ok());
  REQUIRE(storage->PutDeltas("self", std::vector<KeyDelta>{{"k1", "one", Version(1)}}, Version(1))
              .ok());
  REQUIRE(storage->Flush().ok());

  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
  rlimit limited = saved;
  limited.rlim_cur = kLimit;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &limited) == 0);

  // The failing write: kIOError naming the path, and memory has it.
  Status status =
      storage->PutDeltas("self", std::vector<KeyDelta>{{"big", kBig, Version(2)}}, Version(2));
  INFO(status.ToString());
  REQUIRE(status.code() == StatusCode::kIOError);
  CHECK(status.message().find(path) != std::string::npos);
  REQUIRE(storage->Get("self")->max_version_seen == Version(2));
  REQUIRE(storage->Get("self")->data.at("big").value == kBig);
  RocksDbStorageStats stats = storage->stats();
  CHECK(stats.failed);
  CHECK(stats.write_errors == 1);
  CHECK(stats.peers_pending_rewrite == 1);

  // Later writes keep going to memory and say they were not persisted.
  status = storage->PutDeltas("self", std::vector<KeyDelta>{{"k2", "two", Version(3)}}, Version(3));
  CHECK(status.code() == StatusCode::kIOError);
  CHECK(storage->Get("self")->data.at("k2").value == "two");
  status = storage->PutPeer({"other", "other:1", Generation(1), false});
  CHECK(status.code() == StatusCode::kIOError);
  REQUIRE(storage->Get("other") != nullptr);
  CHECK(storage->stats().peers_pending_rewrite == 2);

  // The disk is still "full": recovery is tried and fails cleanly.
  status = storage->Flush();
  CHECK(status.code() == StatusCode::kIOError);
  CHECK(storage->stats().failed);

  // Space again: the next Flush reopens and rewrites both peers.
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &saved) == 0);
  status = storage->Flush();
  INFO(status.ToString());
  REQUIRE(status.ok());
  stats = storage->stats();
  CHECK_FALSE(stats.failed);
  CHECK(stats.peers_pending_rewrite == 0);
  CHECK(stats.reopens == 1);

  // And it works normally again.
  REQUIRE(storage->PutDeltas("self", std::vector<KeyDelta>{{"k3", "three", Version(4)}}, Version(4))
              .ok());
  REQUIRE(storage->Flush().ok());
  Report(EncodeReport('X', 1));
}

namespace {

void RunWriteFailure(const std::string& mode) {
  ScratchDir dir;
  const std::string path = dir.Sub("db");
  Child child("rocksdb child: write failure", {{"GM_RDB_PATH", path}, {"GM_RDB_MODE", mode}});
  std::string reports;
  child.ReadToEof(&reports, std::chrono::steady_clock::now() + std::chrono::seconds(60));
  const int exit_code = child.Wait();
  INFO("child exit " << exit_code << ", output:\n" << child.output());
  REQUIRE(exit_code == 0);
  REQUIRE(reports.size() == 9);
  REQUIRE(reports[0] == 'X');

  auto storage = OpenOrFail(path, OptionsFor(mode));
  const PeerRecord* self = storage->Get("self");
  REQUIRE(self != nullptr);
  CHECK(self->max_version_seen == Version(4));
  REQUIRE(self->data.size() == 4);
  CHECK(self->data.at("k1").value == "one");
  CHECK(self->data.at("big").value == kBig);
  CHECK(self->data.at("big").version == Version(2));
  CHECK(self->data.at("k2").value == "two");
  CHECK(self->data.at("k3").value == "three");
  const PeerRecord* other = storage->Get("other");
  REQUIRE(other != nullptr);
  CHECK_FALSE(other->live);
}

}  // namespace

TEST_CASE("RocksDB: a failed write returns kIOError, memory keeps it, Flush catches up (batched)",
          "[rocksdb][failure]") {
  RunWriteFailure("batched");
}

TEST_CASE("RocksDB: a failed write returns kIOError, memory keeps it, Flush catches up (sync)",
          "[rocksdb][failure]") {
  RunWriteFailure("sync");
}
