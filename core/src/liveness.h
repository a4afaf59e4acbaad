// Liveness: which peers are live, judged from the heartbeats this node
// hears, and this node's own heartbeat and lineage as the others see them.
//
// - Hearing: every message's digest carries heartbeats, the sender's and
//   those it relays; a rise feeds the peer's failure detector (whoever
//   reports it), a dead peer whose heartbeat rises is live again, and a
//   newer generation is a restart (PeerView::AdoptLineage).
// - Judging: a live peer whose news is older than its detector allows at
//   DEAD_PEER_PHI is convicted, as if our own news were as fresh as usual
//   (ViewStarvation): when all our knowledge is stale at once, that is our
//   problem, not every peer's.
// - Left peers (PeerState::left, Departures) are not live, so never
//   convicted, and a rising heartbeat does not revive them until they
//   retract their leave. A conviction dates the peer's down_since on the
//   wall clock, from which it is reaped (Reaper).
// - Local pauses: a gap longer than local_pause_intervals between two steps
//   (Tick or Step) means our own loop was paused; the silence it caused is
//   forgiven (`local pause`).
// - Our lineage: a digest showing a newer lineage of our own id makes us
//   take a new one (`new lineage`); one showing a higher heartbeat of ours
//   (we restarted on persisted state) makes ours jump past it.
//
// The per-peer state it reads and updates is the PeerView's (PeerState).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "engine_context.h"
#include "peer_view.h"

namespace gossipmonger {

class Liveness {
 public:
  // `built_at`: the engine's construction.
  Liveness(EngineContext& context, PeerView& view, Timestamp built_at);

  // First thing at every step (Tick or Step): forgives a local pause.
  void NoticeLocalPause(Timestamp now);
  // Tick: our heartbeat keeps time, one per interval, missed rounds
  // included, so that peers' estimate of its age stays right after a stall.
  void RaiseOwnHeartbeat(Timestamp now);
  // Convicts live peers whose phi exceeds DEAD_PEER_PHI (`peer dead`).
  void ConvictSilentPeers(Timestamp now);
  // Takes in what a received message's digest says of heartbeats and
  // lineages; a new sender is admitted. Returns, for each entry, the state
  // of the peer it names (nullptr for ourselves and for peers we do not
  // know).
  std::vector<PeerState*> HearDigest(const Message& message, Timestamp now);

 private:
  void HearOwnEntry(const DigestEntry& entry);
  PeerState* HearPeerEntry(const DigestEntry& entry, const PeerEndpoint& sender,
                           Timestamp now);
  // The peer itself speaks with a heartbeat below the one we know: it
  // restarted on its persisted state.
  void NoticePeerRestart(const PeerId& id, PeerState& state, Timestamp now);
  void TakeNewLineage(Generation above);
  // Our first step came long after we were built: detectors of peers not
  // heard of since start counting now.
  void StartDetectors(Timestamp now);
  void ForgivePause(Timestamp now, Duration paused);
  // How much staler than usual our news of everyone is right now; reorders
  // `ages`.
  Duration ViewStarvation(std::vector<Duration>& ages);
  Duration PauseLimit() const;

  EngineContext& context_;
  PeerView& view_;
  Timestamp built_at_;
  std::optional<Timestamp> last_step_;
  std::optional<Timestamp> last_tick_;
  std::optional<double> typical_view_age_ms_;
  // The normal model's z at which phi equals DEAD_PEER_PHI.
  double conviction_z_;
};

}  // namespace gossipmonger
