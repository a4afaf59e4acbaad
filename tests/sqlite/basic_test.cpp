// SqliteStorage: the Storage contract, and that everything it accepted is
// there again after a reopen.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "gossipmonger/memory_storage.h"
#include "gossipmonger/sqlite_storage.h"
#include "sqlite/test_util.h"

using namespace gossipmonger;
using namespace gossipmonger::sqlite_test;

namespace {

SqliteStorageOptions Mode(SqliteDurability durability) {
  SqliteStorageOptions options;
  options.durability = durability;
  return options;
}

}  // namespace

TEST_CASE("a new database is empty and a reopened one holds what was written") {
  const auto durability =
      GENERATE(SqliteDurability::kBatched, SqliteDurability::kSynchronous);
  ScratchDir dir;
  const std::string path = dir.File("node.db");
  {
    auto storage = OpenOrFail(path, Mode(durability));
    CHECK(storage->PeerCount() == 0);
    CHECK(storage->Get("a") == nullptr);
    REQUIRE(storage->PutPeer({"a", "host-a:1", Generation(7), true}).ok());
    REQUIRE(storage->PutPeer({"b", "host-b:2", Generation(3), false}).ok());
    const std::vector<KeyDelta> deltas = {{"k1", "v1", Version(1)},
                                          {"k2", "v2", Version(2)},
                                          {"k1", "v1b", Version(5)}};
    REQUIRE(storage->PutDeltas("a", deltas, Version(6)).ok());
    REQUIRE(storage->PutDeltas("b", {}, Version(0)).ok());
    REQUIRE(storage->Flush().ok());

    const PeerRecord* a = storage->Get("a");
    REQUIRE(a != nullptr);
    CHECK(a->max_version_seen == Version(6));
    CHECK(a->data.size() == 2);
    CHECK(a->data.at("k1") == VersionedValue{"v1b", Version(5)});
  }
  auto reopened = OpenOrFail(path, Mode(durability));
  REQUIRE(reopened->PeerCount() == 2);
  const PeerRecord* a = reopened->Get("a");
  REQUIRE(a != nullptr);
  CHECK(a->address == "host-a:1");
  CHECK(a->generation == Generation(7));
  CHECK(a->max_version_seen == Version(6));
  CHECK(a->live);
  CHECK(a->data.size() == 2);
  CHECK(a->data.at("k1") == VersionedValue{"v1b", Version(5)});
  CHECK(a->data.at("k2") == VersionedValue{"v2", Version(2)});
  const PeerRecord* b = reopened->Get("b");
  REQUIRE(b != nullptr);
  CHECK_FALSE(b->live);
  CHECK(b->generation == Generation(3));
  CHECK(b->data.empty());
  CHECK(reopened->LivePeers("local").size() == 1);
  CHECK(reopened->DeadPeers("local").size() == 1);
}

TEST_CASE("byte strings round-trip exactly: empty, NUL bytes, non-UTF-8, 1 MiB") {
  ScratchDir dir;
  const std::string path = dir.File("bytes.db");
  const std::string id("peer\0with-nul", 13);
  const std::string address("\xff\xfe", 2);
  std::string big(1 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 % 251);
  const std::vector<KeyDelta> deltas = {{"", "empty key", Version(1)},
                                        {"empty value", "", Version(2)},
                                        {std::string("k\0\x80", 3), std::string("\0\0", 2), Version(3)},
                                        {"big", big, Version(4)}};
  {
    auto storage = OpenOrFail(path);
    REQUIRE(storage->PutPeer({id, address, Generation(1), true}).ok());
    REQUIRE(storage->PutDeltas(id, deltas, Version(4)).ok());
  }  // the destructor commits the batch
  auto reopened = OpenOrFail(path);
  const PeerRecord* peer = reopened->Get(id);
  REQUIRE(peer != nullptr);
  CHECK(peer->address == address);
  REQUIRE(peer->data.size() == 4);
  for (const KeyDelta& delta : deltas) {
    INFO("key of " << delta.key.size() << " bytes");
    REQUIRE(peer->data.count(delta.key) == 1);
    CHECK(peer->data.at(delta.key).value == delta.value);
    CHECK(peer->data.at(delta.key).version == delta.version);
  }
}

TEST_CASE("counters above INT64_MAX survive a reopen") {
  ScratchDir dir;
  const std::string path = dir.File("big.db");
  const std::uint64_t huge = ~0ULL - 5;
  {
    auto storage = OpenOrFail(path);
    REQUIRE(storage->PutPeer({"p", "x", Generation(huge), true}).ok());
    REQUIRE(storage->PutDeltas("p", std::vector<KeyDelta>{{"a", "1", Version(huge - 1)}},
                               Version(huge))
                .ok());
  }
  auto reopened = OpenOrFail(path);
  const PeerRecord* peer = reopened->Get("p");
  REQUIRE(peer != nullptr);
  CHECK(peer->generation == Generation(huge));
  CHECK(peer->max_version_seen == Version(huge));
  CHECK(peer->data.at("a").version == Version(huge - 1));
}

TEST_CASE("a new generation drops the old data, on disk too") {
  ScratchDir dir;
  const std::string path = dir.File("gen.db");
  {
    auto storage = OpenOrFail(path);
    REQUIRE(storage->PutPeer({"p", "x", Generation(1), true}).ok());
    REQUIRE(storage->PutDeltas("p", std::vector<KeyDelta>{{"a", "1", Version(1)},
                                                          {"b", "2", Version(2)}},
                               Version(2))
                .ok());
    REQUIRE(storage->Flush().ok());
    // Same generation: data stays.
    REQUIRE(storage->PutPeer({"p", "y", Generation(1), false}).ok());
    CHECK(storage->Get("p")->data.size() == 2);
    // New generation: data and max_version_seen go.
    REQUIRE(storage->PutPeer({"p", "z", Generation(2), true}).ok());
    CHECK(storage->Get("p")->data.empty());
    CHECK(storage->Get("p")->max_version_seen == Version(0));
    REQUIRE(storage->PutDeltas("p", std::vector<KeyDelta>{{"c", "3", Version(1)}}, Version(1))
                .ok());
  }
  auto reopened = OpenOrFail(path);
  const PeerRecord* peer = reopened->Get("p");
  REQUIRE(peer != nullptr);
  CHECK(peer->address == "z");
  CHECK(peer->generation == Generation(2));
  CHECK(peer->max_version_seen == Version(1));
  REQUIRE(peer->data.size() == 1);
  CHECK(peer->data.at("c") == VersionedValue{"3", Version(1)});
}

TEST_CASE("invalid writes are refused and change nothing, in memory or on disk") {
  ScratchDir dir;
  const std::string path = dir.File("invalid.db");
  {
    auto storage = OpenOrFail(path, Mode(SqliteDurability::kSynchronous));
    CHECK(storage->PutPeer({"", "x", Generation(1), true}).code() ==
          StatusCode::kInvalidArgument);
    CHECK(storage->PutDeltas("nobody", std::vector<KeyDelta>{{"a", "1", Version(1)}},
                             Version(1))
              .code() == StatusCode::kInvalidArgument);
    REQUIRE(storage->PutPeer({"p", "x", Generation(1), true}).ok());
    REQUIRE(storage->PutDeltas("p", std::vector<KeyDelta>{{"a", "1", Version(3)}}, Version(3))
                .ok());
    // Not above max_version_seen; not ascending; max below the last delta.
    CHECK(storage->PutDeltas("p", std::vector<KeyDelta>{{"b", "2", Version(3)}}, Version(4))
              .code() == StatusCode::kInvalidArgument);
    CHECK(storage
              ->PutDeltas("p",
                          std::vector<KeyDelta>{{"b", "2", Version(6)}, {"c", "3", Version(5)}},
                          Version(6))
              .code() == StatusCode::kInvalidArgument);
    CHECK(storage->PutDeltas("p", std::vector<KeyDelta>{{"b", "2", Version(6)}}, Version(5))
              .code() == StatusCode::kInvalidArgument);
    CHECK(storage->PeerCount() == 1);
    CHECK(storage->Get("p")->data.size() == 1);
    CHECK(storage->Get("p")->max_version_seen == Version(3));
  }
  auto reopened = OpenOrFail(path);
  CHECK(reopened->PeerCount() == 1);
  CHECK(reopened->Get("p")->data.size() == 1);
  CHECK(reopened->Get("p")->max_version_seen == Version(3));
}

TEST_CASE("random operations: a reopened storage equals a memory storage fed the same") {
  const auto durability =
      GENERATE(SqliteDurability::kBatched, SqliteDurability::kSynchronous);
  const std::uint64_t seed = GENERATE(1u, 2u, 3u);
  ScratchDir dir;
  const std::string path = dir.File("model.db");
  MemoryStorage model;
  SqliteStorageOptions options = Mode(durability);
  options.max_batch_bytes = 4096;  // early commits happen too
  std::mt19937_64 rng(seed);
  auto storage = OpenOrFail(path, options);
  const std::vector<std::string> ids = {"n0", "n1", "n2", "n3"};
  const int steps = durability == SqliteDurability::kSynchronous ? 250 : 600;
  for (int step = 0; step < steps; ++step) {
    const std::string& id = ids[rng() % ids.size()];
    const int action = static_cast<int>(rng() % 10);
    if (action == 0 || model.Get(id) == nullptr) {
      const PeerRecord* known = model.Get(id);
      Generation generation = known ? known->generation : Generation(1);
      if (rng() % 5 == 0) generation = generation.next();
      const PeerHeader header{id, "addr-" + std::to_string(rng() % 3), generation,
                              rng() % 4 != 0};
      REQUIRE(model.PutPeer(header).ok());
      REQUIRE(storage->PutPeer(header).ok());
    } else {
      Version version = model.Get(id)->max_version_seen;
      std::vector<KeyDelta> deltas;
      const int count = static_cast<int>(rng() % 4);
      for (int i = 0; i < count; ++i) {
        version = Version(version.value() + 1 + rng() % 3);
        deltas.push_back({"key" + std::to_string(rng() % 12),
                          std::string(rng() % 200, static_cast<char>('a' + rng() % 26)),
                          version});
      }
      const Version max_seen(version.value() + rng() % 2);
      REQUIRE(model.PutDeltas(id, deltas, max_seen).ok());
      REQUIRE(storage->PutDeltas(id, deltas, max_seen).ok());
    }
    if (rng() % 50 == 0) REQUIRE(storage->Flush().ok());
    if (rng() % 100 == 0) {
      REQUIRE(storage->Flush().ok());
      storage.reset();
      storage = OpenOrFail(path, options);
      REQUIRE(TakeSnapshot(*storage) == TakeSnapshot(model));
    }
  }
  REQUIRE(TakeSnapshot(*storage) == TakeSnapshot(model));
  REQUIRE(storage->Flush().ok());
  storage.reset();
  storage = OpenOrFail(path, options);
  REQUIRE(TakeSnapshot(*storage) == TakeSnapshot(model));
  CHECK(storage->UnsyncedPeerCount() == 0);
}

TEST_CASE("Destroy removes the database and its companion files") {
  ScratchDir dir;
  const std::string path = dir.File("gone.db");
  {
    auto storage = OpenOrFail(path);
    REQUIRE(storage->PutPeer({"p", "x", Generation(1), true}).ok());
    REQUIRE(storage->Flush().ok());
    REQUIRE(std::filesystem::exists(path));
  }
  REQUIRE(SqliteStorage::Destroy(path).ok());
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK_FALSE(std::filesystem::exists(path + "-wal"));
  CHECK(SqliteStorage::Destroy(path).ok());  // nothing left: still fine
  auto fresh = OpenOrFail(path);
  CHECK(fresh->PeerCount() == 0);
}
