// The wire codec shared by the TCP and UDP transports: one Message in one
// msgpack envelope (docs/PROTOCOL.md). msgpack-c stays behind this header.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "gossipmonger/message.h"
#include "gossipmonger/options.h"
#include "gossipmonger/status.h"

namespace gossipmonger::codec {

inline constexpr std::uint64_t kProtocolVersion = 1;

// Appends the encoding of `message`, sent in cluster `cluster`, to `out`.
// Its size is exactly wire_size::Envelope(...) + wire_size::Body(message).
void Encode(std::string_view cluster, const Message& message, std::string& out);

// Bounds a decoder enforces before it allocates anything.
struct DecodeLimits {
  std::size_t max_message_bytes = 16 * 1024 * 1024;
  Limits limits;  // ids, addresses, keys, values, peers
};

struct Decoded {
  std::string cluster;
  Message message;
};

// Decodes exactly one envelope from `bytes` (trailing bytes are an error).
// Never throws and never crashes, whatever `bytes` holds: malformed input,
// wrong magic or protocol version, wrong types, deep nesting or oversized
// fields give a kProtocolError / kLimitExceeded / kNotSupported Status.
Status Decode(std::string_view bytes, const DecodeLimits& limits, Decoded* out);

}  // namespace gossipmonger::codec
