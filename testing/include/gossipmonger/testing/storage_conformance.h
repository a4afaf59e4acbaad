// The storage conformance suite: the contract of gossipmonger::Storage
// (gossipmonger/storage.h and peer.h) as one function that every storage
// backend's tests call, so that the engine can rely on the same behaviour
// whichever backend is linked. Installed with the testing kit; needs Catch2
// v2 (<catch2/catch.hpp>), which the kit does not link: link it yourself.
//
//   #include "gossipmonger/testing/storage_conformance.h"
//
//   TEST_CASE("SQLite storage conforms to the Storage contract", "[storage]") {
//     const std::filesystem::path file = ...;  // a per-test scratch path
//     gossipmonger::testing::RunStorageConformance(
//         [&] { std::filesystem::remove(file); return OpenSqlite(file); },  // fresh
//         [&] { return OpenSqlite(file); });                                // reopen
//   }
//
// or, for a backend with nothing to set up, the one-line macro
//
//   GOSSIPMONGER_STORAGE_CONFORMANCE_TEST("Memory", [] { return ...; }, nullptr)
//
// `open_fresh` must return an empty storage every time it is called: the
// suite is a set of Catch SECTIONs, and Catch runs the enclosing TEST_CASE
// once per section, calling `open_fresh` again each time.
//
// `reopen` is null for a backend without persistence (memory). When given,
// it must open what the last storage wrote (the previous object is always
// destroyed first), and every check is run twice: on the storage that took the
// writes, then on a reopened one. Closing means destroying the object without
// calling Flush first: a clean close must keep every acknowledged write (Flush
// is about durability against a crash, which a backend tests on its own).
#pragma once

#include <catch2/catch.hpp>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "gossipmonger/message.h"
#include "gossipmonger/peer.h"
#include "gossipmonger/status.h"
#include "gossipmonger/storage.h"

namespace gossipmonger::testing {

using StorageFactory = std::function<std::unique_ptr<Storage>()>;
using PeerData = std::unordered_map<std::string, VersionedValue>;

inline PeerHeader Header(const std::string& id, const std::string& address,
                         std::uint64_t generation, bool live = true) {
  return PeerHeader{id, address, Generation(generation), live};
}

inline KeyDelta Delta(const std::string& key, const std::string& value,
                      std::uint64_t version) {
  return KeyDelta{key, value, Version(version)};
}

// What a storage must hold of one peer.
struct ExpectedPeer {
  std::string id;
  std::string address;
  std::uint64_t generation = 0;
  std::uint64_t max_version_seen = 0;
  bool live = true;
  PeerData data;
};

inline void CheckPeer(const Storage& storage, const ExpectedPeer& expected) {
  INFO("peer '" << expected.id << "'");
  const PeerRecord* peer = storage.Get(expected.id);
  REQUIRE(peer != nullptr);
  CHECK(peer->id == expected.id);
  CHECK(peer->address == expected.address);
  CHECK(peer->generation.value() == expected.generation);
  CHECK(peer->max_version_seen.value() == expected.max_version_seen);
  CHECK(peer->live == expected.live);
  CHECK(peer->data.size() == expected.data.size());
  for (const auto& [key, value] : expected.data) {
    INFO("key '" << key << "'");
    auto it = peer->data.find(key);
    REQUIRE(it != peer->data.end());
    // Compared by size and bytes rather than printed: values are binary.
    CHECK(it->second.value.size() == value.value.size());
    CHECK(it->second.value == value.value);
    CHECK(it->second.version.value() == value.version.value());
  }
}

inline std::set<std::string> IdsOf(const std::vector<const PeerRecord*>& peers) {
  std::set<std::string> ids;
  for (const PeerRecord* peer : peers) ids.insert(peer->id);
  return ids;
}

inline void RunStorageConformance(const StorageFactory& open_fresh,
                                  const StorageFactory& reopen) {
  std::unique_ptr<Storage> storage = open_fresh();
  REQUIRE(storage != nullptr);

  // Runs `check` on the storage that took the writes and, for a persistent
  // backend, again after closing and reopening it. Later writes go to the
  // reopened storage, so writes after a reopen are exercised too.
  auto verify = [&](const std::function<void(const Storage&)>& check) {
    {
      INFO("on the storage that took the writes");
      check(*storage);
    }
    if (reopen) {
      storage.reset();
      storage = reopen();
      REQUIRE(storage != nullptr);
      INFO("after closing and reopening the storage");
      check(*storage);
    }
  };

  SECTION("a fresh storage is empty") {
    verify([](const Storage& s) {
      CHECK(s.Get("nobody") == nullptr);
      CHECK(s.PeerCount() == 0);
      std::size_t visited = 0;
      s.ForEachPeer([&](const PeerRecord&) { ++visited; });
      CHECK(visited == 0);
      CHECK(s.LivePeers("self").empty());
      CHECK(s.DeadPeers("self").empty());
    });
  }

  SECTION("PutPeer creates a peer with max_version_seen 0 and no data") {
    REQUIRE(storage->PutPeer(Header("a", "host-a:1", 7, true)).ok());
    REQUIRE(storage->PutPeer(Header("b", "host-b:2", 9, false)).ok());
    verify([](const Storage& s) {
      CHECK(s.PeerCount() == 2);
      CheckPeer(s, {"a", "host-a:1", 7, 0, true, {}});
      CheckPeer(s, {"b", "host-b:2", 9, 0, false, {}});
      CHECK(s.Get("c") == nullptr);
    });
  }

  SECTION(
      "PutPeer with the same generation keeps the data and updates address and live") {
    REQUIRE(storage->PutPeer(Header("a", "old:1", 5)).ok());
    REQUIRE(storage
                ->PutDeltas("a", std::vector{Delta("k1", "v1", 1), Delta("k2", "v2", 2)},
                            Version(2))
                .ok());
    REQUIRE(storage->PutPeer(Header("a", "new:2", 5, false)).ok());
    verify([](const Storage& s) {
      CHECK(s.PeerCount() == 1);
      CheckPeer(s, {"a",
                    "new:2",
                    5,
                    2,
                    false,
                    {{"k1", {"v1", Version(1)}}, {"k2", {"v2", Version(2)}}}});
    });
    // And back to live, still the same data.
    REQUIRE(storage->PutPeer(Header("a", "new:2", 5, true)).ok());
    verify([](const Storage& s) {
      CheckPeer(s, {"a",
                    "new:2",
                    5,
                    2,
                    true,
                    {{"k1", {"v1", Version(1)}}, {"k2", {"v2", Version(2)}}}});
    });
  }

  SECTION("PutPeer with another generation drops the data and resets max_version_seen") {
    REQUIRE(storage->PutPeer(Header("a", "x:1", 5)).ok());
    REQUIRE(storage
                ->PutDeltas("a",
                            std::vector{Delta("old1", "o", 1), Delta("old2", "o", 4)},
                            Version(4))
                .ok());
    REQUIRE(storage->PutPeer(Header("b", "y:1", 5)).ok());
    REQUIRE(storage->PutDeltas("b", std::vector{Delta("keep", "b", 3)}, Version(3)).ok());

    SECTION("a higher generation") {
      REQUIRE(storage->PutPeer(Header("a", "x:2", 6)).ok());
      verify([](const Storage& s) {
        CheckPeer(s, {"a", "x:2", 6, 0, true, {}});
        // Another peer is untouched.
        CheckPeer(s, {"b", "y:1", 5, 3, true, {{"keep", {"b", Version(3)}}}});
      });
      // The new lineage numbers its versions from 1 again.
      REQUIRE(
          storage->PutDeltas("a", std::vector{Delta("new", "n", 1)}, Version(1)).ok());
      verify([](const Storage& s) {
        CheckPeer(s, {"a", "x:2", 6, 1, true, {{"new", {"n", Version(1)}}}});
      });
    }
    SECTION("a lower generation") {
      REQUIRE(storage->PutPeer(Header("a", "x:1", 4, false)).ok());
      verify([](const Storage& s) {
        CheckPeer(s, {"a", "x:1", 4, 0, false, {}});
        CheckPeer(s, {"b", "y:1", 5, 3, true, {{"keep", {"b", Version(3)}}}});
      });
    }
  }

  SECTION(
      "PutDeltas on an unknown peer fails with kInvalidArgument and changes nothing") {
    REQUIRE(storage->PutPeer(Header("a", "x:1", 1)).ok());
    const Status status =
        storage->PutDeltas("ghost", std::vector{Delta("k", "v", 1)}, Version(1));
    CHECK(status.code() == StatusCode::kInvalidArgument);
    verify([](const Storage& s) {
      CHECK(s.Get("ghost") == nullptr);
      CHECK(s.PeerCount() == 1);
      CheckPeer(s, {"a", "x:1", 1, 0, true, {}});
    });
  }

  SECTION("PutDeltas stores the batch and sets max_version_seen") {
    REQUIRE(storage->PutPeer(Header("a", "x:1", 1)).ok());
    REQUIRE(storage
                ->PutDeltas("a", std::vector{Delta("k1", "v1", 1), Delta("k2", "v2", 3)},
                            Version(3))
                .ok());
    // max_version_seen may lie above the last delta (the versions in between
    // were overwritten at the owner).
    REQUIRE(storage->PutDeltas("a", std::vector{Delta("k3", "v3", 5)}, Version(8)).ok());
    verify([](const Storage& s) {
      CheckPeer(s, {"a",
                    "x:1",
                    1,
                    8,
                    true,
                    {{"k1", {"v1", Version(1)}},
                     {"k2", {"v2", Version(3)}},
                     {"k3", {"v3", Version(5)}}}});
    });
    // An empty batch may raise max_version_seen alone.
    REQUIRE(storage->PutDeltas("a", std::vector<KeyDelta>{}, Version(10)).ok());
    verify([](const Storage& s) { CHECK(s.Get("a")->max_version_seen == Version(10)); });
  }

  SECTION("a refused batch changes nothing") {
    REQUIRE(storage->PutPeer(Header("a", "x:1", 1)).ok());
    REQUIRE(storage
                ->PutDeltas("a", std::vector{Delta("k1", "v1", 4), Delta("k2", "v2", 5)},
                            Version(5))
                .ok());
    const ExpectedPeer before{
        "a", "x:1", 1, 5, true, {{"k1", {"v1", Version(4)}}, {"k2", {"v2", Version(5)}}}};

    SECTION("descending versions") {
      CHECK_FALSE(
          storage
              ->PutDeltas("a", std::vector{Delta("k1", "new", 7), Delta("k3", "v3", 6)},
                          Version(7))
              .ok());
    }
    SECTION("a repeated version") {
      CHECK_FALSE(
          storage
              ->PutDeltas("a", std::vector{Delta("k1", "new", 6), Delta("k3", "v3", 6)},
                          Version(6))
              .ok());
    }
    SECTION("a version equal to max_version_seen") {
      CHECK_FALSE(
          storage->PutDeltas("a", std::vector{Delta("k1", "new", 5)}, Version(5)).ok());
    }
    SECTION("a version below max_version_seen, after a valid one") {
      // The first delta alone would be accepted: the batch is all or nothing.
      CHECK_FALSE(
          storage
              ->PutDeltas("a", std::vector{Delta("k3", "v3", 6), Delta("k1", "new", 3)},
                          Version(6))
              .ok());
    }
    SECTION("max_version_seen below the last delta") {
      CHECK_FALSE(
          storage
              ->PutDeltas("a", std::vector{Delta("k3", "v3", 6), Delta("k1", "new", 8)},
                          Version(7))
              .ok());
    }
    SECTION("an empty batch lowering max_version_seen") {
      CHECK_FALSE(storage->PutDeltas("a", std::vector<KeyDelta>{}, Version(4)).ok());
    }
    verify([&](const Storage& s) { CheckPeer(s, before); });
    // The storage still takes a valid batch after refusing one.
    REQUIRE(storage->PutDeltas("a", std::vector{Delta("k3", "v3", 6)}, Version(6)).ok());
    verify([](const Storage& s) {
      CheckPeer(s, {"a",
                    "x:1",
                    1,
                    6,
                    true,
                    {{"k1", {"v1", Version(4)}},
                     {"k2", {"v2", Version(5)}},
                     {"k3", {"v3", Version(6)}}}});
    });
  }

  SECTION("overwriting a key keeps one entry with the newer value and version") {
    REQUIRE(storage->PutPeer(Header("a", "x:1", 1)).ok());
    REQUIRE(storage
                ->PutDeltas("a",
                            std::vector{Delta("k", "first", 1), Delta("other", "o", 2)},
                            Version(2))
                .ok());
    REQUIRE(
        storage->PutDeltas("a", std::vector{Delta("k", "second", 3)}, Version(3)).ok());
    // Within one batch too: the later delta wins.
    REQUIRE(storage
                ->PutDeltas("a",
                            std::vector{Delta("other", "p", 4), Delta("other", "q", 5)},
                            Version(5))
                .ok());
    verify([](const Storage& s) {
      CheckPeer(s, {"a",
                    "x:1",
                    1,
                    5,
                    true,
                    {{"k", {"second", Version(3)}}, {"other", {"q", Version(5)}}}});
    });
  }

  SECTION("binary and empty values round-trip") {
    const std::string with_nul("a\0b\0", 4);
    const std::string high_bytes("\xff\xfe\x00\x80\xff", 5);
    std::string every_byte;
    for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
    REQUIRE(storage->PutPeer(Header("a", "x:1", 1)).ok());
    REQUIRE(storage
                ->PutDeltas(
                    "a",
                    std::vector{Delta("nul", with_nul, 1), Delta("high", high_bytes, 2),
                                Delta("empty", "", 3), Delta("all", every_byte, 4),
                                Delta("utf8 \xc3\xa9", "\xe2\x82\xac", 5)},
                    Version(5))
                .ok());
    verify([&](const Storage& s) {
      CheckPeer(s, {"a",
                    "x:1",
                    1,
                    5,
                    true,
                    {{"nul", {with_nul, Version(1)}},
                     {"high", {high_bytes, Version(2)}},
                     {"empty", {"", Version(3)}},
                     {"all", {every_byte, Version(4)}},
                     {"utf8 \xc3\xa9", {"\xe2\x82\xac", Version(5)}}}});
    });
  }

  SECTION("LivePeers and DeadPeers follow live and never list the local peer") {
    // "self" stands for the local node's own record, which a storage holds
    // like any other.
    REQUIRE(storage->PutPeer(Header("self", "x:0", 1, true)).ok());
    REQUIRE(storage->PutPeer(Header("a", "x:1", 1, true)).ok());
    REQUIRE(storage->PutPeer(Header("b", "x:2", 1, false)).ok());
    REQUIRE(storage->PutPeer(Header("c", "x:3", 1, true)).ok());
    verify([](const Storage& s) {
      CHECK(IdsOf(s.LivePeers("self")) == std::set<std::string>{"a", "c"});
      CHECK(IdsOf(s.DeadPeers("self")) == std::set<std::string>{"b"});
      // Whoever is named local is left out, live or dead.
      CHECK(IdsOf(s.LivePeers("a")) == std::set<std::string>{"self", "c"});
      CHECK(IdsOf(s.DeadPeers("b")).empty());
    });
    REQUIRE(storage->PutPeer(Header("a", "x:1", 1, false)).ok());
    REQUIRE(storage->PutPeer(Header("b", "x:2", 1, true)).ok());
    REQUIRE(storage->PutPeer(Header("self", "x:0", 1, false)).ok());
    verify([](const Storage& s) {
      CHECK(IdsOf(s.LivePeers("self")) == std::set<std::string>{"b", "c"});
      CHECK(IdsOf(s.DeadPeers("self")) == std::set<std::string>{"a"});
    });
  }

  SECTION("ForEachPeer visits each peer once and PeerCount counts them") {
    for (int i = 0; i < 20; ++i) {
      REQUIRE(storage->PutPeer(Header("p" + std::to_string(i), "x", 1, i % 3 != 0)).ok());
    }
    // Writing a known peer again adds nothing.
    REQUIRE(storage->PutPeer(Header("p3", "y", 1, true)).ok());
    REQUIRE(storage->PutPeer(Header("p4", "y", 2, true)).ok());
    verify([](const Storage& s) {
      std::map<std::string, int> visits;
      s.ForEachPeer([&](const PeerRecord& peer) { ++visits[peer.id]; });
      CHECK(visits.size() == 20);
      for (int i = 0; i < 20; ++i) CHECK(visits["p" + std::to_string(i)] == 1);
      CHECK(s.PeerCount() == 20);
      CHECK(s.LivePeers("p0").size() + s.DeadPeers("p0").size() == 19);
    });
  }

  SECTION("PutPeer with an empty id fails and changes nothing") {
    REQUIRE(storage->PutPeer(Header("a", "x:1", 1)).ok());
    CHECK_FALSE(storage->PutPeer(Header("", "x:2", 1)).ok());
    verify([](const Storage& s) {
      CHECK(s.PeerCount() == 1);
      CHECK(s.Get("") == nullptr);
      CheckPeer(s, {"a", "x:1", 1, 0, true, {}});
    });
  }

  SECTION("1,000 peers with 10 keys each round-trip") {
    constexpr int kPeers = 1000;
    constexpr int kKeys = 10;
    auto value_of = [](int peer, int key) {
      return "value " + std::to_string(peer) + "/" + std::to_string(key);
    };
    for (int p = 0; p < kPeers; ++p) {
      const std::string id = "peer-" + std::to_string(p);
      REQUIRE(
          storage->PutPeer(Header(id, "10.0.0." + std::to_string(p), 100 + p, p % 2 == 0))
              .ok());
      std::vector<KeyDelta> deltas;
      for (int k = 0; k < kKeys; ++k) {
        deltas.push_back(Delta("key-" + std::to_string(k), value_of(p, k),
                               static_cast<std::uint64_t>(k + 1)));
      }
      REQUIRE(storage->PutDeltas(id, deltas, Version(kKeys)).ok());
    }
    verify([&](const Storage& s) {
      REQUIRE(s.PeerCount() == kPeers);
      // peer-0 is live; named local, it is left out.
      CHECK(s.LivePeers("peer-0").size() == kPeers / 2 - 1);
      for (int p = 0; p < kPeers; ++p) {
        const PeerRecord* peer = s.Get("peer-" + std::to_string(p));
        REQUIRE(peer != nullptr);
        REQUIRE(peer->generation == Generation(100 + static_cast<std::uint64_t>(p)));
        REQUIRE(peer->address == "10.0.0." + std::to_string(p));
        REQUIRE(peer->max_version_seen == Version(kKeys));
        REQUIRE(peer->data.size() == kKeys);
        for (int k = 0; k < kKeys; ++k) {
          auto it = peer->data.find("key-" + std::to_string(k));
          REQUIRE(it != peer->data.end());
          REQUIRE(it->second.value == value_of(p, k));
          REQUIRE(it->second.version == Version(static_cast<std::uint64_t>(k + 1)));
        }
      }
    });
  }

  SECTION("a 1 MiB value round-trips") {
    std::string big(std::size_t{1} << 20, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) {
      big[i] = static_cast<char>((i * 131 + i / 251) & 0xff);
    }
    REQUIRE(storage->PutPeer(Header("a", "x:1", 1)).ok());
    REQUIRE(storage->PutDeltas("a", std::vector{Delta("big", big, 1)}, Version(1)).ok());
    verify([&](const Storage& s) {
      CheckPeer(s, {"a", "x:1", 1, 1, true, {{"big", {big, Version(1)}}}});
    });
    // Shrinking it again leaves no trace of the big value.
    REQUIRE(
        storage->PutDeltas("a", std::vector{Delta("big", "small", 2)}, Version(2)).ok());
    verify([](const Storage& s) {
      CheckPeer(s, {"a", "x:1", 1, 2, true, {{"big", {"small", Version(2)}}}});
    });
  }

  SECTION("Flush returns ok and keeps everything") {
    CHECK(storage->Flush().ok());  // nothing written yet
    REQUIRE(storage->PutPeer(Header("a", "x:1", 3)).ok());
    REQUIRE(storage->PutDeltas("a", std::vector{Delta("k", "v", 1)}, Version(1)).ok());
    CHECK(storage->Flush().ok());
    CHECK(storage->Flush().ok());  // twice in a row
    verify([](const Storage& s) {
      CheckPeer(s, {"a", "x:1", 3, 1, true, {{"k", {"v", Version(1)}}}});
    });
  }

  SECTION("Get reflects the latest write") {
    REQUIRE(storage->PutPeer(Header("a", "x:1", 1)).ok());
    REQUIRE(storage->Get("a") != nullptr);
    REQUIRE(storage->PutDeltas("a", std::vector{Delta("k", "v", 1)}, Version(1)).ok());
    const PeerRecord* peer = storage->Get("a");
    REQUIRE(peer != nullptr);
    CHECK(peer->max_version_seen == Version(1));
    CHECK(peer->data.count("k") == 1);
    verify([](const Storage& s) {
      CheckPeer(s, {"a", "x:1", 1, 1, true, {{"k", {"v", Version(1)}}}});
    });
  }
}

}  // namespace gossipmonger::testing

// Defines a TEST_CASE that runs the suite: `name` (a string literal) names
// the backend; the rest are RunStorageConformance's `open_fresh` and `reopen`
// (reopen may be nullptr). Variadic so that lambdas with commas pass through.
#define GOSSIPMONGER_STORAGE_CONFORMANCE_TEST(name, ...)                     \
  TEST_CASE(name " storage conforms to the Storage contract", "[storage]") { \
    ::gossipmonger::testing::RunStorageConformance(__VA_ARGS__);             \
  }
