// Databases written by the previous release (schema version 1, before the
// lifecycle of docs/LIFECYCLE.md) open in this one: fixtures/schema-v1/ was
// written by the RocksDbStorage of commit 66aab8e (the program is in
// tests/sqlite/fixtures/README.md). Its records are valid records of schema
// 2 (record_format.h): they read back with the new fields at their
// defaults, and only the format record is rewritten, to 2.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "gossipmonger/rocksdb_storage.h"
#include "gossipmonger/testing/storage_conformance_lifecycle.h"
#include "rocksdb/rdb_test_util.h"

using namespace gossipmonger;
using namespace gossipmonger::rocksdb_test;
using gossipmonger::testing::storage_suite::CheckLifecycleDefaults;

namespace {

namespace fs = std::filesystem;

const std::string kNodeD("node\0d", 6);
const std::string kFormatKey("\x00gossipmonger", 13);

std::string FormatRecord(std::uint32_t version) {
  std::string value = "gossipmonger-rocksdb";
  for (int i = 0; i < 4; ++i) value.push_back(static_cast<char>(version >> (8 * i)));
  return value;
}

// A copy of the fixture directory in a scratch directory.
std::string CopyFixture(const ScratchDir& dir) {
  const std::string path = dir.Sub("v1");
  fs::copy(FixtureDir() / "schema-v1", path);
  return path;
}

// What the fixture program wrote.
Snapshot FixtureSnapshot() {
  return {
      {"node-a",
       {"127.0.0.1:7001",
        11,
        4,
        true,
        {{"color", {"blue", 1}},
         {"size", {"12", 3}},
         {std::string("bin\0key", 7), {std::string("\x00\xff\x01", 3), 4}}}}},
      {"node-b", {"127.0.0.1:7002", 22, 5, false, {{"x", {"1", 1}}, {"y", {"", 2}}}}},
      {"node-c", {"127.0.0.1:7003", 33, 0, true, {}}},
      {kNodeD, {"127.0.0.1:7004", 44, 7, true, {{"k", {"seven", 7}}}}},
  };
}

}  // namespace

TEST_CASE("RocksDB: a format-1 database of the previous release reads back whole",
          "[rocksdb][migration]") {
  ScratchDir dir;
  const std::string path = CopyFixture(dir);
  const auto before = RawScan(path);
  REQUIRE(before.size() == 11);  // format, 4 headers, 6 data records
  REQUIRE(before[0] == std::pair{kFormatKey, FormatRecord(1)});
  {
    auto storage = OpenOrFail(path);
    CHECK(TakeSnapshot(*storage) == FixtureSnapshot());
    CheckLifecycleDefaults(*storage);
  }
  // Only the format record changed: it says 2 now, so that a build of
  // schema 1 refuses the database instead of misreading records of the new
  // layouts.
  auto after = RawScan(path);
  REQUIRE(after.size() == before.size());
  CHECK(after[0] == std::pair{kFormatKey, FormatRecord(RocksDbStorage::kSchemaVersion)});
  after[0] = before[0];
  CHECK(after == before);
  auto storage = OpenOrFail(path);
  CHECK(TakeSnapshot(*storage) == FixtureSnapshot());
}

TEST_CASE("RocksDB: lifecycle writes work on a format-1 database and survive a reopen",
          "[rocksdb][migration]") {
  ScratchDir dir;
  const std::string path = CopyFixture(dir);
  const KeyDelta deleted{"color", "", Version(5), EntryKind::kTombstone, WallTime(900)};
  const KeyDelta ttl{"size", "13", Version(6), EntryKind::kValue, WallTime(5000)};
  {
    auto storage = OpenOrFail(path);
    REQUIRE(storage->PutDeltas("node-a", std::vector{deleted, ttl}, Version(6)).ok());
    REQUIRE(storage
                ->ReplaceData("node-b", std::vector{KeyDelta{"z", "26", Version(8)}},
                              Version(9), Version(12))
                .ok());
    REQUIRE(storage->ForgetPeer({"node-c", Generation(33), WallTime(1234)}).ok());
    REQUIRE(
        storage->PutPeer({kNodeD, "127.0.0.1:7004", Generation(44), false, WallTime(777)})
            .ok());
  }
  {
    auto storage = OpenOrFail(path);
    const PeerRecord* a = storage->Get("node-a");
    REQUIRE(a != nullptr);
    CHECK(a->data.at("color") ==
          VersionedValue{"", Version(5), EntryKind::kTombstone, WallTime(900)});
    CHECK(a->data.at("size") ==
          VersionedValue{"13", Version(6), EntryKind::kValue, WallTime(5000)});
    REQUIRE(
        storage
            ->CollectTombstones("node-a", std::vector<std::string>{"color"}, Version(5))
            .ok());
  }
  auto storage = OpenOrFail(path);
  CHECK(storage->PeerCount() == 3);
  const PeerRecord* a = storage->Get("node-a");
  REQUIRE(a != nullptr);
  CHECK(a->data.count("color") == 0);
  CHECK(a->data.size() == 2);
  CHECK(a->collected_through == Version(5));
  const PeerRecord* b = storage->Get("node-b");
  REQUIRE(b != nullptr);
  CHECK(b->data.size() == 1);
  CHECK(b->data.at("z") == VersionedValue{"26", Version(8)});
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
  CHECK(d->data.at("k") == VersionedValue{"seven", Version(7)});
}

TEST_CASE("RocksDB: records of an unknown layout are kCorruption",
          "[rocksdb][migration]") {
  ScratchDir dir;
  const std::string path = CopyFixture(dir);
  OpenOrFail(path).reset();  // now format 2
  const std::string prefix = "pnode-a" + std::string("\x00\x01", 2);
  const std::string fixed64_zero(8, '\0');
  SECTION("an entry of an unknown kind") {
    // The entry layout: version 0 marks it, then kind 3 (none).
    RawPut(path, {{prefix + "Kcolor", fixed64_zero + std::string(1, '\x03') +
                                          std::string("\x05", 1) + std::string(7, '\0') +
                                          fixed64_zero}});
  }
  SECTION("an entry cut short") {
    RawPut(path, {{prefix + "Kcolor", fixed64_zero + std::string(1, '\x01')}});
  }
  SECTION("a header with unknown flags") {
    RawPut(path, {{prefix + "H", std::string(16, '\0') + std::string(1, '\x04')}});
  }
  SECTION("a header of the new layout cut short") {
    RawPut(path, {{prefix + "H", std::string(16, '\0') + std::string(1, '\x03') +
                                     std::string(10, '\0')}});
  }
  SECTION("a forgotten record cut short") {
    RawPut(path, {{"fnode-x", std::string(9, '\0')}});
  }
  const Status status = TryOpen(path);
  INFO(status.ToString());
  CHECK(status.code() == StatusCode::kCorruption);
}
