#include "gossipmonger/storage.h"

namespace gossipmonger {

std::vector<const PeerRecord*> Storage::LivePeers() const {
  std::vector<const PeerRecord*> peers;
  ForEachPeer([&](const PeerRecord& peer) {
    if (peer.live) peers.push_back(&peer);
  });
  return peers;
}

std::vector<const PeerRecord*> Storage::DeadPeers() const {
  std::vector<const PeerRecord*> peers;
  ForEachPeer([&](const PeerRecord& peer) {
    if (!peer.live) peers.push_back(&peer);
  });
  return peers;
}

}  // namespace gossipmonger
