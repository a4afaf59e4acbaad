// Bad input: every malformed class gives an error Status, never an
// exception, a crash or an allocation the input does not pay for.
#include <catch2/catch.hpp>
#include <chrono>

#include "codec/codec_test_util.h"
#include "gossipmonger/msgpack_codec.h"

namespace gossipmonger {
namespace {

using codec_test::Bytes;
using codec_test::SampleMessage;

Status DecodeBytes(std::string_view bytes,
                   const codec::DecodeLimits& limits = codec::DecodeLimits()) {
  codec::Decoded decoded;
  Status s;
  REQUIRE_NOTHROW(s = codec::Decode(bytes, limits, &decoded));
  return s;
}

StatusCode CodeOf(std::string_view bytes,
                  const codec::DecodeLimits& limits = codec::DecodeLimits()) {
  return DecodeBytes(bytes, limits).code();
}

std::string Encoded(const Message& m = SampleMessage(), std::string_view cluster = "c") {
  std::string bytes;
  codec::Encode(cluster, m, bytes);
  return bytes;
}

// The envelope's head up to the kind: [7] "gm" 1.
const std::string kHead = Bytes({0x97, 0xa2, 'g', 'm', 0x01});

TEST_CASE("truncation at every byte offset is a protocol error", "[codec][malformed]") {
  Message m = SampleMessage();
  m.deltas[0].deltas.push_back(
      {std::string(40, 'k'), std::string(300, 'v'), Version(70000)});
  m.digest.push_back(
      {std::string(40, 'e'), Generation(1ULL << 40), Heartbeat(200), Version(65536)});
  const std::string bytes = Encoded(m);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    INFO("prefix of " << n << " bytes");
    const Status s = DecodeBytes(std::string_view(bytes).substr(0, n));
    REQUIRE(s.code() == StatusCode::kProtocolError);
  }
  REQUIRE(DecodeBytes(bytes).ok());
}

TEST_CASE("a decode failure leaves the output untouched", "[codec][malformed]") {
  codec::Decoded out;
  out.cluster = "before";
  out.message = SampleMessage(MessageKind::kDeltas);
  const std::string bytes = Encoded(SampleMessage(MessageKind::kDigest), "after");
  REQUIRE_FALSE(codec::Decode(std::string_view(bytes).substr(0, bytes.size() - 1),
                              codec::DecodeLimits(), &out)
                    .ok());
  REQUIRE(out.cluster == "before");
  REQUIRE(out.message == SampleMessage(MessageKind::kDeltas));
  REQUIRE(codec::Decode(bytes, codec::DecodeLimits(), nullptr).code() ==
          StatusCode::kInvalidArgument);
}

TEST_CASE("wrong magic is a protocol error", "[codec][malformed]") {
  std::string bytes = Encoded();
  for (const std::string& magic : {std::string("gn"), std::string("GM"), std::string("g"),
                                   std::string("gmx"), std::string("")}) {
    std::string b =
        Bytes({0x97, static_cast<int>(0xa0 | magic.size())}) + magic + bytes.substr(4);
    const Status s = DecodeBytes(b);
    INFO(s.ToString());
    REQUIRE(s.code() == StatusCode::kProtocolError);
    REQUIRE(s.message().find("not a gossipmonger message") != std::string::npos);
  }
  // Something else entirely: an HTTP request, JSON, an empty datagram.
  REQUIRE(CodeOf("GET / HTTP/1.1\r\n\r\n") == StatusCode::kProtocolError);
  REQUIRE(CodeOf("{\"gm\":1}") == StatusCode::kProtocolError);
  REQUIRE(CodeOf("") == StatusCode::kProtocolError);
  REQUIRE(CodeOf(Bytes({0x90})) == StatusCode::kProtocolError);                  // []
  REQUIRE(CodeOf(Bytes({0x91, 0xa2, 'g', 'm'})) == StatusCode::kProtocolError);  // ["gm"]
}

TEST_CASE("another protocol version is not supported, and says which",
          "[codec][malformed]") {
  std::string bytes = Encoded();
  for (std::uint64_t version : {0ULL, 3ULL, 200ULL, 1ULL << 40}) {
    std::string b = bytes;
    std::string v;
    if (version < 128) {
      v = Bytes({static_cast<int>(version)});
    } else if (version < 256) {
      v = Bytes({0xcc, static_cast<int>(version)});
    } else {
      v = Bytes({0xcf, 0, 0, static_cast<int>(version >> 40), 0, 0, 0, 0, 0});
    }
    b.replace(4, 1, v);
    const Status s = DecodeBytes(b);
    INFO(s.ToString());
    REQUIRE(s.code() == StatusCode::kNotSupported);
    REQUIRE(s.message().find("version " + std::to_string(version)) != std::string::npos);
  }
  // A version 3 envelope may have another shape: still kNotSupported.
  REQUIRE(CodeOf(Bytes({0x92, 0xa2, 'g', 'm', 0x03})) == StatusCode::kNotSupported);
  REQUIRE(CodeOf(Bytes({0x9f, 0xa2, 'g', 'm', 0x03, 0xc0})) == StatusCode::kNotSupported);
  // Version 1 or 2 with another envelope length is malformed.
  REQUIRE(CodeOf(Bytes({0x92, 0xa2, 'g', 'm', 0x01})) == StatusCode::kProtocolError);
  REQUIRE(CodeOf(Bytes({0x92, 0xa2, 'g', 'm', 0x02})) == StatusCode::kProtocolError);
  std::string eight = bytes;
  eight[0] = static_cast<char>(0x98);
  eight.push_back(static_cast<char>(0xc0));
  REQUIRE(CodeOf(eight) == StatusCode::kProtocolError);
}

TEST_CASE("an unknown message kind is a protocol error", "[codec][malformed]") {
  const std::string bytes = Encoded();
  REQUIRE(static_cast<unsigned char>(bytes[5]) == 2);
  for (int kind : {0, 5, 6, 127}) {
    std::string b = bytes;
    b[5] = static_cast<char>(kind);
    const Status s = DecodeBytes(b);
    INFO(s.ToString());
    REQUIRE(s.code() == StatusCode::kProtocolError);
    REQUIRE(s.message().find("unknown kind " + std::to_string(kind)) !=
            std::string::npos);
  }
  for (int kind : {1, 2, 3}) {
    std::string b = bytes;
    b[5] = static_cast<char>(kind);
    REQUIRE(CodeOf(b) == StatusCode::kOk);
  }
  // kPush (4) is known, but its body has six elements and its groups five:
  // the other kinds' body read as a push is malformed.
  std::string push = bytes;
  push[5] = 4;
  REQUIRE(CodeOf(push) == StatusCode::kProtocolError);
}

TEST_CASE("unknown flag bits are a protocol error", "[codec][malformed]") {
  Message m = SampleMessage();
  m.digest.clear();
  m.deltas.clear();
  const std::string bytes = Encoded(m);
  // ... [3] flags [] []
  REQUIRE(bytes.substr(bytes.size() - 4) == Bytes({0x93, 0x00, 0x90, 0x90}));
  for (int flags : {2, 3, 0x7f}) {
    std::string b = bytes;
    b[b.size() - 3] = static_cast<char>(flags);
    REQUIRE(CodeOf(b) == StatusCode::kProtocolError);
  }
  std::string b = bytes;
  b[b.size() - 3] = 1;
  REQUIRE(CodeOf(b) == StatusCode::kOk);
}

TEST_CASE("a value of the wrong type in any field is a protocol error",
          "[codec][malformed]") {
  using codec_test::FieldType;
  const Message m = SampleMessage();
  std::vector<FieldType> types;
  codec_test::ReferenceEncode("c", m, -1, {}, &types);
  REQUIRE(types.size() > 30);
  struct Foreign {
    const char* name;
    std::string bytes;
    FieldType same_as;  // skip where this is the expected type
    bool has_type;
  };
  const std::vector<Foreign> foreign = {
      {"nil", Bytes({0xc0}), FieldType::kUint, false},
      {"false", Bytes({0xc2}), FieldType::kUint, false},
      {"true", Bytes({0xc3}), FieldType::kUint, false},
      {"negative fixint", Bytes({0xff}), FieldType::kUint, false},
      {"int8", Bytes({0xd0, 0x01}), FieldType::kUint, false},
      {"int64", Bytes({0xd3, 0, 0, 0, 0, 0, 0, 0, 1}), FieldType::kUint, false},
      {"float32", Bytes({0xca, 0x3f, 0x80, 0, 0}), FieldType::kUint, false},
      {"float64", Bytes({0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0}), FieldType::kUint, false},
      {"fixmap", Bytes({0x80}), FieldType::kUint, false},
      {"map16", Bytes({0xde, 0x00, 0x00}), FieldType::kUint, false},
      {"fixext1", Bytes({0xd4, 0x01, 0x00}), FieldType::kUint, false},
      {"ext8", Bytes({0xc7, 0x01, 0x01, 0x00}), FieldType::kUint, false},
      {"never used", Bytes({0xc1}), FieldType::kUint, false},
      {"uint", Bytes({0x05}), FieldType::kUint, true},
      {"str", Bytes({0xa1, 'x'}), FieldType::kStr, true},
      {"bin", Bytes({0xc4, 0x01, 'x'}), FieldType::kBin, true},
      {"array", Bytes({0x91, 0x01}), FieldType::kArray, true},
  };
  int checked = 0;
  for (std::size_t slot = 0; slot < types.size(); ++slot) {
    for (const Foreign& f : foreign) {
      if (f.has_type && f.same_as == types[slot]) continue;
      const std::string b =
          codec_test::ReferenceEncode("c", m, static_cast<int>(slot), f.bytes);
      const Status s = DecodeBytes(b);
      INFO("slot " << slot << " replaced by " << f.name << ": " << s.ToString());
      REQUIRE(s.code() == StatusCode::kProtocolError);
      REQUIRE(s.message().find("expected") != std::string::npos);
      ++checked;
    }
  }
  REQUIRE(checked > 400);
}

TEST_CASE("a str where a value's bin belongs is refused", "[codec][malformed]") {
  // Values are bin only: a decoder that took str too would hand a different
  // type back to an encoder that re-sends it.
  Message m = SampleMessage(MessageKind::kDeltas);
  m.digest.clear();
  m.deltas[0].deltas.resize(1);
  const std::string bytes = Encoded(m);
  const std::string bin = Bytes({0xc4, 0x05}) + std::string("red\0\xff", 5);
  const std::size_t at = bytes.find(bin);
  REQUIRE(at != std::string::npos);
  std::string b = bytes;
  b.replace(at, 2, Bytes({0xa5}));
  const Status s = DecodeBytes(b);
  REQUIRE(s.code() == StatusCode::kProtocolError);
  REQUIRE(s.message().find("value: expected bin, got str") != std::string::npos);
}

TEST_CASE("absurd array and string lengths are refused before any allocation",
          "[codec][malformed]") {
  // A head claiming 2^32 - 1 elements (or bytes) in a message of ~20 bytes:
  // the decoder compares with what remains and allocates nothing.
  const std::string head = kHead + Bytes({0x01, 0xa1, 'c', 0xa1, 'a', 0xa1, 'h'});
  const std::string huge32 = Bytes({0xff, 0xff, 0xff, 0xff});
  // The envelope's own count allocates nothing; it must just be 7.
  REQUIRE(CodeOf(Bytes({0xdd}) + huge32 + Encoded().substr(1)) ==
          StatusCode::kProtocolError);
  const std::vector<std::string> inputs = {
      head + Bytes({0x93, 0x00, 0xdd}) + huge32,        // digest
      head + Bytes({0x93, 0x00, 0x90, 0xdd}) + huge32,  // groups
      head + Bytes({0x93, 0x00, 0x90, 0x91, 0x94, 0xa1, 'p', 0x01, 0xa0, 0xdd}) +
          huge32,                                               // deltas
      head + Bytes({0x93, 0x00, 0xdc, 0xff, 0xff}),             // digest, array16
      kHead + Bytes({0x01, 0xdb}) + huge32,                     // cluster str32
      kHead + Bytes({0x01, 0xa1, 'c', 0xdb}) + huge32 + "abc",  // sender id
      head +
          Bytes({0x93, 0x00, 0x90, 0x91, 0x94, 0xa1, 'p', 0x01, 0xa0, 0x91, 0x93, 0xa1,
                 'k', 0xc6}) +
          huge32,  // value bin32
      head +
          Bytes({0x93, 0x00, 0x90, 0x91, 0x94, 0xa1, 'p', 0x01, 0xa0, 0x91, 0x93, 0xdb}) +
          huge32,  // key str32
  };
  for (const std::string& b : inputs) {
    const Status s = DecodeBytes(b);
    INFO(s.ToString());
    REQUIRE(s.code() == StatusCode::kProtocolError);
    REQUIRE(s.message().find("remain") != std::string::npos);
  }
  // A count that the remaining bytes could hold but the limit does not.
  codec::DecodeLimits limits;
  limits.limits.max_peers = 2;
  std::string four_entries = head + Bytes({0x93, 0x00, 0x94});
  for (int i = 0; i < 4; ++i) four_entries += Bytes({0x94, 0xa1, 'p', 0x01, 0x01, 0x01});
  four_entries += Bytes({0x90});
  REQUIRE(CodeOf(four_entries, limits) == StatusCode::kLimitExceeded);
  limits.limits.max_peers = 3;
  REQUIRE(CodeOf(four_entries, limits) == StatusCode::kOk);
}

TEST_CASE("deep nesting is refused at the first level the schema does not expect",
          "[codec][malformed]") {
  // 200,000 nested one-element arrays where the cluster name belongs, and
  // where a digest entry's peer id belongs: the decoder does not recurse.
  const std::string nest(200000, static_cast<char>(0x91));
  const std::string head = kHead + Bytes({0x01});
  REQUIRE(CodeOf(head + nest + Bytes({0x00})) == StatusCode::kProtocolError);
  const std::string body_head =
      head + Bytes({0xa1, 'c', 0xa1, 'a', 0xa1, 'h', 0x93, 0x00, 0x91, 0x94});
  REQUIRE(CodeOf(body_head + nest) == StatusCode::kProtocolError);
  // And maps nested in the same way.
  REQUIRE(CodeOf(head + std::string(200000, static_cast<char>(0x81))) ==
          StatusCode::kProtocolError);
}

TEST_CASE("trailing bytes are a protocol error", "[codec][malformed]") {
  const std::string bytes = Encoded();
  for (const std::string& tail :
       {Bytes({0x00}), Bytes({0xc0}), std::string(1000, 'x'), bytes}) {
    const Status s = DecodeBytes(bytes + tail);
    INFO(s.ToString());
    REQUIRE(s.code() == StatusCode::kProtocolError);
    REQUIRE(s.message().find("trailing") != std::string::npos);
  }
}

TEST_CASE("a message over max_message_bytes is refused before it is read",
          "[codec][malformed]") {
  codec::DecodeLimits limits;
  const std::string bytes = Encoded();
  limits.max_message_bytes = bytes.size();
  REQUIRE(CodeOf(bytes, limits) == StatusCode::kOk);
  limits.max_message_bytes = bytes.size() - 1;
  REQUIRE(CodeOf(bytes, limits) == StatusCode::kLimitExceeded);
}

TEST_CASE("hundreds of thousands of seeded random inputs never throw or crash",
          "[codec][malformed][random]") {
  std::mt19937_64 rng(0x6f7373697021ULL);
  const std::string valid = Encoded();
  const auto start = std::chrono::steady_clock::now();
  std::size_t accepted = 0;
  std::string b;
  codec::Decoded decoded;
  for (int i = 0; i < 300000; ++i) {
    const int mode = static_cast<int>(rng() % 4);
    if (mode == 0) {
      // Pure noise.
      b.resize(rng() % 64);
      for (char& c : b) c = static_cast<char>(rng());
    } else if (mode == 1) {
      // Noise after a valid head, so that the body's paths are reached.
      b = kHead + Bytes({static_cast<int>(1 + rng() % 3)});
      const std::size_t n = rng() % 64;
      for (std::size_t j = 0; j < n; ++j) b.push_back(static_cast<char>(rng()));
    } else {
      // A valid message with a few bytes flipped, inserted or removed.
      b = valid;
      const int edits = 1 + static_cast<int>(rng() % 3);
      for (int e = 0; e < edits; ++e) {
        const std::size_t at = rng() % b.size();
        switch (rng() % 3) {
          case 0:
            b[at] = static_cast<char>(rng());
            break;
          case 1:
            b.insert(b.begin() + static_cast<long>(at), static_cast<char>(rng()));
            break;
          default:
            if (b.size() > 1) b.erase(b.begin() + static_cast<long>(at));
            break;
        }
      }
    }
    Status s;
    REQUIRE_NOTHROW(s = codec::Decode(b, codec::DecodeLimits(), &decoded));
    if (s.ok()) {
      ++accepted;
      // Whatever is accepted re-encodes to something that decodes the same.
      std::string again;
      codec::Encode(decoded.cluster, decoded.message, again);
      codec::Decoded second;
      REQUIRE(codec::Decode(again, codec::DecodeLimits(), &second).ok());
      REQUIRE(second.message == decoded.message);
      if (decoded.canonical) REQUIRE(again == b);
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO("accepted " << accepted << " in " << seconds << " s");
  CHECK(accepted > 0);
  CHECK(seconds < 60);
}

}  // namespace
}  // namespace gossipmonger
