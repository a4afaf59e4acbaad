// Validation: what the engine accepts. Every check is a pure function of
// its arguments (no engine state), so the runtime can check an Update on
// the caller's thread and the tests can check each rule on its own.
//
// Remote input that breaks a rule is dropped whole, never half-applied; a
// local call that breaks one is refused and changes nothing.
#pragma once

#include <cstddef>
#include <string_view>

#include "gossipmonger/message.h"
#include "gossipmonger/options.h"
#include "gossipmonger/status.h"

namespace gossipmonger::validation {

// The smallest message budget a transport may give: a digest entry, a
// group header and a small delta must fit.
inline constexpr std::size_t kMinBodyBytes = 256;

// The options and the transport's budget (kInvalidArgument).
Status ValidateOptions(const Options& options, std::size_t max_body_bytes);
// This node's own id and address: non-empty, within max_peer_id_bytes and
// max_address_bytes (kInvalidArgument). The checks peers make of a sender
// (ValidateMessage): they would drop every message of ours.
Status ValidateLocalEndpoint(const PeerEndpoint& self, const Limits& limits);
// What an engine needs to start, checked before anything is written: the
// options and budget (ValidateOptions), then the local endpoint. The one
// check behind Engine::Create and Gossipmonger::Create.
Status ValidateStart(const PeerEndpoint& self, const Options& options,
                     std::size_t max_body_bytes);
// An Update's key and value: within the limits, and small enough that the
// delta fits one message of this transport in the worst case.
Status ValidateUpdate(const PeerEndpoint& self, std::string_view key,
                      std::string_view value, const Options& options,
                      std::size_t max_body_bytes);
// A received message: a known kind, a valid sender, ids, keys, values and
// addresses within the limits, each group's versions ascending, and
// protocol version 2's rules: a key may be empty only in a leave or a
// tombstone, a tombstone or leave carries no value, a leave's key is empty,
// a reset (reset_through) is never pushed and is at least its group's last
// version, a digest entry's clean_through is 0 or above its max_version
// (kProtocolError or kLimitExceeded, naming the sender).
Status ValidateMessage(const Message& message, const Limits& limits);
// Whether a peer we do not know, `id`, may join a view of `known_peers`
// peers (the local node included): refused with kLimitExceeded once
// max_peers is reached.
Status AdmitPeer(std::string_view id, std::size_t known_peers, const Limits& limits);

}  // namespace gossipmonger::validation
