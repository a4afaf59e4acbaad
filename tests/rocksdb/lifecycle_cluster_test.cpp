// The lifecycle scenarios (tests/lifecycle_scenario.h,
// tests/membership_scenarios.h) on RocksDB: every node persists to its own
// database directory, so deletes, collection floors, TTL deadlines, down_since and
// forgotten peers are read back from disk at each restart.
#include <catch2/catch.hpp>

#include "file_backend.h"
#include "lifecycle_scenario.h"
#include "membership_scenarios.h"
#include "rocksdb/rdb_test_util.h"

using namespace gossipmonger;
using namespace gossipmonger::rocksdb_test;
namespace scenarios = gossipmonger::membership_scenarios;

namespace {

struct Disks {
  ScratchDir scratch;
  file_backend::NodeDirectories nodes{
      scratch.path(), [](const std::filesystem::path& dir) -> std::unique_ptr<Storage> {
        return OpenOrFail((dir / "db").string());
      }};
};

}  // namespace

TEST_CASE(
    "RocksDB: a node restored from a copy older than a collected delete does not bring "
    "the key back",
    "[cluster][lifecycle]") {
  Disks disks;
  lifecycle_scenario::DeleteSurvivesOldCopy(disks.nodes.Backend());
}

TEST_CASE("RocksDB: a TTL expires on time after its owner restarts from storage",
          "[cluster][lifecycle]") {
  Disks disks;
  lifecycle_scenario::TtlAfterOwnerRestart(disks.nodes.Backend());
}

TEST_CASE("RocksDB: Leave() reaches 20 nodes within 1 s, without peer dead, then reaping",
          "[cluster][lifecycle]") {
  Disks disks;
  scenarios::LeaveReachesEveryNodeThenIsForgotten(disks.nodes.Factory());
}

TEST_CASE("RocksDB: a crashed peer is reaped, across an observer's restart",
          "[cluster][lifecycle]") {
  Disks disks;
  scenarios::CrashedPeerIsReapedAcrossAnObserverRestart(disks.nodes.Factory());
}

TEST_CASE("RocksDB: a node that left rejoins in the same lineage from its storage",
          "[cluster][lifecycle]") {
  Disks disks;
  SECTION("before the others forgot it") {
    scenarios::LeftNodeRestartedOnItsStorageRejoins(disks.nodes.Factory(), false);
  }
  SECTION("after the others forgot it") {
    scenarios::LeftNodeRestartedOnItsStorageRejoins(disks.nodes.Factory(), true);
  }
}

TEST_CASE("RocksDB: stale gossip does not bring a reaped peer back; a real return does",
          "[cluster][lifecycle]") {
  Disks disks;
  SECTION("the peer itself") {
    scenarios::StaleGossipDoesNotBringAReapedPeerBack(disks.nodes.Factory(),
                                                      scenarios::Return::kItself);
  }
  SECTION("a newer generation of its id") {
    scenarios::StaleGossipDoesNotBringAReapedPeerBack(
        disks.nodes.Factory(), scenarios::Return::kNewerGeneration);
  }
}
