// Encode/Decode round trips, exact sizes against wire_size.h, and byte
// equality with msgpack-c's packer.
#include <catch2/catch.hpp>

#include "codec/codec_test_util.h"
#include "gossipmonger/msgpack_codec.h"
#include "gossipmonger/wire_size.h"

namespace gossipmonger {
namespace {

using codec_test::Bytes;
using codec_test::SampleMessage;
using codec_test::WideLimits;

std::size_t ExpectedSize(std::string_view cluster, const Message& m) {
  return wire_size::Envelope(cluster, m.sender, m.kind) + wire_size::Body(m);
}

// Encodes, checks the size and the bytes against the reference, decodes and
// checks the round trip; returns the encoding.
std::string RoundTrip(std::string_view cluster, const Message& m,
                      const codec::DecodeLimits& limits = codec::DecodeLimits()) {
  std::string bytes;
  codec::Encode(cluster, m, bytes);
  REQUIRE(bytes.size() == ExpectedSize(cluster, m));
  REQUIRE(bytes == codec_test::ReferenceEncode(cluster, m));
  codec::Decoded decoded;
  const Status s = codec::Decode(bytes, limits, &decoded);
  REQUIRE(s.ToString() == "OK");
  REQUIRE(decoded.cluster == cluster);
  REQUIRE(decoded.message == m);
  REQUIRE(decoded.canonical);
  return bytes;
}

TEST_CASE("every message kind round-trips", "[codec]") {
  for (MessageKind kind :
       {MessageKind::kDigest, MessageKind::kDigestReply, MessageKind::kDeltas}) {
    Message m = SampleMessage(kind);
    RoundTrip("prod", m);
    m.digest_is_partial = true;
    RoundTrip("prod", m);
  }
}

TEST_CASE("a push round-trips with its route and each group's continues_from",
          "[codec][push]") {
  Message m = SampleMessage(MessageKind::kPush);
  m.digest.clear();
  m.deltas[0].continues_from = Version(2);
  m.push = {3, "node-d", "node-k"};
  const std::string bytes = RoundTrip("prod", m);
  codec_test::CheckWithReference(bytes, "prod", m);
  // Every size class of continues_from and hops_left.
  for (std::uint64_t v : codec_test::BoundaryUints()) {
    m.deltas[0].continues_from = Version(v);
    m.deltas[0].deltas = {{"k", "v", Version(v == ~0ULL ? v : v + 1)}};
    m.push.hops_left = static_cast<std::uint8_t>(v & 0xff);
    RoundTrip("prod", m);
  }
  // An acknowledgement: an empty push without a route.
  Message ack;
  ack.kind = MessageKind::kPush;
  ack.sender = {"a", "h:1"};
  // [7] "gm" 1 4 "" "a" "h:1" [6] 0 [] [] 0 "" ""
  REQUIRE(RoundTrip("", ack) ==
          Bytes({0x97, 0xa2, 'g', 'm',  0x01, 0x04, 0xa0, 0xa1, 'a',  0xa3,
                 'h',  ':',  '1', 0x96, 0x00, 0x90, 0x90, 0x00, 0xa0, 0xa0}));
}

TEST_CASE("a push with hops_left above 255 or an overlong route id is refused",
          "[codec][push]") {
  Message m = SampleMessage(MessageKind::kPush);
  m.push = {1, "x", "y"};
  std::string bytes;
  codec::Encode("c", m, bytes);
  // hops_left is the third-last element: 0x01 then "x" (0xa1 'x') "y".
  const std::size_t hops_at = bytes.size() - 5;
  REQUIRE(static_cast<unsigned char>(bytes[hops_at]) == 0x01);
  std::string wide = bytes.substr(0, hops_at) + Bytes({0xcd, 0x01, 0x00}) +
                     bytes.substr(hops_at + 1);  // 256 as uint16
  codec::Decoded decoded;
  REQUIRE(codec::Decode(wide, codec::DecodeLimits(), &decoded).code() ==
          StatusCode::kProtocolError);
  codec::DecodeLimits tight;
  tight.limits.max_peer_id_bytes = 6;  // the sender "node-a" fits, "node-cc" not
  m.push.range_until = "node-cc";
  bytes.clear();
  codec::Encode("c", m, bytes);
  REQUIRE(codec::Decode(bytes, tight, &decoded).code() == StatusCode::kLimitExceeded);
}

TEST_CASE("a SYN with an empty digest and no deltas round-trips", "[codec]") {
  Message m;
  m.kind = MessageKind::kDigest;
  m.sender = {"a", "h:1"};
  const std::string bytes = RoundTrip("", m);
  // [7] "gm" 1 1 "" "a" "h:1" [3] 0 [] []
  REQUIRE(bytes == Bytes({0x97, 0xa2, 'g', 'm', 0x01, 0x01, 0xa0, 0xa1, 'a', 0xa3, 'h',
                          ':', '1', 0x93, 0x00, 0x90, 0x90}));
}

TEST_CASE("binary values with NUL and 0xFF round-trip", "[codec]") {
  Message m = SampleMessage(MessageKind::kDeltas);
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes.push_back(static_cast<char>(b));
  m.deltas[0].deltas = {{"all", all_bytes, Version(1)},
                        {"nul", std::string(1, '\0'), Version(2)},
                        {"ff", std::string(300, '\xff'), Version(3)},
                        {"empty", "", Version(4)},
                        {std::string("k\0\xff", 3), std::string("\0\0", 2), Version(5)}};
  m.sender.id = std::string("id\0with nul", 11);
  RoundTrip(std::string("c\xff\0", 3), m);
}

TEST_CASE("empty arrays everywhere round-trip", "[codec]") {
  Message m = SampleMessage(MessageKind::kDigestReply);
  m.digest.clear();
  m.deltas = {{"p", Generation(1), "", {}}, {"q", Generation(2), "addr", {}}};
  RoundTrip("c", m);
  m.deltas.clear();
  RoundTrip("c", m);
}

TEST_CASE("fields at the default limits round-trip; one byte more is refused",
          "[codec]") {
  const codec::DecodeLimits limits;  // defaults
  const Limits& l = limits.limits;
  Message m;
  m.kind = MessageKind::kDeltas;
  m.sender = {std::string(l.max_peer_id_bytes, 's'),
              std::string(l.max_address_bytes, 'a')};
  m.digest = {{std::string(l.max_peer_id_bytes, 'e'), Generation(~0ULL), Heartbeat(~0ULL),
               Version(~0ULL)}};
  std::string value(l.max_value_bytes, '\0');
  for (std::size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>(i * 131);
  m.deltas = {{std::string(l.max_peer_id_bytes, 'g'),
               Generation(~0ULL),
               std::string(l.max_address_bytes, 'h'),
               {{std::string(l.max_key_bytes, 'k'), value, Version(~0ULL)}}}};
  const std::string cluster(limits.max_cluster_bytes, 'c');
  RoundTrip(cluster, m, limits);

  auto refused = [&](const std::string& c, const Message& bigger) {
    std::string bytes;
    codec::Encode(c, bigger, bytes);
    codec::Decoded decoded;
    const Status s = codec::Decode(bytes, limits, &decoded);
    INFO(s.ToString());
    REQUIRE(s.code() == StatusCode::kLimitExceeded);
  };
  refused(cluster + "c", m);
  Message t = m;
  t.sender.id += "s";
  refused(cluster, t);
  t = m;
  t.sender.address += "a";
  refused(cluster, t);
  t = m;
  t.digest[0].id += "e";
  refused(cluster, t);
  t = m;
  t.deltas[0].id += "g";
  refused(cluster, t);
  t = m;
  t.deltas[0].address += "h";
  refused(cluster, t);
  t = m;
  t.deltas[0].deltas[0].key += "k";
  refused(cluster, t);
  t = m;
  t.deltas[0].deltas[0].value += "v";
  refused(cluster, t);
}

TEST_CASE("peer counts up to max_peers + 1 pass, one more is refused", "[codec]") {
  codec::DecodeLimits limits;
  limits.limits.max_peers = 20;
  Message m;
  m.kind = MessageKind::kDigestReply;
  m.sender = {"a", "h:1"};
  for (int i = 0; i < 21; ++i) {
    m.digest.push_back(
        {"p" + std::to_string(i), Generation(1), Heartbeat(1), Version(1)});
    m.deltas.push_back({"p" + std::to_string(i), Generation(1), "", {}});
  }
  RoundTrip("c", m, limits);
  codec::Decoded decoded;
  for (int which = 0; which < 2; ++which) {
    Message t = m;
    if (which == 0) t.digest.push_back({"x", Generation(1), Heartbeat(1), Version(1)});
    if (which == 1) t.deltas.push_back({"x", Generation(1), "", {}});
    std::string bytes;
    codec::Encode("c", t, bytes);
    const Status s = codec::Decode(bytes, limits, &decoded);
    INFO(s.ToString());
    REQUIRE(s.code() == StatusCode::kLimitExceeded);
    REQUIRE(s.message().find("max_peers") != std::string::npos);
  }
  // Deltas of one peer are bounded by max_keys_per_peer.
  limits.limits.max_keys_per_peer = 3;
  Message t = m;
  t.deltas = {{"p",
               Generation(1),
               "",
               {{"a", "", Version(1)}, {"b", "", Version(2)}, {"c", "", Version(3)}}}};
  RoundTrip("c", t, limits);
  t.deltas[0].deltas.push_back({"d", "", Version(4)});
  std::string bytes;
  codec::Encode("c", t, bytes);
  REQUIRE(codec::Decode(bytes, limits, &decoded).code() == StatusCode::kLimitExceeded);
}

TEST_CASE("Encode appends to what the string holds", "[codec]") {
  const Message m = SampleMessage();
  std::string out = "prefix";
  codec::Encode("c", m, out);
  REQUIRE(out.substr(0, 6) == "prefix");
  codec::Decoded decoded;
  REQUIRE(codec::Decode(std::string_view(out).substr(6), codec::DecodeLimits(), &decoded)
              .ok());
  REQUIRE(decoded.message == m);
}

TEST_CASE("every integer size class encodes at the size wire_size gives",
          "[codec][size]") {
  for (std::uint64_t v : codec_test::BoundaryUints()) {
    INFO("value " << v);
    Message m = SampleMessage();
    m.digest[0].generation = Generation(v);
    m.digest[0].heartbeat = Heartbeat(v);
    m.digest[1].max_version = Version(v);
    m.deltas[0].generation = Generation(v);
    m.deltas[0].deltas[1].version = Version(v);
    RoundTrip("c", m);
  }
}

TEST_CASE("every string, bin and array size class encodes at the size wire_size gives",
          "[codec][size]") {
  const codec::DecodeLimits limits = WideLimits();
  for (std::size_t n : codec_test::BoundaryLengths()) {
    INFO("length " << n);
    const std::string text(n, 'x');
    Message m = SampleMessage();
    m.sender = {text, text};
    m.digest[0].id = text;
    m.deltas[0].id = text;
    m.deltas[0].address = text;
    m.deltas[0].deltas[0].key = text;
    m.deltas[0].deltas[0].value = text;
    RoundTrip(text, m, limits);
  }
  for (std::size_t n : {15, 16, 255, 256, 65535, 65536, 70000}) {
    INFO("elements " << n);
    Message m = SampleMessage();
    m.digest.assign(n, DigestEntry{"e", Generation(1), Heartbeat(2), Version(3)});
    m.deltas.assign(n > 300 ? 2 : n, PeerDeltas{"g", Generation(1), "", {}});
    m.deltas[0].deltas.assign(n, KeyDelta{"k", "v", Version(9)});
    RoundTrip("c", m, limits);
  }
}

TEST_CASE("seeded random messages: size == wire_size, bytes == msgpack-c, round trip",
          "[codec][size]") {
  const codec::DecodeLimits limits = WideLimits();
  codec_test::RandomMessages random(20240601);
  for (int i = 0; i < 3000; ++i) {
    const Message m = random.Next();
    const std::string cluster = random.Cluster();
    INFO("message " << i);
    const std::string bytes = RoundTrip(cluster, m, limits);
    if (i % 10 == 0) codec_test::CheckWithReference(bytes, cluster, m);
  }
}

TEST_CASE("msgpack-c parses the codec's output as the documented layout", "[codec]") {
  for (MessageKind kind :
       {MessageKind::kDigest, MessageKind::kDigestReply, MessageKind::kDeltas}) {
    const Message m = SampleMessage(kind);
    std::string bytes;
    codec::Encode("cluster-1", m, bytes);
    codec_test::CheckWithReference(bytes, "cluster-1", m);
  }
}

TEST_CASE("the decoder accepts non-canonical widths and says so", "[codec]") {
  // Another msgpack encoder may write wider forms than needed: uint64 for 1,
  // str16 for a short string, array16 for 7 elements, bin32 for 2 bytes.
  const std::string bytes =
      Bytes({0xdc, 0x00, 0x07,       // envelope: array16 of 7
             0xd9, 0x02, 'g',  'm',  // magic as str8
             0xcf, 0,    0,    0,    0,    0,    0,    0,    0x01,  // version as uint64
             0xcc, 0x03,                                            // kind as uint8
             0xda, 0x00, 0x01, 'c',                                 // cluster as str16
             0xdb, 0x00, 0x00, 0x00, 0x01, 'a',                     // sender id as str32
             0xa3, 'h',  ':',  '1',                                 // address
             0x93, 0xcd, 0x00, 0x01,                          // body, flags as uint16
             0xdd, 0x00, 0x00, 0x00, 0x00,                    // digest: array32 of 0
             0x91,                                            // one group
             0x94, 0xa1, 'p',  0xce, 0x00, 0x00, 0x00, 0x05,  // id, generation uint32
             0xa0, 0x91,                                      // no address, one delta
             0x93, 0xa1, 'k',  0xc6, 0x00, 0x00, 0x00, 0x02, 'v',  'w', 0x07});
  codec::Decoded decoded;
  const Status s = codec::Decode(bytes, codec::DecodeLimits(), &decoded);
  REQUIRE(s.ToString() == "OK");
  REQUIRE_FALSE(decoded.canonical);
  Message expected;
  expected.kind = MessageKind::kDeltas;
  expected.sender = {"a", "h:1"};
  expected.digest_is_partial = true;
  expected.deltas = {{"p", Generation(5), "", {{"k", "vw", Version(7)}}}};
  REQUIRE(decoded.cluster == "c");
  REQUIRE(decoded.message == expected);
  // Re-encoding gives the canonical form, which decodes to the same.
  std::string canonical;
  codec::Encode(decoded.cluster, decoded.message, canonical);
  REQUIRE(canonical.size() < bytes.size());
  codec::Decoded again;
  REQUIRE(codec::Decode(canonical, codec::DecodeLimits(), &again).ok());
  REQUIRE(again.canonical);
  REQUIRE(again.message == expected);
}

TEST_CASE("any single field in its widest form decodes, not canonical", "[codec]") {
  const Message m = SampleMessage();
  std::vector<codec_test::FieldType> types;
  const std::string plain = codec_test::ReferenceEncode("c", m, -1, {}, &types);
  codec::Decoded decoded;
  REQUIRE(codec::Decode(plain, codec::DecodeLimits(), &decoded).ok());
  REQUIRE(decoded.canonical);
  for (std::size_t slot = 0; slot < types.size(); ++slot) {
    INFO("slot " << slot);
    const std::string wide =
        codec_test::ReferenceEncodeWidened("c", m, static_cast<int>(slot));
    REQUIRE(wide.size() > plain.size());
    const Status s = codec::Decode(wide, codec::DecodeLimits(), &decoded);
    REQUIRE(s.ToString() == "OK");
    REQUIRE(decoded.message == m);
    REQUIRE(decoded.cluster == "c");
    REQUIRE_FALSE(decoded.canonical);
  }
}

}  // namespace
}  // namespace gossipmonger

namespace gossipmonger {
namespace {

TEST_CASE("the worked example of docs/PROTOCOL.md", "[codec][doc]") {
  Message m;
  m.kind = MessageKind::kDigestReply;
  m.sender = {"b", "10.0.0.2:7946"};
  m.digest = {{"a", Generation(1700000000), Heartbeat(300), Version(2)},
              {"c", Generation(0), Heartbeat(0), Version(0)}};
  m.deltas = {{"b",
               Generation(1700000100),
               "",
               {{"color", std::string("red\0", 4), Version(5)}}}};
  const std::string expected = codec_test::Bytes(
      {0x97, 0xa2, 0x67, 0x6d, 0x01, 0x02, 0xa4, 0x70, 0x72, 0x6f, 0x64, 0xa1, 0x62,
       0xad, 0x31, 0x30, 0x2e, 0x30, 0x2e, 0x30, 0x2e, 0x32, 0x3a, 0x37, 0x39, 0x34,
       0x36, 0x93, 0x00, 0x92, 0x94, 0xa1, 0x61, 0xce, 0x65, 0x53, 0xf1, 0x00, 0xcd,
       0x01, 0x2c, 0x02, 0x94, 0xa1, 0x63, 0x00, 0x00, 0x00, 0x91, 0x94, 0xa1, 0x62,
       0xce, 0x65, 0x53, 0xf1, 0x64, 0xa0, 0x91, 0x93, 0xa5, 0x63, 0x6f, 0x6c, 0x6f,
       0x72, 0xc4, 0x04, 0x72, 0x65, 0x64, 0x00, 0x05});
  std::string bytes;
  codec::Encode("prod", m, bytes);
  REQUIRE(bytes == expected);
  REQUIRE(bytes.size() == 73);
  REQUIRE(wire_size::Envelope("prod", m.sender, m.kind) == 27);
  REQUIRE(wire_size::Body(m) == 46);
  codec::Decoded decoded;
  REQUIRE(codec::Decode(bytes, codec::DecodeLimits(), &decoded).ok());
  REQUIRE(decoded.message == m);
}

}  // namespace
}  // namespace gossipmonger
