#include "gossipmonger/wire_size.h"

namespace gossipmonger::wire_size {

namespace {
// Protocol version 2's optional trailing elements: absent (0 bytes) unless
// they carry something. Either way the element's array stays a fixarray.
std::size_t Optional(bool present, Version v) { return present ? Uint(v.value()) : 0; }

// The value slot: a bin for a value; nil (tombstone) or true (leave), one
// byte each, for the other kinds.
std::size_t ValueSlot(const KeyDelta& delta) {
  const bool marker =
      delta.kind == EntryKind::kTombstone || delta.kind == EntryKind::kLeave;
  return marker ? 1 : Bin(delta.value.size());
}
}  // namespace

std::size_t Entry(const DigestEntry& entry) {
  const bool clean = entry.clean_through > entry.max_version;
  return ArrayHeader(clean ? 5 : 4) + Str(entry.id.size()) +
         Uint(entry.generation.value()) + Uint(entry.heartbeat.value()) +
         Uint(entry.max_version.value()) + Optional(clean, entry.clean_through);
}

std::size_t Delta(const KeyDelta& delta) {
  return ArrayHeader(3) + Str(delta.key.size()) + ValueSlot(delta) +
         Uint(delta.version.value());
}

std::size_t GroupOverhead(std::string_view peer_id, Generation generation,
                          std::string_view address, Version reset_through) {
  const bool reset = reset_through != Version();
  return ArrayHeader(reset ? 5 : 4) + Str(peer_id.size()) + Uint(generation.value()) +
         Str(address.size()) + kMaxArrayHeader + Optional(reset, reset_through);
}

std::size_t Group(const PeerDeltas& group) {
  const bool reset = group.reset_through != Version();
  std::size_t size = ArrayHeader(reset ? 5 : 4) + Str(group.id.size()) +
                     Uint(group.generation.value()) + Str(group.address.size()) +
                     ArrayHeader(group.deltas.size()) +
                     Optional(reset, group.reset_through);
  for (const KeyDelta& delta : group.deltas) size += Delta(delta);
  return size;
}

std::size_t PushGroupOverhead(std::string_view peer_id, Generation generation,
                              std::string_view address, Version continues_from) {
  return ArrayHeader(5) + Str(peer_id.size()) + Uint(generation.value()) +
         Str(address.size()) + Uint(continues_from.value()) + kMaxArrayHeader;
}

std::size_t PushGroup(const PeerDeltas& group) {
  std::size_t size = ArrayHeader(5) + Str(group.id.size()) +
                     Uint(group.generation.value()) + Str(group.address.size()) +
                     Uint(group.continues_from.value()) +
                     ArrayHeader(group.deltas.size());
  for (const KeyDelta& delta : group.deltas) size += Delta(delta);
  return size;
}

namespace {
std::size_t Route(const PushRoute& route) {
  return Uint(route.hops_left) + Str(route.range_after.size()) +
         Str(route.range_until.size());
}

std::uint64_t Flags(const Message& message) { return message.digest_is_partial ? 1 : 0; }
}  // namespace

std::size_t Body(const Message& message) {
  const bool push = message.kind == MessageKind::kPush;
  std::size_t size = ArrayHeader(push ? 6 : 3) + Uint(Flags(message)) +
                     ArrayHeader(message.digest.size()) +
                     ArrayHeader(message.deltas.size());
  for (const DigestEntry& entry : message.digest) size += Entry(entry);
  for (const PeerDeltas& group : message.deltas) {
    size += push ? PushGroup(group) : Group(group);
  }
  if (push) size += Route(message.push);
  return size;
}

std::size_t BodyOverhead() { return ArrayHeader(3) + Uint(1) + 2 * kMaxArrayHeader; }

std::size_t PushBodyOverhead(const PushRoute& route) {
  return ArrayHeader(6) + Uint(1) + 2 * kMaxArrayHeader + Route(route);
}

// Protocol versions 1 and 2 are both a positive fixint: the envelope's size
// does not depend on which one a message needs.
static_assert(Uint(1) == Uint(2));

std::size_t Envelope(std::string_view cluster, const PeerEndpoint& sender,
                     MessageKind kind) {
  return ArrayHeader(7) + Str(2) /* "gm" */ + Uint(2) /* protocol version 1 or 2 */ +
         Uint(static_cast<std::uint64_t>(kind)) + Str(cluster.size()) +
         Str(sender.id.size()) + Str(sender.address.size());
}

}  // namespace gossipmonger::wire_size
