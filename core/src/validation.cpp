#include "validation.h"

#include <chrono>
#include <string>

#include "gossipmonger/wire_size.h"

namespace gossipmonger::validation {

namespace {

Status ProtocolError(const Message& message, const std::string& what) {
  return Status::Error(StatusCode::kProtocolError,
                       "dropped message from '" + message.sender.id + "': " + what);
}

Status LimitError(const Message& message, const std::string& what) {
  return Status::Error(StatusCode::kLimitExceeded,
                       "dropped message from '" + message.sender.id + "': " + what);
}

bool BadId(const std::string& id, const Limits& limits) {
  return id.empty() || id.size() > limits.max_peer_id_bytes;
}

// A delta's key and value for its kind (docs/LIFECYCLE.md): a value under a
// non-empty key; a tombstone without a value, under any key (the empty key
// too: the tombstone of a leave entry says the peer is back); a leave under
// the reserved empty key, without a value.
Status ValidateKind(const Message& message, const KeyDelta& delta) {
  switch (delta.kind) {
    case EntryKind::kValue:
      if (delta.key.empty()) return ProtocolError(message, "empty key");
      return Status::Ok();
    case EntryKind::kTombstone:
      if (!delta.value.empty()) return ProtocolError(message, "a tombstone with a value");
      return Status::Ok();
    case EntryKind::kLeave:
      if (!delta.key.empty()) return ProtocolError(message, "a leave under a key");
      if (!delta.value.empty()) return ProtocolError(message, "a leave with a value");
      return Status::Ok();
  }
  return ProtocolError(message, "unknown entry kind");
}

// A reset group (reset_through nonzero) answers a digest, so it is never
// pushed, and its sender has seen at least what it sends.
Status ValidateReset(const Message& message, const PeerDeltas& group) {
  if (group.reset_through == Version()) return Status::Ok();
  if (message.kind == MessageKind::kPush)
    return ProtocolError(message, "a reset in a push");
  if (!group.deltas.empty() && group.reset_through < group.deltas.back().version) {
    return ProtocolError(message, "reset_through below the group's last version");
  }
  return Status::Ok();
}

// One group of deltas: its id, lineage, address and deltas.
Status ValidateGroup(const Message& message, const PeerDeltas& group,
                     const Limits& limits) {
  if (BadId(group.id, limits)) return ProtocolError(message, "invalid peer id in deltas");
  if (group.generation == Generation()) {
    return ProtocolError(message, "deltas without a generation");
  }
  if (group.address.size() > limits.max_address_bytes) {
    return LimitError(message, "address longer than max_address_bytes");
  }
  // A push's deltas continue from continues_from (0 in the other kinds).
  Version previous = group.continues_from;
  for (const KeyDelta& delta : group.deltas) {
    if (Status valid = ValidateKind(message, delta); !valid.ok()) return valid;
    if (delta.key.size() > limits.max_key_bytes) {
      return LimitError(message, "key longer than max_key_bytes");
    }
    if (delta.value.size() > limits.max_value_bytes) {
      return LimitError(message, "value longer than max_value_bytes");
    }
    if (delta.version <= previous) {
      return ProtocolError(message, "delta versions do not ascend");
    }
    previous = delta.version;
  }
  return ValidateReset(message, group);
}

// The membership lifecycle's durations (docs/LIFECYCLE.md, "Reaping").
Status ValidateReaping(const Options& options) {
  auto positive = [](std::chrono::milliseconds d, const char* name) {
    if (d.count() > 0) return Status::Ok();
    return Status::Error(StatusCode::kInvalidArgument,
                         std::string(name) + " must be positive");
  };
  Status valid = positive(options.reap_dead_after, "reap_dead_after");
  if (valid.ok()) valid = positive(options.reap_left_after, "reap_left_after");
  if (valid.ok())
    valid = positive(options.remember_forgotten_for, "remember_forgotten_for");
  return valid;
}

}  // namespace

Status ValidateOptions(const Options& options, std::size_t max_body_bytes) {
  auto invalid = [](const std::string& what) {
    return Status::Error(StatusCode::kInvalidArgument, what);
  };
  if (!(options.dead_peer_phi > 0)) return invalid("dead_peer_phi must be positive");
  if (options.gossip_interval.count() <= 0) {
    return invalid("gossip_interval must be positive");
  }
  if (options.max_intervals < 1) return invalid("max_intervals must be at least 1");
  if (!(options.local_pause_intervals >= 1)) {
    return invalid("local_pause_intervals must be at least 1");
  }
  if (options.gossip_fanout < 1) return invalid("gossip_fanout must be at least 1");
  if (options.push_max_hops < 1 || options.push_max_hops > 255) {
    return invalid("push_max_hops must be within 1..255");
  }
  if (!(options.push_rate_limit > 0)) return invalid("push_rate_limit must be positive");
  if (Status reaping = ValidateReaping(options); !reaping.ok()) return reaping;
  if (max_body_bytes < kMinBodyBytes) {
    return invalid("the transport's message budget (" + std::to_string(max_body_bytes) +
                   " bytes) is below the minimum of " + std::to_string(kMinBodyBytes));
  }
  return Status::Ok();
}

Status ValidateLocalEndpoint(const PeerEndpoint& self, const Limits& limits) {
  if (BadId(self.id, limits)) {
    return Status::Error(
        StatusCode::kInvalidArgument,
        "invalid local peer id: empty or longer than max_peer_id_bytes (" +
            std::to_string(limits.max_peer_id_bytes) + ")");
  }
  if (self.address.empty() || self.address.size() > limits.max_address_bytes) {
    return Status::Error(
        StatusCode::kInvalidArgument,
        "invalid local address: empty or longer than max_address_bytes (" +
            std::to_string(limits.max_address_bytes) + ")");
  }
  return Status::Ok();
}

Status ValidateStart(const PeerEndpoint& self, const Options& options,
                     std::size_t max_body_bytes) {
  Status valid = ValidateOptions(options, max_body_bytes);
  if (valid.ok()) valid = ValidateLocalEndpoint(self, options.limits);
  return valid;
}

Status ValidateUpdate(const PeerEndpoint& self, std::string_view key,
                      std::string_view value, const Options& options,
                      std::size_t max_body_bytes) {
  const Limits& limits = options.limits;
  if (key.empty()) return Status::Error(StatusCode::kInvalidArgument, "key is empty");
  if (key.size() > limits.max_key_bytes) {
    return Status::Error(StatusCode::kLimitExceeded,
                         "key of " + std::to_string(key.size()) +
                             " bytes exceeds max_key_bytes (" +
                             std::to_string(limits.max_key_bytes) + ")");
  }
  if (value.size() > limits.max_value_bytes) {
    return Status::Error(StatusCode::kLimitExceeded,
                         "value of " + std::to_string(value.size()) +
                             " bytes exceeds max_value_bytes (" +
                             std::to_string(limits.max_value_bytes) + ")");
  }
  // The delta must fit one message, in the worst case: with our address and
  // the largest generation and version.
  const std::size_t worst =
      wire_size::BodyOverhead() +
      wire_size::GroupOverhead(self.id, Generation(~0ULL), self.address) +
      wire_size::ArrayHeader(3) + wire_size::Str(key.size()) +
      wire_size::Bin(value.size()) + wire_size::Uint(~0ULL);
  if (worst > max_body_bytes) {
    return Status::Error(StatusCode::kLimitExceeded,
                         "key and value need " + std::to_string(worst) +
                             " bytes in a message; the transport allows " +
                             std::to_string(max_body_bytes));
  }
  return Status::Ok();
}

Status ValidateMessage(const Message& message, const Limits& limits) {
  if (message.kind != MessageKind::kDigest && message.kind != MessageKind::kDigestReply &&
      message.kind != MessageKind::kDeltas && message.kind != MessageKind::kPush) {
    return ProtocolError(message, "unknown message kind");
  }
  if (BadId(message.sender.id, limits))
    return ProtocolError(message, "invalid sender id");
  if (message.sender.address.empty() ||
      message.sender.address.size() > limits.max_address_bytes) {
    return ProtocolError(message, "invalid sender address");
  }
  if (message.digest.size() > limits.max_peers + 1 ||
      message.deltas.size() > limits.max_peers + 1) {
    return LimitError(message, "more peers than max_peers");
  }
  for (const DigestEntry& entry : message.digest) {
    if (BadId(entry.id, limits))
      return ProtocolError(message, "invalid peer id in digest");
    // Announced only while a reset is being completed, above max_version.
    if (entry.clean_through != Version() && entry.clean_through <= entry.max_version) {
      return ProtocolError(message, "clean_through not above max_version in digest");
    }
  }
  if (message.push.range_after.size() > limits.max_peer_id_bytes ||
      message.push.range_until.size() > limits.max_peer_id_bytes) {
    return ProtocolError(message, "invalid peer id in push route");
  }
  for (const PeerDeltas& group : message.deltas) {
    if (Status valid = ValidateGroup(message, group, limits); !valid.ok()) return valid;
  }
  return Status::Ok();
}

Status AdmitPeer(std::string_view id, std::size_t known_peers, const Limits& limits) {
  if (known_peers >= limits.max_peers) {
    return Status::Error(StatusCode::kLimitExceeded,
                         "ignored new peer '" + std::string(id) + "': max_peers (" +
                             std::to_string(limits.max_peers) + ") reached");
  }
  return Status::Ok();
}

}  // namespace gossipmonger::validation
