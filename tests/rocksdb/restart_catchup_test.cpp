// The restart catch-up scenario (tests/restart_scenario.h) on RocksDB: every
// node persists to its own database (batched durability, the default).
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "gossipmonger/rocksdb_storage.h"
#include "restart_scenario.h"
#include "rocksdb/rdb_test_util.h"

using namespace gossipmonger;
using namespace gossipmonger::rocksdb_test;

TEST_CASE("RocksDB: a node with 20,000 keys restarts and catches up on 100 changes only",
          "[rocksdb][cluster][restart]") {
  ScratchDir dir;
  // Three seeds: different round phases and peer choices decide who
  // starts the first exchange with the restarted node.
  const std::uint64_t seed = GENERATE(42, 7, 1234);
  restart_scenario::Run("rocksdb", seed, [&](std::size_t node, bool wipe) -> std::unique_ptr<Storage> {
    const std::string path = dir.Sub("node-" + std::to_string(node));
    if (wipe) {
      const Status destroyed = RocksDbStorage::Destroy(path);
      INFO(destroyed.ToString());
      REQUIRE(destroyed.ok());
    }
    return OpenOrFail(path);
  });
}
