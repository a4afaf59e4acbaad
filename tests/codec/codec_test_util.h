// Shared by the codec tests: messages (fixed and seeded random), limits
// wide enough for every msgpack size class, and a reference encoder built on
// msgpack-c's packer that can replace any one field with foreign bytes.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gossipmonger/message.h"
#include "gossipmonger/msgpack_codec.h"

namespace gossipmonger::codec_test {

inline std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

// The offset of `needle` in `bytes`, which must hold it exactly once.
inline std::size_t Find(const std::string& bytes, const std::string& needle) {
  const std::size_t at = bytes.find(needle);
  REQUIRE(at != std::string::npos);
  REQUIRE(bytes.find(needle, at + 1) == std::string::npos);
  return at;
}

// How a decode error ends: where the value at fault starts.
inline std::string At(std::size_t byte) {
  return " (at byte " + std::to_string(byte) + ")";
}

// A small message of the given kind with one of everything.
inline Message SampleMessage(MessageKind kind = MessageKind::kDigestReply) {
  Message m;
  m.kind = kind;
  m.sender = {"node-a", "10.0.0.1:7946"};
  m.digest_is_partial = false;
  m.digest = {{"node-a", Generation(1700000000), Heartbeat(42), Version(7)},
              {"node-b", Generation(0), Heartbeat(0), Version(0)}};
  m.deltas = {
      {"node-c",
       Generation(1700000001),
       "10.0.0.3:7946",
       {{"color", std::string("red\0\xff", 5), Version(3)}, {"size", "", Version(4)}}}};
  return m;
}

// Limits that admit every msgpack size class the tests use (ids and
// addresses of 64 KiB and more, arrays of 65536 elements and more).
inline codec::DecodeLimits WideLimits() {
  codec::DecodeLimits limits;
  limits.max_message_bytes = 64 << 20;
  limits.max_cluster_bytes = 1 << 20;
  limits.limits.max_peer_id_bytes = 1 << 20;
  limits.limits.max_address_bytes = 1 << 20;
  limits.limits.max_key_bytes = 1 << 20;
  limits.limits.max_value_bytes = 16 << 20;
  limits.limits.max_peers = 1 << 20;
  limits.limits.max_keys_per_peer = 1 << 20;
  return limits;
}

// Values at and around every boundary of msgpack's integer classes.
inline const std::vector<std::uint64_t>& BoundaryUints() {
  static const std::vector<std::uint64_t> values = {0,
                                                    1,
                                                    126,
                                                    127,
                                                    128,
                                                    129,
                                                    254,
                                                    255,
                                                    256,
                                                    257,
                                                    65534,
                                                    65535,
                                                    65536,
                                                    65537,
                                                    0xfffffffeULL,
                                                    0xffffffffULL,
                                                    0x100000000ULL,
                                                    0x100000001ULL,
                                                    0x7fffffffffffffffULL,
                                                    0xfffffffffffffffeULL,
                                                    0xffffffffffffffffULL};
  return values;
}

// String lengths at and around every boundary of str/bin classes (the
// 64 KiB ones are drawn rarely: they make messages large).
inline const std::vector<std::size_t>& BoundaryLengths() {
  static const std::vector<std::size_t> lengths = {
      0,   1,   15,  16,  30,   31,   32,    33,    127,  128,
      254, 255, 256, 257, 1000, 4096, 65535, 65536, 65537};
  return lengths;
}

class RandomMessages {
 public:
  explicit RandomMessages(std::uint64_t seed) : rng_(seed) {}

  std::uint64_t Uint() {
    switch (Pick(4)) {
      case 0:
        return BoundaryUints()[Pick(BoundaryUints().size())];
      case 1:
        return Pick(300);
      case 2:
        return Pick(70000);
      default: {
        // Uniform over the number of significant bits.
        const unsigned bits = static_cast<unsigned>(Pick(65));
        if (bits == 0) return 0;
        const std::uint64_t top = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
        return (rng_() & top) | (1ULL << (bits - 1));
      }
    }
  }

  std::size_t Length(bool allow_huge) {
    for (;;) {
      std::size_t n =
          Pick(3) == 0 ? Pick(300) : BoundaryLengths()[Pick(BoundaryLengths().size())];
      if (n < 4096 || (allow_huge && Pick(20) == 0)) return n;
    }
  }

  // Bytes of any value, NUL and 0xff included.
  std::string Text(std::size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng_() & 0xff);
    return s;
  }

  std::size_t Count() {
    static const std::size_t counts[] = {0, 1, 2, 3, 14, 15, 16, 17};
    return counts[Pick(std::size(counts))];
  }

  Message Next() {
    Message m;
    m.kind = static_cast<MessageKind>(1 + Pick(3));
    m.sender = {Text(Length(false)), Text(Length(false))};
    m.digest_is_partial = Pick(2) == 1;
    m.digest.resize(Count());
    for (DigestEntry& e : m.digest) {
      e = {Text(Length(false)), Generation(Uint()), Heartbeat(Uint()), Version(Uint())};
    }
    m.deltas.resize(Pick(4) == 0 ? Count() : Pick(3));
    for (PeerDeltas& g : m.deltas) {
      g.id = Text(Length(false));
      g.generation = Generation(Uint());
      g.address = Text(Length(false));
      g.deltas.resize(Pick(3) == 0 ? Count() : Pick(4));
      for (KeyDelta& d : g.deltas) {
        d = {Text(Length(false)), Text(Length(true)), Version(Uint())};
      }
    }
    return m;
  }

  // Next() with protocol version 2's fields sprinkled in: tombstones and
  // leaves (empty values), clean throughs (above max version) and resets
  // (outside kPush, at least the last version). Version-1 messages too,
  // about one in four.
  Message NextV2() {
    Message m = Next();
    if (Pick(8) == 0) m.kind = MessageKind::kPush;
    const bool push = m.kind == MessageKind::kPush;
    const bool v1 = Pick(4) == 0;
    for (DigestEntry& e : m.digest) {
      if (!v1 && Pick(3) == 0 && e.max_version.value() < ~0ULL) {
        e.clean_through = Version(e.max_version.value() + 1 + Pick(1000));
        if (e.clean_through < e.max_version) e.clean_through = Version(~0ULL);
      }
    }
    for (PeerDeltas& g : m.deltas) {
      if (push) g.continues_from = Version(Uint());
      if (!v1 && !push && Pick(3) == 0) g.reset_through = Version(Uint() | 1);
      for (KeyDelta& d : g.deltas) {
        if (v1) continue;
        switch (Pick(4)) {
          case 0:
            d = {d.key, "", d.version, EntryKind::kTombstone};
            break;
          case 1:
            d = {"", "", d.version, EntryKind::kLeave};
            break;
          default:
            break;
        }
      }
    }
    if (push)
      m.push = {static_cast<std::uint8_t>(Pick(256)), Text(Length(false)),
                Text(Length(false))};
    return m;
  }

  std::string Cluster() { return Text(Length(false)); }

  std::size_t Pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }

  std::mt19937_64& rng() { return rng_; }

 private:
  std::mt19937_64 rng_;
};

// The msgpack type a field of the schema has (nil and true: a version-2
// delta's value, for a tombstone and a leave).
enum class FieldType { kArray, kUint, kStr, kBin, kNil, kTrue };

// Encodes a message with msgpack-c's packer (defined in
// msgpack_reference.cpp). Every value of the schema is a numbered slot, in
// encoding order; if `replace_slot` names one, `replacement` is written in its
// place (an array header's elements still follow). `types`, if given,
// receives each slot's type.
std::string ReferenceEncode(std::string_view cluster, const Message& message,
                            int replace_slot = -1, std::string_view replacement = {},
                            std::vector<FieldType>* types = nullptr);

// Like ReferenceEncode, but writes slot `widen_slot` in the widest msgpack
// form of its type (uint64, str32, bin32, array32): valid, not canonical.
std::string ReferenceEncodeWidened(std::string_view cluster, const Message& message,
                                   int widen_slot);

// Parses `bytes` with msgpack::unpack and checks (with Catch REQUIREs) that
// they hold exactly `cluster` and `message` in the layout of wire_size.h.
void CheckWithReference(std::string_view bytes, std::string_view cluster,
                        const Message& message);

}  // namespace gossipmonger::codec_test
