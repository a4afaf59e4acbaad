// Files written by the previous release (schema version 1, before the
// lifecycle of docs/LIFECYCLE.md) open in this one: fixtures/schema-v1.sqlite
// was written by the SqliteStorage of commit 66aab8e (the program is in
// fixtures/README.md). Opening migrates it in place, in one transaction;
// everything it held reads back, and the lifecycle writes work on it.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "gossipmonger/sqlite_storage.h"
#include "gossipmonger/testing/storage_conformance_lifecycle.h"
#include "sqlite/test_util.h"

using namespace gossipmonger;
using namespace gossipmonger::sqlite_test;
using gossipmonger::testing::storage_suite::CheckLifecycleDefaults;

namespace {

const std::string kNodeD("node\0d", 6);

// A copy of the fixture in a scratch directory (the fixture itself is never
// opened for writing).
std::string CopyFixture(const ScratchDir& dir) {
  const std::string path = dir.File("v1.db");
  std::filesystem::copy_file(FixtureDir() / "schema-v1.sqlite", path);
  return path;
}

// One integer from a query, through SQLite itself.
std::int64_t QueryInt(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr);
  INFO(sql << ": " << sqlite3_errmsg(db));
  REQUIRE(rc == SQLITE_OK);
  REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
  const std::int64_t value = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return value;
}

void CheckEntry(const PeerRecord& peer, const std::string& key, const std::string& value,
                std::uint64_t version) {
  INFO("peer '" << peer.id << "' key '" << key << "'");
  const auto it = peer.data.find(key);
  REQUIRE(it != peer.data.end());
  CHECK(it->second.value == value);
  CHECK(it->second.version == Version(version));
  CHECK(it->second.kind == EntryKind::kValue);
  CHECK(it->second.expires_at == WallTime());
}

void CheckHeader(const Storage& storage, const std::string& id,
                 const std::string& address, std::uint64_t generation,
                 std::uint64_t max_version, bool live, std::size_t keys) {
  const PeerRecord* peer = storage.Get(id);
  REQUIRE(peer != nullptr);
  CHECK(peer->address == address);
  CHECK(peer->generation == Generation(generation));
  CHECK(peer->max_version_seen == Version(max_version));
  CHECK(peer->live == live);
  CHECK(peer->data.size() == keys);
}

// Everything the fixture program wrote, with the new fields at their
// defaults.
void CheckFixtureContent(const Storage& storage) {
  CHECK(storage.PeerCount() == 4);
  CheckHeader(storage, "node-a", "127.0.0.1:7001", 11, 4, true, 3);
  CheckHeader(storage, "node-b", "127.0.0.1:7002", 22, 5, false, 2);
  CheckHeader(storage, "node-c", "127.0.0.1:7003", 33, 0, true, 0);
  CheckHeader(storage, kNodeD, "127.0.0.1:7004", 44, 7, true, 1);
  const PeerRecord& a = *storage.Get("node-a");
  CheckEntry(a, "color", "blue", 1);
  CheckEntry(a, "size", "12", 3);
  CheckEntry(a, std::string("bin\0key", 7), std::string("\x00\xff\x01", 3), 4);
  CheckEntry(*storage.Get("node-b"), "x", "1", 1);
  CheckEntry(*storage.Get("node-b"), "y", "", 2);
  CheckEntry(*storage.Get(kNodeD), "k", "seven", 7);
  CheckLifecycleDefaults(storage);
}

}  // namespace

TEST_CASE("a schema-1 file of the previous release is migrated and reads back whole",
          "[sqlite][migration]") {
  ScratchDir dir;
  const std::string path = CopyFixture(dir);
  REQUIRE(QueryInt(path, "PRAGMA user_version") == 1);
  {
    auto storage = OpenOrFail(path);
    CheckFixtureContent(*storage);
  }
  // Migrated in place: version 2 in the header and the meta table, the new
  // columns and table there.
  CHECK(QueryInt(path, "PRAGMA user_version") == SqliteStorage::kSchemaVersion);
  CHECK(QueryInt(path, "SELECT value FROM meta WHERE key = 'schema_version'") ==
        SqliteStorage::kSchemaVersion);
  CHECK(QueryInt(path, "SELECT count(*) FROM data WHERE kind = 0 AND expires_at = 0") ==
        6);
  CHECK(QueryInt(path, "SELECT count(*) FROM forgotten") == 0);
  // And it opens again as a file of this version.
  auto storage = OpenOrFail(path);
  CheckFixtureContent(*storage);
}

TEST_CASE("lifecycle writes work on a migrated schema-1 file and survive a reopen",
          "[sqlite][migration]") {
  ScratchDir dir;
  const std::string path = CopyFixture(dir);
  const KeyDelta deleted{"color", "", Version(5), EntryKind::kTombstone, WallTime(900)};
  {
    auto storage = OpenOrFail(path);
    REQUIRE(storage->PutDeltas("node-a", std::vector{deleted}, Version(5)).ok());
    REQUIRE(
        storage
            ->CollectTombstones("node-a", std::vector<std::string>{"color"}, Version(5))
            .ok());
    REQUIRE(storage
                ->ReplaceData("node-b", std::vector{KeyDelta{"z", "26", Version(8)}},
                              Version(9), Version(12))
                .ok());
    REQUIRE(storage->ForgetPeer({"node-c", Generation(33), WallTime(1234)}).ok());
    REQUIRE(
        storage->PutPeer({kNodeD, "127.0.0.1:7004", Generation(44), false, WallTime(777)})
            .ok());
  }
  auto storage = OpenOrFail(path);
  CHECK(storage->PeerCount() == 3);
  const PeerRecord* a = storage->Get("node-a");
  REQUIRE(a != nullptr);
  CHECK(a->data.count("color") == 0);
  CHECK(a->collected_through == Version(5));
  CHECK(a->max_version_seen == Version(5));
  CheckEntry(*a, "size", "12", 3);
  const PeerRecord* b = storage->Get("node-b");
  REQUIRE(b != nullptr);
  CHECK(b->data.size() == 1);
  CheckEntry(*b, "z", "26", 8);
  CHECK(b->max_version_seen == Version(9));
  CHECK(b->clean_through == Version(12));
  CHECK(storage->Get("node-c") == nullptr);
  std::vector<ForgottenPeer> forgotten;
  storage->ForEachForgotten(
      [&](const ForgottenPeer& peer) { forgotten.push_back(peer); });
  CHECK(forgotten ==
        std::vector<ForgottenPeer>{{"node-c", Generation(33), WallTime(1234)}});
  const PeerRecord* d = storage->Get(kNodeD);
  REQUIRE(d != nullptr);
  CHECK_FALSE(d->live);
  CHECK(d->down_since == WallTime(777));
  CheckEntry(*d, "k", "seven", 7);
}

TEST_CASE("a migration that fails leaves the schema-1 file as it was",
          "[sqlite][migration]") {
  // A table named like the one version 2 adds makes the migration fail
  // halfway (after the ALTER TABLEs): all of it is rolled back.
  ScratchDir dir;
  const std::string path = CopyFixture(dir);
  ExecSql(path, "CREATE TABLE forgotten (x)");
  const std::string before = ReadFile(path);
  std::unique_ptr<SqliteStorage> storage;
  const Status status = SqliteStorage::Open(path, {}, &storage);
  INFO(status.ToString());
  CHECK(status.code() == StatusCode::kCorruption);
  CHECK(status.message().find("migrate") != std::string::npos);
  CHECK(storage == nullptr);
  CHECK(QueryInt(path, "PRAGMA user_version") == 1);
  CHECK(QueryInt(path, "SELECT count(*) FROM pragma_table_info('data')") == 4);
  CHECK(QueryInt(path, "SELECT count(*) FROM pragma_table_info('peers')") == 5);
  CHECK(QueryInt(path, "SELECT count(*) FROM data") == 6);
  CHECK(ReadFile(path) == before);
}
