#include "gossipmonger/wire_size.h"

namespace gossipmonger::wire_size {

std::size_t Entry(const DigestEntry& entry) {
  return ArrayHeader(4) + Str(entry.id.size()) + Uint(entry.generation.value()) +
         Uint(entry.heartbeat.value()) + Uint(entry.max_version.value());
}

std::size_t Delta(const KeyDelta& delta) {
  return ArrayHeader(3) + Str(delta.key.size()) + Bin(delta.value.size()) +
         Uint(delta.version.value());
}

std::size_t GroupOverhead(std::string_view peer_id, Generation generation,
                          std::string_view address) {
  return ArrayHeader(4) + Str(peer_id.size()) + Uint(generation.value()) +
         Str(address.size()) + kMaxArrayHeader;
}

std::size_t Group(const PeerDeltas& group) {
  std::size_t size = ArrayHeader(4) + Str(group.id.size()) +
                     Uint(group.generation.value()) + Str(group.address.size()) +
                     ArrayHeader(group.deltas.size());
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
                     Uint(group.continues_from.value()) + ArrayHeader(group.deltas.size());
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

std::size_t Envelope(std::string_view cluster, const PeerEndpoint& sender,
                     MessageKind kind) {
  return ArrayHeader(7) + Str(2) /* "gm" */ + Uint(1) /* protocol version */ +
         Uint(static_cast<std::uint64_t>(kind)) + Str(cluster.size()) +
         Str(sender.id.size()) + Str(sender.address.size());
}

}  // namespace gossipmonger::wire_size
