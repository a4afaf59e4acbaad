// Issue 12, item 7: a node SIGKILLed and restarted on its persisted state
// must not convict its live peers, and they must see it live at once. Three
// real nodes per cluster, 200 ms rounds (as in the report); node2 is killed
// and restarted on its own file after 2 s (shorter than the peers take to
// convict it), 7.5 s and 30 s (both longer), over TCP and UDP, on SQLite
// and RocksDB. Over TCP the peers' reconnect backoff towards the dead node
// grew while it was down, so it heard nothing from them, convicted them
// 3.3 s after its start and was seen live only 2-4 s after it.
//
// The 12 cases run concurrently, each in a cluster of its own (own ports and
// files), so that they cost the 30 s downtime once (about 45 s in all)
// instead of once per transport and storage: the nodes sleep nearly all the
// time (0.3% of a core each at 200 ms rounds, 0.5% under TSan), and the
// bound of 1 s is 20 times what they take (a round trip, then the next
// digest a quarter round later: 0-55 ms measured).
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "node/cluster.h"

namespace gossipmonger::node_test {
namespace {

constexpr int kNodes = 3;
constexpr int kRestarted = 2;  // not the seed (node0)
// The bound, from the restarted process's `listening` event.
constexpr double kSeenLiveWithinMs = 1000;
// How long the restarted node is watched for a false conviction: with no
// news, it convicted its peers 3.3 s after its start.
constexpr auto kWatchAfterStart = std::chrono::seconds(6);

// The event's t_ms (system clock of the node's machine, milliseconds since
// the epoch): every node here runs on this machine's clock.
double TimeMs(const JsonValue& event) {
  REQUIRE(event.contains("t_ms"));
  REQUIRE(event["t_ms"].is_number());
  return event["t_ms"].get<double>();
}

double WallNowMs() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Reads everything a node printed so far: `peers` is answered after every
// earlier line. Returns the answer.
JsonValue Drain(NodeProcess& node) {
  auto answer = node.Request("peers", "peers");
  REQUIRE(answer);
  return *answer;
}

// Every other node appears live in a `peers` answer.
void CheckAllLive(const JsonValue& peers, const std::string& who) {
  const JsonValue* list = Array(peers, "peers");
  REQUIRE(list != nullptr);
  REQUIRE(list->size() == static_cast<std::size_t>(kNodes - 1));
  for (const JsonValue& peer : *list) {
    INFO(who << " sees " << Str(peer, "peer"));
    CHECK(Bool(peer, "live") == true);
  }
}

struct Downtime {
  std::string transport;
  std::string storage;
  std::chrono::milliseconds down;
  TempDir dir;
  std::unique_ptr<Cluster> cluster;
  std::chrono::steady_clock::time_point killed;
  double killed_ms = 0;
};

}  // namespace

TEST_CASE(
    "a node restarted on its storage convicts no live peer and is seen live at once",
    "[restart]") {
  std::vector<std::string> storages = {"sqlite"};
#ifdef GOSSIPMONGER_NODE_TEST_HAVE_ROCKSDB
  storages.push_back("rocksdb");
#endif
  // Shortest downtime first: the restarts below go in this order.
  std::vector<std::unique_ptr<Downtime>> runs;
  for (auto down : {std::chrono::milliseconds(2000), std::chrono::milliseconds(7500),
                    std::chrono::milliseconds(30000)}) {
    for (const char* transport : {"tcp", "udp"}) {
      for (const std::string& storage : storages) {
        auto run = std::make_unique<Downtime>();
        run->transport = transport;
        run->storage = storage;
        run->down = down;
        NodeConfig config{transport, storage, run->dir.path()};
        config.gossip_interval_ms = "200";
        run->cluster = std::make_unique<Cluster>(config, kNodes);
        runs.push_back(std::move(run));
      }
    }
  }
  // A few rounds of steady state, as in a cluster that has been running.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  for (auto& run : runs) {
    for (int i = 0; i < kNodes; ++i)
      CheckAllLive(Drain(run->cluster->node(i)), Cluster::Id(i));
  }

  for (auto& run : runs) {
    NodeProcess& node = run->cluster->node(kRestarted);
    run->killed = std::chrono::steady_clock::now();
    run->killed_ms = WallNowMs();
    node.Signal(SIGKILL);
    REQUIRE(node.Wait());
  }
  // Restart each on its own file when its downtime is over (shortest first),
  // then watch them all.
  for (auto& run : runs) {
    std::this_thread::sleep_until(run->killed + run->down);
    run->cluster->Restart(kRestarted);
  }
  std::this_thread::sleep_for(kWatchAfterStart);

  for (auto& run : runs) {
    const double down_s = static_cast<double>(run->down.count()) / 1000;
    INFO(run->transport << " / " << run->storage << ", node2 down " << down_s << " s");
    Cluster& cluster = *run->cluster;
    NodeProcess& restarted = cluster.node(kRestarted);
    const JsonValue restarted_view = Drain(restarted);
    auto listening = restarted.WaitForEvent("listening");
    REQUIRE(listening);
    const double started_ms = TimeMs(*listening);
    REQUIRE(WallNowMs() - started_ms >=
            std::chrono::duration<double, std::milli>(kWatchAfterStart).count() - 1);

    // The restarted node convicts none of its live peers.
    for (const JsonValue& e : restarted.events()) {
      INFO("restarted node2: " << Str(e, "event") << " " << Str(e, "peer") << " at +"
                               << TimeMs(e) - started_ms << " ms");
      CHECK(Str(e, "event") != "peer_dead");
    }
    CheckAllLive(restarted_view, "restarted node2");

    for (int i = 0; i < kNodes; ++i) {
      if (i == kRestarted) continue;
      NodeProcess& peer = cluster.node(i);
      const JsonValue view = Drain(peer);
      // Its liveness events about node2 since the kill, relative to node2's
      // start.
      std::optional<double> convicted_before_start;
      std::optional<double> live_at;
      for (const JsonValue& e : peer.events()) {
        if (Str(e, "peer") != Cluster::Id(kRestarted) || TimeMs(e) < run->killed_ms)
          continue;
        const double at = TimeMs(e) - started_ms;
        INFO(Cluster::Id(i) << ": " << Str(e, "event") << " node2 at +" << at << " ms");
        if (Str(e, "event") == "peer_dead") {
          // A conviction while node2 was down is right; once it runs, none.
          CHECK(at < 0);
          convicted_before_start = at;
          live_at.reset();
        } else if (Str(e, "event") == "peer_live") {
          live_at = at;
        }
      }
      INFO(Cluster::Id(i) << " convicted node2 at "
                          << (convicted_before_start ? *convicted_before_start : 0)
                          << " ms, saw it live at " << (live_at ? *live_at : -1)
                          << " ms");
      if (run->down >= std::chrono::milliseconds(7500)) {
        // Long enough down to be convicted: the test sees the case reported.
        REQUIRE(convicted_before_start.has_value());
      }
      if (convicted_before_start) {
        REQUIRE(live_at.has_value());
        CHECK(*live_at >= 0);
        CHECK(*live_at <= kSeenLiveWithinMs);
      }
      CheckAllLive(view, Cluster::Id(i));
    }
  }
}

}  // namespace gossipmonger::node_test
