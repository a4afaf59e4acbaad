// The restart catch-up scenario (tests/restart_scenario.h) on SQLite: every
// node persists to its own database file (batched durability, the default).
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "gossipmonger/sqlite_storage.h"
#include "restart_scenario.h"
#include "sqlite/test_util.h"

using namespace gossipmonger;
using namespace gossipmonger::sqlite_test;

TEST_CASE("SQLite: a node with 20,000 keys restarts and catches up on 100 changes only",
          "[cluster][restart]") {
  ScratchDir dir;
  auto path_of = [&](std::size_t node) { return dir.File("node-" + std::to_string(node) + ".db"); };
  // Three seeds: different round phases and peer choices decide who
  // starts the first exchange with the restarted node.
  const std::uint64_t seed = GENERATE(42, 7, 1234);
  restart_scenario::Run("sqlite", seed, [&](std::size_t node, bool wipe) -> std::unique_ptr<Storage> {
    if (wipe) REQUIRE(SqliteStorage::Destroy(path_of(node)).ok());
    return OpenOrFail(path_of(node));
  });
}
