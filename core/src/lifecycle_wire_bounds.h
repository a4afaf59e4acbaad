// Upper bounds of the bytes protocol version 2's fields add to a message
// (docs/PROTOCOL.md): an entry's kind, a digest entry's clean_through, a
// group's reset_through. Temporary: wire_size.h does not count them yet
// (another part of issue 14 makes it exact); until then every size the
// engine fills a budget with adds these, so that no message it builds can
// exceed the transport's budget. Remove them (and this file) once
// wire_size counts the fields.
#pragma once

#include <cstddef>

#include "gossipmonger/message.h"
#include "gossipmonger/wire_size.h"

namespace gossipmonger::lifecycle_wire {

// Each field is at most one more array element (an unsigned integer, and
// one byte more of array header at worst) where it is set; nothing where it
// has its version-1 value, since a message without any is encoded in
// version 1, byte for byte as before (docs/LIFECYCLE.md).
inline std::size_t DeltaExtra(const KeyDelta& delta) {
  return delta.kind == EntryKind::kValue ? 0 : 2;
}
inline std::size_t EntryExtra(const DigestEntry& entry) {
  return entry.clean_through == Version()
             ? 0
             : 1 + wire_size::Uint(entry.clean_through.value());
}
inline std::size_t GroupExtra(Version reset_through) {
  return reset_through == Version() ? 0 : 1 + wire_size::Uint(reset_through.value());
}
inline std::size_t EntrySize(const DigestEntry& entry) {
  return wire_size::Entry(entry) + EntryExtra(entry);
}
inline std::size_t DeltaSize(const KeyDelta& delta) {
  return wire_size::Delta(delta) + DeltaExtra(delta);
}
// What wire_size::Body(message) may leave uncounted.
inline std::size_t MessageExtra(const Message& message) {
  std::size_t extra = 0;
  for (const DigestEntry& entry : message.digest) extra += EntryExtra(entry);
  for (const PeerDeltas& group : message.deltas) {
    extra += GroupExtra(group.reset_through);
    for (const KeyDelta& delta : group.deltas) extra += DeltaExtra(delta);
  }
  return extra;
}

}  // namespace gossipmonger::lifecycle_wire
