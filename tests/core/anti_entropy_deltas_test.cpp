// Which deltas an engine sends: ascending and gap-free per peer, within
// MAX_DELTAS_PER_GOSSIP and the transport's byte budget, peers the receiver
// has never heard of first, then the least outdated, so that a small peer is
// not starved behind a big backlog.
#include <catch2/catch.hpp>
#include <optional>
#include <random>
#include <set>

#include "core/engine_test_support.h"
#include "gossipmonger/testing/virtual_cluster.h"

using namespace gmtest;
using gossipmonger::testing::ClusterConfig;
using gossipmonger::testing::VirtualCluster;

namespace {

// What one exchange started by `initiator` towards `responder` carried.
struct Exchanged {
  Message syn;
  Message reply;
  std::optional<Message> ack;
};

// One exchange, with the initiator's full digest as the SYN (what its Tick
// would send to the responder, without leaving the choice of target to the
// RNG).
Exchanged Exchange(HandNode& initiator, HandNode& responder, Timestamp now) {
  Exchanged x;
  x.syn = MakeMessage(MessageKind::kDigest, initiator.self, initiator->FullDigest());
  responder->Receive(x.syn, now);
  x.reply = Single(responder.Out(), initiator.self);
  initiator->Receive(x.reply, now);
  auto outbox = initiator.Out();
  REQUIRE(outbox.size() <= 1);
  if (!outbox.empty()) {
    CHECK(outbox[0].to == responder.self);
    x.ack = outbox[0].message;
    responder->Receive(*x.ack, now);
    CHECK(responder.Out().empty());
  }
  return x;
}

std::string Key(int i) {
  return std::string("k") + (i < 10 ? "0" : "") + std::to_string(i);
}

std::vector<std::uint64_t> VersionsOf(const PeerDeltas& group) {
  std::vector<std::uint64_t> versions;
  for (const KeyDelta& d : group.deltas) versions.push_back(d.version.value());
  return versions;
}

// peer.h's invariant, checked between a peer's owner and one holder of the
// same lineage: the holder has exactly the owner's current entries up to its
// max_version_seen (a gap-free prefix), and nothing above it.
void CheckPrefixOf(const Storage& owner_storage, const std::string& owner,
                   const Storage& holder_storage) {
  const PeerRecord* own = owner_storage.Get(owner);
  const PeerRecord* held = holder_storage.Get(owner);
  REQUIRE(own != nullptr);
  if (held == nullptr || held->generation != own->generation) return;
  const Version seen = held->max_version_seen;
  CHECK(seen <= own->max_version_seen);
  for (const auto& [key, value] : held->data) CHECK(value.version <= seen);
  for (const auto& [key, value] : own->data) {
    if (value.version > seen) continue;
    INFO("key " << key << " @" << value.version.value() << ", holder has seen up to "
                << seen.value());
    auto it = held->data.find(key);
    REQUIRE(it != held->data.end());
    CHECK(it->second == value);
  }
}

}  // namespace

TEST_CASE(
    "Deltas ascend, are capped by MAX_DELTAS_PER_GOSSIP and resume where they stopped",
    "[engine][deltas]") {
  Options options = SeedExchange();
  options.max_deltas_per_gossip = 5;
  HandNode a("a", options);
  HandNode b("b", options);
  StartPair(a, b);
  for (int i = 1; i <= 12; ++i) REQUIRE(b->Update(Key(i), "v" + std::to_string(i)).ok());

  const std::vector<std::vector<std::uint64_t>> expected{
      {1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}, {11, 12}};
  for (std::size_t round = 0; round < expected.size(); ++round) {
    INFO("exchange " << round);
    const Exchanged x = Exchange(a, b, Timestamp(1s) * static_cast<int>(round + 1));
    REQUIRE(x.reply.deltas.size() == 1);
    CHECK(x.reply.deltas[0].id == "b");
    CHECK(VersionsOf(x.reply.deltas[0]) == expected[round]);
    for (const KeyDelta& d : x.reply.deltas[0].deltas) {
      CHECK(d.key == Key(static_cast<int>(d.version.value())));
    }
    // The receiver's max_version_seen is the last version applied.
    CHECK(a.Peer("b")->max_version_seen == Version(expected[round].back()));
    CHECK_FALSE(x.ack.has_value());
  }
  CHECK(Exchange(a, b, 4s).reply.deltas.empty());
  CHECK(a.Peer("b")->data.size() == 12);

  SECTION("the ACK obeys the cap too") {
    for (int i = 1; i <= 7; ++i) REQUIRE(a->Update(Key(i), "a").ok());
    const Exchanged x = Exchange(a, b, 5s);
    REQUIRE(x.ack.has_value());
    CHECK(DeltaCount(*x.ack) == 5);
    CHECK(VersionsOf(x.ack->deltas[0]) == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
  }
}

TEST_CASE("MAX_DELTAS_PER_GOSSIP of 1 sends one delta per message", "[engine][deltas]") {
  Options options = SeedExchange();
  options.max_deltas_per_gossip = 1;
  HandNode a("a", options);
  HandNode b("b", options);
  StartPair(a, b);
  for (int i = 1; i <= 3; ++i) {
    REQUIRE(a->Update(Key(i), "a").ok());
    REQUIRE(b->Update(Key(i), "b").ok());
  }
  for (std::uint64_t round = 1; round <= 3; ++round) {
    const Exchanged x = Exchange(a, b, Timestamp(1s) * static_cast<int>(round));
    CHECK(DeltaCount(x.reply) == 1);
    REQUIRE(x.ack.has_value());
    CHECK(DeltaCount(*x.ack) == 1);
    CHECK(a.Peer("b")->max_version_seen == Version(round));
    CHECK(b.Peer("a")->max_version_seen == Version(round));
  }
}

TEST_CASE("Overwritten keys travel at their current version", "[engine][deltas]") {
  HandNode a("a");
  HandNode b("b");
  StartPair(a, b);
  REQUIRE(b->Update("k", "1").ok());  // v1
  REQUIRE(b->Update("j", "x").ok());  // v2
  REQUIRE(b->Update("k", "2").ok());  // v3
  REQUIRE(b->Update("k", "3").ok());  // v4
  REQUIRE(b->Update("k", "3").ok());  // unchanged: no version
  CHECK(b->version() == Version(4));

  const Exchanged x = Exchange(a, b, 1s);
  CHECK(x.reply.deltas ==
        std::vector{PeerDeltas{"b", kGen, "", {Delta("j", "x", 2), Delta("k", "3", 4)}}});
  CHECK(a.Peer("b")->max_version_seen == Version(4));
  CHECK(a.Peer("b")->data.size() == 2);
}

TEST_CASE("A version that does not fit the byte budget is never skipped for a later one",
          "[engine][deltas]") {
  // With a 256-byte budget, P's 100-byte delta fits; then Q's 150-byte
  // version 1 no longer does, though Q's 1-byte version 2 would. Sending
  // version 2 alone would leave a hole in A's prefix of Q.
  constexpr std::size_t kBudget = 256;
  HandNode a("a", {}, kBudget);
  HandNode b("b", {}, kBudget);
  for (HandNode* node : {&a, &b}) {
    node->Know(Endpoint("p"), Generation(7));
    node->Know(Endpoint("q"), Generation(7));
  }
  a.Know(b.self);
  b.Know(a.self);
  b.KnowData("p", {Delta("p1", std::string(100, 'p'), 1)});
  b.KnowData("q", {Delta("q1", std::string(150, 'q'), 1), Delta("q2", "s", 2)});
  a.Start();
  b.Start();

  const Exchanged first = Exchange(a, b, 1s);
  CHECK(wire_size::Body(first.reply) <= kBudget);
  CHECK(first.reply.deltas ==
        std::vector{
            PeerDeltas{"p", Generation(7), "", {Delta("p1", std::string(100, 'p'), 1)}}});
  CHECK(a.Peer("q")->max_version_seen == Version(0));
  CHECK(a.Peer("q")->data.empty());

  const Exchanged second = Exchange(a, b, 2s);
  CHECK(wire_size::Body(second.reply) <= kBudget);
  CHECK(second.reply.deltas ==
        std::vector{
            PeerDeltas{"q",
                       Generation(7),
                       "",
                       {Delta("q1", std::string(150, 'q'), 1), Delta("q2", "s", 2)}}});
  CHECK(a.Peer("q")->max_version_seen == Version(2));
}

TEST_CASE("Peers the receiver has never heard of go first", "[engine][deltas]") {
  Options options = SeedExchange();
  options.max_deltas_per_gossip = 2;
  HandNode a("a", options);
  HandNode b("b", options);
  a.Know(b.self);
  a.Know(Endpoint("y"), Generation(3));
  b.Know(a.self);
  b.Know(Endpoint("y"), Generation(3));
  b.KnowData("y", {Delta("y1", "1", 1)});
  b.Know(Endpoint("x"), Generation(4));
  b.KnowData("x", {Delta("x1", "1", 1), Delta("x2", "2", 2), Delta("x3", "3", 3)});
  a.Start();
  b.Start();

  // Y is only one version behind, X three: yet X, unknown to A, goes first
  // and takes both delta slots (with its address, so that A can admit it).
  const Exchanged x = Exchange(a, b, 1s);
  CHECK(x.reply.deltas ==
        std::vector{PeerDeltas{
            "x", Generation(4), "mem:x", {Delta("x1", "1", 1), Delta("x2", "2", 2)}}});
  REQUIRE(a.Peer("x") != nullptr);
  CHECK(a.Peer("y")->data.empty());

  SECTION("with no delta slot left, an unknown peer still travels, as a bare header") {
    HandNode c("c", options);
    c.Know(b.self);
    c.Start();
    // C knows neither X nor Y: both go first (with addresses); deltas of
    // the lower need first, then the cap stops.
    const Exchanged y = Exchange(c, b, 1s);
    std::set<std::string> groups;
    for (const PeerDeltas& g : y.reply.deltas) {
      groups.insert(g.id);
      CHECK(g.address == "mem:" + g.id);
    }
    CHECK(groups == std::set<std::string>{"a", "x", "y"});
    CHECK(DeltaCount(y.reply) == 2);
  }
}

TEST_CASE("A peer with a few updates is not starved behind one with a big backlog",
          "[engine][deltas]") {
  Options options = SeedExchange();
  options.max_deltas_per_gossip = 5;
  HandNode a("a", options);
  HandNode b("b", options);
  for (HandNode* node : {&a, &b}) {
    node->Know(Endpoint("big"), Generation(2));
    node->Know(Endpoint("small"), Generation(2));
  }
  a.Know(b.self);
  b.Know(a.self);
  std::vector<KeyDelta> backlog;
  for (int i = 1; i <= 40; ++i)
    backlog.push_back(Delta(Key(i), "x", static_cast<std::uint64_t>(i)));
  b.KnowData("big", backlog);
  b.KnowData("small", {Delta("s", "fresh", 1)});
  a.Start();
  b.Start();

  // The original's rule (most outdated peer first) would fill the message with
  // BIG's backlog; the least outdated first sends SMALL's update at once.
  const Exchanged x = Exchange(a, b, 1s);
  REQUIRE(x.reply.deltas.size() == 2);
  CHECK(x.reply.deltas[0] ==
        PeerDeltas{"small", Generation(2), "", {Delta("s", "fresh", 1)}});
  CHECK(x.reply.deltas[1].id == "big");
  CHECK(VersionsOf(x.reply.deltas[1]) == std::vector<std::uint64_t>{1, 2, 3, 4});
}

TEST_CASE("A single update overtakes a big backlog across a cluster",
          "[engine][deltas]") {
  ClusterConfig config;
  config.nodes = 10;
  config.rng_seed = 5;
  VirtualCluster cluster(config);
  cluster.RunFor(5s);
  for (int i = 0; i < 150; ++i) {
    REQUIRE(cluster.Update(0, "bulk" + std::to_string(i), "x").ok());
  }
  cluster.RunFor(2s);
  const Timestamp written = cluster.now();
  REQUIRE(cluster.Update(1, "urgent", "now").ok());

  auto everyone_has = [&](std::size_t owner, const std::string& key) {
    for (std::size_t i = 0; i < cluster.size(); ++i) {
      if (i == owner) continue;
      if (DataOf(cluster.storage(i), VirtualCluster::IdOf(owner)).count(key) == 0)
        return false;
    }
    return true;
  };
  REQUIRE(cluster.RunUntil([&] { return everyone_has(1, "urgent"); }, written + 60s));
  const Duration urgent_took = cluster.now() - written;
  REQUIRE(cluster.RunUntil([&] { return everyone_has(0, "bulk149"); }, written + 600s));
  const Duration bulk_took = cluster.now() - written;
  INFO("urgent update everywhere after "
       << urgent_took.count() / 1000 << " ms, backlog after " << bulk_took.count() / 1000
       << " ms");
  // Spreading one update takes a handful of rounds at 10 nodes; the backlog
  // takes at least 150 / MAX_DELTAS_PER_GOSSIP = 30 exchanges.
  CHECK(urgent_took <= 15s);
  CHECK(urgent_took * 4 < bulk_took);
}

TEST_CASE(
    "Over a whole run, every message fits the byte budget and every prefix is gap-free",
    "[engine][deltas]") {
  constexpr std::size_t kBudget = 600;
  Lockstep::Config config;
  config.nodes = 6;
  config.max_body_bytes = kBudget;
  config.options.max_deltas_per_gossip = 40;  // the byte budget binds first
  config.seed = 3;
  Lockstep cluster(config);

  // The largest value a node may set under this budget (keys are 4 bytes).
  std::size_t largest = kBudget;
  while (!Engine::ValidateUpdate(Lockstep::EndpointOf(0), "huge",
                                 std::string(largest, 'x'), config.options, kBudget)
              .ok()) {
    --largest;
  }
  REQUIRE(largest > 400);

  std::size_t messages = 0;
  std::size_t biggest = 0;
  cluster.on_send = [&](std::size_t from, std::size_t, const Message& m) {
    ++messages;
    const std::size_t body = wire_size::Body(m);
    biggest = std::max(biggest, body);
    INFO("message " << messages << " from " << from);
    CHECK(body <= kBudget);
    CHECK(DeltaCount(m) <= config.options.max_deltas_per_gossip);
    for (const PeerDeltas& group : m.deltas) {
      for (std::size_t i = 1; i < group.deltas.size(); ++i) {
        CHECK(group.deltas[i - 1].version < group.deltas[i].version);
      }
    }
  };
  std::mt19937_64 rng(11);
  auto random_value = [&](std::size_t max_len) {
    std::string v(std::uniform_int_distribution<std::size_t>(0, max_len)(rng), '\0');
    for (char& c : v) c = static_cast<char>(rng() & 0xff);  // binary
    return v;
  };
  auto check_prefixes = [&] {
    for (std::size_t owner = 0; owner < cluster.size(); ++owner) {
      for (std::size_t holder = 0; holder < cluster.size(); ++holder) {
        if (holder == owner) continue;
        INFO("owner " << owner << ", holder " << holder);
        CheckPrefixOf(cluster.storage(owner), Lockstep::Id(owner),
                      cluster.storage(holder));
      }
    }
  };

  for (int round = 0; round < 10; ++round) {
    for (std::size_t node = 0; node < cluster.size(); ++node) {
      for (int k = 0; k < 3; ++k) {
        const std::string key = "key" + std::to_string(rng() % 8);
        REQUIRE(cluster.Update(node, key, random_value(largest)).ok());
      }
    }
    if (round == 4) REQUIRE(cluster.Update(2, "huge", std::string(largest, 'B')).ok());
    cluster.Round();
    check_prefixes();
  }
  auto converged = [&] {
    for (std::size_t owner = 0; owner < cluster.size(); ++owner) {
      const PeerRecord* own = cluster.storage(owner).Get(Lockstep::Id(owner));
      for (std::size_t holder = 0; holder < cluster.size(); ++holder) {
        if (holder == owner) continue;
        const PeerRecord* held = cluster.storage(holder).Get(Lockstep::Id(owner));
        if (held == nullptr || held->max_version_seen != own->max_version_seen ||
            held->data != own->data) {
          return false;
        }
      }
    }
    return true;
  };
  bool done = false;
  for (int round = 0; round < 300 && !done; ++round) {
    cluster.Round();
    check_prefixes();
    done = converged();
  }
  CHECK(done);
  CHECK(messages > 100);
  // The budget was actually binding.
  CHECK(biggest > kBudget - 100);
  CHECK(DataOf(cluster.storage(5), Lockstep::Id(2)).at("huge").value.size() == largest);
}

TEST_CASE("Loss, duplication and reordering never break a prefix, and data converges",
          "[engine][deltas]") {
  ClusterConfig config;
  config.nodes = 8;
  config.rng_seed = 41;
  config.link.loss = 0.1;
  config.link.duplicate = 0.1;
  config.link.delay_min = 1ms;
  config.link.delay_max = 1500ms;  // longer than a round: messages overtake
  config.options.max_deltas_per_gossip = 3;
  VirtualCluster cluster(config);
  std::mt19937_64 rng(8);
  auto check_prefixes = [&] {
    for (std::size_t owner = 0; owner < cluster.size(); ++owner) {
      for (std::size_t holder = 0; holder < cluster.size(); ++holder) {
        if (holder == owner) continue;
        INFO("owner " << owner << ", holder " << holder);
        CheckPrefixOf(cluster.storage(owner), VirtualCluster::IdOf(owner),
                      cluster.storage(holder));
      }
    }
  };
  for (int second = 0; second < 40; ++second) {
    const std::size_t node = rng() % cluster.size();
    REQUIRE(cluster.Update(node, "k" + std::to_string(rng() % 6), std::to_string(second))
                .ok());
    cluster.RunFor(1s);
    check_prefixes();
  }
  const bool converged = cluster.RunUntil(
      [&] {
        for (std::size_t owner = 0; owner < cluster.size(); ++owner) {
          const PeerRecord* own = cluster.storage(owner).Get(VirtualCluster::IdOf(owner));
          for (std::size_t holder = 0; holder < cluster.size(); ++holder) {
            if (holder == owner) continue;
            const PeerRecord* held =
                cluster.storage(holder).Get(VirtualCluster::IdOf(owner));
            if (held->data != own->data) return false;
          }
        }
        return true;
      },
      cluster.now() + 120s);
  CHECK(converged);
  check_prefixes();
  CHECK(cluster.faults().stats().messages_lost > 0);
  CHECK(cluster.faults().stats().messages_duplicated > 0);
}
