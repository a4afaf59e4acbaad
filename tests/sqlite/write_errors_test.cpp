// Failing writes: a full database (PRAGMA max_page_count via
// max_database_bytes) and a disk that refuses writes or fsyncs (a
// fault-injecting VFS). The write returns kIOError, memory keeps the change,
// the file keeps a consistent older state, and Flush catches up once the
// disk works again.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "gossipmonger/sqlite_storage.h"
#include "sqlite/fault_vfs.h"
#include "sqlite/test_util.h"

using namespace gossipmonger;
using namespace gossipmonger::sqlite_test;

namespace {

std::string ValueFor(std::uint64_t version) {
  return std::string(1000, static_cast<char>('a' + version % 26)) + std::to_string(version);
}

Status WriteVersion(Storage& storage, std::uint64_t version) {
  const std::vector<KeyDelta> deltas = {
      {"key-" + std::to_string(version), ValueFor(version), Version(version)}};
  return storage.PutDeltas("self", deltas, Version(version));
}

// Every key-1..key-n with its value, max_version_seen n.
void CheckHolds(const Storage& storage, std::uint64_t n) {
  const PeerRecord* self = storage.Get("self");
  REQUIRE(self != nullptr);
  CHECK(self->max_version_seen == Version(n));
  REQUIRE(self->data.size() == n);
  for (std::uint64_t v = 1; v <= n; ++v) {
    auto it = self->data.find("key-" + std::to_string(v));
    REQUIRE(it != self->data.end());
    REQUIRE(it->second.value == ValueFor(v));
    REQUIRE(it->second.version == Version(v));
  }
}

}  // namespace

TEST_CASE("a full database: the write fails with kIOError, memory keeps it, the file stays consistent") {
  const auto durability =
      GENERATE(SqliteDurability::kSynchronous, SqliteDurability::kBatched);
  ScratchDir dir;
  const std::string path = dir.File("full.db");
  SqliteStorageOptions options;
  options.durability = durability;
  options.max_database_bytes = 96 * 1024;
  options.max_batch_bytes = 0;  // commits only at Flush: the test knows what is durable

  std::uint64_t durable = 0;  // highest version known committed
  std::uint64_t failed_at = 0;
  {
    auto storage = OpenOrFail(path, options);
    REQUIRE(storage->PutPeer({"self", "me", Generation(1), true}).ok());
    REQUIRE(storage->Flush().ok());
    for (std::uint64_t v = 1; v <= 1000 && failed_at == 0; ++v) {
      const Status status = WriteVersion(*storage, v);
      if (!status.ok()) {
        INFO(status.ToString());
        CHECK(status.code() == StatusCode::kIOError);
        CHECK(status.message().find("full") != std::string::npos);
        CHECK(status.message().find(path) != std::string::npos);
        failed_at = v;
        break;
      }
      if (durability == SqliteDurability::kSynchronous) durable = v;
      if (v % 10 == 0) {
        const Status flushed = storage->Flush();
        if (!flushed.ok()) {
          CHECK(flushed.code() == StatusCode::kIOError);
          failed_at = v;
          break;
        }
        durable = v;
      }
    }
    REQUIRE(failed_at > 1);  // some writes fit, then the database was full
    // Memory has the refused write, and takes more.
    CheckHolds(*storage, failed_at);
    const Status later = WriteVersion(*storage, failed_at + 1);
    CHECK(later.code() == StatusCode::kIOError);
    CheckHolds(*storage, failed_at + 1);
    CHECK(storage->UnsyncedPeerCount() == 1);
    // Still full: Flush cannot write the peer either, and says so.
    CHECK(storage->Flush().code() == StatusCode::kIOError);
    CHECK(storage->UnsyncedPeerCount() == 1);
  }
  // The file holds exactly the last committed state: no torn write.
  SqliteStorageOptions unbounded = options;
  unbounded.max_database_bytes = 0;
  auto reopened = OpenOrFail(path, unbounded);
  CheckHolds(*reopened, durable);
}

TEST_CASE("a disk that refuses writes: kIOError, then Flush rewrites from memory once it heals") {
  FaultVfs::Register();
  FaultVfs::Heal();
  const auto durability =
      GENERATE(SqliteDurability::kSynchronous, SqliteDurability::kBatched);
  ScratchDir dir;
  const std::string path = dir.File("faulty.db");
  SqliteStorageOptions options;
  options.durability = durability;
  options.vfs = FaultVfs::kName;
  {
    auto storage = OpenOrFail(path, options);
    REQUIRE(storage->PutPeer({"self", "me", Generation(1), true}).ok());
    REQUIRE(storage->PutPeer({"other", "you", Generation(4), true}).ok());
    for (std::uint64_t v = 1; v <= 5; ++v) REQUIRE(WriteVersion(*storage, v).ok());
    REQUIRE(storage->Flush().ok());

    const bool fail_syncs = GENERATE(false, true);
    (fail_syncs ? FaultVfs::fail_syncs : FaultVfs::fail_writes) = true;
    const int injected_before = FaultVfs::injected;
    Status status = WriteVersion(*storage, 6);
    if (durability == SqliteDurability::kSynchronous) {
      INFO(status.ToString());
      CHECK(status.code() == StatusCode::kIOError);
    }
    status = WriteVersion(*storage, 7);
    if (durability == SqliteDurability::kSynchronous) CHECK(status.code() == StatusCode::kIOError);
    status = storage->Flush();
    INFO(status.ToString());
    CHECK(status.code() == StatusCode::kIOError);
    CHECK(FaultVfs::injected > injected_before);
    CHECK(storage->UnsyncedPeerCount() >= 1);
    CheckHolds(*storage, 7);  // memory never lost a write

    FaultVfs::Heal();
    // Another peer's writes go through at once.
    REQUIRE(storage->PutDeltas("other", std::vector<KeyDelta>{{"x", "y", Version(1)}}, Version(1))
                .ok());
    REQUIRE(storage->Flush().ok());
    CHECK(storage->UnsyncedPeerCount() == 0);
    REQUIRE(WriteVersion(*storage, 8).ok());
    REQUIRE(storage->Flush().ok());
  }
  options.vfs.clear();
  auto reopened = OpenOrFail(path, options);
  CheckHolds(*reopened, 8);
  REQUIRE(reopened->Get("other") != nullptr);
  CHECK(reopened->Get("other")->data.at("x").value == "y");
  CHECK(reopened->Get("other")->generation == Generation(4));
}

TEST_CASE("a failed write leaves its peer unsynced until Flush, without touching other peers") {
  FaultVfs::Register();
  FaultVfs::Heal();
  ScratchDir dir;
  const std::string path = dir.File("unsynced.db");
  SqliteStorageOptions options;
  options.durability = SqliteDurability::kSynchronous;
  options.vfs = FaultVfs::kName;
  auto storage = OpenOrFail(path, options);
  REQUIRE(storage->PutPeer({"self", "me", Generation(1), true}).ok());
  REQUIRE(storage->PutPeer({"other", "you", Generation(1), true}).ok());
  REQUIRE(WriteVersion(*storage, 1).ok());
  FaultVfs::fail_writes = true;
  CHECK(WriteVersion(*storage, 2).code() == StatusCode::kIOError);
  FaultVfs::Heal();
  // The disk works again, but "self" stays in memory only until Flush:
  // writing its newest key alone would record max_version_seen 3 over a
  // file that lacks version 2.
  const Status status = WriteVersion(*storage, 3);
  INFO(status.ToString());
  CHECK(status.code() == StatusCode::kIOError);
  CHECK(status.message().find("Flush") != std::string::npos);
  CHECK(storage->UnsyncedPeerCount() == 1);
  CHECK(storage->PutDeltas("other", std::vector<KeyDelta>{{"x", "y", Version(1)}}, Version(1))
            .ok());
  CheckHolds(*storage, 3);
  REQUIRE(storage->Flush().ok());
  CHECK(storage->UnsyncedPeerCount() == 0);
  REQUIRE(WriteVersion(*storage, 4).ok());
  storage.reset();
  options.vfs.clear();
  auto reopened = OpenOrFail(path, options);
  CheckHolds(*reopened, 4);
}
