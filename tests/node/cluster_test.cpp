// Clusters of real gossipmonger-node processes on loopback, over both
// transports and both kinds of storage: updates propagate to every node,
// a killed node is reported dead by the others, and a stopped one reports
// its pause.
#include "node/cluster.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <thread>
#include <tuple>

namespace gossipmonger::node_test {
namespace {

constexpr int kNodes = 3;

// Waits until `node` printed the update (peer, key) with this value and
// version.
void RequireUpdate(NodeProcess& node, const std::string& peer, const std::string& key,
                   const std::string& value, std::uint64_t version) {
  INFO("update " << peer << "/" << key << " = " << value << " v" << version);
  auto update = node.WaitFor([&](const JsonValue& e) {
    return Str(e, "event") == "update" && Str(e, "peer") == peer &&
           Str(e, "key") == key && Uint(e, "version") == version;
  });
  REQUIRE(update);
  CHECK(Str(*update, "value") == value);
}

}  // namespace

TEST_CASE("an update set on one node reaches every other node") {
  const auto [transport, storage] = GENERATE(table<std::string, std::string>(
      {{"tcp", "memory"}, {"udp", "memory"}, {"tcp", "sqlite"}, {"udp", "sqlite"}}));
  CAPTURE(transport, storage);
  TempDir dir;
  Cluster cluster({transport, storage, dir.path()}, kNodes);

  for (int i = 0; i < kNodes; ++i) {
    cluster.node(i).Send("set color-" + std::to_string(i) + " shade of " +
                         std::to_string(i));
  }
  cluster.node(0).Send("set color-0 repainted with \"quotes\" \\ too");  // version 2
  for (int i = 0; i < kNodes; ++i) {
    for (int j = 0; j < kNodes; ++j) {
      if (i == j) continue;
      INFO(Cluster::Id(i) << " hears of " << Cluster::Id(j));
      const std::string key = "color-" + std::to_string(j);
      if (j == 0) {
        RequireUpdate(cluster.node(i), Cluster::Id(j), key,
                      "repainted with \"quotes\" \\ too", 2);
      } else {
        RequireUpdate(cluster.node(i), Cluster::Id(j), key,
                      "shade of " + std::to_string(j), 1);
      }
    }
  }
  // And every node's table agrees: get answers with the latest version.
  for (int i = 0; i < kNodes; ++i) {
    auto value = cluster.node(i).Request("get node0 color-0", "value");
    REQUIRE(value);
    CHECK(Bool(*value, "found") == true);
    CHECK(Uint(*value, "version") == 2u);
    auto peers = cluster.node(i).Request("peers", "peers");
    REQUIRE(peers);
    REQUIRE(Array(*peers, "peers") != nullptr);
    CHECK(Array(*peers, "peers")->size() == static_cast<std::size_t>(kNodes - 1));
  }
}

TEST_CASE("a node killed with SIGKILL is reported dead by the others") {
  const std::string transport = GENERATE(std::string("tcp"), std::string("udp"));
  CAPTURE(transport);
  Cluster cluster({transport, "memory", ""}, kNodes);
  const int victim = kNodes - 1;
  cluster.node(victim).Signal(SIGKILL);
  auto status = cluster.node(victim).Wait();
  REQUIRE(status);
  CHECK_FALSE(status->exited);
  CHECK(status->code == SIGKILL);
  for (int i = 0; i < victim; ++i) {
    INFO(Cluster::Id(i) << " convicts " << Cluster::Id(victim));
    CHECK(cluster.node(i).WaitForEvent("peer_dead", {{"peer", Cluster::Id(victim)}}));
  }
  // The survivors still agree on who is live.
  auto peers = cluster.node(0).Request("peers", "peers");
  REQUIRE(peers);
  REQUIRE(Array(*peers, "peers") != nullptr);
  for (const JsonValue& peer : *Array(*peers, "peers")) {
    CHECK(Bool(peer, "live") == (Str(peer, "peer") != Cluster::Id(victim)));
  }
}

TEST_CASE("a node stopped for a second reports a local pause, not an error") {
  Cluster cluster({"udp", "memory", ""}, 2);
  NodeProcess& node = cluster.node(1);
  node.Signal(SIGSTOP);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  node.Signal(SIGCONT);
  auto pause =
      node.WaitFor([](const JsonValue& e) { return Str(e, "event") == "local_pause"; });
  REQUIRE(pause);
  CHECK(Uint(*pause, "paused_ms").value_or(0) >= 900u);
  for (const JsonValue& e : node.events()) CHECK(Str(e, "event") != "error");
}

}  // namespace gossipmonger::node_test
