// RocksDbStorage's own behaviour beyond the shared contract: what each write
// puts into RocksDB, persistence across reopen, ids and keys of any bytes,
// the durability modes, Destroy.
#include <catch2/catch.hpp>

#include <filesystem>
#include <random>

#include "gossipmonger/rocksdb_storage.h"
#include "rocksdb/rdb_test_util.h"

using namespace gossipmonger;
using namespace gossipmonger::rocksdb_test;
namespace fs = std::filesystem;

namespace {

std::vector<KeyDelta> Deltas(std::initializer_list<std::tuple<std::string, std::string, int>> list) {
  std::vector<KeyDelta> deltas;
  for (const auto& [key, value, version] : list) {
    deltas.push_back({key, value, Version(static_cast<std::uint64_t>(version))});
  }
  return deltas;
}

}  // namespace

TEST_CASE("RocksDB: PutDeltas writes the given keys and the header in one batch",
          "[rocksdb]") {
  ScratchDir dir;
  auto storage = OpenOrFail(dir.Sub("db"));
  REQUIRE(storage->PutPeer({"a", "x:1", Generation(1), true}).ok());
  std::vector<KeyDelta> many;
  for (int i = 1; i <= 100; ++i) many.push_back({"k" + std::to_string(i), "v", Version(i)});
  REQUIRE(storage->PutDeltas("a", many, Version(100)).ok());

  const RocksDbStorageStats before = storage->stats();
  REQUIRE(storage->PutDeltas("a", Deltas({{"k5", "new", 101}, {"fresh", "f", 102}, {"k9", "n", 103}}),
                             Version(103))
              .ok());
  const RocksDbStorageStats after = storage->stats();
  CHECK(after.batches_written == before.batches_written + 1);
  CHECK(after.records_written == before.records_written + 4);  // 3 keys + header
  CHECK(after.write_errors == 0);
}

TEST_CASE("RocksDB: PutPeer writes one record, and nothing when nothing changes",
          "[rocksdb]") {
  ScratchDir dir;
  auto storage = OpenOrFail(dir.Sub("db"));
  REQUIRE(storage->PutPeer({"a", "x:1", Generation(1), true}).ok());
  REQUIRE(storage->PutDeltas("a", Deltas({{"k", "v", 1}}), Version(1)).ok());
  RocksDbStorageStats stats = storage->stats();

  REQUIRE(storage->PutPeer({"a", "x:1", Generation(1), true}).ok());  // unchanged
  CHECK(storage->stats().records_written == stats.records_written);

  REQUIRE(storage->PutPeer({"a", "x:1", Generation(1), false}).ok());  // live
  CHECK(storage->stats().batches_written == stats.batches_written + 1);
  CHECK(storage->stats().records_written == stats.records_written + 1);
  stats = storage->stats();

  REQUIRE(storage->PutPeer({"a", "x:2", Generation(1), false}).ok());  // address
  CHECK(storage->stats().records_written == stats.records_written + 1);
  stats = storage->stats();

  // A generation change: the header and one range deletion, in one batch.
  REQUIRE(storage->PutPeer({"a", "x:2", Generation(2), false}).ok());
  CHECK(storage->stats().batches_written == stats.batches_written + 1);
  CHECK(storage->stats().records_written == stats.records_written + 2);
  stats = storage->stats();

  // An empty batch that changes nothing writes nothing.
  REQUIRE(storage->PutDeltas("a", std::vector<KeyDelta>{}, Version(0)).ok());
  CHECK(storage->stats().records_written == stats.records_written);
}

TEST_CASE("RocksDB: a refused write touches neither memory nor disk", "[rocksdb]") {
  ScratchDir dir;
  const std::string path = dir.Sub("db");
  auto storage = OpenOrFail(path);
  REQUIRE(storage->PutPeer({"a", "x:1", Generation(1), true}).ok());
  REQUIRE(storage->PutDeltas("a", Deltas({{"k", "v", 3}}), Version(3)).ok());
  const RocksDbStorageStats stats = storage->stats();
  const Snapshot snapshot = TakeSnapshot(*storage);

  CHECK(storage->PutDeltas("ghost", Deltas({{"k", "v", 1}}), Version(1)).code() ==
        StatusCode::kInvalidArgument);
  CHECK(storage->PutDeltas("a", Deltas({{"k", "old", 2}}), Version(2)).code() ==
        StatusCode::kInvalidArgument);
  CHECK(storage->PutPeer({"", "x", Generation(1), true}).code() ==
        StatusCode::kInvalidArgument);
  CHECK(storage->stats().records_written == stats.records_written);
  CHECK(TakeSnapshot(*storage) == snapshot);
  storage.reset();
  CHECK(TakeSnapshot(*OpenOrFail(path)) == snapshot);
}

TEST_CASE("RocksDB: everything survives a reopen, many times over", "[rocksdb]") {
  ScratchDir dir;
  const std::string path = dir.Sub("db");
  std::mt19937_64 rng(20261126);
  Snapshot expected;
  std::map<std::string, std::uint64_t> versions;
  for (int reopen = 0; reopen < 8; ++reopen) {
    auto storage = OpenOrFail(path);
    REQUIRE(TakeSnapshot(*storage) == expected);
    for (int step = 0; step < 300; ++step) {
      const std::string id = "peer-" + std::to_string(rng() % 12);
      const auto roll = rng() % 20;
      if (storage->Get(id) == nullptr || roll == 0) {
        // A new peer, or a new lineage of a known one.
        const std::uint64_t generation = 1 + rng() % 4;
        REQUIRE(storage->PutPeer({id, "addr-" + std::to_string(rng() % 3), Generation(generation),
                                  rng() % 2 == 0})
                    .ok());
      } else if (roll == 1) {
        const PeerRecord* peer = storage->Get(id);
        REQUIRE(storage->PutPeer({id, peer->address, peer->generation, !peer->live}).ok());
      } else {
        std::vector<KeyDelta> deltas;
        std::uint64_t version = storage->Get(id)->max_version_seen.value();
        const auto count = rng() % 6;
        for (std::uint64_t i = 0; i < count; ++i) {
          version += 1 + rng() % 3;
          deltas.push_back({"key-" + std::to_string(rng() % 40),
                            std::string(rng() % 64, static_cast<char>(rng())), Version(version)});
        }
        REQUIRE(storage->PutDeltas(id, deltas, Version(version + rng() % 2)).ok());
      }
    }
    if (reopen % 2 == 0) REQUIRE(storage->Flush().ok());
    expected = TakeSnapshot(*storage);
  }
  CHECK(TakeSnapshot(*OpenOrFail(path)) == expected);
}

TEST_CASE("RocksDB: ids and keys of any bytes stay apart", "[rocksdb]") {
  // The peer prefix escapes NUL, so no id's records can fall inside another
  // id's range, whatever the bytes: a generation change of one must not
  // touch the data of any other.
  ScratchDir dir;
  const std::string path = dir.Sub("db");
  const std::vector<std::string> ids = {
      "a",
      std::string("a\0", 2),
      std::string("a\0b", 3),
      std::string("a\0\x01", 3),  // the terminator's bytes, inside an id
      std::string("a\0\xff", 3),  // the escape's bytes, inside an id
      "ab",
      std::string("\0", 1),
      "\xff\xff",
      "p",
      std::string("a\x01H", 3),
  };
  const std::vector<std::string> keys = {"", std::string("\0", 1), "K", "H", std::string("\x01K", 2),
                                         "\xff", "key"};
  {
    auto storage = OpenOrFail(path);
    for (const std::string& id : ids) {
      REQUIRE(storage->PutPeer({id, "addr", Generation(1), true}).ok());
      std::vector<KeyDelta> deltas;
      std::uint64_t version = 0;
      for (const std::string& key : keys) deltas.push_back({key, id + "|" + key, Version(++version)});
      REQUIRE(storage->PutDeltas(id, deltas, Version(version)).ok());
    }
    // New lineages for "a" and "a\0": their data goes, nobody else's.
    REQUIRE(storage->PutPeer({"a", "addr", Generation(2), true}).ok());
    REQUIRE(storage->PutPeer({std::string("a\0", 2), "addr", Generation(2), true}).ok());
  }
  auto storage = OpenOrFail(path);
  REQUIRE(storage->PeerCount() == ids.size());
  for (const std::string& id : ids) {
    INFO("id " << id.size() << " bytes");
    const PeerRecord* peer = storage->Get(id);
    REQUIRE(peer != nullptr);
    if (id == "a" || id == std::string("a\0", 2)) {
      CHECK(peer->generation == Generation(2));
      CHECK(peer->data.empty());
      CHECK(peer->max_version_seen == Version(0));
      continue;
    }
    REQUIRE(peer->data.size() == keys.size());
    for (const std::string& key : keys) CHECK(peer->data.at(key).value == id + "|" + key);
  }
}

TEST_CASE("RocksDB: a generation change deletes the old data on disk", "[rocksdb]") {
  ScratchDir dir;
  const std::string path = dir.Sub("db");
  {
    auto storage = OpenOrFail(path);
    REQUIRE(storage->PutPeer({"a", "x", Generation(1), true}).ok());
    REQUIRE(storage->PutDeltas("a", Deltas({{"old1", "o", 1}, {"old2", "o", 2}}), Version(2)).ok());
    REQUIRE(storage->PutPeer({"a", "x", Generation(2), true}).ok());
    REQUIRE(storage->PutDeltas("a", Deltas({{"new", "n", 1}}), Version(1)).ok());
  }
  // In RocksDB itself: the format record, one header and one data record.
  const auto records = RawScan(path);
  CHECK(records.size() == 3);
  auto storage = OpenOrFail(path);
  const PeerRecord* peer = storage->Get("a");
  REQUIRE(peer != nullptr);
  CHECK(peer->generation == Generation(2));
  CHECK(peer->max_version_seen == Version(1));
  REQUIRE(peer->data.size() == 1);
  CHECK(peer->data.at("new").value == "n");
}

TEST_CASE("RocksDB: durability modes", "[rocksdb]") {
  ScratchDir dir;
  const std::string path = dir.Sub("db");

  SECTION("kBatched syncs the log in Flush, once, and only if something was written") {
    auto storage = OpenOrFail(path);  // kBatched is the default
    CHECK(storage->durability() == RocksDbDurability::kBatched);
    REQUIRE(storage->Flush().ok());
    CHECK(storage->stats().wal_syncs == 0);  // nothing written
    REQUIRE(storage->PutPeer({"a", "x", Generation(1), true}).ok());
    REQUIRE(storage->PutDeltas("a", Deltas({{"k", "v", 1}}), Version(1)).ok());
    REQUIRE(storage->Flush().ok());
    CHECK(storage->stats().wal_syncs == 1);
    REQUIRE(storage->Flush().ok());
    CHECK(storage->stats().wal_syncs == 1);  // nothing new
    REQUIRE(storage->PutDeltas("a", Deltas({{"k", "w", 2}}), Version(2)).ok());
    REQUIRE(storage->Flush().ok());
    CHECK(storage->stats().wal_syncs == 2);
  }
  SECTION("kSynchronous syncs every write, so Flush has nothing to do") {
    RocksDbStorageOptions options;
    options.durability = RocksDbDurability::kSynchronous;
    auto storage = OpenOrFail(path, options);
    CHECK(storage->durability() == RocksDbDurability::kSynchronous);
    REQUIRE(storage->PutPeer({"a", "x", Generation(1), true}).ok());
    REQUIRE(storage->PutDeltas("a", Deltas({{"k", "v", 1}}), Version(1)).ok());
    REQUIRE(storage->Flush().ok());
    CHECK(storage->stats().wal_syncs == 0);
    CHECK(storage->stats().batches_written == 2);
  }
  SECTION("a database written in one mode opens in the other") {
    {
      auto storage = OpenOrFail(path);
      REQUIRE(storage->PutPeer({"a", "x", Generation(1), true}).ok());
      REQUIRE(storage->PutDeltas("a", Deltas({{"k", "v", 1}}), Version(1)).ok());
    }
    RocksDbStorageOptions options;
    options.durability = RocksDbDurability::kSynchronous;
    auto storage = OpenOrFail(path, options);
    CHECK(storage->Get("a")->data.at("k").value == "v");
  }
}

TEST_CASE("RocksDB: Destroy removes a database and nothing else", "[rocksdb]") {
  ScratchDir dir;
  const std::string path = dir.Sub("db");
  CHECK(RocksDbStorage::Destroy(path).ok());  // nothing there: fine
  {
    auto storage = OpenOrFail(path);
    REQUIRE(storage->PutPeer({"a", "x", Generation(1), true}).ok());
  }
  REQUIRE(RocksDbStorage::Destroy(path).ok());
  CHECK_FALSE(fs::exists(path));
  CHECK(OpenOrFail(path)->PeerCount() == 0);
}

TEST_CASE("RocksDB: the diagnostic LOG is ours, or absent", "[rocksdb]") {
  ScratchDir dir;
  SECTION("info_log = true writes <path>/LOG") {
    const std::string path = dir.Sub("db");
    OpenOrFail(path).reset();
    CHECK(fs::file_size(path + "/LOG") > 0);
  }
  SECTION("info_log = false writes none") {
    const std::string path = dir.Sub("db");
    RocksDbStorageOptions options;
    options.info_log = false;
    OpenOrFail(path, options).reset();
    CHECK_FALSE(fs::exists(path + "/LOG"));
  }
  SECTION("the LOG rotates at max_info_log_bytes") {
    const std::string path = dir.Sub("db");
    RocksDbStorageOptions options;
    options.max_info_log_bytes = 4096;
    for (int i = 0; i < 3; ++i) OpenOrFail(path, options).reset();
    CHECK(fs::exists(path + "/LOG.old"));
    // One old file at most, and the current one stays near the limit.
    CHECK(fs::file_size(path + "/LOG") < 64 * 1024);
  }
}

TEST_CASE("RocksDB: a path with a trailing slash names the same database", "[rocksdb]") {
  ScratchDir dir;
  {
    auto storage = OpenOrFail(dir.Sub("db") + "/");
    REQUIRE(storage->PutPeer({"a", "x", Generation(1), true}).ok());
  }
  CHECK(OpenOrFail(dir.Sub("db"))->Get("a") != nullptr);
}
