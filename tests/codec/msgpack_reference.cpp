// The reference side of the codec tests: msgpack-c (an independent msgpack
// implementation) encodes the schema of wire_size.h and parses what the
// codec writes.
#include <catch2/catch.hpp>
#include <msgpack.hpp>

#include "codec/codec_test_util.h"

namespace gossipmonger::codec_test {

namespace {

class SlotPacker {
 public:
  SlotPacker(int replace_slot, std::string_view replacement,
             std::vector<FieldType>* types, int widen_slot = -1)
      : replace_slot_(replace_slot),
        widen_slot_(widen_slot),
        replacement_(replacement),
        types_(types) {}

  void Array(std::uint32_t n) {
    if (Replaced(FieldType::kArray)) return;
    if (widen_) {
      Byte(0xdd);
      Be32(n);
    } else {
      packer_.pack_array(n);
    }
  }
  void Uint(std::uint64_t v) {
    if (Replaced(FieldType::kUint)) return;
    if (widen_) {
      packer_.pack_fix_uint64(v);
    } else {
      packer_.pack_uint64(v);
    }
  }
  void Str(std::string_view s) {
    if (Replaced(FieldType::kStr)) return;
    const auto n = static_cast<std::uint32_t>(s.size());
    if (widen_) {
      Byte(0xdb);
      Be32(n);
    } else {
      packer_.pack_str(n);
    }
    packer_.pack_str_body(s.data(), n);
  }
  void Bin(std::string_view s) {
    if (Replaced(FieldType::kBin)) return;
    const auto n = static_cast<std::uint32_t>(s.size());
    if (widen_) {
      Byte(0xc6);
      Be32(n);
    } else {
      packer_.pack_bin(n);
    }
    packer_.pack_bin_body(s.data(), n);
  }
  void Nil() {
    if (!Replaced(FieldType::kNil)) packer_.pack_nil();
  }
  void True() {
    if (!Replaced(FieldType::kTrue)) packer_.pack_true();
  }

  std::string Take() const { return std::string(buffer_.data(), buffer_.size()); }

 private:
  bool Replaced(FieldType type) {
    if (types_ != nullptr) types_->push_back(type);
    widen_ = slot_ == widen_slot_;
    if (slot_++ != replace_slot_) return false;
    buffer_.write(replacement_.data(), replacement_.size());
    return true;
  }
  void Raw(std::string_view bytes) { buffer_.write(bytes.data(), bytes.size()); }
  void Byte(unsigned char b) {
    const char c = static_cast<char>(b);
    buffer_.write(&c, 1);
  }
  void Be32(std::uint32_t n) {
    const char b[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                       static_cast<char>(n >> 8), static_cast<char>(n)};
    Raw(std::string_view(b, 4));
  }

  int slot_ = 0;
  bool widen_ = false;
  int replace_slot_;
  int widen_slot_;
  std::string_view replacement_;
  std::vector<FieldType>* types_;
  msgpack::sbuffer buffer_;
  msgpack::packer<msgpack::sbuffer> packer_{buffer_};
};

std::string_view AsView(const msgpack::object& o) {
  if (o.type == msgpack::type::STR) return {o.via.str.ptr, o.via.str.size};
  return {o.via.bin.ptr, o.via.bin.size};
}

const msgpack::object* ArrayOf(const msgpack::object& o, std::size_t n) {
  REQUIRE(o.type == msgpack::type::ARRAY);
  REQUIRE(o.via.array.size == n);
  return o.via.array.ptr;
}

void RequireStr(const msgpack::object& o, std::string_view expected) {
  REQUIRE(o.type == msgpack::type::STR);
  REQUIRE(AsView(o) == expected);
}

void RequireBin(const msgpack::object& o, std::string_view expected) {
  REQUIRE(o.type == msgpack::type::BIN);
  REQUIRE(AsView(o) == expected);
}

void RequireUint(const msgpack::object& o, std::uint64_t expected) {
  REQUIRE(o.type == msgpack::type::POSITIVE_INTEGER);
  REQUIRE(o.via.u64 == expected);
}

// Written independently of the codec, from docs/PROTOCOL.md ("Version 2").
bool CleanThroughSent(const DigestEntry& e) { return e.clean_through > e.max_version; }

bool ResetSent(const PeerDeltas& g, bool push) {
  return !push && g.reset_through != Version();
}

std::uint64_t LowestVersion(const Message& message) {
  const bool push = message.kind == MessageKind::kPush;
  for (const DigestEntry& e : message.digest) {
    if (CleanThroughSent(e)) return 2;
  }
  for (const PeerDeltas& g : message.deltas) {
    if (ResetSent(g, push)) return 2;
    for (const KeyDelta& d : g.deltas) {
      if (d.kind != EntryKind::kValue) return 2;
    }
  }
  return 1;
}

}  // namespace

namespace {

void Pack(SlotPacker& p, std::string_view cluster, const Message& message) {
  p.Array(7);
  p.Str("gm");
  p.Uint(LowestVersion(message));
  p.Uint(static_cast<std::uint64_t>(message.kind));
  p.Str(cluster);
  p.Str(message.sender.id);
  p.Str(message.sender.address);
  const bool push = message.kind == MessageKind::kPush;
  p.Array(push ? 6 : 3);
  p.Uint(message.digest_is_partial ? 1 : 0);
  p.Array(static_cast<std::uint32_t>(message.digest.size()));
  for (const DigestEntry& e : message.digest) {
    p.Array(CleanThroughSent(e) ? 5 : 4);
    p.Str(e.id);
    p.Uint(e.generation.value());
    p.Uint(e.heartbeat.value());
    p.Uint(e.max_version.value());
    if (CleanThroughSent(e)) p.Uint(e.clean_through.value());
  }
  p.Array(static_cast<std::uint32_t>(message.deltas.size()));
  for (const PeerDeltas& g : message.deltas) {
    p.Array(push || ResetSent(g, push) ? 5 : 4);
    p.Str(g.id);
    p.Uint(g.generation.value());
    p.Str(g.address);
    if (push) p.Uint(g.continues_from.value());
    p.Array(static_cast<std::uint32_t>(g.deltas.size()));
    for (const KeyDelta& d : g.deltas) {
      p.Array(3);
      p.Str(d.key);
      if (d.kind == EntryKind::kTombstone) {
        p.Nil();
      } else if (d.kind == EntryKind::kLeave) {
        p.True();
      } else {
        p.Bin(d.value);
      }
      p.Uint(d.version.value());
    }
    if (ResetSent(g, push)) p.Uint(g.reset_through.value());
  }
  if (push) {
    p.Uint(message.push.hops_left);
    p.Str(message.push.range_after);
    p.Str(message.push.range_until);
  }
}

}  // namespace

std::string ReferenceEncode(std::string_view cluster, const Message& message,
                            int replace_slot, std::string_view replacement,
                            std::vector<FieldType>* types) {
  SlotPacker p(replace_slot, replacement, types);
  Pack(p, cluster, message);
  return p.Take();
}

std::string ReferenceEncodeWidened(std::string_view cluster, const Message& message,
                                   int widen_slot) {
  SlotPacker p(-1, {}, nullptr, widen_slot);
  Pack(p, cluster, message);
  return p.Take();
}

void CheckWithReference(std::string_view bytes, std::string_view cluster,
                        const Message& message) {
  std::size_t offset = 0;
  msgpack::object_handle handle = msgpack::unpack(bytes.data(), bytes.size(), offset);
  REQUIRE(offset == bytes.size());
  const msgpack::object* env = ArrayOf(handle.get(), 7);
  RequireStr(env[0], "gm");
  RequireUint(env[1], LowestVersion(message));
  RequireUint(env[2], static_cast<std::uint64_t>(message.kind));
  RequireStr(env[3], cluster);
  RequireStr(env[4], message.sender.id);
  RequireStr(env[5], message.sender.address);
  const bool push = message.kind == MessageKind::kPush;
  const msgpack::object* body = ArrayOf(env[6], push ? 6 : 3);
  RequireUint(body[0], message.digest_is_partial ? 1 : 0);
  const msgpack::object* entries = ArrayOf(body[1], message.digest.size());
  for (std::size_t i = 0; i < message.digest.size(); ++i) {
    const bool clean = CleanThroughSent(message.digest[i]);
    const msgpack::object* e = ArrayOf(entries[i], clean ? 5 : 4);
    RequireStr(e[0], message.digest[i].id);
    RequireUint(e[1], message.digest[i].generation.value());
    RequireUint(e[2], message.digest[i].heartbeat.value());
    RequireUint(e[3], message.digest[i].max_version.value());
    if (clean) RequireUint(e[4], message.digest[i].clean_through.value());
  }
  const msgpack::object* groups = ArrayOf(body[2], message.deltas.size());
  for (std::size_t i = 0; i < message.deltas.size(); ++i) {
    const PeerDeltas& expected = message.deltas[i];
    const bool reset = ResetSent(expected, push);
    const msgpack::object* g = ArrayOf(groups[i], push || reset ? 5 : 4);
    RequireStr(g[0], expected.id);
    RequireUint(g[1], expected.generation.value());
    RequireStr(g[2], expected.address);
    if (push) RequireUint(g[3], expected.continues_from.value());
    const msgpack::object* deltas = ArrayOf(g[push ? 4 : 3], expected.deltas.size());
    for (std::size_t j = 0; j < expected.deltas.size(); ++j) {
      const KeyDelta& delta = expected.deltas[j];
      const msgpack::object* d = ArrayOf(deltas[j], 3);
      RequireStr(d[0], delta.key);
      if (delta.kind == EntryKind::kTombstone) {
        REQUIRE(d[1].type == msgpack::type::NIL);
      } else if (delta.kind == EntryKind::kLeave) {
        REQUIRE(d[1].type == msgpack::type::BOOLEAN);
        REQUIRE(d[1].via.boolean);
      } else {
        RequireBin(d[1], delta.value);
      }
      RequireUint(d[2], delta.version.value());
    }
    if (reset) RequireUint(g[4], expected.reset_through.value());
  }
  if (push) {
    RequireUint(body[3], message.push.hops_left);
    RequireStr(body[4], message.push.range_after);
    RequireStr(body[5], message.push.range_until);
  }
}

}  // namespace gossipmonger::codec_test
