// Issue 15, "What it must show": an attacker without the cluster's key
// sends 10,000 well-formed messages with the real peer ids to a keyed
// cluster of real nodes (encryption required), over TCP and UDP, and
// nothing happens: nothing is applied, no state or liveness changes, a dead
// node stays dead, and each node counts every refused frame in `stats`
// (docs/SECURITY.md, "Errors").
//
// The messages (built with the codec, as a node would write them): pushes
// of updates for other nodes' keys, continuing their data exactly (so that
// they would apply) and at high versions; digests and replies of the killed
// node with high heartbeats (they would revive it); digests claiming new
// generations; deltas of a new lineage and of an unknown peer. The
// generation of a node is the wall second it started (docs/PROTOCOL.md),
// so every second around the start is tried. A third go in plaintext, a
// third sealed under another key (unknown key id), a third as frames with
// the cluster's real key id and a box of random bytes (does not open).
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "node/cluster.h"
#include "node/security_support.h"

namespace gossipmonger::node_test {
namespace {

constexpr int kNodes = 4;  // node3 is killed: 3 live nodes are attacked
constexpr int kDead = 3;
constexpr int kKeysPerNode = 3;  // so every node's max version is 3
constexpr int kAttackMessages = 10'000;
// Frames sent to a node before waiting for it to count them: UDP drops
// what overflows the socket's buffer, and the counts must be exact.
constexpr int kBurst = 200;

std::uint64_t WallSeconds() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
}

// What the attacker knows: the ids, addresses, when the nodes started.
struct Target {
  std::vector<std::string> addresses;
  std::uint64_t first_generation = 0;
  std::uint64_t last_generation = 0;
};

PeerDeltas Group(const std::string& id, std::uint64_t generation,
                 std::uint64_t first_version, int count, const std::string& address) {
  PeerDeltas group{id, Generation(generation), address, {}};
  for (int i = 0; i < count; ++i) {
    const std::uint64_t version = first_version + static_cast<std::uint64_t>(i);
    group.deltas.push_back(
        {"forged" + std::to_string(version), "attacker", Version(version)});
  }
  group.continues_from = Version(first_version - 1);
  return group;
}

// The n-th forged message for `receiver`, sent in the name of a real peer.
Message ForgedMessage(const Target& t, int receiver, int n) {
  const auto id = [](int i) { return Cluster::Id(i); };
  const std::uint64_t span = t.last_generation - t.first_generation + 1;
  const std::uint64_t generation =
      t.first_generation + static_cast<std::uint64_t>(n) % span;
  const std::uint64_t newer = WallSeconds() + 1'000'000;
  const auto heartbeat = Heartbeat(1'000'000 + static_cast<std::uint64_t>(n));
  const auto known = Version(kKeysPerNode);
  // A live sender other than the receiver, and a subject other than it.
  const int sender = (receiver + 1 + n % 2) % kDead;
  const int subject = (receiver + 1 + (n / 2) % 3) % kNodes;
  Message m;
  m.sender = {id(sender), t.addresses[static_cast<std::size_t>(sender)]};
  switch (n / 6 % 7) {
    case 0:  // a push that continues the subject's data exactly
      m.kind = MessageKind::kPush;
      m.deltas = {Group(id(subject), generation, kKeysPerNode + 1, 2, "")};
      m.push = {2, id(receiver), id(receiver)};
      break;
    case 1:  // a push far ahead
      m.kind = MessageKind::kPush;
      m.deltas = {Group(id(subject), generation, 1'000'000, 1, "")};
      break;
    case 2:  // the dead node's heartbeat rising
      m.sender = {id(kDead), t.addresses[kDead]};
      m.digest = {{id(kDead), Generation(generation), heartbeat, known}};
      break;
    case 3:  // the dead node answers, with new data
      m.kind = MessageKind::kDigestReply;
      m.sender = {id(kDead), t.addresses[kDead]};
      m.digest = {
          {id(kDead), Generation(generation), heartbeat, Version(kKeysPerNode + 1)}};
      m.deltas = {Group(id(kDead), generation, kKeysPerNode + 1, 1, "")};
      break;
    case 4:  // new generations claimed for the subject and the sender
      m.digest = {{id(sender), Generation(newer), heartbeat, Version(1)},
                  {id(subject), Generation(newer), heartbeat, Version(1)}};
      break;
    case 5:  // a new lineage of the subject, with its address
      m.kind = MessageKind::kDeltas;
      m.deltas = {Group(id(subject), newer, 1, 2,
                        t.addresses[static_cast<std::size_t>(subject)])};
      break;
    default:  // a peer nobody knows
      m.kind = MessageKind::kDeltas;
      m.deltas = {Group("intruder", newer, 1, 1, "127.0.0.1:9")};
      break;
  }
  return m;
}

struct Sent {
  std::uint64_t plaintext = 0, wrong_key = 0, garbage = 0;
};

// Sends the n-th attack frame to `receiver` and counts it.
void SendForgery(RawSender& to, const Target& t, const std::string& cluster,
                 const SecretKey& wrong_key, const KeyId& real_id, int receiver, int n,
                 Sent& sent) {
  const std::string envelope = PlainEnvelope(cluster, ForgedMessage(t, receiver, n));
  switch (n % 3) {
    case 0:
      to.Send(envelope);
      ++sent.plaintext;
      break;
    case 1:
      to.Send(SealedFrame(wrong_key, Keyring::IdOf(wrong_key), cluster,
                          static_cast<std::uint64_t>(n), envelope));
      ++sent.wrong_key;
      break;
    default:
      to.Send(GarbageSealedFrame(real_id, envelope.size() + 40));
      ++sent.garbage;
      break;
  }
}

JsonValue PeersOf(NodeProcess& node) {
  auto answer = node.Request("peers", "peers");
  REQUIRE(answer);
  REQUIRE(Array(*answer, "peers") != nullptr);
  return *Array(*answer, "peers");
}

// A keyed cluster (encryption required) of kNodes nodes with kKeysPerNode
// keys each, everyone holding everything, then node3 killed and convicted.
struct KeyedCluster {
  explicit KeyedCluster(const std::string& transport);

  std::string transport;
  TempDir dir;
  std::string key = NewKeyBase64();
  NodeConfig config;
  Target target;
  std::unique_ptr<Cluster> cluster;
};

KeyedCluster::KeyedCluster(const std::string& t)
    : transport(t), config{t, "memory", dir.path()} {
  config.node_args = [this](const std::string& id) {
    const std::string path = dir.path() + "/" + id + ".keyring";
    WriteKeyringFile(path, {key}, "require");
    return std::vector<std::string>{"--keyring", path};
  };
  target.first_generation = WallSeconds();
  cluster = std::make_unique<Cluster>(config, kNodes);
  target.last_generation = WallSeconds();
  for (int i = 0; i < kNodes; ++i) {
    target.addresses.push_back(cluster->node(i).Address());
    for (int k = 0; k < kKeysPerNode; ++k)
      cluster->node(i).Send("set k" + std::to_string(k) + " v" + std::to_string(i));
  }
  const std::string last_key = "k" + std::to_string(kKeysPerNode - 1);
  for (int i = 0; i < kNodes; ++i) {
    for (int j = 0; j < kNodes; ++j) {
      INFO(Cluster::Id(i) << " gets " << Cluster::Id(j) << "'s keys");
      if (i != j)
        REQUIRE(cluster->node(i).WaitForEvent(
            "update", {{"peer", Cluster::Id(j)}, {"key", last_key}}));
    }
  }
  cluster->node(kDead).Signal(SIGKILL);
  REQUIRE(cluster->node(kDead).Wait());
  for (int i = 0; i < kDead; ++i)
    REQUIRE(cluster->node(i).WaitForEvent("peer_dead", {{"peer", Cluster::Id(kDead)}}));
}

// What a live node showed before the attack.
struct Before {
  JsonValue peers;
  JsonValue stats;
  std::size_t events = 0;
};

// Sends the kAttackMessages frames, spread over the live nodes, waiting
// after each burst until the node has counted it.
std::vector<Sent> Attack(KeyedCluster& c, const std::vector<Before>& before) {
  const SecretKey wrong_key = Keyring::GenerateKey();
  const KeyId real_id = Keyring::IdOf(KeyFromBase64(c.key));
  std::vector<std::unique_ptr<RawSender>> senders;
  std::vector<Sent> sent(kDead);
  for (int i = 0; i < kDead; ++i)
    senders.push_back(
        std::make_unique<RawSender>(c.transport, c.cluster->node(i).Port()));
  for (int n = 0; n < kAttackMessages;) {
    for (std::size_t i = 0; i < kDead; ++i) {
      const int receiver = static_cast<int>(i);
      for (int b = 0; b < kBurst && n < kAttackMessages; ++b, ++n)
        SendForgery(*senders[i], c.target, c.config.cluster, wrong_key, real_id, receiver,
                    n, sent[i]);
      WaitForRefused(c.cluster->node(receiver), RefusedTotal(before[i].stats) +
                                                    sent[i].plaintext +
                                                    sent[i].wrong_key + sent[i].garbage);
    }
  }
  return sent;
}

// Every frame refused and counted as what it was; nothing else changed.
void CheckUnchanged(NodeProcess& node, const Before& before, const Sent& sent) {
  const JsonValue stats = Stats(node);
  const auto delta = [&](const char* name) {
    return Count(stats, name) - Count(before.stats, name);
  };
  CHECK(delta("plaintext_refused") == sent.plaintext);
  CHECK(delta("unknown_key") == sent.wrong_key);
  CHECK(delta("unauthentic") == sent.garbage);
  CHECK(delta("stale") == 0);
  CHECK(delta("replayed") == 0);
  CHECK(delta("sealed_refused") == 0);
  CHECK(delta("decode_errors") == 0);

  CHECK(PeersOf(node) == before.peers);  // ids, addresses, liveness, versions
  for (const char* forged : {"forged4", "forged1000000", "forged1"}) {
    for (int j = 0; j < kNodes; ++j) {
      auto value = node.Request("get " + Cluster::Id(j) + " " + forged, "value");
      REQUIRE(value);
      CHECK(Bool(*value, "found") == false);
    }
  }
  for (const char* event : {"update", "peer_live", "new_peer", "peer_dead", "delete",
                            "peer_left", "new_lineage"}) {
    INFO("event " << event);
    CHECK(CountEvents(node, event, "", before.events) == 0);
  }
}

void RunAttack(const std::string& transport) {
  KeyedCluster c(transport);
  std::vector<Before> before;
  for (int i = 0; i < kDead; ++i) {
    NodeProcess& node = c.cluster->node(i);
    before.push_back({PeersOf(node), Stats(node), 0});
    before.back().events = node.events().size();
  }
  const std::vector<Sent> sent = Attack(c, before);
  // A few rounds for anything that was applied to show.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  std::uint64_t total_sent = 0;
  for (std::size_t i = 0; i < kDead; ++i) {
    INFO(transport << ": " << Cluster::Id(static_cast<int>(i)));
    CheckUnchanged(c.cluster->node(static_cast<int>(i)), before[i], sent[i]);
    total_sent += sent[i].plaintext + sent[i].wrong_key + sent[i].garbage;
  }
  CHECK(total_sent == kAttackMessages);

  // The cluster still works.
  c.cluster->node(0).Send("set after attack");
  for (int i = 1; i < kDead; ++i)
    CHECK(
        c.cluster->node(i).WaitForEvent("update", {{"peer", "node0"}, {"key", "after"}}));
}

}  // namespace

TEST_CASE("an attacker without the key changes nothing in a keyed cluster (TCP)",
          "[security]") {
  RunAttack("tcp");
}

TEST_CASE("an attacker without the key changes nothing in a keyed cluster (UDP)",
          "[security]") {
  RunAttack("udp");
}

}  // namespace gossipmonger::node_test
