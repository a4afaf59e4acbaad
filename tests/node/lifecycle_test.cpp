// The node program's lifecycle commands, flags and events
// (docs/LIFECYCLE.md, docs/node.md): `del`, `setex`, `leave`,
// --leave-on-sigterm, the reap options, and the `delete`, `peer_left` and
// `peer_forgotten` events, on real processes over loopback.
#include <catch2/catch.hpp>
#include <csignal>
#include <set>

#include "node/cluster.h"

namespace gossipmonger::node_test {
namespace {

std::vector<std::string> LoneNode(const std::string& id) {
  return {"--id", id, "--listen", "127.0.0.1:0", "--gossip-interval-ms", "100"};
}

// The member names of an event, to check that it carries exactly these.
std::set<std::string> Members(const JsonValue& event) {
  std::set<std::string> names;
  for (const auto& [name, value] : event.items()) names.insert(name);
  return names;
}

void RequireExit0(NodeProcess& node) {
  auto status = node.Wait();
  REQUIRE(status);
  CHECK(status->exited);
  CHECK(status->code == 0);
}

// Reap quickly: a departed peer is forgotten half a second after it left or
// was convicted.
NodeConfig QuickReaping() {
  NodeConfig config;
  config.extra_args = {
      "--reap-left-after-ms", "500",   "--reap-dead-after-ms",    "500",
      "--tombstone-grace-ms", "60000", "--remember-forgotten-ms", "60000"};
  return config;
}

}  // namespace

TEST_CASE("malformed lifecycle commands are error events naming their usage") {
  NodeProcess node(LoneNode("solo"));
  REQUIRE(node.WaitForEvent("listening"));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"del", "usage: del KEY"},
      {"del two keys", "usage: del KEY"},
      {"setex k", "usage: setex KEY TTL_MS VALUE"},
      {"setex k 100", "usage: setex KEY TTL_MS VALUE"},  // no value at all
      {"setex k -5 v", "usage: setex KEY TTL_MS VALUE"},
      {"setex k 1s v", "usage: setex KEY TTL_MS VALUE"},
      {"leave now", "usage: leave"},
  };
  for (const auto& [line, usage] : cases) {
    INFO(line);
    auto error = node.Request(line, "error");
    REQUIRE(error);
    CHECK(Str(*error, "message").find(usage) != std::string::npos);
  }
  // The node goes on.
  auto value = node.Request("get solo nothing", "value");
  REQUIRE(value);
  CHECK(Bool(*value, "found") == false);
  node.Send("quit");
  RequireExit0(node);
}

TEST_CASE(
    "the lifecycle flags are accepted and SIGTERM with --leave-on-sigterm exits 0") {
  auto args = LoneNode("solo");
  args.insert(args.end(), {"--tombstone-grace-ms", "1000", "--reap-dead-after-ms", "2000",
                           "--reap-left-after-ms=3000", "--remember-forgotten-ms", "4000",
                           "--leave-on-sigterm"});
  NodeProcess node(args);
  REQUIRE(node.WaitForEvent("listening"));
  node.Signal(SIGTERM);
  RequireExit0(node);
}

// --- behaviour: needs the engine's lifecycle (docs/LIFECYCLE.md) ---------

TEST_CASE(
    "del deletes a key everywhere: a delete event at every peer, get finds nothing") {
  const std::string transport = GENERATE(std::string("tcp"), std::string("udp"));
  CAPTURE(transport);
  NodeConfig config;
  config.transport = transport;
  Cluster cluster(config, 3);
  cluster.node(0).Send("set doomed soon gone");
  for (int i = 1; i < 3; ++i) {
    REQUIRE(
        cluster.node(i).WaitForEvent("update", {{"peer", "node0"}, {"key", "doomed"}}));
  }
  cluster.node(0).Send("del doomed");
  for (int i = 1; i < 3; ++i) {
    INFO(Cluster::Id(i));
    auto deleted =
        cluster.node(i).WaitForEvent("delete", {{"peer", "node0"}, {"key", "doomed"}});
    REQUIRE(deleted);
    CHECK(Uint(*deleted, "version") == 2u);  // the set took 1
    CHECK(Members(*deleted) ==
          std::set<std::string>{"event", "t_ms", "peer", "key", "version"});
  }
  for (int i = 0; i < 3; ++i) {
    INFO(Cluster::Id(i));
    auto value = cluster.node(i).Request("get node0 doomed", "value");
    REQUIRE(value);
    CHECK(Bool(*value, "found") == false);
  }
  // A deleted key can be set again: a newer version.
  cluster.node(0).Send("set doomed back");
  auto back = cluster.node(1).WaitForEvent(
      "update", {{"peer", "node0"}, {"key", "doomed"}, {"value", "back"}});
  REQUIRE(back);
  CHECK(Uint(*back, "version") == 3u);
}

TEST_CASE("setex: the key reaches the peers, then expires into a delete everywhere") {
  Cluster cluster(NodeConfig{}, 2);
  cluster.node(0).Send("setex lease 400 held by  node0");  // VALUE verbatim
  auto update =
      cluster.node(1).WaitForEvent("update", {{"peer", "node0"}, {"key", "lease"}});
  REQUIRE(update);
  CHECK(Str(*update, "value") == "held by  node0");
  auto deleted =
      cluster.node(1).WaitForEvent("delete", {{"peer", "node0"}, {"key", "lease"}});
  REQUIRE(deleted);
  CHECK(Uint(*deleted, "version") > *Uint(*update, "version"));
  for (int i = 0; i < 2; ++i) {
    auto value = cluster.node(i).Request("get node0 lease", "value");
    REQUIRE(value);
    CHECK(Bool(*value, "found") == false);
  }
}

TEST_CASE("leave: the node exits 0, every peer prints peer_left, then peer_forgotten") {
  const bool by_signal = GENERATE(false, true);
  CAPTURE(by_signal);
  NodeConfig config = QuickReaping();
  config.extra_args.push_back("--leave-on-sigterm");
  Cluster cluster(config, 3);
  const std::vector<std::size_t> marks = {cluster.node(0).events().size(),
                                          cluster.node(1).events().size()};
  if (by_signal) {
    cluster.node(2).Signal(SIGTERM);
  } else {
    cluster.node(2).Send("leave");
  }
  RequireExit0(cluster.node(2));
  for (int i = 0; i < 2; ++i) {
    INFO(Cluster::Id(i));
    NodeProcess& node = cluster.node(i);
    auto left = node.WaitForEvent("peer_left", {{"peer", "node2"}}, marks[i]);
    REQUIRE(left);
    CHECK(Members(*left) == std::set<std::string>{"event", "t_ms", "peer"});
    auto forgotten = node.WaitForEvent("peer_forgotten", {{"peer", "node2"}}, marks[i]);
    REQUIRE(forgotten);
    CHECK(Members(*forgotten) ==
          std::set<std::string>{"event", "t_ms", "peer", "generation"});
    CHECK(Uint(*forgotten, "generation").has_value());
    for (std::size_t e = marks[i]; e < node.events().size(); ++e) {
      CHECK_FALSE((Str(node.events()[e], "event") == "peer_dead" &&
                   Str(node.events()[e], "peer") == "node2"));
    }
    auto peers = node.Request("peers", "peers");
    REQUIRE(peers);
    REQUIRE(Array(*peers, "peers") != nullptr);
    for (const JsonValue& peer : *Array(*peers, "peers"))
      CHECK(Str(peer, "peer") != "node2");
  }
}

TEST_CASE(
    "a peer killed with SIGKILL is convicted, then forgotten after reap-dead-after") {
  Cluster cluster(QuickReaping(), 3);
  cluster.node(2).Signal(SIGKILL);
  REQUIRE(cluster.node(2).Wait());
  for (int i = 0; i < 2; ++i) {
    INFO(Cluster::Id(i));
    REQUIRE(cluster.node(i).WaitForEvent("peer_dead", {{"peer", "node2"}}));
    REQUIRE(cluster.node(i).WaitForEvent("peer_forgotten", {{"peer", "node2"}}));
  }
}

}  // namespace gossipmonger::node_test
