// Initial data across restarts on SQLite (gossipmonger.h, Create): a value
// that equals the stored one takes no new version, a changed one takes the
// next, and both survive the next reopen.
#include <asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "gossipmonger/gossipmonger.h"
#include "gossipmonger/sqlite_storage.h"
#include "gossipmonger/testing/memory_transport.h"
#include "sqlite/test_util.h"

using namespace gossipmonger;
using gossipmonger::testing::MemoryNetwork;
using gossipmonger::testing::MemoryTransport;
using namespace gossipmonger::sqlite_test;

namespace {

// One run of node "a" on the database at `path`: created with
// `initial_data`, then stopped (which flushes) and closed. Returns what the
// node held of itself right after Create.
struct Run {
  Generation generation;
  Version version;
  PeerRecord own;
};

Run RunOnce(const std::string& path, const Gossipmonger::InitialData& initial_data) {
  asio::io_context io;
  MemoryNetwork network(io, 1);
  MemoryTransport transport(network, "mem:a");
  auto storage = OpenOrFail(path);
  std::unique_ptr<Gossipmonger> node;
  const Status created = Gossipmonger::Create(io, {"a", "mem:a"}, Options{}, *storage,
                                              transport, initial_data, &node);
  INFO(created.ToString());
  REQUIRE(created.ok());
  Run run{node->engine().generation(), node->engine().version(), *storage->Get("a")};
  node->Stop();
  return run;
}

}  // namespace

TEST_CASE("initial data on SQLite: unchanged after a restart takes no version, changed does") {
  ScratchDir dir;
  const std::string path = dir.File("node.db");
  const Run first = RunOnce(path, {{"role", "db"}, {"port", "5432"}});
  CHECK(first.version == Version(2));
  CHECK(first.own.data.at("port") == VersionedValue{"5432", Version(1)});
  CHECK(first.own.data.at("role") == VersionedValue{"db", Version(2)});

  const Run same = RunOnce(path, {{"role", "db"}, {"port", "5432"}});
  CHECK(same.generation == first.generation);  // the lineage is resumed
  CHECK(same.version == Version(2));           // and nothing re-versioned
  CHECK(same.own.max_version_seen == Version(2));
  CHECK(same.own.data == first.own.data);

  const Run changed = RunOnce(path, {{"role", "replica"}, {"port", "5432"}});
  CHECK(changed.generation == first.generation);
  CHECK(changed.version == Version(3));
  CHECK(changed.own.data.at("port") == VersionedValue{"5432", Version(1)});
  CHECK(changed.own.data.at("role") == VersionedValue{"replica", Version(3)});

  // Without initial data the stored values stay as they are, durable.
  const Run plain = RunOnce(path, {});
  CHECK(plain.version == Version(3));
  CHECK(plain.own.data == changed.own.data);
}
