#include "gossipmonger/storage.h"

namespace gossipmonger {

std::vector<const PeerRecord*> Storage::LivePeers(std::string_view local_id) const {
  std::vector<const PeerRecord*> peers;
  ForEachPeer([&](const PeerRecord& peer) {
    if (peer.live && peer.id != local_id) peers.push_back(&peer);
  });
  return peers;
}

std::vector<const PeerRecord*> Storage::DeadPeers(std::string_view local_id) const {
  std::vector<const PeerRecord*> peers;
  ForEachPeer([&](const PeerRecord& peer) {
    if (!peer.live && peer.id != local_id) peers.push_back(&peer);
  });
  return peers;
}

}  // namespace gossipmonger
