// gossipmonger-node on SQLite and on RocksDB (the RocksDB storage comes
// from the node's module, gossipmonger-node-rocksdb.so): a node killed and
// restarted resumes its own keys and versions without setting them again,
// and SIGTERM flushes the storage before exiting 0.
#include <catch2/catch.hpp>
#include <csignal>
#include <string>
#include <vector>

#include "gossipmonger/sqlite_storage.h"
#include "node/cluster.h"

namespace gossipmonger::node_test {
namespace {

constexpr int kNodes = 3;

void RequireValue(NodeProcess& node, const std::string& peer, const std::string& key,
                  const std::string& value, std::uint64_t version) {
  INFO("get " << peer << " " << key);
  auto answer = node.Request("get " + peer + " " + key, "value");
  REQUIRE(answer);
  CHECK(Bool(*answer, "found") == true);
  CHECK(Str(*answer, "value") == value);
  CHECK(Uint(*answer, "version") == version);
}

bool IsUpdate(const JsonValue& e, const std::string& peer, const std::string& key) {
  return Str(e, "event") == "update" && Str(e, "peer") == peer && Str(e, "key") == key;
}

// The persistent storages this build's node can open.
std::vector<std::string> PersistentStorages() {
  std::vector<std::string> storages = {"sqlite"};
#ifdef GOSSIPMONGER_NODE_TEST_HAVE_ROCKSDB
  storages.push_back("rocksdb");
#endif
  return storages;
}

}  // namespace

TEST_CASE("a node restarted on its database resumes its keys and versions") {
  const std::string storage = GENERATE(from_range(PersistentStorages()));
  const std::string transport = GENERATE(std::string("tcp"), std::string("udp"));
  CAPTURE(storage, transport);
  TempDir dir;
  Cluster cluster({transport, storage, dir.path()}, kNodes);
  const int restarted = 1;
  NodeProcess* node = &cluster.node(restarted);
  node->Send("set alpha first value");
  node->Send("set beta second value");
  for (int i : {0, 2}) {
    INFO(Cluster::Id(i) << " hears of beta");
    REQUIRE(cluster.node(i).WaitFor(
        [](const JsonValue& e) { return IsUpdate(e, "node1", "beta"); }));
  }

  node->Signal(SIGKILL);
  REQUIRE(node->Wait());
  cluster.Restart(restarted);
  node = &cluster.node(restarted);

  // Nothing was set again: the keys come from the database.
  RequireValue(*node, "node1", "alpha", "first value", 1);
  RequireValue(*node, "node1", "beta", "second value", 2);
  // The version counter resumed too: the next change takes version 3, and
  // the others accept it (the same lineage, no restart from scratch).
  node->Send("set gamma third value");
  for (int i : {0, 2}) {
    INFO(Cluster::Id(i) << " after the restart");
    NodeProcess& other = cluster.node(i);
    auto gamma =
        other.WaitFor([](const JsonValue& e) { return IsUpdate(e, "node1", "gamma"); });
    REQUIRE(gamma);
    CHECK(Uint(*gamma, "version") == 3u);
    RequireValue(other, "node1", "alpha", "first value", 1);
    RequireValue(other, "node1", "beta", "second value", 2);
    // alpha and beta were announced once, with their first versions.
    for (const JsonValue& e : other.events()) {
      if (IsUpdate(e, "node1", "alpha")) CHECK(Uint(e, "version") == 1u);
      if (IsUpdate(e, "node1", "beta")) CHECK(Uint(e, "version") == 2u);
    }
  }
}

TEST_CASE("SIGTERM or SIGINT exits 0 and leaves every key in the SQLite file") {
  const int signal = GENERATE(SIGTERM, SIGINT);
  CAPTURE(signal);
  TempDir dir;
  Cluster cluster({"tcp", "sqlite", dir.path()}, kNodes);
  cluster.node(0).Send("set own mine");
  cluster.node(1).Send("set remote from node1");
  cluster.node(2).Send("set remote from node2");
  REQUIRE(cluster.node(0).WaitFor(
      [](const JsonValue& e) { return IsUpdate(e, "node1", "remote"); }));
  REQUIRE(cluster.node(0).WaitFor(
      [](const JsonValue& e) { return IsUpdate(e, "node2", "remote"); }));
  // The set above is done once a get on the same node sees it.
  RequireValue(cluster.node(0), "node0", "own", "mine", 1);

  cluster.node(0).Signal(signal);
  auto status = cluster.node(0).Wait();
  REQUIRE(status);
  CHECK(status->exited);
  CHECK(status->code == 0);

  std::unique_ptr<SqliteStorage> storage;
  REQUIRE(SqliteStorage::Open(StoragePath({"tcp", "sqlite", dir.path()}, "node0"), {},
                              &storage)
              .ok());
  const PeerRecord* self = storage->Get("node0");
  REQUIRE(self != nullptr);
  REQUIRE(self->data.count("own") == 1);
  CHECK(self->data.at("own").value == "mine");
  for (const char* peer : {"node1", "node2"}) {
    INFO(peer);
    const PeerRecord* record = storage->Get(peer);
    REQUIRE(record != nullptr);
    REQUIRE(record->data.count("remote") == 1);
    CHECK(record->data.at("remote").value == std::string("from ") + peer);
    CHECK(record->data.at("remote").version.value() == 1u);
  }
}

}  // namespace gossipmonger::node_test
