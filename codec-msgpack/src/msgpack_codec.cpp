// A hand-written msgpack writer and reader for the one schema of
// docs/PROTOCOL.md.
//
// Why not msgpack-c's packer and unpacker: the writer must match
// wire_size.h byte for byte and is fastest writing into a buffer sized
// exactly beforehand; the reader must refuse a length before it allocates
// for it, and msgpack-c's unpacker builds a generic object tree first (its
// zone allocation follows the declared sizes, bounded only by unpack_limit,
// and it recurses into nested containers). Reading the fixed schema
// directly checks every type at its position, compares every declared
// length with the bytes that remain, never recurses on input and copies
// each string once, straight into the Message.
//
// msgpack-c remains the reference: the tests check this writer's bytes
// against msgpack::packer and this reader's accepted forms against
// msgpack::unpack.
#include "gossipmonger/msgpack_codec.h"

#include <cassert>
#include <cstring>
#include <exception>
#include <limits>
#include <new>
#include <utility>

#include "gossipmonger/wire_size.h"

namespace gossipmonger::codec {

namespace {

// Format bytes of the msgpack specification used by the schema.
constexpr std::uint8_t kPositiveFixintMax = 0x7f;
constexpr std::uint8_t kFixArray = 0x90;  // 0x90..0x9f, 4-bit length
constexpr std::uint8_t kFixStr = 0xa0;    // 0xa0..0xbf, 5-bit length
constexpr std::uint8_t kBin8 = 0xc4;
constexpr std::uint8_t kBin16 = 0xc5;
constexpr std::uint8_t kBin32 = 0xc6;
constexpr std::uint8_t kUint8 = 0xcc;
constexpr std::uint8_t kUint16 = 0xcd;
constexpr std::uint8_t kUint32 = 0xce;
constexpr std::uint8_t kUint64 = 0xcf;
constexpr std::uint8_t kStr8 = 0xd9;
constexpr std::uint8_t kStr16 = 0xda;
constexpr std::uint8_t kStr32 = 0xdb;
constexpr std::uint8_t kArray16 = 0xdc;
constexpr std::uint8_t kArray32 = 0xdd;

constexpr std::string_view kMagic = "gm";
constexpr std::uint64_t kFlagDigestIsPartial = 1;
constexpr std::uint64_t kKnownFlags = kFlagDigestIsPartial;

// Fewest bytes an element of each array can take: a digest entry is
// [fixarray, fixstr, 3 x fixint], a group [fixarray, fixstr, fixint, fixstr,
// fixarray], a delta [fixarray, fixstr, bin8 header (2), fixint]. A declared
// element count above remaining / minimum cannot be honest.
constexpr std::size_t kMinEntryBytes = 5;
constexpr std::size_t kMinGroupBytes = 5;
constexpr std::size_t kMinDeltaBytes = 5;

constexpr std::size_t kEnvelopeElements = 7;
constexpr std::size_t kBodyElements = 3;
constexpr std::size_t kPushBodyElements = 6;  // + hops left, range after, range until
constexpr std::size_t kPushGroupElements = 5;  // + continues from
constexpr std::uint64_t kMaxHopsLeft = 255;
constexpr std::size_t kEntryElements = 4;
constexpr std::size_t kGroupElements = 4;
constexpr std::size_t kDeltaElements = 3;

// --- writing ------------------------------------------------------------------

// Writes into memory already sized by wire_size; it checks nothing.
class Writer {
 public:
  explicit Writer(char* at) : at_(reinterpret_cast<unsigned char*>(at)) {}

  void Uint(std::uint64_t v) {
    if (v <= kPositiveFixintMax) {
      Byte(static_cast<std::uint8_t>(v));
    } else if (v <= 0xff) {
      Byte(kUint8);
      Byte(static_cast<std::uint8_t>(v));
    } else if (v <= 0xffff) {
      Byte(kUint16);
      Be16(static_cast<std::uint16_t>(v));
    } else if (v <= 0xffffffffULL) {
      Byte(kUint32);
      Be32(static_cast<std::uint32_t>(v));
    } else {
      Byte(kUint64);
      Be32(static_cast<std::uint32_t>(v >> 32));
      Be32(static_cast<std::uint32_t>(v));
    }
  }

  void Str(std::string_view s) {
    const std::size_t n = s.size();
    if (n < 32) {
      Byte(static_cast<std::uint8_t>(kFixStr | n));
    } else if (n <= 0xff) {
      Byte(kStr8);
      Byte(static_cast<std::uint8_t>(n));
    } else if (n <= 0xffff) {
      Byte(kStr16);
      Be16(static_cast<std::uint16_t>(n));
    } else {
      Byte(kStr32);
      Be32(static_cast<std::uint32_t>(n));
    }
    Raw(s);
  }

  void Bin(std::string_view s) {
    const std::size_t n = s.size();
    if (n <= 0xff) {
      Byte(kBin8);
      Byte(static_cast<std::uint8_t>(n));
    } else if (n <= 0xffff) {
      Byte(kBin16);
      Be16(static_cast<std::uint16_t>(n));
    } else {
      Byte(kBin32);
      Be32(static_cast<std::uint32_t>(n));
    }
    Raw(s);
  }

  void Array(std::size_t n) {
    if (n < 16) {
      Byte(static_cast<std::uint8_t>(kFixArray | n));
    } else if (n <= 0xffff) {
      Byte(kArray16);
      Be16(static_cast<std::uint16_t>(n));
    } else {
      Byte(kArray32);
      Be32(static_cast<std::uint32_t>(n));
    }
  }

  const char* at() const { return reinterpret_cast<const char*>(at_); }

 private:
  void Byte(std::uint8_t b) { *at_++ = b; }
  void Be16(std::uint16_t v) {
    at_[0] = static_cast<unsigned char>(v >> 8);
    at_[1] = static_cast<unsigned char>(v);
    at_ += 2;
  }
  void Be32(std::uint32_t v) {
    at_[0] = static_cast<unsigned char>(v >> 24);
    at_[1] = static_cast<unsigned char>(v >> 16);
    at_[2] = static_cast<unsigned char>(v >> 8);
    at_[3] = static_cast<unsigned char>(v);
    at_ += 4;
  }
  void Raw(std::string_view s) {
    if (!s.empty()) std::memcpy(at_, s.data(), s.size());
    at_ += s.size();
  }

  unsigned char* at_;
};

// --- reading ------------------------------------------------------------------

std::string_view TypeName(std::uint8_t b) {
  if (b <= 0x7f || (b >= 0xcc && b <= 0xcf)) return "uint";
  if (b >= 0xe0 || (b >= 0xd0 && b <= 0xd3)) return "int";
  if ((b & 0xf0) == 0x80 || b == 0xde || b == 0xdf) return "map";
  if ((b & 0xf0) == 0x90 || b == kArray16 || b == kArray32) return "array";
  if ((b & 0xe0) == 0xa0 || (b >= kStr8 && b <= kStr32)) return "str";
  if (b >= kBin8 && b <= kBin32) return "bin";
  if (b == 0xc0) return "nil";
  if (b == 0xc2 || b == 0xc3) return "bool";
  if (b == 0xca || b == 0xcb) return "float";
  if ((b >= 0xc7 && b <= 0xc9) || (b >= 0xd4 && b <= 0xd8)) return "ext";
  return "the never-used format byte 0xc1";
}

// Reads msgpack values of the expected type at the current position. Every
// read checks the type, then that the bytes it needs are present, and only
// then consumes them; on failure it records an error and returns false,
// leaving the position where the bad value starts.
class Reader {
 public:
  static constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();

  explicit Reader(std::string_view bytes)
      : begin_(reinterpret_cast<const unsigned char*>(bytes.data())),
        at_(begin_),
        end_(begin_ + bytes.size()) {}

  std::size_t remaining() const { return static_cast<std::size_t>(end_ - at_); }
  std::size_t offset() const { return static_cast<std::size_t>(at_ - begin_); }
  bool canonical() const { return canonical_; }
  Status TakeError() { return std::move(error_); }

  // Where the reader is, for error messages: "<part> <index>, delta <sub>".
  void Locate(const char* part, std::size_t index = kNone, std::size_t sub = kNone) {
    part_ = part;
    index_ = index;
    sub_ = sub;
  }

  bool Array(const char* field, std::uint64_t* n) {
    std::uint8_t b = 0;
    if (!Peek(field, &b)) return false;
    if ((b & 0xf0) == kFixArray) {
      *n = b & 0x0f;
      ++at_;
      return true;
    }
    if (b == kArray16) return Length(field, 2, 16, n);
    if (b == kArray32) return Length(field, 4, 0x10000, n);
    return WrongType(field, "array", b);
  }

  // An array of exactly `expected` elements.
  bool FixedArray(const char* field, std::size_t expected) {
    std::uint64_t n = 0;
    if (!Array(field, &n)) return false;
    if (n != expected) {
      return Fail(StatusCode::kProtocolError, field,
                  "an array of " + std::to_string(n) + " elements instead of " +
                      std::to_string(expected));
    }
    return true;
  }

  // An array whose elements take at least `min_element_bytes` each and
  // whose count may not exceed `max_count` (named `limit_name`). The count
  // is checked against the bytes that remain before anyone reserves for it.
  bool BoundedArray(const char* field, std::size_t min_element_bytes, std::size_t max_count,
                    const char* limit_name, std::size_t* count) {
    std::uint64_t n = 0;
    if (!Array(field, &n)) return false;
    if (n > remaining() / min_element_bytes) {
      return Fail(StatusCode::kProtocolError, field,
                  "declares " + std::to_string(n) + " elements but only " +
                      std::to_string(remaining()) + " bytes remain");
    }
    if (n > max_count) {
      return Fail(StatusCode::kLimitExceeded, field,
                  std::to_string(n) + " elements exceed " + limit_name + " (" +
                      std::to_string(max_count) + ")");
    }
    *count = static_cast<std::size_t>(n);
    return true;
  }

  bool Uint(const char* field, std::uint64_t* v) {
    std::uint8_t b = 0;
    if (!Peek(field, &b)) return false;
    if (b <= kPositiveFixintMax) {
      *v = b;
      ++at_;
      return true;
    }
    if (b == kUint8) return Length(field, 1, 0x80, v);
    if (b == kUint16) return Length(field, 2, 0x100, v);
    if (b == kUint32) return Length(field, 4, 0x10000, v);
    if (b == kUint64) return Length(field, 8, 0x100000000ULL, v);
    return WrongType(field, "uint", b);
  }

  // A str, not copied; its length is only checked against what remains.
  bool StrView(const char* field, std::string_view* s) {
    std::uint8_t b = 0;
    if (!Peek(field, &b)) return false;
    std::uint64_t n = 0;
    if ((b & 0xe0) == kFixStr) {
      n = b & 0x1f;
      ++at_;
    } else if (b == kStr8) {
      if (!Length(field, 1, 32, &n)) return false;
    } else if (b == kStr16) {
      if (!Length(field, 2, 0x100, &n)) return false;
    } else if (b == kStr32) {
      if (!Length(field, 4, 0x10000, &n)) return false;
    } else {
      return WrongType(field, "str", b);
    }
    return Payload(field, n, s);
  }

  bool Str(const char* field, std::size_t max, const char* limit_name, std::string* out) {
    std::string_view s;
    if (!StrView(field, &s)) return false;
    if (!WithinLimit(field, s.size(), max, limit_name)) return false;
    out->assign(s);
    return true;
  }

  // Values are bin and only bin: a str is refused (see docs/PROTOCOL.md).
  bool Bin(const char* field, std::size_t max, const char* limit_name, std::string* out) {
    std::uint8_t b = 0;
    if (!Peek(field, &b)) return false;
    std::uint64_t n = 0;
    if (b == kBin8) {
      if (!Length(field, 1, 0, &n)) return false;
    } else if (b == kBin16) {
      if (!Length(field, 2, 0x100, &n)) return false;
    } else if (b == kBin32) {
      if (!Length(field, 4, 0x10000, &n)) return false;
    } else {
      return WrongType(field, "bin", b);
    }
    std::string_view s;
    if (!Payload(field, n, &s)) return false;
    if (!WithinLimit(field, s.size(), max, limit_name)) return false;
    out->assign(s);
    return true;
  }

  bool Fail(StatusCode code, const char* field, const std::string& problem) {
    std::string text;
    text.reserve(96);
    text += part_;
    if (index_ != kNone) {
      text += ' ';
      text += std::to_string(index_);
    }
    if (sub_ != kNone) {
      text += ", delta ";
      text += std::to_string(sub_);
    }
    text += ": ";
    text += field;
    text += ": ";
    text += problem;
    text += " (at byte ";
    text += std::to_string(offset());
    text += ')';
    error_ = Status::Error(code, std::move(text));
    return false;
  }

 private:
  bool Peek(const char* field, std::uint8_t* b) {
    if (at_ == end_) return Fail(StatusCode::kProtocolError, field, "truncated");
    *b = *at_;
    return true;
  }

  // Consumes a format byte and the `width`-byte big-endian number after it.
  // The number is canonical only when it is at least `canonical_min` (a
  // smaller one had a shorter form).
  bool Length(const char* field, std::size_t width, std::uint64_t canonical_min,
              std::uint64_t* v) {
    if (remaining() < 1 + width) return Fail(StatusCode::kProtocolError, field, "truncated");
    std::uint64_t value = 0;
    for (std::size_t i = 1; i <= width; ++i) value = (value << 8) | at_[i];
    at_ += 1 + width;
    if (value < canonical_min) canonical_ = false;
    *v = value;
    return true;
  }

  bool Payload(const char* field, std::uint64_t n, std::string_view* s) {
    if (n > remaining()) {
      return Fail(StatusCode::kProtocolError, field,
                  "declares " + std::to_string(n) + " bytes but only " +
                      std::to_string(remaining()) + " remain");
    }
    *s = std::string_view(reinterpret_cast<const char*>(at_), static_cast<std::size_t>(n));
    at_ += n;
    return true;
  }

  bool WithinLimit(const char* field, std::size_t size, std::size_t max,
                   const char* limit_name) {
    if (size <= max) return true;
    at_ -= size;  // report the position of the payload, not past it
    return Fail(StatusCode::kLimitExceeded, field,
                std::to_string(size) + " bytes exceed " + limit_name + " (" +
                    std::to_string(max) + ")");
  }

  bool WrongType(const char* field, std::string_view expected, std::uint8_t b) {
    return Fail(StatusCode::kProtocolError, field,
                "expected " + std::string(expected) + ", got " + std::string(TypeName(b)));
  }

  const unsigned char* begin_;
  const unsigned char* at_;
  const unsigned char* end_;
  bool canonical_ = true;
  const char* part_ = "envelope";
  std::size_t index_ = kNone;
  std::size_t sub_ = kNone;
  Status error_;
};

std::size_t PlusOneSaturated(std::size_t n) {
  return n == std::numeric_limits<std::size_t>::max() ? n : n + 1;
}

bool ReadEntry(Reader& r, const Limits& limits, DigestEntry* entry) {
  std::uint64_t generation = 0;
  std::uint64_t heartbeat = 0;
  std::uint64_t max_version = 0;
  if (!r.FixedArray("entry", kEntryElements) ||
      !r.Str("peer id", limits.max_peer_id_bytes, "max_peer_id_bytes", &entry->id) ||
      !r.Uint("generation", &generation) || !r.Uint("heartbeat", &heartbeat) ||
      !r.Uint("max version", &max_version)) {
    return false;
  }
  entry->generation = Generation(generation);
  entry->heartbeat = Heartbeat(heartbeat);
  entry->max_version = Version(max_version);
  return true;
}

// `push`: a kPush group, which also carries continues_from.
bool ReadGroup(Reader& r, const Limits& limits, std::size_t index, bool push,
               PeerDeltas* group) {
  std::uint64_t generation = 0;
  std::uint64_t continues_from = 0;
  std::size_t count = 0;
  if (!r.FixedArray("group", push ? kPushGroupElements : kGroupElements) ||
      !r.Str("peer id", limits.max_peer_id_bytes, "max_peer_id_bytes", &group->id) ||
      !r.Uint("generation", &generation) ||
      !r.Str("address", limits.max_address_bytes, "max_address_bytes", &group->address) ||
      (push && !r.Uint("continues from", &continues_from)) ||
      !r.BoundedArray("deltas", kMinDeltaBytes, limits.max_keys_per_peer,
                      "max_keys_per_peer", &count)) {
    return false;
  }
  group->generation = Generation(generation);
  group->continues_from = Version(continues_from);
  group->deltas.resize(count);
  for (std::size_t j = 0; j < count; ++j) {
    r.Locate("deltas group", index, j);
    KeyDelta& delta = group->deltas[j];
    std::uint64_t version = 0;
    if (!r.FixedArray("delta", kDeltaElements) ||
        !r.Str("key", limits.max_key_bytes, "max_key_bytes", &delta.key) ||
        !r.Bin("value", limits.max_value_bytes, "max_value_bytes", &delta.value) ||
        !r.Uint("version", &version)) {
      return false;
    }
    delta.version = Version(version);
  }
  return true;
}

bool ReadRoute(Reader& r, const Limits& limits, PushRoute* route) {
  r.Locate("push route");
  std::uint64_t hops_left = 0;
  if (!r.Uint("hops left", &hops_left)) return false;
  if (hops_left > kMaxHopsLeft) {
    return r.Fail(StatusCode::kProtocolError, "hops left",
                  std::to_string(hops_left) + " is above " + std::to_string(kMaxHopsLeft));
  }
  route->hops_left = static_cast<std::uint8_t>(hops_left);
  return r.Str("range after", limits.max_peer_id_bytes, "max_peer_id_bytes",
               &route->range_after) &&
         r.Str("range until", limits.max_peer_id_bytes, "max_peer_id_bytes",
               &route->range_until);
}

bool ReadEnvelope(Reader& r, const DecodeLimits& decode_limits, Decoded* out) {
  const Limits& limits = decode_limits.limits;
  Message& message = out->message;

  // The first two elements, magic and protocol version, are fixed for every
  // version of the protocol; what follows depends on the version.
  std::uint64_t elements = 0;
  if (!r.Array("envelope", &elements)) return false;
  if (elements < 2) {
    return r.Fail(StatusCode::kProtocolError, "envelope",
                  "an array of " + std::to_string(elements) + " elements");
  }
  std::string_view magic;
  if (!r.StrView("magic", &magic)) return false;
  if (magic != kMagic) {
    return r.Fail(StatusCode::kProtocolError, "magic", "not a gossipmonger message");
  }
  std::uint64_t version = 0;
  if (!r.Uint("protocol version", &version)) return false;
  if (version != kProtocolVersion) {
    return r.Fail(StatusCode::kNotSupported, "protocol version",
                  "version " + std::to_string(version) + " is not supported (this node speaks " +
                      std::to_string(kProtocolVersion) + ")");
  }
  if (elements != kEnvelopeElements) {
    return r.Fail(StatusCode::kProtocolError, "envelope",
                  "an array of " + std::to_string(elements) + " elements instead of " +
                      std::to_string(kEnvelopeElements));
  }
  std::uint64_t kind = 0;
  if (!r.Uint("message kind", &kind)) return false;
  if (kind != static_cast<std::uint64_t>(MessageKind::kDigest) &&
      kind != static_cast<std::uint64_t>(MessageKind::kDigestReply) &&
      kind != static_cast<std::uint64_t>(MessageKind::kDeltas) &&
      kind != static_cast<std::uint64_t>(MessageKind::kPush)) {
    return r.Fail(StatusCode::kProtocolError, "message kind",
                  "unknown kind " + std::to_string(kind));
  }
  message.kind = static_cast<MessageKind>(kind);
  const bool push = message.kind == MessageKind::kPush;
  if (!r.Str("cluster", decode_limits.max_cluster_bytes, "max_cluster_bytes", &out->cluster) ||
      !r.Str("sender id", limits.max_peer_id_bytes, "max_peer_id_bytes", &message.sender.id) ||
      !r.Str("sender address", limits.max_address_bytes, "max_address_bytes",
             &message.sender.address)) {
    return false;
  }

  r.Locate("body");
  std::uint64_t flags = 0;
  if (!r.FixedArray("body", push ? kPushBodyElements : kBodyElements) ||
      !r.Uint("flags", &flags)) {
    return false;
  }
  if ((flags & ~kKnownFlags) != 0) {
    return r.Fail(StatusCode::kProtocolError, "flags",
                  "unknown flag bits in " + std::to_string(flags));
  }
  message.digest_is_partial = (flags & kFlagDigestIsPartial) != 0;

  const std::size_t max_peers = PlusOneSaturated(limits.max_peers);
  std::size_t count = 0;
  if (!r.BoundedArray("digest", kMinEntryBytes, max_peers, "max_peers + 1", &count)) {
    return false;
  }
  message.digest.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    r.Locate("digest entry", i);
    if (!ReadEntry(r, limits, &message.digest[i])) return false;
  }

  r.Locate("body");
  if (!r.BoundedArray("deltas", kMinGroupBytes, max_peers, "max_peers + 1", &count)) {
    return false;
  }
  message.deltas.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    r.Locate("deltas group", i);
    if (!ReadGroup(r, limits, i, push, &message.deltas[i])) return false;
  }
  if (push && !ReadRoute(r, limits, &message.push)) return false;

  r.Locate("envelope");
  if (r.remaining() != 0) {
    return r.Fail(StatusCode::kProtocolError, "end",
                  std::to_string(r.remaining()) + " trailing bytes after the envelope");
  }
  return true;
}

}  // namespace

void Encode(std::string_view cluster, const Message& message, std::string& out) {
  const std::size_t size =
      wire_size::Envelope(cluster, message.sender, message.kind) + wire_size::Body(message);
  const std::size_t start = out.size();
  out.resize(start + size);
  Writer w(out.data() + start);

  w.Array(kEnvelopeElements);
  w.Str(kMagic);
  w.Uint(kProtocolVersion);
  w.Uint(static_cast<std::uint64_t>(message.kind));
  w.Str(cluster);
  w.Str(message.sender.id);
  w.Str(message.sender.address);

  const bool push = message.kind == MessageKind::kPush;
  w.Array(push ? kPushBodyElements : kBodyElements);
  w.Uint(message.digest_is_partial ? kFlagDigestIsPartial : 0);
  w.Array(message.digest.size());
  for (const DigestEntry& entry : message.digest) {
    w.Array(kEntryElements);
    w.Str(entry.id);
    w.Uint(entry.generation.value());
    w.Uint(entry.heartbeat.value());
    w.Uint(entry.max_version.value());
  }
  w.Array(message.deltas.size());
  for (const PeerDeltas& group : message.deltas) {
    w.Array(push ? kPushGroupElements : kGroupElements);
    w.Str(group.id);
    w.Uint(group.generation.value());
    w.Str(group.address);
    if (push) w.Uint(group.continues_from.value());
    w.Array(group.deltas.size());
    for (const KeyDelta& delta : group.deltas) {
      w.Array(kDeltaElements);
      w.Str(delta.key);
      w.Bin(delta.value);
      w.Uint(delta.version.value());
    }
  }
  if (push) {
    w.Uint(message.push.hops_left);
    w.Str(message.push.range_after);
    w.Str(message.push.range_until);
  }
  // The writer and wire_size.h follow the same size classes.
  assert(w.at() == out.data() + out.size());
}

Status Decode(std::string_view bytes, const DecodeLimits& limits, Decoded* out) {
  if (out == nullptr) {
    return Status::Error(StatusCode::kInvalidArgument, "Decode needs somewhere to decode to");
  }
  if (bytes.size() > limits.max_message_bytes) {
    return Status::Error(StatusCode::kLimitExceeded,
                         "message of " + std::to_string(bytes.size()) +
                             " bytes exceeds max_message_bytes (" +
                             std::to_string(limits.max_message_bytes) + ")");
  }
  try {
    Decoded decoded;
    Reader reader(bytes);
    if (!ReadEnvelope(reader, limits, &decoded)) return reader.TakeError();
    decoded.canonical = reader.canonical();
    *out = std::move(decoded);
    return Status::Ok();
  } catch (const std::bad_alloc&) {
    // Every allocation is bounded by the input's size; only a process
    // already out of memory gets here.
    return Status::Error(StatusCode::kLimitExceeded, "out of memory while decoding");
  } catch (...) {
    return Status::Error(StatusCode::kProtocolError, "unexpected error while decoding");
  }
}

}  // namespace gossipmonger::codec
