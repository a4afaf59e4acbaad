// What peers exchange. The seed's two message kinds, digest and deltas, plus
// one documented extension (kDigestReply) that makes each exchange
// reconcile both ways:
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

#include "gossipmonger/types.h"

namespace gossipmonger {

// A peer's id and the data its transport needs to reach it (the seed's
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

  friend bool operator==(const DigestEntry&, const DigestEntry&) = default;
};

// The seed's delta [peerId, key, value, version], without the peer id,
// which its enclosing PeerDeltas carries.
struct KeyDelta {
  std::string key;
  std::string value;  // a byte string; need not be UTF-8
  Version version;

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

  friend bool operator==(const PeerDeltas&, const PeerDeltas&) = default;
};

enum class MessageKind : std::uint8_t {
  kDigest = 1,       // SYN: the sender's whole digest (or a partial one)
  kDigestReply = 2,  // SYN-ACK: entries that differ from the SYN, plus deltas
  kDeltas = 3,       // ACK: deltas only
};

struct Message {
  MessageKind kind = MessageKind::kDigest;
  PeerEndpoint sender;  // the seed's localPeer {id, transport}
  // True when `digest` is a subset of what the sender knows (it did not fit
  // the message budget): the receiver must not read a missing entry as "the
  // sender does not know this peer".
  bool digest_is_partial = false;
  std::vector<DigestEntry> digest;
  std::vector<PeerDeltas> deltas;

  friend bool operator==(const Message&, const Message&) = default;
};

}  // namespace gossipmonger
