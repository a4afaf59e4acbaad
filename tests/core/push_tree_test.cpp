// Pushes (docs/DESIGN-NOTES.md, "Push and fanout"): a fresh update travels
// at once down a push tree, pushed deltas keep the prefix gap-free, a burst
// is rate-limited and coalesced.
#include "push_tree.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

#include "concept_test_support.h"
#include "engine_test_support.h"
#include "gossipmonger/testing/virtual_cluster.h"

namespace gmtest {
namespace {

using gossipmonger::testing::ClusterConfig;
using gossipmonger::testing::VirtualCluster;

Options PushOptions(std::size_t push_fanout) {
  Options options;
  options.push_fanout = push_fanout;
  return options;
}

Message Push(const PeerEndpoint& from, PeerDeltas group) {
  Message m;
  m.kind = MessageKind::kPush;
  m.sender = from;
  m.deltas = {std::move(group)};
  return m;
}

TEST_CASE("An update reaches every node down the push tree within ceil(log_f n) hops",
          "[push]") {
  ClusterConfig config;
  config.nodes = 64;
  config.rng_seed = 5;
  // Rounds so rare that none falls in the window: only pushes travel.
  config.options.gossip_interval = std::chrono::milliseconds(1000 * 1000);
  config.options.push_fanout = 4;
  config.link.delay_min = config.link.delay_max = std::chrono::milliseconds(1);
  std::size_t digests = 0;
  std::size_t pushes_with_deltas = 0;
  config.on_send = [&](std::size_t, const OutgoingMessage& out) {
    if (out.message.kind == MessageKind::kDigest) ++digests;
    if (out.message.kind == MessageKind::kPush && !out.message.deltas.empty()) {
      ++pushes_with_deltas;
    }
  };
  VirtualCluster cluster(config);
  REQUIRE(cluster.Update(7, "k", "v").ok());
  // 63 peers, fanout 4: 3 hops of 1 ms each.
  cluster.RunFor(std::chrono::milliseconds(3));
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    const PeerRecord* owner = cluster.storage(i).Get(VirtualCluster::IdOf(7));
    REQUIRE(owner != nullptr);
    INFO("node " << i);
    CHECK(owner->data.count("k") == 1);
  }
  CHECK(digests == 0);
  // A tree: every other node got the push exactly once.
  CHECK(pushes_with_deltas == 63);
}

TEST_CASE("With push_fanout 0 nothing is pushed (the original's behaviour)", "[push]") {
  ClusterConfig config;
  config.nodes = 8;
  config.options = SeedExchange();
  std::size_t pushes = 0;
  config.on_send = [&](std::size_t, const OutgoingMessage& out) {
    if (out.message.kind == MessageKind::kPush) ++pushes;
  };
  VirtualCluster cluster(config);
  REQUIRE(cluster.Update(0, "k", "v").ok());
  cluster.RunFor(std::chrono::seconds(10));
  CHECK(pushes == 0);
  CHECK(cluster.storage(5).Get(VirtualCluster::IdOf(0))->data.count("k") == 1);
}

TEST_CASE("A pushed group above our prefix is held until the gap is filled", "[push]") {
  HandNode b("b", PushOptions(4));
  const PeerEndpoint a = Endpoint("a");
  b.Know(a);
  b.Start();
  PeerDeltas v2{"a", kGen, "", {Delta("y", "2", 2)}};
  v2.continues_from = Version(1);
  b->Receive(Push(a, v2), Timestamp(0));
  // Not applied: version 1 is missing, and the prefix must stay gap-free.
  CHECK(b.Peer("a")->max_version_seen == Version(0));
  CHECK(b.Peer("a")->data.empty());
  CHECK(b->stats().deltas_held == 1);
  b.Events();
  PeerDeltas v1{"a", kGen, "", {Delta("x", "1", 1)}};
  b->Receive(Push(a, v1), Timestamp(1ms));
  CHECK(b.Peer("a")->max_version_seen == Version(2));
  const auto updates = EventsOf<UpdateEvent>(b.Events());
  REQUIRE(updates.size() == 2);
  CHECK(updates[0].version == Version(1));
  CHECK(updates[1].version == Version(2));
}

std::size_t AcksIn(const std::vector<OutgoingMessage>& out) {
  return static_cast<std::size_t>(
      std::count_if(out.begin(), out.end(), [](const auto& o) {
        return o.message.kind == MessageKind::kPush && o.message.deltas.empty();
      }));
}

TEST_CASE("Only a push with a part of the tree to forward to is acknowledged", "[push]") {
  HandNode b("b", PushOptions(4));
  const PeerEndpoint a = Endpoint("a");
  b.Know(a);
  b.Start();
  b.Out();
  // A leaf: nothing to forward, so no acknowledgement.
  b->Receive(Push(a, {"a", kGen, "", {Delta("x", "1", 1)}}), Timestamp(0));
  CHECK(AcksIn(b.Out()) == 0);
  // An inner node of the tree: acknowledged at once, to the sender.
  Message inner = Push(a, {"a", kGen, "", {Delta("y", "2", 2)}});
  inner.push = {3, "a", "z"};
  b->Receive(inner, Timestamp(1ms));
  const std::vector<OutgoingMessage> out = b.Out();
  CHECK(AcksIn(out) == 1);
  for (const OutgoingMessage& o : out) {
    if (o.message.deltas.empty()) CHECK(o.to.id == "a");
  }
}

TEST_CASE("An unacknowledged push with a subtree is resent once; a leaf push is not",
          "[push]") {
  // 4 live peers: push_fanout 2 gives two parts of two (inner nodes),
  // push_fanout 4 four parts of one (leaves).
  auto resends = [](std::size_t push_fanout) {
    HandNode a("a", PushOptions(push_fanout));
    for (const char* id : {"b", "c", "d", "e"}) a.Know(Endpoint(id));
    a.Start();
    a->Step(Timestamp(0));
    a.Out();
    REQUIRE(a->Update("k", "v").ok());
    std::size_t routed = 0;
    for (const OutgoingMessage& out : a.Out()) {
      if (out.message.kind == MessageKind::kPush && out.message.push.forwards()) ++routed;
    }
    CHECK(routed == (push_fanout == 2 ? 2 : 0));
    a->Step(Timestamp(250ms));  // no acknowledgement came
    a->Step(Timestamp(500ms));  // resent once only
    return a->stats().push_resends;
  };
  CHECK(resends(2) == 2);
  CHECK(resends(4) == 0);
}

TEST_CASE("Anti-entropy fills the gap below a held push", "[push]") {
  HandNode b("b", PushOptions(4));
  const PeerEndpoint a = Endpoint("a");
  b.Know(a);
  b.Start();
  PeerDeltas v3{"a", kGen, "", {Delta("z", "3", 3)}};
  v3.continues_from = Version(2);
  b->Receive(Push(a, v3), Timestamp(0));
  CHECK(b.Peer("a")->max_version_seen == Version(0));
  b->Receive(MakeMessage(MessageKind::kDeltas, a, {},
                         {{"a", kGen, "", {Delta("x", "1", 1), Delta("y", "2", 2)}}}),
             Timestamp(1ms));
  CHECK(b.Peer("a")->max_version_seen == Version(3));
  CHECK(b.Peer("a")->data.at("z").value == "3");
}

TEST_CASE("A burst of updates is rate-limited and coalesced into one push", "[push]") {
  Options options = PushOptions(2);
  options.push_rate_limit = 2;  // batches per interval
  HandNode a("a", options);
  for (const char* id : {"b", "c", "d", "e"}) a.Know(Endpoint(id));
  a.Start();
  a->Step(Timestamp(0));
  a.Out();
  for (int i = 1; i <= 10; ++i) {
    REQUIRE(a->Update("k" + std::to_string(i), "v").ok());
  }
  // Two tokens: the first two updates went at once, one push batch each.
  std::set<std::uint64_t> first_versions;
  for (const OutgoingMessage& out : a.Out()) {
    REQUIRE(out.message.kind == MessageKind::kPush);
    REQUIRE(out.message.deltas.size() == 1);
    REQUIRE(out.message.deltas[0].deltas.size() == 1);
    first_versions.insert(out.message.deltas[0].deltas[0].version.value());
  }
  CHECK(first_versions == std::set<std::uint64_t>{1, 2});
  CHECK(a->stats().pushes_started == 2);
  // Half an interval later one token is back: the next MAX_DELTAS_PER_GOSSIP
  // (5) waiting updates travel together, continuing from version 2.
  a->Step(Timestamp(500ms));
  std::size_t batches = 0;
  for (const OutgoingMessage& out : a.Out()) {
    const Message& m = out.message;
    if (m.kind != MessageKind::kPush || m.deltas.empty()) continue;
    if (m.deltas[0].continues_from != Version(2)) continue;  // a resend of 1 or 2
    ++batches;
    REQUIRE(m.deltas[0].deltas.size() == 5);
    CHECK(m.deltas[0].deltas.front().version == Version(3));
    CHECK(m.deltas[0].deltas.back().version == Version(7));
  }
  CHECK(batches == 2);  // one batch, to push_fanout (2) peers
  CHECK(a->stats().pushes_started == 3);
}

TEST_CASE("Pushes are deterministic for a seed", "[push]") {
  auto run = [](std::uint64_t seed) {
    ClusterConfig config;
    config.nodes = 20;
    config.rng_seed = seed;
    config.link.loss = 0.1;
    std::vector<std::string> log;
    config.on_send = [&](std::size_t from, const OutgoingMessage& out) {
      if (out.message.kind == MessageKind::kPush) {
        log.push_back(std::to_string(from) + ">" + out.to.id);
      }
    };
    VirtualCluster cluster(config);
    cluster.RunFor(std::chrono::seconds(2));
    REQUIRE(cluster.Update(3, "k", "v").ok());
    cluster.RunFor(std::chrono::seconds(2));
    return log;
  };
  const auto first = run(9);
  CHECK(!first.empty());
  CHECK(first == run(9));
}

// --- PushTree on its own ------------------------------------------------------------

// Node `self` knowing `peers`, all live, pushing with `push_fanout`.
struct PushRig {
  PushRig(const std::string& self, const std::vector<std::string>& peers,
          std::size_t push_fanout)
      : rig(self, PushOptions(push_fanout)) {
    for (const std::string& id : peers) rig.Know(id);
    rig.Load();
  }
  ViewRig rig;
  PushTree push{rig.context, rig.view};
};

TEST_CASE("A received push is applied, acknowledged and forwarded down its arc",
          "[push]") {
  PushRig p("c", {"b", "d", "e", "f"}, 2);
  Message push = Push(Endpoint("b"), {"b", kGen, "", {Delta("x", "1", 1)}});
  push.push = {3, "b", "f"};  // c answers for (b, f]: d, e and f
  p.push.Receive(push, 1s);
  CHECK(p.rig.Peer("b")->data.count("x") == 1);
  CHECK(p.rig.context.stats.pushes_forwarded == 1);
  std::size_t acks = 0;
  std::set<std::string> leaves;
  std::vector<PushRoute> routes;
  for (const OutgoingMessage& out : p.rig.Out()) {
    REQUIRE(out.message.kind == MessageKind::kPush);
    if (out.message.deltas.empty()) {
      CHECK(out.to == Endpoint("b"));
      ++acks;
    } else if (out.message.push.forwards()) {
      CHECK((out.to.id == "e" || out.to.id == "f"));
      routes.push_back(out.message.push);
    } else {
      leaves.insert(out.to.id);
    }
  }
  CHECK(acks == 1);
  CHECK(leaves == std::set<std::string>{"d"});
  // Two parts of the arc: d, and e..f under one of them, one hop less.
  REQUIRE(routes.size() == 1);
  CHECK(routes[0] == PushRoute{2, "d", "f"});
}

TEST_CASE("An acknowledged push is forgotten, a late one resent once", "[push]") {
  PushRig p("a", {"b", "c", "d", "e"}, 2);
  REQUIRE(p.rig.view.SetOwnValue("k", "v").ok());
  p.push.QueueOwn(Version(0));
  p.push.Flush();
  std::vector<PeerEndpoint> inner;
  for (const OutgoingMessage& out : p.rig.Out()) {
    if (out.message.push.forwards()) inner.push_back(out.to);
  }
  REQUIRE(inner.size() == 2);
  CHECK(p.rig.context.stats.pushes_started == 1);
  // The first answers; the second does not.
  p.push.Receive(MakeMessage(MessageKind::kPush, inner[0], {}), 5ms);
  p.push.ResendUnacked(PushTree::kAckWait - 1ms);
  CHECK(p.rig.Out().empty());
  p.push.ResendUnacked(PushTree::kAckWait);
  const Message resent = Single(p.rig.Out(), inner[1]);
  CHECK(resent.deltas[0].deltas[0] == Delta("k", "v", 1));
  CHECK(p.rig.context.stats.push_resends == 1);
  p.push.ResendUnacked(10 * PushTree::kAckWait);
  CHECK(p.rig.Out().empty());
}

}  // namespace
}  // namespace gmtest
