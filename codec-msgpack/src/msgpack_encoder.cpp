// Encode: msgpack-c's packer writes the layout of wire_layout.h into memory
// sized beforehand by wire_size.h.
//
// Why sized beforehand: the size is known exactly and cheaply, so the frame
// is resized once and the packer's every write is a plain copy with no
// capacity check. The packer takes the smallest msgpack form of every
// integer, string, bin and array header, which is what wire_size.h counts;
// the assertion at the end holds the two together (the fuzzer and the
// codec tests run with assertions on).
//
// The protocol version: the lowest that can carry the message. It is
// written as 1, and raised to 2 in place once the packing has written a
// version-2 form (a nil or true value, a clean through, a reset through):
// one pass over the message, and the byte's size is the same for both.
#include <cassert>
#include <cstring>
#include <msgpack.hpp>

#include "gossipmonger/msgpack_codec.h"
#include "gossipmonger/wire_size.h"
#include "wire_layout.h"

namespace gossipmonger::codec {

namespace {

// The packer's output stream: memory already sized by wire_size, so it
// checks nothing. Owns nothing; `at` must have room for every write.
class PresizedBuffer {
 public:
  explicit PresizedBuffer(char* at) : at_(at) {}

  void write(const char* data, std::size_t size) {
    std::memcpy(at_, data, size);
    at_ += size;
  }

  char* at() const { return at_; }

 private:
  char* at_;
};

using Packer = msgpack::packer<PresizedBuffer>;

// Lengths fit in uint32_t: Encode's contract (msgpack_codec.h).
[[gnu::always_inline]] inline void PackStr(Packer& packer, std::string_view s) {
  const auto size = static_cast<std::uint32_t>(s.size());
  packer.pack_str(size);
  if (size != 0) packer.pack_str_body(s.data(), size);
}

[[gnu::always_inline]] inline void PackBin(Packer& packer, std::string_view s) {
  const auto size = static_cast<std::uint32_t>(s.size());
  packer.pack_bin(size);
  if (size != 0) packer.pack_bin_body(s.data(), size);
}

void PackArray(Packer& packer, std::size_t elements) {
  packer.pack_array(static_cast<std::uint32_t>(elements));
}

// Whether it wrote a clean through (version 2). The packing functions
// return this rather than set a flag through a pointer, which the packer's
// byte writes might alias: the flag stays in a register.
bool PackDigest(Packer& packer, const std::vector<DigestEntry>& digest) {
  bool v2 = false;
  PackArray(packer, digest.size());
  for (const DigestEntry& entry : digest) {
    const bool clean = entry.clean_through > entry.max_version;
    packer.pack_array(clean ? layout::kCleanEntryElements : layout::kEntryElements);
    PackStr(packer, entry.id);
    packer.pack_uint64(entry.generation.value());
    packer.pack_uint64(entry.heartbeat.value());
    packer.pack_uint64(entry.max_version.value());
    if (clean) packer.pack_uint64(entry.clean_through.value());
    v2 |= clean;
  }
  return v2;
}

// A tombstone's and a leave's value are not sent (they are empty). Whether
// it wrote one of them (version 2).
[[gnu::always_inline]] inline bool PackDelta(Packer& packer, const KeyDelta& delta) {
  packer.pack_array(layout::kDeltaElements);
  PackStr(packer, delta.key);
  bool v2 = true;
  switch (delta.kind) {
    case EntryKind::kTombstone:
      packer.pack_nil();
      break;
    case EntryKind::kLeave:
      packer.pack_true();
      break;
    default:
      PackBin(packer, delta.value);
      v2 = false;
      break;
  }
  packer.pack_uint64(delta.version.value());
  return v2;
}

// `push`: kPush groups also carry continues_from, and never reset_through.
// Whether it wrote a reset or a version-2 delta.
bool PackGroups(Packer& packer, const std::vector<PeerDeltas>& groups, bool push) {
  bool v2 = false;
  PackArray(packer, groups.size());
  for (const PeerDeltas& group : groups) {
    const bool reset = !push && group.reset_through != Version();
    packer.pack_array(push    ? layout::kPushGroupElements
                      : reset ? layout::kResetGroupElements
                              : layout::kGroupElements);
    PackStr(packer, group.id);
    packer.pack_uint64(group.generation.value());
    PackStr(packer, group.address);
    if (push) packer.pack_uint64(group.continues_from.value());
    PackArray(packer, group.deltas.size());
    for (const KeyDelta& delta : group.deltas) v2 |= PackDelta(packer, delta);
    if (reset) packer.pack_uint64(group.reset_through.value());
    v2 |= reset;
  }
  return v2;
}

void PackMessage(PresizedBuffer& buffer, std::string_view cluster,
                 const Message& message) {
  Packer packer(buffer);
  packer.pack_array(layout::kEnvelopeElements);
  PackStr(packer, layout::kMagic);
  // A positive fixint: one byte, raised to 2 below if needed.
  char* const version = buffer.at();
  packer.pack_uint64(kMinProtocolVersion);
  packer.pack_uint64(static_cast<std::uint64_t>(message.kind));
  PackStr(packer, cluster);
  PackStr(packer, message.sender.id);
  PackStr(packer, message.sender.address);

  const bool push = message.kind == MessageKind::kPush;
  packer.pack_array(push ? layout::kPushBodyElements : layout::kBodyElements);
  packer.pack_uint64(message.digest_is_partial ? layout::kFlagDigestIsPartial : 0);
  bool v2 = PackDigest(packer, message.digest);
  v2 |= PackGroups(packer, message.deltas, push);
  if (push) {
    packer.pack_uint64(message.push.hops_left);
    PackStr(packer, message.push.range_after);
    PackStr(packer, message.push.range_until);
  }
  static_assert(kProtocolVersion < 128, "the version byte is a positive fixint");
  if (v2) *version = static_cast<char>(kProtocolVersion);
}

}  // namespace

void Encode(std::string_view cluster, const Message& message, std::string& out) {
  const std::size_t size = wire_size::Envelope(cluster, message.sender, message.kind) +
                           wire_size::Body(message);
  const std::size_t start = out.size();
  out.resize(start + size);
  PresizedBuffer buffer(out.data() + start);
  PackMessage(buffer, cluster, message);
  // The packer and wire_size.h follow the same size classes.
  assert(buffer.at() == out.data() + out.size());
}

}  // namespace gossipmonger::codec
