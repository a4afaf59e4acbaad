// The lifecycle scenarios (tests/lifecycle_scenario.h,
// tests/membership_scenarios.h) on SQLite: every node persists to its own
// database file, so deletes, collection floors, TTL deadlines, down_since and
// forgotten peers are read back from disk at each restart.
#include <catch2/catch.hpp>

#include "file_backend.h"
#include "sqlite/test_util.h"

using namespace gossipmonger;
using namespace gossipmonger::sqlite_test;

TEST_CASE("SQLite: the lifecycle scenarios", "[cluster][lifecycle]") {
  ScratchDir scratch;
  file_backend::AllScenarios([&] {
    return std::make_unique<file_backend::NodeDirectories>(
        scratch.path(), [](const std::filesystem::path& dir) -> std::unique_ptr<Storage> {
          return OpenOrFail((dir / "node.db").string());
        });
  });
}
