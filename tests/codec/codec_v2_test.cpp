// Protocol version 2 (docs/PROTOCOL.md, "Version 2"): tombstones, leaves,
// resets and clean throughs on the wire, the lowest-version rule, exact
// sizes, and what a decoder refuses.
#include <catch2/catch.hpp>

#include "codec/codec_test_util.h"
#include "gossipmonger/msgpack_codec.h"
#include "gossipmonger/wire_size.h"

namespace gossipmonger {
namespace {

// Bytes, Find, At, SampleMessage, WideLimits, the reference encoder.
using namespace codec_test;

std::string Encoded(const Message& m, std::string_view cluster = "c") {
  std::string bytes;
  codec::Encode(cluster, m, bytes);
  return bytes;
}

std::size_t ExpectedSize(std::string_view cluster, const Message& m) {
  return wire_size::Envelope(cluster, m.sender, m.kind) + wire_size::Body(m);
}

// The envelope's protocol version: its fifth byte, a positive fixint.
int VersionByte(const std::string& bytes) { return static_cast<unsigned char>(bytes[4]); }

Status DecodeBytes(std::string_view bytes, codec::Decoded* decoded = nullptr) {
  codec::Decoded scratch;
  Status s;
  REQUIRE_NOTHROW(s = codec::Decode(bytes, WideLimits(), decoded ? decoded : &scratch));
  return s;
}

// Encodes; checks the size, the bytes against msgpack-c's packer and the
// layout; decodes; checks the round trip and the version. Returns the bytes.
std::string RoundTrip(const Message& m, int version, std::string_view cluster = "c") {
  const std::string bytes = Encoded(m, cluster);
  REQUIRE(bytes.size() == ExpectedSize(cluster, m));
  REQUIRE(bytes == ReferenceEncode(cluster, m));
  CheckWithReference(bytes, cluster, m);
  REQUIRE(VersionByte(bytes) == version);
  codec::Decoded decoded;
  REQUIRE(DecodeBytes(bytes, &decoded).ToString() == "OK");
  REQUIRE(decoded.message == m);
  REQUIRE(decoded.cluster == cluster);
  REQUIRE(decoded.canonical);
  REQUIRE(decoded.protocol_version == static_cast<std::uint64_t>(version));
  return bytes;
}

KeyDelta Tombstone(std::string key, std::uint64_t version) {
  return {std::move(key), "", Version(version), EntryKind::kTombstone};
}

KeyDelta Leave(std::uint64_t version) {
  return {"", "", Version(version), EntryKind::kLeave};
}

// A kDeltas message with one group of deltas.
Message DeltasOf(std::vector<KeyDelta> deltas, Version reset_through = Version()) {
  Message m;
  m.kind = MessageKind::kDeltas;
  m.sender = {"a", "h:1"};
  m.deltas = {{"p", Generation(5), "", std::move(deltas)}};
  m.deltas[0].reset_through = reset_through;
  return m;
}

TEST_CASE("v2: every new field round-trips", "[codec][v2]") {
  SECTION("a tombstone is [key, nil, version]") {
    const std::string bytes = RoundTrip(DeltasOf({Tombstone("k", 3)}), 2);
    Find(bytes, Bytes({0x93, 0xa1, 'k', 0xc0, 0x03}));
  }
  SECTION("a leave is [\"\", true, version]") {
    const std::string bytes = RoundTrip(DeltasOf({Leave(4)}), 2);
    Find(bytes, Bytes({0x93, 0xa0, 0xc3, 0x04}));
  }
  SECTION("a tombstone of the leave entry (a return) is [\"\", nil, version]") {
    RoundTrip(DeltasOf({Leave(4), Tombstone("", 5)}), 2);
  }
  SECTION("a reset group ends with reset through") {
    for (MessageKind kind :
         {MessageKind::kDigest, MessageKind::kDigestReply, MessageKind::kDeltas}) {
      Message m = DeltasOf({{"x", "1", Version(4)}, Tombstone("y", 7)}, Version(9));
      m.kind = kind;
      const std::string bytes = RoundTrip(m, 2);
      Find(bytes, Bytes({0x95, 0xa1, 'p', 0x05, 0xa0, 0x92}));
      REQUIRE(bytes.back() == 0x09);
    }
    // An empty reset (the sender holds nothing of the peer) and every size
    // class of reset through.
    for (std::uint64_t v : BoundaryUints()) {
      if (v == 0) continue;
      RoundTrip(DeltasOf({}, Version(v)), 2);
    }
  }
  SECTION("a digest entry carries clean through as a fifth element, above max version") {
    Message m = SampleMessage(MessageKind::kDigest);
    m.deltas.clear();
    m.digest[0].clean_through = Version(m.digest[0].max_version.value() + 1);
    RoundTrip(m, 2);
    for (std::uint64_t v : BoundaryUints()) {
      if (v == 0) continue;
      m.digest[0].max_version = Version(v - 1);
      m.digest[0].clean_through = Version(v);
      RoundTrip(m, 2);
    }
  }
  SECTION("tombstones and leaves are pushed like any delta") {
    Message m = SampleMessage(MessageKind::kPush);
    m.digest.clear();
    m.deltas[0].continues_from = Version(2);
    m.deltas[0].deltas = {Tombstone("color", 3), Leave(4)};
    m.push = {3, "node-d", "node-k"};
    RoundTrip(m, 2);
  }
}

TEST_CASE("v2: what the wire does not carry is not written", "[codec][v2]") {
  // expires_at is local; a value under a tombstone or a leave is not sent;
  // clean through at or below max version and a reset in a push neither.
  Message m = SampleMessage();
  const std::string plain = RoundTrip(m, 1);
  Message local = m;
  local.deltas[0].deltas[0].expires_at = WallTime(1234567);
  local.digest[0].clean_through = local.digest[0].max_version;
  REQUIRE(Encoded(local) == plain);
  local.digest[0].clean_through = Version(1);
  REQUIRE(Encoded(local) == plain);

  Message push = SampleMessage(MessageKind::kPush);
  push.digest.clear();
  const std::string pushed = RoundTrip(push, 1);
  push.deltas[0].reset_through = Version(9);
  REQUIRE(Encoded(push) == pushed);
  REQUIRE(ExpectedSize("c", push) == pushed.size());

  Message tomb = DeltasOf({Tombstone("k", 3)});
  const std::string bytes = Encoded(tomb);
  tomb.deltas[0].deltas[0].value = "ignored";
  REQUIRE(Encoded(tomb) == bytes);
  REQUIRE(ExpectedSize("c", tomb) == bytes.size());
}

TEST_CASE("v2: the encoder writes the lowest version that carries the message",
          "[codec][v2]") {
  // Without a version-2 field: version 1, byte for byte the bytes of the
  // msgpack-c reference of version 1, for every kind.
  for (MessageKind kind : {MessageKind::kDigest, MessageKind::kDigestReply,
                           MessageKind::kDeltas, MessageKind::kPush}) {
    Message m = SampleMessage(kind);
    const std::string v1 = RoundTrip(m, 1);
    // One version-2 field of any sort makes it version 2, at exactly the
    // size wire_size gives, and removing it makes it version 1 again.
    Message one = m;
    one.deltas[0].deltas.push_back(Tombstone("gone", 9));
    const std::string v2 = RoundTrip(one, 2);
    REQUIRE(v2.size() - v1.size() == wire_size::Delta(one.deltas[0].deltas.back()));
    one.deltas[0].deltas.pop_back();
    REQUIRE(Encoded(one) == v1);
    one.digest.push_back({"x", Generation(1), Heartbeat(1), Version(1), Version(2)});
    RoundTrip(one, 2);
    if (kind != MessageKind::kPush) {
      Message reset = m;
      reset.deltas[0].reset_through = Version(4);
      RoundTrip(reset, 2);
    }
  }
}

TEST_CASE("v2: the version byte and the envelope have one size for both versions",
          "[codec][v2][size]") {
  // Both versions are a positive fixint: adding a version-2 delta to a
  // message being filled changes the body by the delta's size and the
  // envelope by nothing, so the engine's running sum stays exact.
  REQUIRE(wire_size::Uint(1) == 1);
  REQUIRE(wire_size::Uint(2) == 1);
  Message m = DeltasOf({{"k", "v", Version(1)}});
  const std::size_t envelope = wire_size::Envelope("prod", m.sender, m.kind);
  std::size_t running = envelope + wire_size::Body(m);
  REQUIRE(Encoded(m, "prod").size() == running);
  for (std::uint64_t v = 2; v < 40; ++v) {
    // Values first, then tombstones and leaves; the deltas' array header
    // grows from fixarray to array 16 on the way.
    const KeyDelta next = v < 10       ? KeyDelta{"k", "value", Version(v)}
                          : v % 2 == 0 ? Tombstone("t" + std::to_string(v), v)
                                       : Leave(v);
    const std::size_t header_before = wire_size::ArrayHeader(m.deltas[0].deltas.size());
    m.deltas[0].deltas.push_back(next);
    running += wire_size::Delta(next) +
               wire_size::ArrayHeader(m.deltas[0].deltas.size()) - header_before;
    const std::string bytes = Encoded(m, "prod");
    INFO("deltas " << m.deltas[0].deltas.size());
    REQUIRE(bytes.size() == running);
    REQUIRE(wire_size::Envelope("prod", m.sender, m.kind) == envelope);
    REQUIRE(VersionByte(bytes) == (v >= 10 ? 2 : 1));
  }
}

TEST_CASE("v2: exact sizes of entries, deltas and group overheads", "[codec][v2][size]") {
  Message empty = DeltasOf({});
  const std::size_t base = Encoded(empty).size();
  for (std::uint64_t v : BoundaryUints()) {
    if (v == 0) continue;
    INFO("v " << v);
    // A reset group's overhead (the deltas' header at its largest).
    Message reset = DeltasOf({}, Version(v));
    const PeerDeltas& g = reset.deltas[0];
    REQUIRE(wire_size::GroupOverhead(g.id, g.generation, g.address, g.reset_through) -
                wire_size::kMaxArrayHeader + wire_size::ArrayHeader(0) ==
            wire_size::Group(g));
    REQUIRE(Encoded(reset).size() - base ==
            wire_size::Group(g) - wire_size::Group(empty.deltas[0]));
    REQUIRE(wire_size::GroupOverhead(g.id, g.generation, g.address) ==
            wire_size::GroupOverhead(g.id, g.generation, g.address, Version()));
    // A tombstone's and a leave's size do not depend on the value they hold.
    for (const KeyDelta& d : {Tombstone("key", v), Leave(v)}) {
      const Message one = DeltasOf({d});
      REQUIRE(Encoded(one).size() - base == wire_size::Delta(d));
      KeyDelta with_value = d;
      with_value.value = std::string(300, 'x');
      REQUIRE(wire_size::Delta(with_value) == wire_size::Delta(d));
    }
    // An entry with clean through.
    Message digest = SampleMessage(MessageKind::kDigest);
    digest.deltas.clear();
    digest.digest.clear();
    const std::size_t no_entry = Encoded(digest).size();
    const DigestEntry e{"e", Generation(v), Heartbeat(v), Version(v - 1), Version(v)};
    digest.digest.push_back(e);
    REQUIRE(Encoded(digest).size() - no_entry == wire_size::Entry(e));
    REQUIRE(wire_size::Entry(e) ==
            wire_size::Entry({"e", Generation(v), Heartbeat(v), Version(v - 1)}) +
                wire_size::Uint(v));
  }
}

TEST_CASE("v2: seeded random messages: size == wire_size, bytes == msgpack-c, round trip",
          "[codec][v2][size]") {
  const codec::DecodeLimits limits = WideLimits();
  RandomMessages random(20260214);
  int version2 = 0;
  for (int i = 0; i < 2000; ++i) {
    const Message m = random.NextV2();
    const std::string cluster = random.Cluster();
    INFO("message " << i);
    const std::string bytes = Encoded(m, cluster);
    REQUIRE(bytes.size() == ExpectedSize(cluster, m));
    REQUIRE(bytes == ReferenceEncode(cluster, m));
    if (i % 10 == 0) CheckWithReference(bytes, cluster, m);
    codec::Decoded decoded;
    REQUIRE(codec::Decode(bytes, limits, &decoded).ToString() == "OK");
    REQUIRE(decoded.message == m);
    REQUIRE(decoded.canonical);
    REQUIRE(decoded.protocol_version == static_cast<std::uint64_t>(VersionByte(bytes)));
    version2 += VersionByte(bytes) == 2;
  }
  REQUIRE(version2 > 1000);
  REQUIRE(version2 < 2000);
}

TEST_CASE("v2: a version-2 envelope around a version-1 message decodes, not canonical",
          "[codec][v2]") {
  const Message m = SampleMessage();
  std::string bytes = Encoded(m);
  REQUIRE(VersionByte(bytes) == 1);
  bytes[4] = 2;
  codec::Decoded decoded;
  REQUIRE(DecodeBytes(bytes, &decoded).ok());
  REQUIRE(decoded.message == m);
  REQUIRE(decoded.protocol_version == 2);
  REQUIRE_FALSE(decoded.canonical);
  // Re-encoding gives version 1, at the same size.
  REQUIRE(Encoded(decoded.message) == Encoded(m));
}

TEST_CASE("v2: version-2 fields in a version-1 envelope are refused",
          "[codec][v2][errors]") {
  struct Case {
    Message message;
    std::string at;  // where the value at fault starts
    std::string text;
  };
  Message entry = SampleMessage(MessageKind::kDigest);
  entry.deltas.clear();
  entry.digest = {{"e", Generation(1), Heartbeat(1), Version(2), Version(9)}};
  const std::vector<Case> cases = {
      {DeltasOf({Tombstone("k", 3)}), Bytes({0xc0, 0x03}),
       "deltas group 0, delta 0: value: expected bin, got nil: a tombstone needs "
       "protocol "
       "version 2"},
      // (A value after the leave, so that version 1's 5 bytes a delta
      // leave room for two deltas.)
      {DeltasOf({Leave(4), {"k", "v", Version(5)}}), Bytes({0xc3, 0x04}),
       "deltas group 0, delta 0: value: expected bin, got true: a leave needs protocol "
       "version 2"},
      {entry, Bytes({0x95, 0xa1, 'e'}),
       "digest entry 0: entry: an array of 5 elements instead of 4: a clean through "
       "needs "
       "protocol version 2"},
      {DeltasOf({}, Version(9)), Bytes({0x95, 0xa1, 'p'}),
       "deltas group 0: group: an array of 5 elements instead of 4: a reset needs "
       "protocol "
       "version 2"},
  };
  for (const Case& c : cases) {
    std::string bytes = Encoded(c.message);
    REQUIRE(VersionByte(bytes) == 2);
    REQUIRE(DecodeBytes(bytes).ok());
    bytes[4] = 1;
    const Status s = DecodeBytes(bytes);
    REQUIRE(s.code() == StatusCode::kProtocolError);
    REQUIRE(s.message() == c.text + At(Find(bytes, c.at)));
  }
}

TEST_CASE("v2: malformed version-2 input gives the documented errors",
          "[codec][v2][errors]") {
  SECTION("a leave under a non-empty key") {
    // Encode does not validate: it writes the leave marker after the key.
    const std::string bytes =
        Encoded(DeltasOf({{"k", "", Version(4), EntryKind::kLeave}}));
    const Status s = DecodeBytes(bytes);
    REQUIRE(s.code() == StatusCode::kProtocolError);
    REQUIRE(s.message() ==
            "deltas group 0, delta 0: value: a leave (true) under a key of 1 bytes: a "
            "leave's key is empty" +
                At(Find(bytes, Bytes({0xc3}))));
  }
  SECTION("a reset in a push") {
    // [7] "gm" 2 kPush "c" "a" "h:1", body [flags, [], [group], hops, after, until],
    // the group with a sixth element.
    const std::string group = Bytes(
        {0x96, 0xa1, 'p', 0x05, 0xa0, 0x00, 0x91, 0x93, 0xa1, 'k', 0xc0, 0x01, 0x09});
    const std::string bytes = Bytes({0x97, 0xa2, 'g', 'm', 0x02, 0x04, 0xa1, 'c', 0xa1,
                                     'a', 0xa3, 'h', ':', '1', 0x96, 0x00, 0x90, 0x91}) +
                              group + Bytes({0x00, 0xa0, 0xa0});
    const Status s = DecodeBytes(bytes);
    REQUIRE(s.code() == StatusCode::kProtocolError);
    REQUIRE(
        s.message() ==
        "deltas group 0: group: an array of 6 elements instead of 5: a push carries no "
        "reset" +
            At(Find(bytes, group)));
    std::string five = bytes;
    five[Find(bytes, group)] = static_cast<char>(0x95);
    five.erase(Find(five, Bytes({0x09})), 1);
    REQUIRE(DecodeBytes(five).ok());
  }
  SECTION("clean through not above max version, reset through 0") {
    Message m = DeltasOf({Tombstone("k", 3)}, Version(9));
    m.digest = {{"e", Generation(1), Heartbeat(1), Version(2), Version(8)}};
    const std::string bytes = Encoded(m);
    REQUIRE(DecodeBytes(bytes).ok());
    std::string b = bytes;
    const std::size_t clean =
        Find(b, Bytes({0x95, 0xa1, 'e', 0x01, 0x01, 0x02, 0x08})) + 6;
    b[clean] = 0x02;
    Status s = DecodeBytes(b);
    REQUIRE(s.code() == StatusCode::kProtocolError);
    REQUIRE(
        s.message() ==
        "digest entry 0: clean through: 2 is not above max version 2 (it is sent only "
        "above it)" +
            At(clean));
    b = bytes;
    REQUIRE(b.back() == 0x09);
    b.back() = 0x00;
    s = DecodeBytes(b);
    REQUIRE(s.code() == StatusCode::kProtocolError);
    REQUIRE(s.message() ==
            "deltas group 0: reset through: 0 (it is sent only when nonzero)" +
                At(b.size() - 1));
  }
  SECTION("false, or a str, where a value belongs") {
    std::string bytes = Encoded(DeltasOf({Tombstone("k", 3)}));
    const std::size_t at = Find(bytes, Bytes({0xc0}));
    bytes[at] = static_cast<char>(0xc2);
    Status s = DecodeBytes(bytes);
    REQUIRE(s.message() ==
            "deltas group 0, delta 0: value: expected bin, nil or true, got bool" +
                At(at));
    bytes.replace(at, 1, Bytes({0xa1, 'v'}));
    s = DecodeBytes(bytes);
    REQUIRE(s.message() ==
            "deltas group 0, delta 0: value: expected bin, nil or true, got str" +
                At(at));
  }
  SECTION("nil or true anywhere but a value") {
    Message m = DeltasOf({Tombstone("k", 3), Leave(4)}, Version(9));
    m.digest = {{"e", Generation(1), Heartbeat(1), Version(2), Version(8)}};
    std::vector<FieldType> types;
    ReferenceEncode("c", m, -1, {}, &types);
    int checked = 0;
    for (std::size_t slot = 0; slot < types.size(); ++slot) {
      if (types[slot] == FieldType::kBin || types[slot] == FieldType::kNil ||
          types[slot] == FieldType::kTrue) {
        continue;
      }
      for (const std::string& marker : {Bytes({0xc0}), Bytes({0xc3})}) {
        const std::string b = ReferenceEncode("c", m, static_cast<int>(slot), marker);
        const Status s = DecodeBytes(b);
        INFO("slot " << slot << ": " << s.ToString());
        REQUIRE(s.code() == StatusCode::kProtocolError);
        REQUIRE(s.message().find("expected") != std::string::npos);
        ++checked;
      }
    }
    REQUIRE(checked > 40);
  }
  SECTION("a version above 2 is not supported") {
    std::string bytes = Encoded(DeltasOf({Tombstone("k", 3)}));
    bytes[4] = 3;
    const Status s = DecodeBytes(bytes);
    REQUIRE(s.code() == StatusCode::kNotSupported);
    REQUIRE(s.message() ==
            "envelope: protocol version: version 3 is not supported (this node speaks 1 "
            "and 2)" +
                At(4));
  }
}

TEST_CASE("v2: truncation at every byte offset is a protocol error", "[codec][v2]") {
  Message m = DeltasOf({{"x", "1", Version(4)}, Tombstone("y", 300), Leave(70000)},
                       Version(1ULL << 40));
  m.digest = {{"e", Generation(1), Heartbeat(1), Version(2), Version(65536)}};
  const std::string bytes = Encoded(m);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    INFO("prefix of " << n << " bytes");
    REQUIRE(DecodeBytes(std::string_view(bytes).substr(0, n)).code() ==
            StatusCode::kProtocolError);
  }
  REQUIRE(DecodeBytes(bytes).ok());
}

TEST_CASE("v2: a delta takes 4 bytes at least, and a count is bounded by that",
          "[codec][v2]") {
  // 200 leaves and tombstones of 4 bytes ([fixarray, "", true or nil,
  // fixint]) pass (the decoder leaves the versions' order to validation);
  // one more declared than the bytes can hold is refused before anything
  // is reserved.
  std::vector<KeyDelta> leaves;
  for (std::uint64_t v = 1; v <= 100; ++v) {
    leaves.push_back(Leave(v));
    leaves.push_back(Tombstone("", v));
  }
  const std::string bytes = Encoded(DeltasOf(leaves));
  REQUIRE(DecodeBytes(bytes).ok());
  const std::size_t header = Find(bytes, Bytes({0xdc, 0x00, 200}));
  const std::size_t remaining = bytes.size() - header - 3;
  REQUIRE(remaining == 200 * 4);
  std::string more = bytes;
  more[header + 2] = static_cast<char>(201);
  const Status s = DecodeBytes(more);
  REQUIRE(s.code() == StatusCode::kProtocolError);
  REQUIRE(s.message().find("declares 201 elements but at most") != std::string::npos);
  // The same deltas count in a version-1 envelope is bounded by 5 bytes each.
  std::string v1 = Encoded(DeltasOf({}));
  v1.pop_back();  // the empty deltas array
  v1 += Bytes({0xdc, 0x00, 161}) + std::string(800, '\x00');
  REQUIRE(DecodeBytes(v1).message().find("declares 161 elements but at most 800 bytes") !=
          std::string::npos);
}

TEST_CASE("the version 2 worked example of docs/PROTOCOL.md", "[codec][doc][v2]") {
  Message m;
  m.kind = MessageKind::kDigestReply;
  m.sender = {"b", "10.0.0.2:7946"};
  m.digest = {{"d", Generation(3), Heartbeat(12), Version(5), Version(8)}};
  m.deltas = {
      {"c", Generation(7), "", {{"x", "1", Version(4)}, Tombstone("y", 7), Leave(9)}}};
  m.deltas[0].reset_through = Version(9);
  const std::string bytes = RoundTrip(m, 2, "prod");
  REQUIRE(wire_size::Envelope("prod", m.sender, m.kind) == 27);
  REQUIRE(wire_size::Body(m) == 34);
  const std::string expected =
      Bytes({0x97, 0xa2, 0x67, 0x6d, 0x02, 0x02, 0xa4, 0x70, 0x72, 0x6f, 0x64, 0xa1, 0x62,
             0xad, 0x31, 0x30, 0x2e, 0x30, 0x2e, 0x30, 0x2e, 0x32, 0x3a, 0x37, 0x39, 0x34,
             0x36, 0x93, 0x00, 0x91, 0x95, 0xa1, 0x64, 0x03, 0x0c, 0x05, 0x08, 0x91, 0x95,
             0xa1, 0x63, 0x07, 0xa0, 0x93, 0x93, 0xa1, 0x78, 0xc4, 0x01, 0x31, 0x04, 0x93,
             0xa1, 0x79, 0xc0, 0x07, 0x93, 0xa0, 0xc3, 0x09, 0x09});
  REQUIRE(bytes == expected);
}

}  // namespace
}  // namespace gossipmonger
