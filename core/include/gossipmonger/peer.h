// What a node knows of one peer (the original's peer object, less the failure
// detector, which the engine keeps to itself because it changes every round
// and is never persisted).
#pragma once

#include <string>
#include <unordered_map>

#include "gossipmonger/types.h"

namespace gossipmonger {

struct VersionedValue {
  std::string value;
  Version version;

  friend bool operator==(const VersionedValue&, const VersionedValue&) = default;
};

// Invariants:
// - every value in `data` has version <= max_version_seen;
// - for a remote peer, `data` holds every entry the owner had with a version
//   <= max_version_seen that has not since been overwritten (gap-free prefix);
// - for the local peer, max_version_seen is the local version counter.
struct PeerRecord {
  PeerId id;
  std::string address;
  Generation generation;
  Version max_version_seen;
  bool live = true;
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
};

}  // namespace gossipmonger
