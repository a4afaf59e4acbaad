// What peers exchange. The original's two message kinds, digest and deltas, plus
// two documented extensions: kDigestReply, which makes each exchange
// reconcile both ways, and kPush, which carries fresh deltas at once,
// between rounds (docs/DESIGN-NOTES.md, "Push and fanout"):
//
//   initiator                      responder
//     kDigest       (SYN)   ──►      absorbs heartbeats, answers with
//     kDigestReply  (SYN-ACK) ◄──    its differing digest entries + deltas
//     kDeltas       (ACK)   ──►      what the responder lacked
//
// These are plain values; a transport encodes them (docs/PROTOCOL.md) and
// `wire_size.h` gives their exact encoded size.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gossipmonger/peer.h"
#include "gossipmonger/types.h"

namespace gossipmonger {

// A peer's id and the data its transport needs to reach it (the original's
// `peer.transport`; for the shipped transports "host:port").
struct PeerEndpoint {
  PeerId id;
  std::string address;

  friend bool operator==(const PeerEndpoint&, const PeerEndpoint&) = default;
};

// One line of a digest: what the sender knows of one peer.
// In a kDigestReply, `generation` 0 means "I do not know this peer: send me
// everything you have of it".
struct DigestEntry {
  PeerId id;
  Generation generation;
  Heartbeat heartbeat;
  Version max_version;
  // Above max_version only while the sender completes a reset of this peer
  // (PeerRecord::clean_through); 0 otherwise. Protocol version 2.
  Version clean_through{};

  friend bool operator==(const DigestEntry&, const DigestEntry&) = default;
};

// The original's delta [peerId, key, value, version], without the peer id,
// which its enclosing PeerDeltas carries.
// A tombstone (kind kTombstone, empty value) deletes its key; a leave (kind
// kLeave, empty key and value) says the peer left. Both need protocol
// version 2 (docs/PROTOCOL.md).
struct KeyDelta {
  std::string key;
  std::string value;  // a byte string; need not be UTF-8
  Version version;
  EntryKind kind = EntryKind::kValue;
  // Local only, never encoded (0 on every received delta): stored as
  // VersionedValue::expires_at.
  WallTime expires_at{};

  friend bool operator==(const KeyDelta&, const KeyDelta&) = default;
};

// Deltas of one peer, in strictly ascending version order and gap-free: they
// continue the prefix the receiver announced, so the receiver may raise its
// max_version_seen of that peer to the last version it applies.
struct PeerDeltas {
  PeerId id;
  Generation generation;
  // Set when the sender believes the receiver does not know this peer (or
  // knows an older generation of it); empty otherwise.
  std::string address;
  std::vector<KeyDelta> deltas;
  // kPush only (encoded only there; 0 elsewhere): `deltas` are every change
  // of the peer's data with a version in (continues_from, last version], so
  // a receiver whose max_version_seen is at least continues_from may apply
  // them and keep its prefix gap-free. In the other kinds the prefix is the
  // one the receiver announced in its digest.
  Version continues_from{};
  // Nonzero: a reset (docs/LIFECYCLE.md, "Tombstone collection"). The
  // sender collected tombstones the receiver never saw, so `deltas` are the
  // sender's whole holding of the peer from its lowest version (values and
  // uncollected tombstones, ascending; maybe only a first page of it), and
  // the sender has seen every change through `reset_through`. The receiver
  // replaces what it holds of the peer with them. Protocol version 2.
  Version reset_through{};

  friend bool operator==(const PeerDeltas&, const PeerDeltas&) = default;
};

enum class MessageKind : std::uint8_t {
  kDigest = 1,       // SYN: the sender's whole digest (or a partial one)
  kDigestReply = 2,  // SYN-ACK: entries that differ from the SYN, plus deltas
  kDeltas = 3,       // ACK: deltas only
  kPush = 4,         // fresh deltas pushed at once, outside the rounds
};

// Where a kPush goes next. The receiver is responsible for the live peers
// whose ids lie on the arc (range_after, range_until] of the ring of ids in
// byte order (wrapping past the largest id; range_after == range_until
// means the whole ring). It forwards what was new to it to up to
// push_fanout of them, each responsible for one contiguous part of the arc,
// with hops_left - 1. hops_left 0, or empty range ids: do not forward.
struct PushRoute {
  std::uint8_t hops_left = 0;
  PeerId range_after;
  PeerId range_until;

  // Whether the receiver has a part of the tree to forward to. Only such a
  // push is acknowledged (and resent when the acknowledgement is late):
  // losing it loses a whole arc, while a lost leaf costs one node, which
  // anti-entropy repairs within a round.
  bool forwards() const {
    return hops_left > 0 && !range_after.empty() && !range_until.empty();
  }

  friend bool operator==(const PushRoute&, const PushRoute&) = default;
};

struct Message {
  MessageKind kind = MessageKind::kDigest;
  PeerEndpoint sender;  // the original's localPeer {id, transport}
  // True when `digest` is a subset of what the sender knows (it did not fit
  // the message budget): the receiver must not read a missing entry as "the
  // sender does not know this peer".
  bool digest_is_partial = false;
  std::vector<DigestEntry> digest;
  std::vector<PeerDeltas> deltas;
  // kPush only (encoded only there).
  PushRoute push{};

  friend bool operator==(const Message&, const Message&) = default;
};

}  // namespace gossipmonger
