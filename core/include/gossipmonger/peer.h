// What a node knows of one peer (the original's peer object, less the failure
// detector, which the engine keeps to itself because it changes every round
// and is never persisted).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "gossipmonger/types.h"

namespace gossipmonger {

// What a stored entry of a peer's data is (docs/LIFECYCLE.md).
enum class EntryKind : std::uint8_t {
  kValue = 0,      // a key's value
  kTombstone = 1,  // the key was deleted at this version; reads skip it
  kLeave = 2,      // under the reserved empty key: the peer left the cluster
};

struct VersionedValue {
  std::string value;  // empty unless kind == kValue
  Version version;
  EntryKind kind = EntryKind::kValue;
  // When this node removes the entry, 0 for never. A tombstone: when it is
  // collected (stored at + Options::tombstone_grace). A value of this node
  // with a TTL: when the owner deletes it. Local: never on the wire.
  WallTime expires_at{};

  friend bool operator==(const VersionedValue&, const VersionedValue&) = default;
};

// Invariants:
// - every value in `data` has version <= max_version_seen;
// - for a remote peer, `data` holds every entry the owner had with a version
//   <= max_version_seen that has not since been overwritten (gap-free prefix);
// - for the local peer, max_version_seen is the local version counter;
// - `data` holds no tombstone with version <= collected_through;
// - `data` lacks no deletion with version <= max(max_version_seen,
//   clean_through): a key the owner deleted at such a version is absent
//   or a tombstone here.
struct PeerRecord {
  PeerId id;
  std::string address;
  Generation generation;
  Version max_version_seen;
  bool live = true;
  // When this node marked the peer dead or learnt that it left; 0 while it
  // is live. Persisted, so that reaping (Options::reap_dead_after) counts
  // across this node's restarts.
  WallTime down_since{};
  // Tombstones of this peer with a version <= collected_through have been
  // collected here (Storage::CollectTombstones).
  Version collected_through;
  // Set by a reset (Storage::ReplaceData): this node's holding of the peer
  // reflects every deletion through this version although it may not yet
  // hold every value up to it. 0 when no reset is under way.
  Version clean_through;
  std::unordered_map<std::string, VersionedValue> data;
};

// One line of Gossipmonger::Peers(): what a user would list about another
// peer (the original's livePeers() and deadPeers() together, as values that stay
// valid after the storage changes).
struct PeerSummary {
  PeerId id;
  std::string address;
  bool live = true;
  Version max_version_seen;  // the highest version of its data this node holds

  friend bool operator==(const PeerSummary&, const PeerSummary&) = default;
};

// What a storage keeps about a peer besides its data: created with it,
// replaced by Storage::PutPeer.
struct PeerHeader {
  PeerId id;
  std::string address;
  Generation generation;
  bool live = true;
  WallTime down_since{};  // see PeerRecord
};

// A peer this node reaped (forgot) and remembers, so that stale gossip about
// that lineage does not bring it back (docs/LIFECYCLE.md, "Reaping").
struct ForgottenPeer {
  PeerId id;
  Generation generation;
  WallTime forgotten_at{};
  friend bool operator==(const ForgottenPeer&, const ForgottenPeer&) = default;
};

}  // namespace gossipmonger
