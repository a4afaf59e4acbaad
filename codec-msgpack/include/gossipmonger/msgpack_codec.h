// The wire codec shared by the TCP and UDP transports: one Message in one
// msgpack envelope (docs/PROTOCOL.md). Built on msgpack-c (its packer, and
// its visitor parser, which builds no object tree), which stays behind this
// header: users of the codec need neither msgpack-c nor its headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gossipmonger/message.h"
#include "gossipmonger/options.h"
#include "gossipmonger/status.h"

namespace gossipmonger::codec {

// The protocol versions this codec reads: 1 and 2 (docs/PROTOCOL.md).
inline constexpr std::uint64_t kMinProtocolVersion = 1;
inline constexpr std::uint64_t kProtocolVersion = 2;  // the newest

// Appends the encoding of `message`, sent in cluster `cluster`, to `out`.
// Its size is exactly wire_size::Envelope(...) + wire_size::Body(message):
// every integer, string, bin and array header takes its smallest msgpack
// form. It is written in the lowest protocol version that can carry it: a
// message without a tombstone, a leave, a reset or a clean through is
// version 1, byte for byte as before version 2 existed; anything else is
// version 2. What the wire does not carry is not written: a tombstone's or
// leave's value, expires_at, continues_from outside kPush, reset_through in
// kPush, clean_through unless above max_version.
// Encode does not validate the message (the engine does); it requires
// only that every string be shorter than 4 GiB and every array hold fewer
// than 2^32 elements, which the engine's limits guarantee.
void Encode(std::string_view cluster, const Message& message, std::string& out);

// Bounds a decoder enforces before it allocates anything.
struct DecodeLimits {
  std::size_t max_message_bytes = 16 * 1024 * 1024;
  std::size_t max_cluster_bytes = 256;
  Limits limits;  // ids, addresses, keys, values, peers
};

struct Decoded {
  std::string cluster;
  Message message;
  // True when every field used its smallest msgpack form, i.e. when
  // Encode(cluster, message) gives back exactly the decoded bytes. The
  // decoder also accepts wider forms (an integer as uint64, a short string
  // as str16...) that other msgpack encoders may write; those clear it, and
  // so does a version-2 envelope around a message that version 1 carries.
  bool canonical = true;
  // The envelope's protocol version (kMinProtocolVersion..kProtocolVersion).
  std::uint64_t protocol_version = kProtocolVersion;
};

// Decodes exactly one envelope from `bytes` (trailing bytes are an error).
// Never throws and never crashes, whatever `bytes` holds: malformed input,
// wrong magic, wrong types, deep nesting or oversized fields give a
// kProtocolError or kLimitExceeded Status; a protocol version outside
// kMinProtocolVersion..kProtocolVersion gives kNotSupported, and a version-2
// form (nil or true value, clean through, reset through) in a version-1
// envelope a kProtocolError. On error `*out` is left untouched.
//
// Memory: a string is copied only once its bytes are known to be present
// and within its limit, and an array's count is checked against its limit
// and against the bytes that can remain before anything is reserved for
// it, so a decode allocates O(bytes.size()) at most (about 23 bytes of
// Message per input byte in the worst case of empty elements: a group of
// 5 bytes, or a version-2 leave of 4). The decoder
// does not recurse, however deep the input nests.
//
// The decoder checks syntax and DecodeLimits only; the engine still
// validates the message's meaning (non-empty ids, ascending versions...).
Status Decode(std::string_view bytes, const DecodeLimits& limits, Decoded* out);

}  // namespace gossipmonger::codec
