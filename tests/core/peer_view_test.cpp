// PeerView: the storage's only writer. Each change reads the storage at most
// once and writes only what changed, and every peer's state keeps equal to
// its stored record (peer_view.h).
#include <catch2/catch.hpp>
#include <random>
#include <set>

#include "concept_test_support.h"

using namespace gmtest;

namespace {

PeerDeltas Group(const std::string& id, Generation generation, const std::string& address,
                 std::vector<KeyDelta> deltas) {
  return PeerDeltas{id, generation, address, std::move(deltas)};
}

}  // namespace

TEST_CASE("Deltas of a known lineage: one read, one write", "[view]") {
  ViewRig rig;
  rig.Know("b");
  PeerView& view = rig.Load();
  view.ApplyDeltas(Group("b", kGen, "", {Delta("x", "1", 1), Delta("y", "2", 2)}), 1s);
  CHECK(rig.storage.gets == 1);
  CHECK(rig.storage.put_peers == 0);
  CHECK(rig.storage.put_deltas == 1);
  CHECK(rig.Peer("b")->max_version_seen == Version(2));
  CHECK(view.Find("b")->max_version_seen() == Version(2));
  CHECK(EventsOf<UpdateEvent>(rig.Events()).size() == 2);
  CHECK(rig.context.stats.deltas_applied == 2);
  rig.CheckStatesMatchStorage();

  SECTION("what we hold is skipped; nothing new writes nothing") {
    rig.storage.ResetCounts();
    view.ApplyDeltas(Group("b", kGen, "", {Delta("x", "1", 1), Delta("y", "2", 2)}), 2s);
    CHECK(rig.storage.gets == 1);
    CHECK(rig.storage.put_peers + rig.storage.put_deltas == 0);
    CHECK(rig.context.stats.deltas_ignored == 2);
    CHECK(rig.Events().empty());
  }
  SECTION("a group overlapping our prefix applies its fresh part") {
    view.ApplyDeltas(Group("b", kGen, "", {Delta("y", "2", 2), Delta("z", "3", 3)}), 2s);
    const auto updates = EventsOf<UpdateEvent>(rig.Events());
    REQUIRE(updates.size() == 1);
    CHECK(updates[0].key == "z");
    CHECK(rig.context.stats.deltas_ignored == 1);
    rig.CheckStatesMatchStorage();
  }
}

TEST_CASE("A newer lineage replaces the old one: one read, then header and data",
          "[view]") {
  ViewRig rig;
  rig.Know("b", kGen, /*live=*/false);
  rig.KnowData("b", {Delta("old", "o", 1), Delta("older", "o", 2)});
  PeerView& view = rig.Load();
  const Generation newer(kGen.value() + 1);
  view.ApplyDeltas(Group("b", newer, "", {Delta("new", "n", 1)}), 3s);
  CHECK(rig.storage.gets == 1);
  CHECK(rig.storage.put_peers == 1);
  CHECK(rig.storage.put_deltas == 1);
  const PeerRecord* b = rig.Peer("b");
  CHECK(b->generation == newer);
  CHECK(b->address == "mem:b");  // kept: the group gave none
  CHECK(b->live);
  CHECK(b->data.size() == 1);
  CHECK(b->data.at("new").version == Version(1));
  const PeerState& state = *view.Find("b");
  CHECK(state.heartbeat == Heartbeat(0));
  CHECK(state.detector.Age(3s, rig.context.options) == Duration(0));
  const auto events = rig.Events();
  CHECK(EventsOf<PeerLiveEvent>(events).size() == 1);  // it was dead
  CHECK(EventsOf<UpdateEvent>(events).size() == 1);
  rig.CheckStatesMatchStorage();
}

TEST_CASE("A new address is taken with the deltas that bring it", "[view]") {
  ViewRig rig;
  rig.Know("b");
  PeerView& view = rig.Load();
  view.ApplyDeltas(Group("b", kGen, "mem:b2", {Delta("x", "1", 1)}), 1s);
  CHECK(rig.storage.gets == 1);
  CHECK(rig.storage.put_peers == 1);
  CHECK(rig.storage.put_deltas == 1);
  CHECK(rig.Peer("b")->address == "mem:b2");
  CHECK(rig.Peer("b")->data.count("x") == 1);
  rig.CheckStatesMatchStorage();
}

TEST_CASE("Groups of unknown, stale or own lineages", "[view]") {
  ViewRig rig;
  rig.Know("b");
  PeerView& view = rig.Load();

  SECTION("an unknown peer with an address is admitted") {
    view.ApplyDeltas(Group("c", Generation(5), "mem:c", {Delta("k", "v", 1)}), 1s);
    const auto events = rig.Events();
    REQUIRE(EventsOf<NewPeerEvent>(events).size() == 1);
    CHECK(EventsOf<NewPeerEvent>(events)[0].peer == Endpoint("c"));
    CHECK(EventsOf<UpdateEvent>(events).size() == 1);
    CHECK(rig.storage.put_peers == 1);
    CHECK(rig.storage.put_deltas == 1);
  }
  SECTION("an unknown peer without one is `unknown peer`") {
    view.ApplyDeltas(Group("c", Generation(5), "", {Delta("k", "v", 1)}), 1s);
    const auto unknown = EventsOf<UnknownPeerEvent>(rig.Events());
    REQUIRE(unknown.size() == 1);
    CHECK(unknown[0].peer == "c");
    CHECK(rig.Peer("c") == nullptr);
    CHECK(rig.context.stats.deltas_ignored == 1);
  }
  SECTION("an older lineage is ignored") {
    view.ApplyDeltas(Group("b", Generation(kGen.value() - 1), "", {Delta("k", "v", 1)}),
                     1s);
    CHECK(rig.storage.put_peers + rig.storage.put_deltas == 0);
    CHECK(rig.context.stats.deltas_ignored == 1);
  }
  SECTION("our own data from someone else is ignored, unread") {
    view.ApplyDeltas(Group("a", Generation(999), "mem:a", {Delta("k", "v", 1)}), 1s);
    CHECK(rig.storage.gets == 0);
    CHECK(rig.storage.put_peers + rig.storage.put_deltas == 0);
    CHECK(rig.context.stats.deltas_ignored == 1);
  }
  rig.CheckStatesMatchStorage();
}

TEST_CASE("Keys beyond max_keys_per_peer are refused; the lineage change stays",
          "[view]") {
  Options options = SeedExchange();
  options.limits.max_keys_per_peer = 2;
  ViewRig rig("a", options);
  rig.Know("b");
  PeerView& view = rig.Load();
  const Generation newer(kGen.value() + 1);
  view.ApplyDeltas(
      Group("b", newer, "", {Delta("x", "", 1), Delta("y", "", 2), Delta("z", "", 3)}),
      1s);
  CHECK(rig.Peer("b")->generation == newer);
  CHECK(rig.Peer("b")->data.empty());
  const auto errors = EventsOf<ErrorEvent>(rig.Events());
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].status.code() == StatusCode::kLimitExceeded);
  CHECK(rig.context.stats.deltas_ignored == 3);
  rig.CheckStatesMatchStorage();
}

TEST_CASE("New peers beyond max_peers are refused and reported", "[view]") {
  Options options = SeedExchange();
  options.limits.max_peers = 3;  // ourselves and two others
  ViewRig rig("a", options);
  PeerView& view = rig.Load();
  CHECK(view.Admit({"b", "mem:b", kGen, true}, 1s) != nullptr);
  CHECK(view.Admit({"c", "mem:c", kGen, true}, 1s) != nullptr);
  CHECK(view.Admit({"d", "mem:d", kGen, true}, 1s) == nullptr);
  CHECK(view.Admit({"e", "", kGen, true}, 1s) == nullptr);  // no address: silently
  const auto events = rig.Events();
  CHECK(EventsOf<NewPeerEvent>(events).size() == 2);
  const auto errors = EventsOf<ErrorEvent>(events);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].status.code() == StatusCode::kLimitExceeded);
  CHECK(rig.storage.PeerCount() == 3);
  rig.CheckStatesMatchStorage();
}

TEST_CASE("Every change keeps each peer's state equal to its stored record", "[view]") {
  Options options = SeedExchange();
  options.limits.max_keys_per_peer = 6;
  options.limits.max_peers = 6;
  ViewRig rig("a", options);
  rig.Know("b");
  rig.Know("c", kGen, false);
  PeerView& view = rig.Load();
  std::mt19937_64 rng(3);
  auto pick = [&](std::uint64_t n) {
    return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng);
  };
  const std::vector<std::string> ids{"a", "b", "c", "d", "e", "f", "g"};
  for (int step = 0; step < 2000; ++step) {
    INFO("step " << step);
    const std::string id = ids[pick(ids.size())];
    const Timestamp now = Timestamp(1s) * step;
    PeerState* state = view.Find(id);
    switch (pick(4)) {
      case 0: {  // deltas from an exchange, maybe of another lineage or address
        const Generation generation(kGen.value() + pick(3) - 1);
        const std::uint64_t from = 1 + pick(8);
        std::vector<KeyDelta> deltas;
        for (std::uint64_t v = from; v < from + pick(4); ++v) {
          deltas.push_back(Delta("k" + std::to_string(pick(8)), "v", v));
        }
        view.ApplyDeltas(Group(id, generation, pick(2) ? "" : "mem:" + id + "'", deltas),
                         now);
        break;
      }
      case 1:
        if (state != nullptr) view.SetLive(id, *state, pick(2) == 0);
        break;
      case 2:
        if (state != nullptr) {
          view.AdoptLineage(id, *state, "mem:" + id, state->generation().next(),
                            Heartbeat(pick(9)), now);
        }
        break;
      case 3:
        if (state != nullptr) view.SetAddress(id, *state, "mem:" + std::to_string(step));
        break;
    }
    rig.Events();
    rig.CheckStatesMatchStorage();
  }
}

TEST_CASE("Load resumes the stored lineage or starts a fresh one", "[view]") {
  SECTION("nothing stored: the fresh generation, version 0") {
    ViewRig rig;
    rig.Know("b");
    PeerView& view = rig.Load(0s, Generation(42));
    CHECK(view.generation() == Generation(42));
    CHECK(view.version() == Version(0));
    CHECK(rig.Peer("a")->generation == Generation(42));
    REQUIRE(view.Find("b") != nullptr);
    CHECK(view.size() == 1);
    rig.CheckStatesMatchStorage();
  }
  SECTION("a stored lineage is resumed, with its version counter") {
    ViewRig rig;
    REQUIRE(rig.storage.inner.PutPeer({"a", "mem:old", Generation(7), false}).ok());
    rig.KnowData("a", {Delta("k", "v", 3)});
    PeerView& view = rig.Load(0s, Generation(42));
    CHECK(view.generation() == Generation(7));
    CHECK(view.version() == Version(3));
    // Our address and liveness are rewritten; the data stays.
    CHECK(rig.Peer("a")->address == "mem:a");
    CHECK(rig.Peer("a")->live);
    CHECK(rig.Peer("a")->data.size() == 1);
    CHECK(view.OwnEntry() == Entry("a", 7, 0, 3));
  }
}

TEST_CASE("A local value takes the next version only when it changes", "[view]") {
  Options options = SeedExchange();
  options.limits.max_keys_per_peer = 2;
  ViewRig rig("a", options);
  PeerView& view = rig.Load();
  REQUIRE(view.SetOwnValue("k", "v").ok());
  REQUIRE(view.SetOwnValue("k", "v").ok());
  CHECK(view.version() == Version(1));
  CHECK(rig.storage.put_deltas == 1);
  REQUIRE(view.SetOwnValue("j", "w").ok());
  CHECK(view.SetOwnValue("i", "x").code() == StatusCode::kLimitExceeded);
  CHECK(view.version() == Version(2));
  REQUIRE(view.SetOwnValue("k", "changed").ok());  // an existing key may change
  CHECK(view.version() == Version(3));
  CHECK(rig.Peer("a")->max_version_seen == Version(3));
}

TEST_CASE("An unchanged value takes no version", "[engine][limits]") {
  HandNode a("a");
  a.Know(Endpoint("b"));
  a.Start();
  REQUIRE(a->Update("k", "v").ok());
  REQUIRE(a->Update("k", "v").ok());
  CHECK(a->version() == Version(1));
  CHECK(a.Peer("a")->data.at("k").version == Version(1));
  REQUIRE(a->Update("k", "w").ok());
  CHECK(a->version() == Version(2));
  REQUIRE(a->Update("k", "v").ok());  // back to an earlier value is a change
  CHECK(a->version() == Version(3));
  // An empty value is a value: setting it is a change, repeating it is not.
  REQUIRE(a->Update("e", "").ok());
  REQUIRE(a->Update("e", "").ok());
  CHECK(a->version() == Version(4));
  a->Tick(1s);
  CHECK(Single(a.Out(), Endpoint("b")).digest[0].max_version == Version(4));
}

TEST_CASE("A new lineage renumbers our data in the order of its old versions", "[view]") {
  ViewRig rig;
  PeerView& view = rig.Load();
  REQUIRE(view.SetOwnValue("first", "1").ok());
  REQUIRE(view.SetOwnValue("second", "2").ok());
  REQUIRE(view.SetOwnValue("first", "3").ok());  // now after "second"
  view.TakeNewLineage(Generation(500));
  CHECK(view.generation() == Generation(501));
  CHECK(view.version() == Version(2));
  const PeerRecord* own = rig.Peer("a");
  CHECK(own->generation == Generation(501));
  CHECK(own->max_version_seen == Version(2));
  CHECK(own->data.at("second") == VersionedValue{"2", Version(1)});
  CHECK(own->data.at("first") == VersionedValue{"3", Version(2)});
}

TEST_CASE("The live ring holds live peers sorted by id", "[view]") {
  ViewRig rig;
  for (const char* id : {"d", "b", "e", "c"}) rig.Know(id);
  PeerView& view = rig.Load();
  auto ids = [&] {
    std::vector<std::string> out;
    for (const PeerId* id : view.LiveRing()) out.push_back(*id);
    return out;
  };
  CHECK(ids() == std::vector<std::string>{"b", "c", "d", "e"});
  view.SetLive("c", *view.Find("c"), false);
  CHECK(ids() == std::vector<std::string>{"b", "d", "e"});
  CHECK(EventsOf<PeerDeadEvent>(rig.Events()).size() == 1);
  REQUIRE(view.Admit({"a2", "mem:a2", kGen, true}, 1s) != nullptr);
  CHECK(ids() == std::vector<std::string>{"a2", "b", "d", "e"});
  view.SetLive("c", *view.Find("c"), true);
  CHECK(ids() == std::vector<std::string>{"a2", "b", "c", "d", "e"});
}
