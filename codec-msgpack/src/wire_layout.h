// The layout of docs/PROTOCOL.md as constants, shared by the encoder and
// the decoder (msgpack-c writes and reads the msgpack forms themselves):
//
//   envelope = [magic "gm", protocol version, kind, cluster, sender id,
//               sender address, body]
//   body     = [flags, [entry...], [group...]]   kPush: + hops left,
//                                                 range after, range until
//   entry    = [peer id, generation, heartbeat, max version (, clean through)]
//   group    = [peer id, generation, address, [delta...] (, reset through)]
//                                       kPush: continues from before [delta...],
//                                       and never a reset through
//   delta    = [key, value, version]    value: bin, nil (a tombstone) or
//                                       true (a leave, under the key "")
// The parenthesised elements, nil and true are protocol version 2; a
// message without any of them is written in version 1 (docs/PROTOCOL.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gossipmonger::codec::layout {

inline constexpr std::string_view kMagic = "gm";
inline constexpr std::uint64_t kFlagDigestIsPartial = 1;
inline constexpr std::uint64_t kKnownFlags = kFlagDigestIsPartial;
inline constexpr std::uint64_t kMaxHopsLeft = 255;

inline constexpr std::uint32_t kEnvelopeElements = 7;
inline constexpr std::uint32_t kBodyElements = 3;
inline constexpr std::uint32_t kPushBodyElements =
    6;  // + hops left, range after, range until
inline constexpr std::uint32_t kEntryElements = 4;
inline constexpr std::uint32_t kCleanEntryElements = 5;  // + clean through (v2)
inline constexpr std::uint32_t kGroupElements = 4;
inline constexpr std::uint32_t kResetGroupElements = 5;  // + reset through (v2)
inline constexpr std::uint32_t kPushGroupElements = 5;   // + continues from
inline constexpr std::uint32_t kDeltaElements = 3;

// Fewest bytes an element of each variable-length array can take: an entry
// is [fixarray, fixstr, 3 x fixint], a group [fixarray, fixstr, fixint,
// fixstr, fixarray], a delta [fixarray, fixstr, bin8 header (2), fixint],
// in version 2 [fixarray, fixstr, nil or true (1), fixint]. A declared
// element count above remaining bytes / minimum cannot be honest.
inline constexpr std::size_t kMinEntryBytes = 5;
inline constexpr std::size_t kMinGroupBytes = 5;
inline constexpr std::size_t kMinDeltaBytes = 5;
inline constexpr std::size_t kMinDeltaBytesV2 = 4;

}  // namespace gossipmonger::codec::layout
