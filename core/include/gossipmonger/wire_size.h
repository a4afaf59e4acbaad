// Exact encoded sizes of the wire format of docs/PROTOCOL.md, without the
// codec. The engine fills messages up to the transport's budget with these;
// the msgpack codec's tests check that it produces exactly these sizes.
//
// Layout (msgpack):
//   envelope = [magic "gm", protocol version, kind, cluster, sender id,
//               sender address, body]
//   body     = [flags, [entry...], [group...]]
//   entry    = [peer id, generation, heartbeat, max version (, clean through)]
//   group    = [peer id, generation, address, [delta...] (, reset through)]
//   delta    = [key, value (bin) | nil (tombstone) | true (leave), version]
// kPush only:
//   body     = [flags, [entry...], [pushed group...], hops left, range after,
//               range until]
//   pushed group = [peer id, generation, address, continues from, [delta...]]
//
// Protocol version 2 adds the parenthesised elements (written only when
// nonzero: clean through only above max version) and the nil and true
// values. The encoder writes the lowest version that can carry a message;
// both versions are one byte (a positive fixint), so no size here depends on
// the version, and adding a version-2 delta to a message being filled never
// changes the envelope's size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gossipmonger/message.h"

namespace gossipmonger::wire_size {

constexpr std::size_t Uint(std::uint64_t v) {
  if (v < 128) return 1;
  if (v < 256) return 2;
  if (v < 65536) return 3;
  if (v <= 0xffffffffULL) return 5;
  return 9;
}
constexpr std::size_t Str(std::size_t len) {
  if (len < 32) return 1 + len;
  if (len < 256) return 2 + len;
  if (len < 65536) return 3 + len;
  return 5 + len;
}
constexpr std::size_t Bin(std::size_t len) {
  if (len < 256) return 2 + len;
  if (len < 65536) return 3 + len;
  return 5 + len;
}
constexpr std::size_t ArrayHeader(std::size_t n) {
  if (n < 16) return 1;
  if (n < 65536) return 3;
  return 5;
}
// The largest header an array the engine builds can have: it never puts
// 65536 or more elements in one array.
constexpr std::size_t kMaxArrayHeader = 3;
constexpr std::size_t kMaxArrayElements = 65535;

// Includes clean_through when it is above max_version (otherwise not sent).
std::size_t Entry(const DigestEntry& entry);
// A tombstone's or a leave's value is not sent (nil or true, one byte).
std::size_t Delta(const KeyDelta& delta);
// A group's size without its deltas, counting the deltas' array header at
// its largest (kMaxArrayHeader), and reset_through when nonzero (a reset).
std::size_t GroupOverhead(std::string_view peer_id, Generation generation,
                          std::string_view address, Version reset_through = Version());
std::size_t Group(const PeerDeltas& group);
// The same for a kPush's group, which also carries continues_from (and
// never reset_through).
std::size_t PushGroupOverhead(std::string_view peer_id, Generation generation,
                              std::string_view address, Version continues_from);
std::size_t PushGroup(const PeerDeltas& group);
// The body: flags, digest and deltas. This is what Transport::MaxBodyBytes()
// bounds.
std::size_t Body(const Message& message);
// Body with every array header counted at its largest: an upper bound that
// does not change when an element is added to an array.
std::size_t BodyOverhead();
// The same for a kPush body with this route.
std::size_t PushBodyOverhead(const PushRoute& route);
// Everything around the body.
std::size_t Envelope(std::string_view cluster, const PeerEndpoint& sender,
                     MessageKind kind);

}  // namespace gossipmonger::wire_size
