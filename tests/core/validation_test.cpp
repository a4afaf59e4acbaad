// Bad input and limits: a malformed or oversized message is dropped, counted
// in stats().messages_dropped and reported as an ErrorEvent, never thrown and
// never half-applied; a local Update that breaks a limit is refused and
// changes nothing; invalid options make the constructor throw.
#include "validation.h"

#include <catch2/catch.hpp>
#include <limits>
#include <optional>

#include "core/engine_test_support.h"

using namespace gmtest;

namespace {

Options SmallLimits() {
  Options options;
  options.limits.max_peer_id_bytes = 16;
  options.limits.max_address_bytes = 32;
  options.limits.max_key_bytes = 8;
  options.limits.max_value_bytes = 64;
  options.limits.max_keys_per_peer = 4;
  options.limits.max_peers = 6;
  return options;
}

// A well-formed SYN-ACK from B that, among other things, delivers a key of
// peer C; each bad variant below breaks one rule of it.
Message GoodReply() {
  return MakeMessage(MessageKind::kDigestReply, Endpoint("b"), {Entry("b", 100, 3, 0)},
                     {PeerDeltas{"c", Generation(5), "mem:c", {Delta("k", "v", 1)}}});
}

}  // namespace

TEST_CASE("Invalid messages are dropped, counted and reported", "[engine][limits]") {
  const Options options = SmallLimits();
  HandNode a("a", options);
  a.Know(Endpoint("b"));
  a.Start();

  struct Bad {
    const char* what;
    std::function<void(Message&)> spoil;
    StatusCode code;
  };
  const std::vector<Bad> cases{
      {"empty sender id", [](Message& m) { m.sender.id.clear(); },
       StatusCode::kProtocolError},
      {"sender id over the limit", [](Message& m) { m.sender.id = std::string(17, 'b'); },
       StatusCode::kProtocolError},
      {"empty sender address", [](Message& m) { m.sender.address.clear(); },
       StatusCode::kProtocolError},
      {"sender address over the limit",
       [](Message& m) { m.sender.address = std::string(33, 'x'); },
       StatusCode::kProtocolError},
      {"unknown kind", [](Message& m) { m.kind = static_cast<MessageKind>(9); },
       StatusCode::kProtocolError},
      {"kind 0", [](Message& m) { m.kind = static_cast<MessageKind>(0); },
       StatusCode::kProtocolError},
      {"empty peer id in the digest",
       [](Message& m) { m.digest.push_back(Entry("", 1, 1, 1)); },
       StatusCode::kProtocolError},
      {"empty peer id in the deltas", [](Message& m) { m.deltas[0].id.clear(); },
       StatusCode::kProtocolError},
      {"deltas without a generation",
       [](Message& m) { m.deltas[0].generation = Generation(); },
       StatusCode::kProtocolError},
      {"descending versions",
       [](Message& m) {
         m.deltas[0].deltas = {Delta("k", "v", 3), Delta("j", "w", 2)};
       },
       StatusCode::kProtocolError},
      {"a repeated version",
       [](Message& m) {
         m.deltas[0].deltas = {Delta("k", "v", 2), Delta("j", "w", 2)};
       },
       StatusCode::kProtocolError},
      {"version 0", [](Message& m) { m.deltas[0].deltas[0].version = Version(); },
       StatusCode::kProtocolError},
      {"empty key", [](Message& m) { m.deltas[0].deltas[0].key.clear(); },
       StatusCode::kProtocolError},
      {"key over max_key_bytes",
       [](Message& m) { m.deltas[0].deltas[0].key = std::string(9, 'k'); },
       StatusCode::kLimitExceeded},
      {"value over max_value_bytes",
       [](Message& m) { m.deltas[0].deltas[0].value = std::string(65, 'v'); },
       StatusCode::kLimitExceeded},
      {"address over max_address_bytes in the deltas",
       [](Message& m) { m.deltas[0].address = std::string(33, 'x'); },
       StatusCode::kLimitExceeded},
      // Protocol version 2 (docs/PROTOCOL.md, "Version 2").
      {"a tombstone with a value",
       [](Message& m) { m.deltas[0].deltas[0].kind = EntryKind::kTombstone; },
       StatusCode::kProtocolError},
      {"a leave under a key",
       [](Message& m) {
         m.deltas[0].deltas[0] = {"k", "", Version(1), EntryKind::kLeave};
       },
       StatusCode::kProtocolError},
      {"a leave with a value",
       [](Message& m) {
         m.deltas[0].deltas[0] = {"", "v", Version(1), EntryKind::kLeave};
       },
       StatusCode::kProtocolError},
      {"an unknown entry kind",
       [](Message& m) { m.deltas[0].deltas[0].kind = static_cast<EntryKind>(7); },
       StatusCode::kProtocolError},
      {"a reset in a push",
       [](Message& m) {
         m.kind = MessageKind::kPush;
         m.deltas[0].reset_through = Version(5);
       },
       StatusCode::kProtocolError},
      {"a reset below its group's last version",
       [](Message& m) {
         m.deltas[0].deltas.push_back(Delta("j", "w", 2));
         m.deltas[0].reset_through = Version(1);
       },
       StatusCode::kProtocolError},
      {"clean_through at max_version",
       [](Message& m) {
         m.digest[0].max_version = Version(4);
         m.digest[0].clean_through = Version(4);
       },
       StatusCode::kProtocolError},
      {"more digest entries than max_peers",
       [](Message& m) {
         for (int i = 0; i < 7; ++i)
           m.digest.push_back(Entry("p" + std::to_string(i), 1, 1, 0));
       },
       StatusCode::kLimitExceeded},
      {"more delta groups than max_peers",
       [](Message& m) {
         for (int i = 0; i < 7; ++i) {
           m.deltas.push_back(
               PeerDeltas{"p" + std::to_string(i), Generation(1), "mem:p", {}});
         }
       },
       StatusCode::kLimitExceeded},
  };

  std::uint64_t dropped = 0;
  for (const Bad& bad : cases) {
    INFO(bad.what);
    Message m = GoodReply();
    bad.spoil(m);
    REQUIRE_NOTHROW(a->Receive(m, 1s));
    ++dropped;
    CHECK(a->stats().messages_dropped == dropped);
    CHECK(a.Out().empty());
    const auto events = a.Events();
    REQUIRE(events.size() == 1);
    const auto errors = EventsOf<ErrorEvent>(events);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].status.code() == bad.code);
    // Nothing of it was applied: no peer learned, no heartbeat taken.
    CHECK(a.Peer("c") == nullptr);
    CHECK(a->KnownHeartbeat("b") == Heartbeat(0));
    CHECK(a.storage.PeerCount() == 2);
  }
  CHECK(a->stats().messages_received == cases.size());

  // The good message itself goes through.
  a->Receive(GoodReply(), 2s);
  CHECK(a->stats().messages_dropped == dropped);
  REQUIRE(a.Peer("c") != nullptr);
  CHECK(a.Peer("c")->data.at("k").value == "v");
  CHECK(a->KnownHeartbeat("b") == Heartbeat(3));
}

TEST_CASE("Limits at their exact size are accepted", "[engine][limits]") {
  const Options options = SmallLimits();
  HandNode a("a", options);
  a.Know(Endpoint("b"));
  a.Start();
  Message m = GoodReply();
  m.sender = {std::string(16, 'b'), std::string(32, 'x')};
  m.deltas[0].deltas = {Delta(std::string(8, 'k'), std::string(64, 'v'), 1)};
  m.deltas[0].address = std::string(32, 'y');
  a->Receive(m, 1s);
  CHECK(a->stats().messages_dropped == 0);
  REQUIRE(a.Peer("c") != nullptr);
  CHECK(a.Peer("c")->data.at(std::string(8, 'k')).value.size() == 64);
}

TEST_CASE("A message echoing the node's own id is dropped", "[engine][limits]") {
  HandNode a("a");
  a.Know(Endpoint("b"));
  a.Start();
  a->Receive(MakeMessage(MessageKind::kDigest, a.self, {Entry("a", 100, 50, 9)}), 1s);
  CHECK(a->stats().messages_dropped == 1);
  CHECK(a.Out().empty());
  CHECK(a->generation() == kGen);  // not read as a foreign lineage of our id
  CHECK(a->stats().lineage_restarts == 0);
}

TEST_CASE("Membership and keys per peer are bounded", "[engine][limits]") {
  const Options options = SmallLimits();  // max_peers 6, max_keys_per_peer 4
  HandNode a("a", options);
  a.Start();

  SECTION("new peers beyond max_peers are refused and reported") {
    for (int i = 0; i < 10; ++i) {
      const std::string id = "p" + std::to_string(i);
      a->Receive(MakeMessage(MessageKind::kDigest, Endpoint(id), {Entry(id, 1, 1, 0)}),
                 1s);
      a.Out();
    }
    CHECK(a.storage.PeerCount() <= options.limits.max_peers);
    const auto events = a.Events();
    CHECK(EventsOf<NewPeerEvent>(events).size() == a.storage.PeerCount() - 1);
    bool limit_reported = false;
    for (const auto& e : EventsOf<ErrorEvent>(events)) {
      limit_reported |= e.status.code() == StatusCode::kLimitExceeded;
    }
    CHECK(limit_reported);
    CHECK(a->FullDigest().size() == a.storage.PeerCount());
  }
  SECTION("a remote peer's keys beyond max_keys_per_peer are refused") {
    a->Receive(MakeMessage(MessageKind::kDeltas, Endpoint("b"), {},
                           {PeerDeltas{"b",
                                       Generation(1),
                                       "mem:b",
                                       {Delta("k1", "", 1), Delta("k2", "", 2),
                                        Delta("k3", "", 3), Delta("k4", "", 4)}}}),
               1s);
    REQUIRE(a.Peer("b") != nullptr);
    CHECK(a.Peer("b")->data.size() == 4);
    a.Events();
    a->Receive(MakeMessage(MessageKind::kDeltas, Endpoint("b"), {},
                           {PeerDeltas{"b", Generation(1), "", {Delta("k5", "", 5)}}}),
               2s);
    CHECK(a.Peer("b")->data.size() == 4);
    CHECK(a.Peer("b")->max_version_seen == Version(4));
    const auto errors = EventsOf<ErrorEvent>(a.Events());
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].status.code() == StatusCode::kLimitExceeded);
    // Overwriting a held key is no new key: accepted.
    a->Receive(MakeMessage(MessageKind::kDeltas, Endpoint("b"), {},
                           {PeerDeltas{"b", Generation(1), "", {Delta("k1", "new", 5)}}}),
               3s);
    CHECK(a.Peer("b")->data.at("k1").value == "new");
  }
  SECTION("a local key beyond max_keys_per_peer is refused") {
    for (int i = 0; i < 4; ++i) REQUIRE(a->Update("k" + std::to_string(i), "v").ok());
    const Status refused = a->Update("k4", "v");
    CHECK(refused.code() == StatusCode::kLimitExceeded);
    CHECK(a->version() == Version(4));
    CHECK(a.Peer("a")->data.size() == 4);
    CHECK(a->Update("k0", "changed").ok());  // an existing key may change
    CHECK(a->version() == Version(5));
  }
}

TEST_CASE("Update validates its key and value", "[engine][limits]") {
  const Options options = SmallLimits();
  HandNode a("a", options);
  a.Start();
  REQUIRE(a->Update("k", "v").ok());
  const Version before = a->version();

  auto refused = [&](const std::string& key, const std::string& value, StatusCode code) {
    INFO("key of " << key.size() << " bytes, value of " << value.size() << " bytes");
    const Status status = a->Update(key, value);
    CHECK(status.code() == code);
    // The static check agrees with the engine.
    CHECK(Engine::ValidateUpdate(a.self, key, value, options, a.budget).code() == code);
    CHECK(a->version() == before);
    CHECK(a.Peer("a")->data.size() == 1);
    CHECK(a.Peer("a")->max_version_seen == before);
  };
  refused("", "v", StatusCode::kInvalidArgument);
  refused(std::string(9, 'k'), "v", StatusCode::kLimitExceeded);
  refused("k2", std::string(65, 'v'), StatusCode::kLimitExceeded);
  CHECK(a.Events().empty());  // a refused call returns its error; no event

  // At the limits exactly: accepted. Binary and empty values are values.
  CHECK(a->Update(std::string(8, 'k'), std::string(64, '\xff')).ok());
  CHECK(a->Update("nul", std::string("a\0b", 3)).ok());
  CHECK(a->Update("empty", "").ok());
  CHECK(a->version() == Version(before.value() + 3));
  CHECK(a.Peer("a")->data.at("nul").value == std::string("a\0b", 3));
}

TEST_CASE("A value that could never fit a message of the transport is refused",
          "[engine][limits]") {
  constexpr std::size_t kBudget = 256;
  HandNode a("a", {}, kBudget);
  HandNode b("b", {}, kBudget);
  StartPair(a, b);
  // Below max_value_bytes (1 MiB), above what a 256-byte message can carry.
  const Status status = a->Update("k", std::string(300, 'v'));
  CHECK(status.code() == StatusCode::kLimitExceeded);
  CHECK(a->version() == Version(0));

  // The largest accepted value does travel, in a message within the budget.
  std::size_t largest = kBudget;
  while (!a->Update("k", std::string(largest, 'v')).ok()) --largest;
  CHECK(largest > 150);
  CHECK(a->version() == Version(1));
  a->Tick(1s);
  const Message syn = Single(a.Out(), b.self);
  b->Receive(syn, 1s);
  const Message reply = Single(b.Out(), a.self);
  a->Receive(reply, 1s);
  const Message ack = Single(a.Out(), b.self);
  CHECK(wire_size::Body(ack) <= kBudget);
  b->Receive(ack, 1s);
  REQUIRE(b.Peer("a") != nullptr);
  CHECK(b.Peer("a")->data.at("k").value.size() == largest);
}

TEST_CASE("Engine::Create refuses invalid options, without throwing",
          "[engine][limits]") {
  MemoryStorage storage;
  // A refusal leaves *out null, even when it held an engine before.
  MemoryStorage other_storage;
  auto make = [&](const Options& options, std::size_t budget = 64 * 1024,
                  PeerEndpoint self = Endpoint("a")) {
    std::unique_ptr<Engine> engine = CreateEngine(Endpoint("z"), {}, other_storage, {});
    const Status created = Engine::Create(
        self, options, storage,
        {.fresh_generation = kGen, .rng_seed = 1, .max_body_bytes = budget}, &engine);
    CHECK((engine != nullptr) == created.ok());
    return created;
  };
  auto check_invalid = [&](const char* what, const Options& options,
                           std::size_t budget = 64 * 1024) {
    INFO(what);
    const Status refused = make(options, budget);
    CHECK(refused.code() == StatusCode::kInvalidArgument);
    CHECK(Engine::ValidateOptions(options, budget).code() ==
          StatusCode::kInvalidArgument);
    CHECK(refused.message() == Engine::ValidateOptions(options, budget).message());
  };
  Options o;
  o.dead_peer_phi = 0;
  check_invalid("dead_peer_phi 0", o);
  o.dead_peer_phi = -1;
  check_invalid("dead_peer_phi negative", o);
  o.dead_peer_phi = std::numeric_limits<double>::quiet_NaN();
  check_invalid("dead_peer_phi NaN", o);
  o = {};
  o.gossip_interval = 0ms;
  check_invalid("gossip_interval 0", o);
  o.gossip_interval = -5ms;
  check_invalid("gossip_interval negative", o);
  o = {};
  o.max_intervals = 0;
  check_invalid("max_intervals 0", o);
  o = {};
  o.local_pause_intervals = 0.5;
  check_invalid("local_pause_intervals below 1", o);
  check_invalid("a transport budget below 256 bytes", Options{}, 255);

  const std::string bad_id =
      "invalid local peer id: empty or longer than max_peer_id_bytes (128)";
  const std::string bad_address =
      "invalid local address: empty or longer than max_address_bytes (256)";
  auto refused_endpoint = [&](const PeerEndpoint& self) {
    const Status refused = make(Options{}, 64 * 1024, self);
    CHECK(refused.code() == StatusCode::kInvalidArgument);
    return refused.message();
  };
  CHECK(refused_endpoint({"", "mem:x"}) == bad_id);
  CHECK(refused_endpoint({std::string(129, 'a'), "mem:x"}) == bad_id);
  // Peers would drop every message of a sender without an address or with
  // a long one.
  CHECK(refused_endpoint({"a", ""}) == bad_address);
  CHECK(refused_endpoint({"a", std::string(257, 'x')}) == bad_address);
  // Nothing was written by a refused construction.
  CHECK(storage.PeerCount() == 0);
  CHECK(Engine::Create(Endpoint("a"), storage, {}, nullptr).code() ==
        StatusCode::kInvalidArgument);
  CHECK(storage.PeerCount() == 0);

  // The boundaries themselves are valid.
  o = {};
  o.local_pause_intervals = 1;
  o.max_intervals = 1;
  CHECK(Engine::ValidateOptions(o, 256).ok());
  CHECK(make(o, 256).ok());
  CHECK(make(Options{}, 64 * 1024, {std::string(128, 'a'), std::string(256, 'x')}).ok());
  CHECK(Engine::ValidateOptions(Options{}, 64 * 1024).ok());
}

// --- the rules on their own ------------------------------------------------------

TEST_CASE("Options beyond fanout, hops and rate bounds are invalid", "[validation]") {
  auto invalid = [](const char* what, const Options& options) {
    INFO(what);
    CHECK(validation::ValidateOptions(options, 64 * 1024).code() ==
          StatusCode::kInvalidArgument);
  };
  Options o;
  o.gossip_fanout = 0;
  invalid("gossip_fanout 0", o);
  o = {};
  o.push_max_hops = 0;
  invalid("push_max_hops 0", o);
  o.push_max_hops = 256;
  invalid("push_max_hops 256", o);
  o = {};
  o.push_rate_limit = 0;
  invalid("push_rate_limit 0", o);
  o = {};
  o.push_fanout = 0;  // pushes off: valid
  o.push_max_hops = 255;
  CHECK(validation::ValidateOptions(o, validation::kMinBodyBytes).ok());
  CHECK(validation::ValidateOptions(o, validation::kMinBodyBytes - 1).code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("The local id and address must be non-empty and within their limits",
          "[validation]") {
  Limits limits;
  limits.max_peer_id_bytes = 4;
  limits.max_address_bytes = 5;
  CHECK(validation::ValidateLocalEndpoint({"a", "mem:y"}, limits).ok());
  CHECK(validation::ValidateLocalEndpoint({"a", "mem:yz"}, limits).code() ==
        StatusCode::kInvalidArgument);
  CHECK(validation::ValidateLocalEndpoint({"a", ""}, limits).code() ==
        StatusCode::kInvalidArgument);
  CHECK(validation::ValidateLocalEndpoint({"abcd", "mem:x"}, limits).ok());
  CHECK(validation::ValidateLocalEndpoint({"abcde", "mem:x"}, limits).code() ==
        StatusCode::kInvalidArgument);
  CHECK(validation::ValidateLocalEndpoint({"", "mem:x"}, limits).code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("A new peer is admitted until max_peers, the local node included",
          "[validation]") {
  Limits limits;
  limits.max_peers = 3;
  CHECK(validation::AdmitPeer("p", 2, limits).ok());
  const Status refused = validation::AdmitPeer("p", 3, limits);
  CHECK(refused.code() == StatusCode::kLimitExceeded);
  CHECK(refused.message().find("'p'") != std::string::npos);
}

TEST_CASE("An update is refused exactly when its worst-case delta exceeds the budget",
          "[validation]") {
  const PeerEndpoint self = Endpoint("a");
  const Options options;
  constexpr std::size_t kBudget = 512;
  // Accepted up to a largest value, refused from there on.
  std::optional<std::size_t> largest;
  for (std::size_t size = 0; size <= kBudget; ++size) {
    const Status status =
        validation::ValidateUpdate(self, "k", std::string(size, 'v'), options, kBudget);
    if (status.ok()) {
      CHECK_FALSE(largest.has_value());
    } else {
      CHECK(status.code() == StatusCode::kLimitExceeded);
      if (!largest) largest = size - 1;
    }
  }
  REQUIRE(largest.has_value());
  // The worst case: our address, the largest generation and version, the
  // deltas' array header at its largest. The largest value fits it exactly.
  auto worst = [&](std::size_t value_size) {
    return wire_size::BodyOverhead() +
           wire_size::GroupOverhead(self.id, Generation(~0ULL), self.address) +
           wire_size::Delta({"k", std::string(value_size, 'v'), Version(~0ULL)});
  };
  CHECK(worst(*largest) <= kBudget);
  CHECK(worst(*largest + 1) > kBudget);
}

TEST_CASE("A push route naming an id over the limit is refused", "[validation]") {
  Limits limits;
  limits.max_peer_id_bytes = 4;
  Message push = MakeMessage(MessageKind::kPush, Endpoint("b"), {});
  push.push = {2, "abcd", "abcd"};
  CHECK(validation::ValidateMessage(push, limits).ok());
  push.push.range_until = "abcde";
  CHECK(validation::ValidateMessage(push, limits).code() == StatusCode::kProtocolError);
}

TEST_CASE("Protocol version 2's fields are checked, with their texts", "[validation]") {
  const Limits limits;
  Message m = MakeMessage(MessageKind::kDeltas, Endpoint("b"), {});
  m.deltas = {PeerDeltas{"c", Generation(5), "", {}}};
  auto text = [&](const Message& message) {
    const Status s = validation::ValidateMessage(message, limits);
    return s.ok() ? std::string("OK") : s.message();
  };
  // What a node sends: a value, a tombstone (of the leave entry too: the
  // peer is back), a leave, a reset at or above its last version, a
  // clean_through above max_version.
  m.deltas[0].deltas = {Delta("k", "v", 1),
                        {"k", "", Version(2), EntryKind::kTombstone},
                        {"", "", Version(3), EntryKind::kLeave},
                        {"", "", Version(4), EntryKind::kTombstone}};
  CHECK(text(m) == "OK");
  m.deltas[0].reset_through = Version(4);
  CHECK(text(m) == "OK");
  m.deltas[0].reset_through = Version(900);
  CHECK(text(m) == "OK");
  m.digest = {Entry("c", 5, 1, 2)};
  m.digest[0].clean_through = Version(3);
  CHECK(text(m) == "OK");
  Message empty_reset = m;
  empty_reset.deltas[0].deltas.clear();
  CHECK(text(empty_reset) == "OK");

  const std::string from = "dropped message from 'b': ";
  Message bad = m;
  bad.deltas[0].deltas[0].key.clear();
  CHECK(text(bad) == from + "empty key");
  bad = m;
  bad.deltas[0].deltas[1].value = "x";
  CHECK(text(bad) == from + "a tombstone with a value");
  bad = m;
  bad.deltas[0].deltas[2].key = "k";
  CHECK(text(bad) == from + "a leave under a key");
  bad = m;
  bad.deltas[0].deltas[2].value = "x";
  CHECK(text(bad) == from + "a leave with a value");
  bad = m;
  bad.deltas[0].reset_through = Version(3);
  CHECK(text(bad) == from + "reset_through below the group's last version");
  bad = m;
  bad.kind = MessageKind::kPush;
  CHECK(text(bad) == from + "a reset in a push");
  bad.deltas[0].reset_through = Version();
  CHECK(text(bad) == "OK");
  bad = m;
  bad.digest[0].clean_through = Version(2);
  CHECK(text(bad) == from + "clean_through not above max_version in digest");
  bad.digest[0].clean_through = Version(1);
  CHECK(text(bad) == from + "clean_through not above max_version in digest");
}
