// Issue 15, "What it must show": a 5-node cluster with updates flowing
// migrates from plaintext to required encryption, then rotates its key,
// following docs/SECURITY.md ("Modes", rotation), through the node's stdin
// commands: key install K1 -> encryption accept -> send -> require -> key
// install K2 -> key use K2 -> key remove K1, each step on every node, the
// next one only once every node has answered with its `keyring` event.
// Every node sets a new key every 100 ms all along (never the same key
// twice, so no update can hide behind a later one of the same key). At the
// end: every node holds every key every node set (0 lost updates), nobody
// ever convicted anybody (0 peer_dead), the nodes refuse a plaintext
// sender, and each keyring file holds K2 alone, encryption required, 0600.
// TCP and UDP run side by side, in lockstep.
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "node/cluster.h"
#include "node/security_support.h"

namespace gossipmonger::node_test {
namespace {

constexpr int kNodes = 5;
constexpr auto kSetEvery = std::chrono::milliseconds(100);
// How long the cluster runs in each state, updates flowing.
constexpr auto kDwell = std::chrono::seconds(1);

struct Migration {
  explicit Migration(const std::string& transport);
  std::string KeyringPath(const std::string& id) const {
    return dir.path() + "/" + id + ".keyring";
  }

  std::string transport;
  TempDir dir;
  NodeConfig config;
  std::unique_ptr<Cluster> cluster;
  std::vector<int> sets = std::vector<int>(kNodes, 0);  // keys set per node
};

Migration::Migration(const std::string& t)
    : transport(t), config{t, "memory", dir.path()} {
  // No file yet: an empty keyring, encryption off.
  config.node_args = [this](const std::string& id) {
    return std::vector<std::string>{"--keyring", KeyringPath(id)};
  };
  cluster = std::make_unique<Cluster>(config, kNodes);
}

using Migrations = std::vector<std::unique_ptr<Migration>>;

// Every node sets a fresh key every kSetEvery for `duration`; the test
// reads the nodes' output all along.
void RunWithUpdates(Migrations& migrations, std::chrono::milliseconds duration) {
  const auto end = std::chrono::steady_clock::now() + duration;
  auto next = std::chrono::steady_clock::now();
  while (next < end) {
    for (auto& m : migrations) {
      for (int i = 0; i < kNodes; ++i) {
        int& n = m->sets[static_cast<std::size_t>(i)];
        m->cluster->node(i).Send("set u" + std::to_string(n) + " " + std::to_string(n));
        ++n;
      }
    }
    next += kSetEvery;
    for (auto& m : migrations) {
      for (int i = 0; i < kNodes; ++i) DrainOutput(m->cluster->node(i));
    }
    std::this_thread::sleep_until(next);
  }
}

// Sends `command` to every node, waits for each one's `keyring` answer and
// checks it with `check`; then runs kDwell with updates.
void Step(Migrations& migrations, const std::string& command,
          const std::function<void(const JsonValue&)>& check) {
  for (auto& m : migrations) {
    std::vector<std::size_t> from;
    for (int i = 0; i < kNodes; ++i) {
      from.push_back(m->cluster->node(i).events().size());
      m->cluster->node(i).Send(command);
    }
    for (int i = 0; i < kNodes; ++i) {
      INFO(m->transport << " " << Cluster::Id(i) << ": " << command);
      auto answer = m->cluster->node(i).WaitForEvent("keyring", {},
                                                     from[static_cast<std::size_t>(i)]);
      REQUIRE(answer);
      check(*answer);
    }
  }
  RunWithUpdates(migrations, kDwell);
}

// A check that the answer says encryption `mode` and holds these keys
// (ids), the first one primary.
std::function<void(const JsonValue&)> Expect(const std::string& mode,
                                             const std::vector<std::string>& ids) {
  return [=](const JsonValue& answer) {
    INFO(answer.dump());
    CHECK(Str(answer, "encryption") == mode);
    const JsonValue* keys = Array(answer, "keys");
    REQUIRE(keys != nullptr);
    REQUIRE(keys->size() == ids.size());
    for (std::size_t k = 0; k < ids.size(); ++k) {
      CHECK(Str((*keys)[k], "id") == ids[k]);
      CHECK(Bool((*keys)[k], "primary") == (k == 0));
    }
  };
}

// Every node ends up with every key of every other node: an update event
// for each, and the peers' max versions equal to what they set.
void CheckNothingLost(Migration& m) {
  for (int i = 0; i < kNodes; ++i) {
    NodeProcess& node = m.cluster->node(i);
    for (int j = 0; j < kNodes; ++j) {
      if (j == i) continue;
      const int set = m.sets[static_cast<std::size_t>(j)];
      INFO(m.transport << ": " << Cluster::Id(i) << " holds " << Cluster::Id(j) << "'s "
                       << set << " keys");
      REQUIRE(node.WaitForEvent(
          "update", {{"peer", Cluster::Id(j)}, {"key", "u" + std::to_string(set - 1)}}));
      std::vector<bool> seen(static_cast<std::size_t>(set), false);
      for (const JsonValue& e : node.events()) {
        const std::string key = Str(e, "key");
        if (Str(e, "event") == "update" && Str(e, "peer") == Cluster::Id(j))
          seen.at(std::stoul(key.substr(1))) = true;
      }
      CHECK(std::count(seen.begin(), seen.end(), false) == 0);
    }
    auto peers = node.Request("peers", "peers");
    REQUIRE(peers);
    for (const JsonValue& peer : (*peers)["peers"]) {
      const std::string id = Str(peer, "peer");
      CHECK(Uint(peer, "max_version") ==
            static_cast<std::uint64_t>(m.sets[std::stoul(id.substr(4))]));
    }
  }
}

// The end state of every node: no conviction ever, a plaintext sender
// refused, the keyring file persisted as the last step left it.
void CheckEndState(Migration& m, const std::string& k2) {
  for (int i = 0; i < kNodes; ++i) {
    NodeProcess& node = m.cluster->node(i);
    INFO(m.transport << ": " << Cluster::Id(i));
    CHECK(CountEvents(node, "peer_dead", "", 0) == 0);

    const JsonValue before = Stats(node);
    Message digest;
    digest.sender = {Cluster::Id((i + 1) % kNodes),
                     m.cluster->node((i + 1) % kNodes).Address()};
    RawSender(m.transport, node.Port()).Send(PlainEnvelope(m.config.cluster, digest));
    const JsonValue after = WaitForRefused(node, RefusedTotal(before) + 1);
    CHECK(Count(after, "plaintext_refused") == Count(before, "plaintext_refused") + 1);

    const std::string path = m.KeyringPath(Cluster::Id(i));
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    CHECK((info.st_mode & 077) == 0);
    std::ifstream in(path);
    const JsonValue file = JsonValue::parse(in, nullptr, /*allow_exceptions=*/false);
    INFO(file.dump());
    CHECK(file.value("encryption", "") == "require");
    CHECK(file.value("keys", JsonValue::array()) == JsonValue::array({k2}));
  }
}

}  // namespace

TEST_CASE(
    "a 5-node cluster moves from plaintext to required encryption and rotates its key "
    "with updates flowing: 0 lost updates, 0 peer_dead (TCP and UDP)",
    "[security]") {
  Migrations migrations;
  for (const char* transport : {"tcp", "udp"})
    migrations.push_back(std::make_unique<Migration>(transport));
  const std::string k1 = NewKeyBase64(), k2 = NewKeyBase64();
  const std::string id1 = KeyIdOf(k1), id2 = KeyIdOf(k2);

  RunWithUpdates(migrations, kDwell);
  Step(migrations, "key install " + k1, Expect("off", {id1}));
  Step(migrations, "encryption accept", Expect("accept", {id1}));
  Step(migrations, "encryption send", Expect("send", {id1}));
  Step(migrations, "encryption require", Expect("require", {id1}));
  Step(migrations, "key install " + k2, Expect("require", {id1, id2}));
  Step(migrations, "key use " + id2, Expect("require", {id2, id1}));
  Step(migrations, "key remove " + id1, Expect("require", {id2}));
  RunWithUpdates(migrations, 2 * kDwell);

  for (auto& m : migrations) {
    CheckNothingLost(*m);
    CheckEndState(*m, k2);
  }
}

}  // namespace gossipmonger::node_test
