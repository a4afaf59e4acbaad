// wire_size against an independent encoder: the test writes the msgpack bytes
// of the layout documented in wire_size.h (the smallest msgpack form of each
// uint, str, bin and array, as the msgpack spec prescribes) and checks that
// every size function gives the length of those bytes, for boundary sizes and
// for many random messages. The engine fills messages to the transport's
// budget with these sizes, so an error here is a message over budget.
#include "gossipmonger/wire_size.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gossipmonger/message.h"

using namespace gossipmonger;

namespace {

// A minimal msgpack writer: only what the layout uses.
class Writer {
 public:
  void Uint(std::uint64_t v) {
    if (v < 128) {
      Byte(static_cast<std::uint8_t>(v));
    } else if (v < 256) {
      Byte(0xcc);
      BigEndian(v, 1);
    } else if (v < 65536) {
      Byte(0xcd);
      BigEndian(v, 2);
    } else if (v <= 0xffffffffULL) {
      Byte(0xce);
      BigEndian(v, 4);
    } else {
      Byte(0xcf);
      BigEndian(v, 8);
    }
  }
  void Str(const std::string& s) {
    if (s.size() < 32) {
      Byte(static_cast<std::uint8_t>(0xa0 | s.size()));
    } else if (s.size() < 256) {
      Byte(0xd9);
      BigEndian(s.size(), 1);
    } else if (s.size() < 65536) {
      Byte(0xda);
      BigEndian(s.size(), 2);
    } else {
      Byte(0xdb);
      BigEndian(s.size(), 4);
    }
    bytes_.insert(bytes_.end(), s.begin(), s.end());
  }
  void Bin(const std::string& b) {
    if (b.size() < 256) {
      Byte(0xc4);
      BigEndian(b.size(), 1);
    } else if (b.size() < 65536) {
      Byte(0xc5);
      BigEndian(b.size(), 2);
    } else {
      Byte(0xc6);
      BigEndian(b.size(), 4);
    }
    bytes_.insert(bytes_.end(), b.begin(), b.end());
  }
  void Array(std::size_t n) {
    if (n < 16) {
      Byte(static_cast<std::uint8_t>(0x90 | n));
    } else if (n < 65536) {
      Byte(0xdc);
      BigEndian(n, 2);
    } else {
      Byte(0xdd);
      BigEndian(n, 4);
    }
  }
  std::size_t size() const { return bytes_.size(); }

 private:
  void Byte(std::uint8_t b) { bytes_.push_back(b); }
  void BigEndian(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) Byte(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  std::vector<std::uint8_t> bytes_;
};

// entry = [peer id, generation, heartbeat, max version]
void WriteEntry(Writer& w, const DigestEntry& e) {
  w.Array(4);
  w.Str(e.id);
  w.Uint(e.generation.value());
  w.Uint(e.heartbeat.value());
  w.Uint(e.max_version.value());
}
// [key, value(bin), version]
void WriteDelta(Writer& w, const KeyDelta& d) {
  w.Array(3);
  w.Str(d.key);
  w.Bin(d.value);
  w.Uint(d.version.value());
}
// group = [peer id, generation, address, [delta...]]
void WriteGroup(Writer& w, const PeerDeltas& g) {
  w.Array(4);
  w.Str(g.id);
  w.Uint(g.generation.value());
  w.Str(g.address);
  w.Array(g.deltas.size());
  for (const KeyDelta& d : g.deltas) WriteDelta(w, d);
}
// body = [flags, [entry...], [group...]]
std::size_t EncodedBody(const Message& m) {
  Writer w;
  w.Array(3);
  w.Uint(m.digest_is_partial ? 1 : 0);
  w.Array(m.digest.size());
  for (const DigestEntry& e : m.digest) WriteEntry(w, e);
  w.Array(m.deltas.size());
  for (const PeerDeltas& g : m.deltas) WriteGroup(w, g);
  return w.size();
}

const std::vector<std::uint64_t> kUintBoundaries{
    0, 1, 127, 128, 255, 256, 65535, 65536, 0xffffffffULL, 0x100000000ULL, ~0ULL};
const std::vector<std::size_t> kLengthBoundaries{0,   1,   15,    16,    31,   32,
                                                 255, 256, 65535, 65536, 70000};

}  // namespace

TEST_CASE("Scalar sizes match the msgpack encoding at every boundary", "[wire_size]") {
  for (std::uint64_t v : kUintBoundaries) {
    INFO("uint " << v);
    Writer w;
    w.Uint(v);
    CHECK(wire_size::Uint(v) == w.size());
  }
  for (std::size_t len : kLengthBoundaries) {
    INFO("length " << len);
    const std::string s(len, 'x');
    Writer str;
    str.Str(s);
    CHECK(wire_size::Str(len) == str.size());
    Writer bin;
    bin.Bin(s);
    CHECK(wire_size::Bin(len) == bin.size());
    Writer array;
    array.Array(len);
    CHECK(wire_size::ArrayHeader(len) == array.size());
  }
  // The largest array header the engine uses, for the most elements it puts
  // in one array.
  CHECK(wire_size::ArrayHeader(wire_size::kMaxArrayElements) ==
        wire_size::kMaxArrayHeader);
  CHECK(wire_size::ArrayHeader(wire_size::kMaxArrayElements + 1) >
        wire_size::kMaxArrayHeader);
}

TEST_CASE("Entry, delta, group and body sizes match the encoding", "[wire_size]") {
  std::mt19937_64 rng(2024);
  auto pick = [&](const auto& values) { return values[rng() % values.size()]; };
  auto text = [&](std::size_t max) {
    std::string s(std::uniform_int_distribution<std::size_t>(0, max)(rng), 'a');
    for (char& c : s) c = static_cast<char>('a' + rng() % 26);
    return s;
  };
  for (int round = 0; round < 150; ++round) {
    INFO("random message " << round);
    Message m;
    m.kind = static_cast<MessageKind>(1 + rng() % 3);
    m.digest_is_partial = rng() % 2 == 0;
    const std::size_t entries = rng() % (round % 10 == 0 ? 40 : 6);
    for (std::size_t i = 0; i < entries; ++i) {
      m.digest.push_back({text(40), Generation(pick(kUintBoundaries)),
                          Heartbeat(pick(kUintBoundaries)),
                          Version(pick(kUintBoundaries))});
      Writer w;
      WriteEntry(w, m.digest.back());
      CHECK(wire_size::Entry(m.digest.back()) == w.size());
    }
    const std::size_t groups = rng() % 4;
    for (std::size_t g = 0; g < groups; ++g) {
      PeerDeltas group{text(40), Generation(pick(kUintBoundaries)), text(300), {}};
      const std::size_t deltas = rng() % (round % 7 == 0 ? 20 : 4);
      for (std::size_t d = 0; d < deltas; ++d) {
        // Binary bytes; their content does not change the size.
        const std::string value(pick(kLengthBoundaries), '\xff');
        group.deltas.push_back({text(40), value, Version(pick(kUintBoundaries))});
        Writer w;
        WriteDelta(w, group.deltas.back());
        CHECK(wire_size::Delta(group.deltas.back()) == w.size());
      }
      Writer w;
      WriteGroup(w, group);
      CHECK(wire_size::Group(group) == w.size());
      // GroupOverhead counts the deltas' array header at its largest.
      std::size_t deltas_size = 0;
      for (const KeyDelta& d : group.deltas) deltas_size += wire_size::Delta(d);
      CHECK(wire_size::GroupOverhead(group.id, group.generation, group.address) +
                deltas_size ==
            wire_size::Group(group) - wire_size::ArrayHeader(group.deltas.size()) +
                wire_size::kMaxArrayHeader);
      m.deltas.push_back(std::move(group));
    }
    const std::size_t body = wire_size::Body(m);
    CHECK(body == EncodedBody(m));
    // BodyOverhead plus the elements bounds the body: what the engine relies
    // on when it adds elements one by one.
    std::size_t bound = wire_size::BodyOverhead();
    for (const DigestEntry& e : m.digest) bound += wire_size::Entry(e);
    for (const PeerDeltas& g : m.deltas) bound += wire_size::Group(g);
    CHECK(body <= bound);
  }
  CHECK(wire_size::BodyOverhead() >= EncodedBody(Message{}));
  Message partial;
  partial.digest_is_partial = true;
  CHECK(wire_size::BodyOverhead() >= EncodedBody(partial));
}

TEST_CASE("The envelope size matches the encoding of what surrounds the body",
          "[wire_size]") {
  // envelope = [magic "gm", protocol version, kind, cluster, sender id,
  //             sender address, body]: everything but the body.
  for (const std::string& cluster :
       std::vector<std::string>{"", "gossipmonger", std::string(40, 'c')}) {
    for (const MessageKind kind :
         {MessageKind::kDigest, MessageKind::kDigestReply, MessageKind::kDeltas}) {
      const PeerEndpoint sender{std::string(33, 'n'), "10.0.0.1:9742"};
      Writer w;
      w.Array(7);
      w.Str("gm");
      w.Uint(1);
      w.Uint(static_cast<std::uint64_t>(kind));
      w.Str(cluster);
      w.Str(sender.id);
      w.Str(sender.address);
      CHECK(wire_size::Envelope(cluster, sender, kind) == w.size());
    }
  }
}
