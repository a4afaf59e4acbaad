// Helpers of the storage conformance suite (storage_conformance.h): the
// storage under test with its verify step, builders of headers and deltas,
// and the comparison of what a storage holds with what it must hold.
// Catch2 v2 code, like the suite.
#pragma once

#include <catch2/catch.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gossipmonger/message.h"
#include "gossipmonger/peer.h"
#include "gossipmonger/status.h"
#include "gossipmonger/storage.h"

namespace gossipmonger::testing {

// Opens a storage: an empty one (open_fresh) or what the last one wrote
// (reopen).
using StorageFactory = std::function<std::unique_ptr<Storage>()>;

namespace storage_suite {

// The storage one pass of the suite writes to. Catch runs the test case once
// per section, so each pass starts from open_fresh.
class StorageUnderTest {
 public:
  StorageUnderTest(const StorageFactory& open_fresh, StorageFactory reopen)
      : storage_(open_fresh()), reopen_(std::move(reopen)) {
    REQUIRE(storage_ != nullptr);
  }

  Storage* operator->() { return storage_.get(); }

  // Runs `check` on the storage that took the writes and, for a persistent
  // backend, again after closing and reopening it. Later writes go to the
  // reopened storage, so writes after a reopen are exercised too.
  void Verify(const std::function<void(const Storage&)>& check) {
    {
      INFO("on the storage that took the writes");
      check(*storage_);
    }
    if (reopen_) {
      storage_.reset();
      storage_ = reopen_();
      REQUIRE(storage_ != nullptr);
      INFO("after closing and reopening the storage");
      check(*storage_);
    }
  }

 private:
  std::unique_ptr<Storage> storage_;
  StorageFactory reopen_;
};

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
    CHECK(static_cast<int>(it->second.kind) == static_cast<int>(value.kind));
    CHECK(it->second.expires_at.count() == value.expires_at.count());
  }
}

// Everything a storage holds (peers with every field and entry, and the
// forgotten peers), as one line per peer, entry and memory in sorted order:
// two storages hold the same iff their descriptions are equal. Shown by
// Catch when a comparison fails, so byte strings are escaped.
inline std::string DescribeStorage(const Storage& storage) {
  auto bytes = [](const std::string& text) {
    std::string out;
    for (unsigned char c : text) {
      static constexpr char kHex[] = "0123456789abcdef";
      if (c >= 0x20 && c < 0x7f && c != '\\') {
        out.push_back(static_cast<char>(c));
      } else {
        out += {'\\', 'x', kHex[c >> 4], kHex[c & 0xf]};
      }
    }
    return out;
  };
  std::set<std::string> lines;
  storage.ForEachPeer([&](const PeerRecord& peer) {
    const std::string id = bytes(peer.id);
    lines.insert("peer " + id + " address=" + bytes(peer.address) +
                 " generation=" + std::to_string(peer.generation.value()) +
                 " max=" + std::to_string(peer.max_version_seen.value()) +
                 " live=" + std::to_string(peer.live) +
                 " down_since=" + std::to_string(peer.down_since.count()) +
                 " collected=" + std::to_string(peer.collected_through.value()) +
                 " clean=" + std::to_string(peer.clean_through.value()));
    for (const auto& [key, entry] : peer.data) {
      lines.insert("peer " + id + " entry " + bytes(key) + " = " + bytes(entry.value) +
                   " v" + std::to_string(entry.version.value()) +
                   " kind=" + std::to_string(static_cast<int>(entry.kind)) +
                   " expires_at=" + std::to_string(entry.expires_at.count()));
    }
  });
  storage.ForEachForgotten([&](const ForgottenPeer& forgotten) {
    lines.insert("forgotten " + bytes(forgotten.id) +
                 " generation=" + std::to_string(forgotten.generation.value()) +
                 " at=" + std::to_string(forgotten.forgotten_at.count()));
  });
  std::string description;
  for (const std::string& line : lines) description += line + "\n";
  return description;
}

inline std::set<std::string> IdsOf(const std::vector<const PeerRecord*>& peers) {
  std::set<std::string> ids;
  for (const PeerRecord* peer : peers) ids.insert(peer->id);
  return ids;
}

}  // namespace storage_suite
}  // namespace gossipmonger::testing
