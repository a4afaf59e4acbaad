// The exchange between two engines, one message at a time: the SYN
// (kDigest) an initiator sends, the SYN-ACK (kDigestReply) it gets back and
// the ACK (kDeltas) that closes it, with every digest entry and delta checked.
// Also the digest's contents, and how peers are discovered in an exchange.
#include "anti_entropy.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

#include "concept_test_support.h"
#include "core/engine_test_support.h"
#include "liveness.h"

using namespace gmtest;

TEST_CASE("One SYN / SYN-ACK / ACK reconciles both sides", "[engine][exchange]") {
  HandNode a("a");
  HandNode b("b");
  StartPair(a, b);
  REQUIRE(a->Update("a1", "x").ok());
  REQUIRE(a->Update("a2", "y").ok());
  REQUIRE(b->Update("b1", "z").ok());

  a->Tick(1s);
  const Message syn = Single(a.Out(), b.self);
  CHECK(syn.kind == MessageKind::kDigest);
  CHECK(syn.sender == a.self);
  CHECK_FALSE(syn.digest_is_partial);
  // Own entry first (heartbeat 1 after one tick, version 2 after two
  // updates), then what A knows of B.
  CHECK(syn.digest == std::vector{Entry("a", 100, 1, 2), Entry("b", 100, 0, 0)});
  CHECK(syn.deltas.empty());

  b->Receive(syn, 1s);
  const Message reply = Single(b.Out(), a.self);
  CHECK(reply.kind == MessageKind::kDigestReply);
  CHECK(reply.sender == b.self);
  // B lags on A (version 0 < 2): it says so, and sends what A lacks of B.
  CHECK(reply.digest == std::vector{Entry("a", 100, 1, 0)});
  CHECK(reply.deltas == std::vector{PeerDeltas{"b", kGen, "", {Delta("b1", "z", 1)}}});
  CHECK(b.Events().empty());

  a->Receive(reply, 1s);
  const auto a_updates = EventsOf<UpdateEvent>(a.Events());
  REQUIRE(a_updates.size() == 1);
  CHECK(a_updates[0].peer == "b");
  CHECK(a_updates[0].key == "b1");
  CHECK(a_updates[0].value == "z");
  CHECK(a_updates[0].version == Version(1));
  const Message ack = Single(a.Out(), b.self);
  CHECK(ack.kind == MessageKind::kDeltas);
  CHECK(ack.sender == a.self);
  CHECK(ack.digest.empty());
  CHECK(ack.deltas == std::vector{PeerDeltas{
                          "a", kGen, "", {Delta("a1", "x", 1), Delta("a2", "y", 2)}}});

  b->Receive(ack, 1s);
  CHECK(b.Out().empty());  // an ACK is not answered
  const auto b_updates = EventsOf<UpdateEvent>(b.Events());
  REQUIRE(b_updates.size() == 2);
  CHECK(b_updates[0].key == "a1");
  CHECK(b_updates[1].key == "a2");

  // Both now hold each other's data, with max_version_seen at the owner's
  // version.
  CHECK(a.Peer("b")->max_version_seen == Version(1));
  CHECK(a.Peer("b")->data.at("b1") == VersionedValue{"z", Version(1)});
  CHECK(b.Peer("a")->max_version_seen == Version(2));
  CHECK(b.Peer("a")->data.at("a1") == VersionedValue{"x", Version(1)});
  CHECK(b.Peer("a")->data.at("a2") == VersionedValue{"y", Version(2)});
  CHECK(a->stats().deltas_applied == 1);
  CHECK(b->stats().deltas_applied == 2);
  CHECK(a->stats().messages_received == 1);
  CHECK(b->stats().messages_received == 2);

  SECTION("a second exchange with nothing new carries nothing") {
    a->Tick(2s);
    const Message syn2 = Single(a.Out(), b.self);
    CHECK(syn2.digest == std::vector{Entry("a", 100, 2, 2), Entry("b", 100, 0, 1)});
    b->Receive(syn2, 2s);
    const Message reply2 = Single(b.Out(), a.self);
    CHECK(reply2.digest.empty());
    CHECK(reply2.deltas.empty());
    a->Receive(reply2, 2s);
    CHECK(a.Out().empty());  // nothing to acknowledge
    CHECK(a.Events().empty());
    CHECK(b.Events().empty());
  }

  SECTION("the responder tells the initiator a newer heartbeat it holds") {
    b->Tick(2s);  // B's heartbeat 1; A has heard nothing of it
    b.Out();
    a->Tick(3s);
    const Message syn2 = Single(a.Out(), b.self);
    CHECK(syn2.digest[1] == Entry("b", 100, 0, 1));
    b->Receive(syn2, 3s);
    const Message reply2 = Single(b.Out(), a.self);
    CHECK(reply2.digest == std::vector{Entry("b", 100, 1, 1)});
    CHECK(reply2.deltas.empty());
    a->Receive(reply2, 3s);
    CHECK(a->KnownHeartbeat("b") == Heartbeat(1));
    CHECK(a.Out().empty());
  }
}

TEST_CASE("A repeated or stale message changes nothing", "[engine][exchange]") {
  HandNode a("a");
  HandNode b("b");
  StartPair(a, b);
  REQUIRE(b->Update("k", "v1").ok());
  REQUIRE(b->Update("j", "w").ok());

  a->Tick(1s);
  b->Receive(Single(a.Out(), b.self), 1s);
  const Message reply = Single(b.Out(), a.self);
  a->Receive(reply, 1s);
  REQUIRE(EventsOf<UpdateEvent>(a.Events()).size() == 2);
  const std::uint64_t applied = a->stats().deltas_applied;

  // The network duplicates the reply: nothing is applied twice.
  a->Receive(reply, 1s);
  CHECK(EventsOf<UpdateEvent>(a.Events()).empty());
  CHECK(a->stats().deltas_applied == applied);
  CHECK(a->stats().deltas_ignored == 2);
  CHECK(a.Peer("b")->data.at("k").value == "v1");

  // A reply overlapping what A holds applies only the fresh tail.
  REQUIRE(b->Update("k", "v2").ok());  // version 3
  a->Receive(
      MakeMessage(MessageKind::kDigestReply, b.self, {},
                  {PeerDeltas{"b", kGen, "", {Delta("j", "w", 2), Delta("k", "v2", 3)}}}),
      2s);
  const auto updates = EventsOf<UpdateEvent>(a.Events());
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].key == "k");
  CHECK(updates[0].value == "v2");
  CHECK(a.Peer("b")->max_version_seen == Version(3));
  CHECK(a.Peer("b")->data.size() == 2);
}

TEST_CASE("The digest lists the node first, then every peer it knows",
          "[engine][exchange]") {
  HandNode a("a");
  const std::vector<std::string> peers{"b", "c", "d", "e"};
  for (const std::string& id : peers) a.Know(Endpoint(id), Generation(200), id != "e");
  a.KnowData("c", {Delta("x", "1", 4)});
  a.Start(0s, Generation(9));
  REQUIRE(a->Update("k", "v").ok());

  for (std::uint64_t round = 1; round <= 3; ++round) {
    INFO("round " << round);
    // Ticks at one instant, so that nobody is convicted meanwhile.
    a->Tick(0s);
    for (const OutgoingMessage& out : a.Out()) {
      const Message& syn = out.message;
      REQUIRE(syn.kind == MessageKind::kDigest);
      REQUIRE(syn.digest.size() == 5);
      // The heartbeat rises by one each round; the version is the counter.
      CHECK(syn.digest[0] == Entry("a", 9, round, 1));
      std::set<std::string> ids;
      for (const DigestEntry& e : syn.digest) ids.insert(e.id);
      CHECK(ids == std::set<std::string>{"a", "b", "c", "d", "e"});
      for (const DigestEntry& e : syn.digest) {
        if (e.id == "a") continue;
        CHECK(e.generation == Generation(200));
        CHECK(e.max_version == Version(e.id == "c" ? 4 : 0));
      }
      CHECK(syn.digest == a->FullDigest());
    }
    CHECK(a->heartbeat() == Heartbeat(round));
  }
}

TEST_CASE("A digest too big for the message budget is partial", "[engine][exchange]") {
  constexpr std::size_t kBudget = 256;
  HandNode a("a", {}, kBudget);
  std::set<std::string> known{"a"};
  for (int i = 0; i < 60; ++i) {
    const std::string id = "peer-" + std::to_string(i);
    a.Know(Endpoint(id));
    known.insert(id);
  }
  a.Start();

  std::set<std::string> travelled;
  for (int round = 0; round < 40; ++round) {
    a->Tick(0s);
    for (const OutgoingMessage& out : a.Out()) {
      const Message& syn = out.message;
      INFO("round " << round);
      CHECK(syn.digest_is_partial);
      CHECK(wire_size::Body(syn) <= kBudget);
      REQUIRE_FALSE(syn.digest.empty());
      CHECK(syn.digest[0].id == "a");
      // It is filled: one more entry would not have fit.
      std::size_t bound = wire_size::BodyOverhead();
      for (const DigestEntry& e : syn.digest) bound += wire_size::Entry(e);
      CHECK(bound + wire_size::Entry(Entry("peer-10", 100, 0, 0)) > kBudget);
      std::set<std::string> ids;
      for (const DigestEntry& e : syn.digest) {
        CHECK(known.count(e.id) == 1);
        ids.insert(e.id);
        travelled.insert(e.id);
      }
      CHECK(ids.size() == syn.digest.size());  // no entry twice
    }
  }
  // A different subset each round: over rounds every entry travels.
  CHECK(travelled == known);
}

TEST_CASE("A partial digest is not read as 'the sender lacks what is missing'",
          "[engine][exchange]") {
  HandNode b("b");
  b.Know(Endpoint("a"));
  b.Know(Endpoint("x"), Generation(300));
  b.KnowData("x", {Delta("k", "v", 1)});
  b.Start();
  const std::vector<DigestEntry> digest{Entry("a", 100, 1, 0), Entry("b", 100, 0, 0)};

  SECTION("complete digest: the missing peer is sent, with its address") {
    b->Receive(MakeMessage(MessageKind::kDigest, Endpoint("a"), digest, {}, false), 1s);
    const Message reply = Single(b.Out(), Endpoint("a"));
    CHECK(reply.digest == std::vector{Entry("x", 300, 0, 1)});
    CHECK(reply.deltas ==
          std::vector{PeerDeltas{"x", Generation(300), "mem:x", {Delta("k", "v", 1)}}});
  }
  SECTION("partial digest: nothing is assumed of what it leaves out") {
    b->Receive(MakeMessage(MessageKind::kDigest, Endpoint("a"), digest, {}, true), 1s);
    const Message reply = Single(b.Out(), Endpoint("a"));
    CHECK(reply.digest.empty());
    CHECK(reply.deltas.empty());
  }
}

TEST_CASE("The responder sends peers missing from the SYN; the initiator learns them",
          "[engine][exchange]") {
  HandNode a("a");
  HandNode b("b");
  a.Know(b.self);
  b.Know(a.self);
  b.Know(Endpoint("c"), Generation(300));
  b.KnowData("c", {Delta("c1", "q", 1)});
  a.Start();
  b.Start();

  a->Tick(1s);
  const Message syn = Single(a.Out(), b.self);
  CHECK(IdsOf(syn.digest) == std::vector<std::string>{"a", "b"});
  b->Receive(syn, 1s);
  const Message reply = Single(b.Out(), a.self);
  CHECK(reply.digest == std::vector{Entry("c", 300, 0, 1)});
  CHECK(reply.deltas ==
        std::vector{PeerDeltas{"c", Generation(300), "mem:c", {Delta("c1", "q", 1)}}});

  a->Receive(reply, 1s);
  const auto events = a.Events();
  const auto new_peers = EventsOf<NewPeerEvent>(events);
  REQUIRE(new_peers.size() == 1);
  CHECK(new_peers[0].peer == Endpoint("c"));
  const auto updates = EventsOf<UpdateEvent>(events);
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].peer == "c");
  const PeerRecord* c = a.Peer("c");
  REQUIRE(c != nullptr);
  CHECK(c->address == "mem:c");
  CHECK(c->generation == Generation(300));
  CHECK(c->max_version_seen == Version(1));
  CHECK(c->live);
  CHECK(a.Out().empty());  // A lacks nothing B lacks

  // A now gossips about C too, and may pick it as a target.
  CHECK(a->FullDigest().size() == 3);
}

TEST_CASE("The initiator sends a peer the responder asks for", "[engine][exchange]") {
  HandNode a("a");
  HandNode b("b");
  a.Know(b.self);
  a.Know(Endpoint("c"), Generation(300));
  a.KnowData("c", {Delta("c1", "q", 1), Delta("c2", "r", 2)});
  b.Know(a.self);
  a.Start();
  b.Start();

  // A's tick picks B or C at random; the SYN it would send B is its digest.
  a->Tick(1s);
  a.Out();
  b->Receive(MakeMessage(MessageKind::kDigest, a.self, a->FullDigest()), 1s);
  const Message reply = Single(b.Out(), a.self);
  // Generation 0: "I do not know this peer, send me all of it".
  CHECK(reply.digest == std::vector{Entry("c", 0, 0, 0)});
  CHECK(reply.deltas.empty());
  CHECK(EventsOf<NewPeerEvent>(b.Events()).empty());  // not from hearsay

  a->Receive(reply, 1s);
  const Message ack = Single(a.Out(), b.self);
  CHECK(ack.kind == MessageKind::kDeltas);
  CHECK(ack.deltas ==
        std::vector{PeerDeltas{
            "c", Generation(300), "mem:c", {Delta("c1", "q", 1), Delta("c2", "r", 2)}}});
  b->Receive(ack, 1s);
  const auto new_peers = EventsOf<NewPeerEvent>(b.Events());
  REQUIRE(new_peers.size() == 1);
  CHECK(new_peers[0].peer == Endpoint("c"));
  REQUIRE(b.Peer("c") != nullptr);
  CHECK(b.Peer("c")->max_version_seen == Version(2));
  CHECK(b.Peer("c")->data.size() == 2);
}

TEST_CASE("A SYN from an unknown node introduces it", "[engine][exchange]") {
  HandNode a("a");
  HandNode b("b");
  a.Know(b.self);
  a.Start();
  b.Start();
  REQUIRE(a->Update("k", "v").ok());

  a->Tick(1s);
  b->Receive(Single(a.Out(), b.self), 1s);
  const auto events = b.Events();
  const auto new_peers = EventsOf<NewPeerEvent>(events);
  REQUIRE(new_peers.size() == 1);
  CHECK(new_peers[0].peer == a.self);
  REQUIRE(b.Peer("a") != nullptr);
  CHECK(b.Peer("a")->address == "mem:a");
  CHECK(b->KnownHeartbeat("a") == Heartbeat(1));

  // It asks for A's data in the same exchange.
  const Message reply = Single(b.Out(), a.self);
  CHECK(reply.digest == std::vector{Entry("a", 100, 1, 0)});
  a->Receive(reply, 1s);
  b->Receive(Single(a.Out(), b.self), 1s);
  CHECK(b.Peer("a")->data.at("k").value == "v");
}

TEST_CASE("Deltas of an unknown peer without an address raise 'unknown peer'",
          "[engine][exchange]") {
  HandNode a("a");
  a.Know(Endpoint("b"));
  a.Start();
  a->Receive(MakeMessage(MessageKind::kDeltas, Endpoint("b"), {},
                         {PeerDeltas{"ghost", Generation(5), "", {Delta("k", "v", 1)}}}),
             1s);
  const auto events = a.Events();
  const auto unknown = EventsOf<UnknownPeerEvent>(events);
  REQUIRE(unknown.size() == 1);
  CHECK(unknown[0].peer == "ghost");
  CHECK(EventsOf<UpdateEvent>(events).empty());
  CHECK(EventsOf<NewPeerEvent>(events).empty());
  CHECK(a.Peer("ghost") == nullptr);
  CHECK(a->stats().deltas_ignored == 1);
  CHECK(a->stats().messages_dropped == 0);  // well-formed, just unusable
}

TEST_CASE("Deltas of the node itself or of a stale lineage are ignored",
          "[engine][exchange]") {
  HandNode a("a");
  a.Know(Endpoint("b"), Generation(50));
  a.KnowData("b", {Delta("k", "old", 1)});
  a.Start();
  REQUIRE(a->Update("mine", "1").ok());

  SECTION("our own data from someone else") {
    a->Receive(MakeMessage(MessageKind::kDeltas, Endpoint("b"), {},
                           {PeerDeltas{"a", kGen, "", {Delta("mine", "forged", 2)}}}),
               1s);
    CHECK(a.Peer("a")->data.at("mine").value == "1");
    CHECK(a->version() == Version(1));
  }
  SECTION("a peer's older generation") {
    a->Receive(
        MakeMessage(MessageKind::kDeltas, Endpoint("b"), {},
                    {PeerDeltas{"b", Generation(49), "", {Delta("k", "older", 7)}}}),
        1s);
    CHECK(a.Peer("b")->data.at("k").value == "old");
    CHECK(a.Peer("b")->generation == Generation(50));
  }
  CHECK(EventsOf<UpdateEvent>(a.Events()).empty());
  CHECK(a->stats().deltas_ignored == 1);
  CHECK(a->stats().deltas_applied == 0);
}

TEST_CASE("A peer's newer generation replaces its old data", "[engine][exchange]") {
  HandNode a("a");
  a.Know(Endpoint("b"), Generation(50));
  a.KnowData("b", {Delta("old", "x", 1), Delta("gone", "y", 2)});
  a.Start();
  a->Receive(
      MakeMessage(MessageKind::kDeltas, Endpoint("c"), {},
                  {PeerDeltas{"b", Generation(51), "mem:b2", {Delta("new", "z", 1)}}}),
      1s);
  const PeerRecord* b = a.Peer("b");
  REQUIRE(b != nullptr);
  CHECK(b->generation == Generation(51));
  CHECK(b->address == "mem:b2");
  CHECK(b->max_version_seen == Version(1));
  REQUIRE(b->data.size() == 1);
  CHECK(b->data.at("new") == VersionedValue{"z", Version(1)});
  CHECK(EventsOf<NewPeerEvent>(a.Events()).empty());  // known id, new lineage
}

// --- AntiEntropy on its own ----------------------------------------------------------

namespace {

// Node "a", knowing "b" (with data up to version 2) and a dead "c".
struct ExchangeRig {
  explicit ExchangeRig(std::size_t max_body_bytes = 64 * 1024)
      : rig("a", SeedExchange(), max_body_bytes) {
    rig.Know("b");
    rig.KnowData("b", {Delta("x", "1", 1), Delta("y", "2", 2)});
    rig.Know("c", kGen, /*live=*/false);
    rig.Load();
  }
  ViewRig rig;
  AntiEntropy anti_entropy{rig.context, rig.view};
};

}  // namespace

TEST_CASE("The digest holds our own entry first, then every peer, dead ones too",
          "[anti_entropy]") {
  ExchangeRig e;
  const auto digest = e.anti_entropy.FullDigest();
  REQUIRE(digest.size() == 3);
  CHECK(digest[0] == Entry("a", 100, 0, 0));
  const std::set<std::string> peers{digest[1].id, digest[2].id};
  CHECK(peers == std::set<std::string>{"b", "c"});
  for (const DigestEntry& entry : digest) {
    if (entry.id == "b") CHECK(entry == Entry("b", 100, 0, 2));
  }
}

TEST_CASE("A digest that does not fit is sent partial, own entry first",
          "[anti_entropy]") {
  ViewRig rig("a", SeedExchange(), 256);
  for (int i = 0; i < 40; ++i) rig.Know("peer-" + std::to_string(i));
  rig.Load();
  AntiEntropy anti_entropy(rig.context, rig.view);
  anti_entropy.SendDigest(Endpoint("peer-1"));
  const Message syn = Single(rig.Out(), Endpoint("peer-1"));
  CHECK(syn.kind == MessageKind::kDigest);
  CHECK(syn.digest_is_partial);
  REQUIRE(syn.digest.size() > 1);
  CHECK(syn.digest.size() < 41);
  CHECK(syn.digest[0].id == "a");
  CHECK(wire_size::Body(syn) <= 256);
}

TEST_CASE("A reply tells what differs and sends what the initiator lacks",
          "[anti_entropy]") {
  ExchangeRig e;
  // The initiator, b, lists itself at version 1 and a peer we do not know;
  // it does not list c.
  const Message syn = MakeMessage(MessageKind::kDigest, Endpoint("b"),
                                  {Entry("b", 100, 0, 1), Entry("z", 4, 1, 1)});
  std::vector<PeerState*> listed{e.rig.view.Find("b"), nullptr};
  e.anti_entropy.ReplyToDigest(syn, listed);
  const Message reply = Single(e.rig.Out(), Endpoint("b"));
  CHECK(reply.kind == MessageKind::kDigestReply);
  // Their entry of b is behind ours (version 2): no entry, its deltas. z is
  // requested; we are missing from their complete digest. So is c, but it
  // is dead: we do not introduce it.
  CHECK(IdsOf(reply.digest) == std::vector<std::string>{"z", "a"});
  CHECK(reply.digest[0] == Entry("z", 0, 0, 0));
  std::set<std::string> groups;
  for (const PeerDeltas& group : reply.deltas) {
    groups.insert(group.id);
    if (group.id == "b") {
      CHECK(group.address.empty());
      REQUIRE(group.deltas.size() == 1);
      CHECK(group.deltas[0] == Delta("y", "2", 2));
    } else {
      CHECK(group.address == "mem:" + group.id);  // they do not know it
    }
  }
  CHECK(groups == std::set<std::string>{"a", "b"});
}

TEST_CASE("A peer learned by relay is introduced to others only once its heartbeat rises",
          "[anti_entropy]") {
  ExchangeRig e;
  e.rig.view.ApplyDeltas({"z", Generation(4), "mem:z", {Delta("k", "v", 1)}},
                         Timestamp(0));
  PeerState* state = e.rig.view.Find("z");
  REQUIRE(state != nullptr);
  Liveness liveness(e.rig.context, e.rig.view, Timestamp(0));
  auto offered_to_a_newcomer = [&](std::uint64_t z_heartbeat) {
    // b lists z (its heartbeat rising or not); then a newcomer that knows
    // only itself and us asks us for everything.
    liveness.HearDigest(
        MakeMessage(MessageKind::kDigest, Endpoint("b"),
                    {Entry("b", 100, 1, 2), Entry("z", 4, z_heartbeat, 1)}),
        Timestamp(0));
    e.rig.Out();
    const Message syn =
        MakeMessage(MessageKind::kDigest, Endpoint("n"), {Entry("n", 1, 1, 0)});
    e.anti_entropy.ReplyToDigest(syn, {nullptr});
    const std::vector<std::string> ids = IdsOf(Single(e.rig.Out(), Endpoint("n")).digest);
    return std::find(ids.begin(), ids.end(), "z") != ids.end();
  };
  CHECK_FALSE(state->introducible());
  // The first heartbeat heard of it may be the one it died with.
  CHECK_FALSE(offered_to_a_newcomer(7));
  CHECK(offered_to_a_newcomer(8));  // a rise: it lives
  CHECK(state->introducible());
}

TEST_CASE("An ACK carries what the reply shows the responder lacks, or is not sent",
          "[anti_entropy]") {
  ExchangeRig e;
  e.anti_entropy.AcknowledgeReply(
      MakeMessage(MessageKind::kDigestReply, Endpoint("b"), {Entry("b", 100, 0, 2)}));
  CHECK(e.rig.Out().empty());
  e.anti_entropy.AcknowledgeReply(
      MakeMessage(MessageKind::kDigestReply, Endpoint("b"),
                  {Entry("b", 100, 0, 1), Entry("c", 0, 0, 0)}));
  const Message ack = Single(e.rig.Out(), Endpoint("b"));
  CHECK(ack.kind == MessageKind::kDeltas);
  CHECK(ack.digest.empty());
  // c is dead here: a node that does not know it is not introduced to it.
  REQUIRE(ack.deltas.size() == 1);
  CHECK(ack.deltas[0].id == "b");
  CHECK(ack.deltas[0].deltas == std::vector<KeyDelta>{Delta("y", "2", 2)});
  // Once it is live and we saw it alive ourselves, we send it when asked,
  // with its address: a bare header when we hold no data of it.
  PeerState* c = e.rig.view.Find("c");
  REQUIRE(c != nullptr);
  e.rig.view.SetLive("c", *c, true);
  c->vouched = true;
  e.anti_entropy.AcknowledgeReply(
      MakeMessage(MessageKind::kDigestReply, Endpoint("b"),
                  {Entry("b", 100, 0, 2), Entry("c", 0, 0, 0)}));
  const Message second = Single(e.rig.Out(), Endpoint("b"));
  REQUIRE(second.deltas.size() == 1);
  CHECK(second.deltas[0].id == "c");
  CHECK(second.deltas[0].address == "mem:c");
  CHECK(second.deltas[0].deltas.empty());
}
