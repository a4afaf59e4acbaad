// What the engine announces: the original's semantic events as values. The
// runtime turns them into callbacks; the simulator counts them. (The original's
// protocol events, `digest send` and friends, are raised by the runtime
// around the transport, where the message already exists.)
#pragma once

#include <string>
#include <variant>

#include "gossipmonger/message.h"
#include "gossipmonger/status.h"
#include "gossipmonger/types.h"

namespace gossipmonger {

// `error`: something was refused, dropped or could not be persisted. The
// node goes on. Normal situations that need no action (a local pause, a new
// lineage) have events of their own below.
struct ErrorEvent {
  Status status;
};
// `new peer`: the node learned of a peer it did not know.
struct NewPeerEvent {
  PeerEndpoint peer;
};
// `peer dead`: phi of a live peer exceeded DEAD_PEER_PHI.
struct PeerDeadEvent {
  PeerEndpoint peer;
};
// `peer live`: a dead peer's heartbeat rose again.
struct PeerLiveEvent {
  PeerEndpoint peer;
};
// `update`: a remote peer's key took a new value.
struct UpdateEvent {
  PeerId peer;
  std::string key;
  std::string value;
  Version version;
};
// `unknown peer`: deltas arrived for a peer this node does not know and the
// sender gave no address for it. They were dropped.
struct UnknownPeerEvent {
  PeerId peer;
};

// `local pause` (not in the original): this node's own loop ran nothing for
// `paused`, longer than local_pause_intervals gossip intervals (GC, suspend,
// overload). The peers' silence during the pause is forgiven: nobody is
// convicted for it.
struct LocalPauseEvent {
  Duration paused;
};
// `new lineage` (not in the original): peers hold a newer lineage of this node's
// id than the node has (it restarted without its state, its clock went
// back, or another node uses its id). It took `generation` and renumbered
// its data from version 1; the cluster replaces the old lineage with it.
struct NewLineageEvent {
  Generation generation;
};

// `delete` (not in the original): a remote peer's key this node held a
// value of was deleted (a tombstone arrived, or a reset showed the key
// gone). Reads no longer return it. `version`: the tombstone's, or for a
// key a reset lacks the reset's reset_through (deleted at or before it).
struct DeleteEvent {
  PeerId peer;
  std::string key;
  Version version;
};

// `peer left` (not in the original): the peer called Leave(). It is no longer
// live, is not probed and is never convicted (no `peer dead`); it is
// forgotten after Options::reap_left_after.
struct PeerLeftEvent {
  PeerEndpoint peer;
};

// `peer forgotten` (not in the original): a peer dead for reap_dead_after or
// left for reap_left_after was removed from memory, storage and digests.
// Stale gossip about this lineage will not bring it back; the peer itself
// returning (or a newer lineage of its id) is a `new peer` again.
struct PeerForgottenEvent {
  PeerId peer;
  Generation generation;
};

using Event =
    std::variant<ErrorEvent, NewPeerEvent, PeerDeadEvent, PeerLiveEvent, UpdateEvent,
                 UnknownPeerEvent, LocalPauseEvent, NewLineageEvent, DeleteEvent,
                 PeerLeftEvent, PeerForgottenEvent>;

}  // namespace gossipmonger
