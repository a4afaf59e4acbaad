// The demo's command line.
#include "config.h"

#include <catch2/catch.hpp>

using gossipmonger::demo::ParseArgs;

TEST_CASE("defaults: five nodes over TCP in memory, until interrupted") {
  const auto parsed = ParseArgs({});
  CHECK(parsed.error.empty());
  CHECK(parsed.config.nodes == 5);
  CHECK(parsed.config.transport == "tcp");
  CHECK(parsed.config.storage.kind == "memory");
  CHECK(parsed.config.duration_seconds == 0);
  CHECK_FALSE(parsed.config.plain);
}

TEST_CASE("storage specs name a kind and a directory") {
  auto parsed =
      ParseArgs({"--storage", "sqlite:/tmp/x", "--transport", "udp", "--plain"});
  REQUIRE(parsed.error.empty());
  CHECK(parsed.config.storage.kind == "sqlite");
  CHECK(parsed.config.storage.dir == "/tmp/x");
  CHECK(parsed.config.transport == "udp");
  CHECK(parsed.config.plain);
  CHECK_FALSE(ParseArgs({"--storage", "sqlite:"}).error.empty());
  CHECK_FALSE(ParseArgs({"--storage", "leveldb:/tmp/x"}).error.empty());
}

TEST_CASE("bad arguments are refused with a message") {
  CHECK_FALSE(ParseArgs({"--transport", "carrier-pigeon"}).error.empty());
  CHECK_FALSE(ParseArgs({"--nodes", "1"}).error.empty());
  CHECK_FALSE(ParseArgs({"--nodes", "x"}).error.empty());
  CHECK_FALSE(ParseArgs({"--interval-ms"}).error.empty());
  CHECK_FALSE(ParseArgs({"--bogus", "1"}).error.empty());
  CHECK(ParseArgs({"--help"}).help);
}
