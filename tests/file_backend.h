// Storage on files for the lifecycle scenarios (tests/lifecycle_scenario.h,
// tests/membership_scenarios.h), shared by the SQLite and RocksDB tests:
// each node keeps its files in a directory of its own, and a copy of that
// directory is the "old storage" a node can be restored from.
//
// A copy is taken while the node's storage is open, after Flush: the tests
// are single-threaded and the scenarios write far less than a RocksDB
// memtable holds, so nothing changes the files meanwhile. A restore is
// only noted, and done by the next open, after the VirtualCluster closed
// the node's storage (Restart): copying over open files would be undone by
// the close.
#pragma once

#include <catch2/catch.hpp>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "gossipmonger/storage.h"
#include "lifecycle_scenario.h"
#include "membership_scenarios.h"

namespace gossipmonger::file_backend {

class NodeDirectories {
 public:
  using OpenIn =
      std::function<std::unique_ptr<Storage>(const std::filesystem::path& dir)>;

  NodeDirectories(std::filesystem::path root, OpenIn open_in)
      : root_(std::move(root)), open_in_(std::move(open_in)) {}

  std::unique_ptr<Storage> Open(std::size_t node, bool wipe) {
    const std::filesystem::path dir = Dir(node);
    if (wipe) std::filesystem::remove_all(dir);
    if (restore_pending_.erase(node) > 0) {
      std::filesystem::remove_all(dir);
      std::filesystem::copy(Copy(node), dir, std::filesystem::copy_options::recursive);
    }
    std::filesystem::create_directories(dir);
    return open_in_(dir);
  }

  lifecycle_scenario::Backend Backend() {
    return {[this](std::size_t node, bool wipe) { return Open(node, wipe); },
            [this](std::size_t node) {
              std::filesystem::remove_all(Copy(node));
              std::filesystem::copy(Dir(node), Copy(node),
                                    std::filesystem::copy_options::recursive);
            },
            [this](std::size_t node) { restore_pending_.insert(node); }};
  }

  std::function<std::unique_ptr<Storage>(std::size_t, bool)> Factory() {
    return [this](std::size_t node, bool wipe) { return Open(node, wipe); };
  }

 private:
  std::filesystem::path Dir(std::size_t node) const {
    return root_ / ("node-" + std::to_string(node));
  }
  std::filesystem::path Copy(std::size_t node) const {
    return root_ / ("copy-" + std::to_string(node));
  }

  std::filesystem::path root_;
  OpenIn open_in_;
  std::set<std::size_t> restore_pending_;
};

// Every lifecycle and membership scenario, one Catch section each, on fresh
// node directories made by `make` (called once per section run).
inline void AllScenarios(const std::function<std::unique_ptr<NodeDirectories>()>& make) {
  namespace membership = membership_scenarios;
  const std::unique_ptr<NodeDirectories> nodes = make();
  SECTION("a node restored from a copy older than a collected delete keeps it deleted") {
    lifecycle_scenario::DeleteSurvivesOldCopy(nodes->Backend());
  }
  SECTION("a TTL expires on time after its owner restarts from storage") {
    lifecycle_scenario::TtlAfterOwnerRestart(nodes->Backend());
  }
  SECTION("Leave() reaches 20 nodes within 1 s, without peer dead, then reaping") {
    membership::LeaveReachesEveryNodeThenIsForgotten(nodes->Factory());
  }
  SECTION("a crashed peer is reaped, across an observer's restart") {
    membership::CrashedPeerIsReapedAcrossAnObserverRestart(nodes->Factory());
  }
  SECTION("a node that left rejoins from its storage, before the others forgot it") {
    membership::LeftNodeRestartedOnItsStorageRejoins(nodes->Factory(), false);
  }
  SECTION("a node that left rejoins from its storage, after the others forgot it") {
    membership::LeftNodeRestartedOnItsStorageRejoins(nodes->Factory(), true);
  }
  SECTION("stale gossip does not bring a reaped peer back; the peer itself does") {
    membership::StaleGossipDoesNotBringAReapedPeerBack(nodes->Factory(),
                                                       membership::Return::kItself);
  }
  SECTION("stale gossip does not bring a reaped peer back; a newer generation does") {
    membership::StaleGossipDoesNotBringAReapedPeerBack(
        nodes->Factory(), membership::Return::kNewerGeneration);
  }
}

}  // namespace gossipmonger::file_backend
