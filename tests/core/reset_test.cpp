// Resets (docs/LIFECYCLE.md, "Tombstone collection"): a node whose digest
// shows a peer below our collection floor gets our whole holding of it.
#include "engine_test_support.h"

using namespace gmtest;

namespace {

Options Resets(std::size_t max_deltas = 5) {
  Options options = SeedExchange();
  options.tombstone_grace = 10s;
  options.max_deltas_per_gossip = max_deltas;
  return options;
}

// Owner `a`: k1..k3 set (v1-3), k1 deleted (v4), k4 set (v5); collected at
// 10 s: floor 4.
void OwnerWithCollectedDelete(HandNode& a) {
  for (const std::string key : {"k1", "k2", "k3"}) REQUIRE(a->Update(key, "v").ok());
  REQUIRE(a->Delete("k1").ok());
  REQUIRE(a->Update("k4", "v").ok());
  a->Tick(10s);
  REQUIRE(a.Peer("a")->collected_through == Version(4));
}

// `b`'s SYN to `a` announcing `a` at `max` (clean through `clean`).
Message SynAbout(const HandNode& b, std::uint64_t max, std::uint64_t clean = 0) {
  DigestEntry about_a = Entry("a", kGen.value(), 0, max);
  about_a.clean_through = Version(clean);
  return MakeMessage(MessageKind::kDigest, b.self,
                     {Entry("b", kGen.value(), 1, 0), about_a});
}

// Starts `b` holding `held` of peer "a".
void StartHolding(HandNode& b, const std::vector<KeyDelta>& held) {
  b.Know(Endpoint("a"));
  b.KnowData("a", held);
  b.Start();
}

const PeerDeltas* GroupOf(const Message& message, const std::string& id) {
  for (const PeerDeltas& group : message.deltas) {
    if (group.id == id) return &group;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("A digest below our collection floor gets a reset, at the floor plain deltas",
          "[engine][lifecycle][reset]") {
  HandNode a("a", Resets());
  a.Know(Endpoint("b"));
  a.Start();
  OwnerWithCollectedDelete(a);
  a.Out();
  for (std::uint64_t max : {1, 3}) {
    INFO("max " << max);
    a->Receive(SynAbout(HandNode("b"), max), 11s);
    const Message reply = Single(a.Out(), Endpoint("b"));
    const PeerDeltas* group = GroupOf(reply, "a");
    REQUIRE(group != nullptr);
    CHECK(group->reset_through == Version(5));
    // The whole holding, ascending: the collected tombstone is gone.
    CHECK(group->deltas == std::vector<KeyDelta>{Delta("k2", "v", 2), Delta("k3", "v", 3),
                                                 Delta("k4", "v", 5)});
  }
  // Clean through the floor (a reset under way): plain deltas above max.
  for (auto [max, clean] : {std::pair<int, int>{4, 0}, {2, 4}}) {
    a->Receive(SynAbout(HandNode("b"), max, clean), 11s);
    const Message reply = Single(a.Out(), Endpoint("b"));
    const PeerDeltas* group = GroupOf(reply, "a");
    REQUIRE(group != nullptr);
    CHECK(group->reset_through == Version());
    CHECK(group->deltas.front().version > Version(max));
  }
  CHECK(a->stats().resets_sent == 2);
}

TEST_CASE("Applying a reset replaces the holding and raises delete for keys it lacks",
          "[engine][lifecycle][reset]") {
  HandNode b("b", Resets());
  StartHolding(b, {Delta("k1", "v", 1), Delta("k2", "v", 2), Delta("old", "x", 3)});
  PeerDeltas reset{"a", kGen, "", {Delta("k2", "v", 2), Delta("k3", "v", 4)}};
  reset.deltas.push_back({"old", "", Version(6), EntryKind::kTombstone});
  reset.deltas.push_back(Delta("k4", "v", 7));
  reset.reset_through = Version(7);
  b->Receive(MakeMessage(MessageKind::kDeltas, Endpoint("a"), {}, {reset}), 1s);
  const PeerRecord* a = b.Peer("a");
  CHECK(a->max_version_seen == Version(7));
  CHECK(a->clean_through == Version());  // complete: nothing under way
  CHECK(a->data.count("k1") == 0);
  CHECK(a->data.at("old").kind == EntryKind::kTombstone);
  const std::vector<Event> events = b.Events();
  std::vector<std::string> deleted, updated;
  for (const DeleteEvent& d : EventsOf<DeleteEvent>(events)) deleted.push_back(d.key);
  for (const UpdateEvent& u : EventsOf<UpdateEvent>(events)) updated.push_back(u.key);
  std::sort(deleted.begin(), deleted.end());
  CHECK(deleted == std::vector<std::string>{"k1", "old"});
  CHECK(updated == std::vector<std::string>{"k3", "k4"});  // k2 was held already
  CHECK(b->stats().resets_applied == 1);
  // A reset we are as clean as replaces nothing. (One with a delta above
  // its reset_through would be malformed: validation drops it.)
  PeerDeltas again = reset;
  again.deltas.erase(again.deltas.begin());  // k2: replacing would drop it
  b->Receive(MakeMessage(MessageKind::kDeltas, Endpoint("a"), {}, {again}), 2s);
  CHECK(b->stats().resets_applied == 1);
  CHECK(b.Peer("a")->max_version_seen == Version(7));
  CHECK(b.Peer("a")->data.count("k2") == 1);
}

TEST_CASE("A first page of a reset is announced as clean_through until the rest comes",
          "[engine][lifecycle][reset]") {
  HandNode b("b", Resets());
  StartHolding(b, {Delta("k1", "v", 1), Delta("k2", "v", 2), Delta("k3", "v", 3)});
  PeerDeltas page{"a", kGen, "", {Delta("k2", "v", 2)}};
  page.reset_through = Version(9);
  b->Receive(MakeMessage(MessageKind::kDeltas, Endpoint("a"), {}, {page}), 1s);
  CHECK(b.Peer("a")->clean_through == Version(9));
  const std::vector<DigestEntry> digest = b->FullDigest();
  const auto about_a = std::find_if(digest.begin(), digest.end(),
                                    [](const DigestEntry& e) { return e.id == "a"; });
  REQUIRE(about_a != digest.end());
  CHECK(about_a->max_version == Version(2));
  CHECK(about_a->clean_through == Version(9));
  // Its max version fell: a plain group in flight (answering a digest that
  // announced 3) could leave a gap, so plain groups wait one interval.
  b->Receive(MakeMessage(MessageKind::kDeltas, Endpoint("a"), {},
                         {{"a", kGen, "", {Delta("k9", "v", 9)}}}),
             1500ms);
  CHECK(b.Peer("a")->max_version_seen == Version(2));
  b->Receive(MakeMessage(MessageKind::kDeltas, Endpoint("a"), {},
                         {{"a", kGen, "", {Delta("k5", "v", 5), Delta("k9", "v", 9)}}}),
             2s);
  CHECK(b.Peer("a")->max_version_seen == Version(9));
  CHECK(b->FullDigest()[1].clean_through == Version());
}

TEST_CASE("A paged reset of a large holding finishes", "[engine][lifecycle][reset]") {
  Lockstep::Config config;
  config.nodes = 2;
  config.options = Resets(/*max_deltas=*/3);
  config.max_body_bytes = 512;
  Lockstep cluster(config);
  for (int i = 0; i < 40; ++i) {
    REQUIRE(cluster.Update(0, "key-" + std::to_string(i), "value").ok());
  }
  bool announced = false;
  cluster.on_send = [&](std::size_t from, std::size_t, const Message& message) {
    for (const DigestEntry& e : message.digest)
      announced = announced || (from == 1 && e.clean_through != Version());
  };
  REQUIRE(cluster.RoundsUntil(
      [&] { return cluster.storage(1).Get("n0")->max_version_seen == Version(40); },
      100));
  // Node 1 loses the link while node 0 deletes half its keys; they are
  // collected, then node 1 comes back.
  cluster.link = [](std::size_t, std::size_t) { return false; };
  for (int i = 0; i < 40; i += 2)
    REQUIRE(cluster.Delete(0, "key-" + std::to_string(i)).ok());
  REQUIRE(cluster.Update(0, "last", "value").ok());
  cluster.Rounds(12);
  REQUIRE(cluster.storage(0).Get("n0")->collected_through == Version(60));
  cluster.link = nullptr;
  const PeerRecord& owner = *cluster.storage(0).Get("n0");
  REQUIRE(cluster.RoundsUntil(
      [&] {
        const PeerRecord* held = cluster.storage(1).Get("n0");
        return held->max_version_seen == owner.max_version_seen &&
               held->data == owner.data;
      },
      200));
  CHECK(announced);
  CHECK(cluster.engine(0).stats().resets_sent >= 1);
  CHECK(cluster.storage(1).Get("n0")->data.count("key-0") == 0);
}
