// Clusters of real gossipmonger-node processes with encryption
// (docs/SECURITY.md): nodes sharing a key converge, nodes with different
// keys never hear each other (and count why), and a running plaintext pair
// moves to required encryption with the runtime commands.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "node/cluster.h"
#include "node/keyring_helpers.h"

namespace gossipmonger::node_test {
namespace {

// Node `id` of `config` with its own keyring file holding `key`.
std::unique_ptr<NodeProcess> StartWithKey(const NodeConfig& config, const TempDir& dir,
                                          const std::string& id, const std::string& key,
                                          const std::string& seed) {
  const std::string path = dir.path() + "/" + id + ".keyring";
  WriteKeyringFile(path, KeyringJson({key}));
  std::vector<std::string> args = NodeArgs(config, id, "127.0.0.1:0", seed);
  args.insert(args.end(), {"--keyring", path});
  return std::make_unique<NodeProcess>(args);
}

// Sets a key on `from` and requires `to` to `get` it.
void RequireConverges(NodeProcess& from, const std::string& from_id, NodeProcess& to) {
  from.Send("set secret-color ultramarine");
  REQUIRE(to.WaitForEvent("update", {{"peer", from_id}, {"key", "secret-color"}}));
  auto value = to.Request("get " + from_id + " secret-color", "value");
  REQUIRE(value);
  CHECK(Bool(*value, "found") == true);
  CHECK(Str(*value, "value") == "ultramarine");
}

}  // namespace

TEST_CASE("two nodes with the same key converge") {
  const std::string transport = GENERATE(std::string("tcp"), std::string("udp"));
  CAPTURE(transport);
  TempDir dir;
  const NodeConfig config{transport, "memory", ""};
  const std::string key = NewKey();
  auto seed = StartWithKey(config, dir, "node0", key, "");
  auto other = StartWithKey(config, dir, "node1", key, "node0@" + seed->Address());
  REQUIRE(seed->WaitForEvent("new_peer", {{"peer", "node1"}}));
  REQUIRE(other->WaitForEvent("new_peer", {{"peer", "node0"}}));
  CHECK(Str(RequireKeyring(*seed, "key list"), "encryption") == "require");
  RequireConverges(*other, "node1", *seed);

  auto stats = seed->Request("stats", "stats");
  REQUIRE(stats);
  CHECK(Uint(*stats, "unknown_key") == 0u);
  CHECK(Uint(*stats, "unauthentic") == 0u);
  CHECK(Uint(*stats, "plaintext_refused") == 0u);
}

TEST_CASE("two nodes with different keys do not converge and count unknown keys") {
  const std::string transport = GENERATE(std::string("tcp"), std::string("udp"));
  CAPTURE(transport);
  TempDir dir;
  const NodeConfig config{transport, "memory", ""};
  auto seed = StartWithKey(config, dir, "node0", NewKey(), "");
  auto other = StartWithKey(config, dir, "node1", NewKey(), "node0@" + seed->Address());
  other->Send("set secret-color ultramarine");
  // node1 gossips to its seed every round: node0 refuses each message.
  CHECK(AwaitCounter(*seed, "unknown_key") > 0u);
  for (NodeProcess* node : {seed.get(), other.get()}) {
    auto peers = node->Request("peers", "peers");
    REQUIRE(peers);
    CHECK(Array(*peers, "peers")->empty());
    for (const JsonValue& event : node->events()) {
      CHECK(Str(event, "event") != "new_peer");
      CHECK(Str(event, "event") != "update");
    }
  }
  auto value = seed->Request("get node1 secret-color", "value");
  REQUIRE(value);
  CHECK(Bool(*value, "found") == false);
}

TEST_CASE("a running plaintext pair moves to required encryption with the commands") {
  const std::string transport = GENERATE(std::string("tcp"), std::string("udp"));
  CAPTURE(transport);
  NodeConfig config{transport, "memory", ""};
  Cluster cluster(config, 2);  // no --keyring: an empty keyring, encryption off
  const std::string key = NewKey();
  // The migration of docs/SECURITY.md: every step on every node, in turn.
  for (const std::string& step :
       {"key install " + key, std::string("encryption accept"),
        std::string("encryption send"), std::string("encryption require")}) {
    for (int i = 0; i < cluster.size(); ++i) {
      INFO(Cluster::Id(i) << ": " << step);
      const JsonValue keyring = RequireKeyring(cluster.node(i), step);
      CHECK(KeyIds(keyring).size() == 1u);
      CHECK(keyring.dump().find(key) == std::string::npos);
    }
  }
  CHECK(Str(RequireKeyring(cluster.node(0), "key list"), "encryption") == "require");
  RequireConverges(cluster.node(1), Cluster::Id(1), cluster.node(0));

  // A plaintext node of the same cluster is refused now, and hears nothing.
  NodeProcess intruder(
      NodeArgs(config, "intruder", "127.0.0.1:0", "node0@" + cluster.node(0).Address()));
  CHECK(AwaitCounter(cluster.node(0), "plaintext_refused") > 0u);
  auto value = intruder.Request("get node1 secret-color", "value");
  REQUIRE(value);
  CHECK(Bool(*value, "found") == false);
  for (const JsonValue& event : cluster.node(0).events()) {
    CHECK_FALSE((Str(event, "event") == "new_peer" && Str(event, "peer") == "intruder"));
  }
}

}  // namespace gossipmonger::node_test
