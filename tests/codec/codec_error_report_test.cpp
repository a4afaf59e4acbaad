// What a decode error says: the part of the message, the field, the
// problem and the byte where the value at fault starts, for canonical and
// wider msgpack forms alike.
#include <catch2/catch.hpp>

#include "codec/codec_test_util.h"
#include "gossipmonger/msgpack_codec.h"

namespace gossipmonger {
namespace {

using codec_test::At;
using codec_test::Bytes;
using codec_test::Find;
using codec_test::SampleMessage;

std::string Encoded(const Message& m = SampleMessage()) {
  std::string bytes;
  codec::Encode("c", m, bytes);
  return bytes;
}

Status DecodeBytes(std::string_view bytes,
                   const codec::DecodeLimits& limits = codec::DecodeLimits()) {
  codec::Decoded decoded;
  return codec::Decode(bytes, limits, &decoded);
}

TEST_CASE("a wrong type names the element, the field and where it starts",
          "[codec][errors]") {
  std::string bytes = Encoded();
  const std::size_t at = Find(bytes, "\xa6node-b");
  bytes[at] = 0x07;  // a uint where digest entry 1's peer id belongs
  const Status s = DecodeBytes(bytes);
  REQUIRE(s.code() == StatusCode::kProtocolError);
  REQUIRE(s.message() == "digest entry 1: peer id: expected str, got uint" + At(at));
}

TEST_CASE("truncation says how many bytes remain where the value starts",
          "[codec][errors]") {
  const std::string bytes = Encoded();
  const std::size_t at = Find(bytes,
                              "\xad"
                              "10.0.0.3:7946");
  const Status s = DecodeBytes(std::string_view(bytes).substr(0, at + 3));
  REQUIRE(s.code() == StatusCode::kProtocolError);
  REQUIRE(s.message() ==
          "deltas group 0: address: truncated: only 3 bytes remain" + At(at));
  REQUIRE(DecodeBytes("").message() ==
          "envelope: envelope: truncated: only 0 bytes remain" + At(0));
}

TEST_CASE("a limit names itself, the sizes and the element", "[codec][errors]") {
  const std::string bytes = Encoded();
  codec::DecodeLimits limits;
  limits.limits.max_key_bytes = 4;
  const Status key = DecodeBytes(bytes, limits);
  REQUIRE(key.code() == StatusCode::kLimitExceeded);
  REQUIRE(key.message() ==
          "deltas group 0, delta 0: key: 5 bytes exceed max_key_bytes (4)" +
              At(Find(bytes,
                      "\xa5"
                      "color")));

  limits = codec::DecodeLimits();
  limits.limits.max_peers = 0;  // one peer may still be announced (max_peers + 1)
  const Status peers = DecodeBytes(bytes, limits);
  REQUIRE(peers.code() == StatusCode::kLimitExceeded);
  REQUIRE(peers.message() == "body: digest: 2 elements exceed max_peers + 1 (1)" +
                                 At(Find(bytes, Bytes({0x00, 0x92, 0x94})) + 1));
}

TEST_CASE("array counts: a wrong one and one the remaining bytes cannot hold",
          "[codec][errors]") {
  std::string bytes = Encoded();
  const std::size_t at = Find(bytes, "\x93\xa4size");
  bytes[at] = static_cast<char>(0x92);
  REQUIRE(DecodeBytes(bytes).message() ==
          "deltas group 0, delta 1: delta: an array of 2 elements instead of 3" + At(at));

  // [7] "gm" 1 1 "c" "a" "h" [3] 0 [2^32 - 1 entries...]
  const std::string head = Bytes(
      {0x97, 0xa2, 'g', 'm', 0x01, 0x01, 0xa1, 'c', 0xa1, 'a', 0xa1, 'h', 0x93, 0x00});
  const Status s = DecodeBytes(head + Bytes({0xdd, 0xff, 0xff, 0xff, 0xff, 0x90}));
  REQUIRE(s.code() == StatusCode::kProtocolError);
  REQUIRE(s.message() ==
          "body: digest: declares 4294967295 elements but at most 1 bytes remain" +
              At(head.size()));
}

TEST_CASE("the envelope's head: magic, version, length, format byte 0xc1",
          "[codec][errors]") {
  const std::string bytes = Encoded();
  std::string b = bytes;
  b[2] = 'x';
  REQUIRE(DecodeBytes(b).message() ==
          "envelope: magic: not a gossipmonger message" + At(1));
  b = bytes;
  b[4] = 3;
  const Status version = DecodeBytes(b);
  REQUIRE(version.code() == StatusCode::kNotSupported);
  REQUIRE(version.message() ==
          "envelope: protocol version: version 3 is not supported (this node speaks 1 "
          "and 2)" +
              At(4));
  b = bytes;
  b[4] = static_cast<char>(0xc1);
  REQUIRE(
      DecodeBytes(b).message() ==
      "envelope: protocol version: expected uint, got the never-used format byte 0xc1" +
          At(4));
  b = bytes;
  b[0] = static_cast<char>(0x98);
  b.push_back(static_cast<char>(0xc0));
  REQUIRE(DecodeBytes(b).message() ==
          "envelope: envelope: an array of 8 elements instead of 7" + At(0));
  REQUIRE(DecodeBytes(bytes + "x").message() ==
          "envelope: end: 1 trailing bytes after the envelope" + At(bytes.size()));
}

TEST_CASE("positions count the bytes of wider forms too", "[codec][errors]") {
  // The non-canonical envelope of the round-trip tests, with the last
  // delta's version (its last byte) replaced by nil.
  std::string bytes =
      Bytes({0xdc, 0x00, 0x07, 0xd9, 0x02, 'g',  'm',  0xcf, 0,    0,    0,    0,    0,
             0,    0,    0x01, 0xcc, 0x03, 0xda, 0x00, 0x01, 'c',  0xdb, 0x00, 0x00, 0x00,
             0x01, 'a',  0xa3, 'h',  ':',  '1',  0x93, 0xcd, 0x00, 0x01, 0xdd, 0x00, 0x00,
             0x00, 0x00, 0x91, 0x94, 0xa1, 'p',  0xce, 0x00, 0x00, 0x00, 0x05, 0xa0, 0x91,
             0x93, 0xa1, 'k',  0xc6, 0x00, 0x00, 0x00, 0x02, 'v',  'w',  0x07});
  codec::Decoded decoded;
  REQUIRE(codec::Decode(bytes, codec::DecodeLimits(), &decoded).ok());
  REQUIRE_FALSE(decoded.canonical);
  bytes.back() = static_cast<char>(0xc0);
  REQUIRE(DecodeBytes(bytes).message() ==
          "deltas group 0, delta 0: version: expected uint, got nil" +
              At(bytes.size() - 1));
}

}  // namespace
}  // namespace gossipmonger
