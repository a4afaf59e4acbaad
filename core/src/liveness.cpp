#include "liveness.h"

#include <algorithm>

namespace gossipmonger {

namespace {

// View starvation (see ConvictSilentPeers): needs this many live peers,
// adapts its idea of "usual" with this weight per round, and forgives at
// most this many intervals.
constexpr std::size_t kMinPeersForStarvation = 4;
constexpr double kViewAgeAlpha = 0.02;
constexpr double kMaxStarvationIntervals = 5;

}  // namespace

Liveness::Liveness(EngineContext& context, PeerView& view, Timestamp built_at)
    : context_(context),
      view_(view),
      built_at_(built_at),
      conviction_z_(PhiAccrualDetector::NormalZForPhi(context.options.dead_peer_phi)) {}

// --- steps ----------------------------------------------------------------------

Duration Liveness::PauseLimit() const {
  return Duration(
      static_cast<Duration::rep>(static_cast<double>(context_.interval().count()) *
                                 context_.options.local_pause_intervals));
}

void Liveness::NoticeLocalPause(Timestamp now) {
  if (!last_step_) {
    // Built long before it started stepping: like a pause, see StartDetectors.
    if (now - built_at_ > PauseLimit()) StartDetectors(now);
  } else if (now - *last_step_ > PauseLimit()) {
    ForgivePause(now, now - *last_step_);
  }
  last_step_ = now;
}

void Liveness::StartDetectors(Timestamp now) {
  // The application started gossiping late. Peers we know from storage but
  // have heard nothing of since (heartbeat 0) are judged from now, not from
  // our construction: we must not convict them before we have even called
  // them. A peer that is really gone is convicted as any silent peer is, a
  // few intervals later.
  for (auto& [id, state] : view_.states()) {
    if (state.heartbeat == Heartbeat()) {
      state.detector.Restart(state.heartbeat, now, context_.options);
    }
  }
}

void Liveness::ForgivePause(Timestamp now, Duration paused) {
  ++context_.stats.local_pauses;
  for (auto& [id, state] : view_.states()) {
    state.detector.Restart(state.heartbeat, now, context_.options);
  }
  context_.Announce(LocalPauseEvent{paused});
}

void Liveness::RaiseOwnHeartbeat(Timestamp now) {
  std::uint64_t rounds = 1;
  if (last_tick_)
    rounds = static_cast<std::uint64_t>((now - *last_tick_) / context_.interval());
  last_tick_ = now;
  view_.RaiseHeartbeat(std::max<std::uint64_t>(rounds, 1));
}

void Liveness::ConvictSilentPeers(Timestamp now) {
  const Options& options = context_.options;
  std::vector<Duration> ages;
  ages.reserve(view_.size());
  for (const auto& [id, state] : view_.states()) {
    if (state.live()) ages.push_back(state.detector.Age(now, options));
  }
  const Timestamp judged_at = now - ViewStarvation(ages);
  std::vector<const PeerId*> convicted;
  for (const auto& [id, state] : view_.states()) {
    if (state.live() && state.detector.Age(judged_at, options) >
                            state.detector.ConvictionAge(options, conviction_z_)) {
      convicted.push_back(&id);
    }
  }
  // Dated on the wall clock: reaping counts from it across restarts.
  const WallTime down_since = context_.WallNow(now);
  for (const PeerId* id : convicted)
    view_.SetLive(*id, *view_.Find(*id), false, down_since);
}

Duration Liveness::ViewStarvation(std::vector<Duration>& ages) {
  // Too few peers to tell our staleness from theirs.
  if (ages.size() < kMinPeersForStarvation) return Duration(0);
  // The age of our fresher news (first quartile): robust to a partition
  // that silences up to three quarters of the peers.
  auto quartile = ages.begin() + static_cast<long>((ages.size() - 1) / 4);
  std::nth_element(ages.begin(), quartile, ages.end());
  const double current_ms = static_cast<double>(quartile->count()) / 1000.0;
  if (!typical_view_age_ms_) typical_view_age_ms_ = current_ms;
  const double excess_ms = std::max(0.0, current_ms - *typical_view_age_ms_);
  *typical_view_age_ms_ += kViewAgeAlpha * (current_ms - *typical_view_age_ms_);
  // Capped, so that a node cut off from everyone still convicts them.
  const double cap_ms = static_cast<double>(context_.options.gossip_interval.count()) *
                        kMaxStarvationIntervals;
  return Duration(static_cast<Duration::rep>(std::min(excess_ms, cap_ms) * 1000.0));
}

// --- hearing --------------------------------------------------------------------

std::vector<PeerState*> Liveness::HearDigest(const Message& message, Timestamp now) {
  std::vector<PeerState*> listed(message.digest.size(), nullptr);
  for (std::size_t i = 0; i < message.digest.size(); ++i) {
    const DigestEntry& entry = message.digest[i];
    if (entry.id == context_.self.id) {
      if (entry.generation != Generation()) HearOwnEntry(entry);
      continue;
    }
    listed[i] = HearPeerEntry(entry, message.sender, now);
  }
  return listed;
}

void Liveness::HearOwnEntry(const DigestEntry& entry) {
  const Generation generation = view_.generation();
  if (entry.generation > generation ||
      (entry.generation == generation && entry.max_version > view_.version())) {
    // The cluster holds a lineage of our id that we do not have: we
    // restarted empty within the same generation, or our clock went back.
    // Our versions would be ignored; start a lineage above it.
    TakeNewLineage(std::max(entry.generation, generation));
    return;
  }
  if (entry.generation == generation && entry.heartbeat > view_.heartbeat()) {
    // We restarted with persisted state and a heartbeat from zero: jump
    // past what the cluster saw, or our rises would be ignored.
    view_.RaiseHeartbeatAbove(entry.heartbeat);
  }
}

void Liveness::TakeNewLineage(Generation above) {
  ++context_.stats.lineage_restarts;
  view_.TakeNewLineage(above);
  context_.Announce(NewLineageEvent{view_.generation()});
}

PeerState* Liveness::HearPeerEntry(const DigestEntry& entry, const PeerEndpoint& sender,
                                   Timestamp now) {
  const Options& options = context_.options;
  const bool from_itself = entry.id == sender.id;
  PeerState* state = view_.Find(entry.id);
  if (state == nullptr) {
    // Only the sender's own entry comes with an address; others arrive as
    // deltas with their address when we ask for them.
    if (!from_itself || entry.generation == Generation()) return nullptr;
    state = view_.Admit({sender.id, sender.address, entry.generation, true}, now);
    if (state == nullptr) return nullptr;
    state->vouched = true;  // it spoke to us itself
    state->heartbeat = entry.heartbeat;
    state->detector.Restart(entry.heartbeat, now, options);
    return state;
  }
  if (entry.generation < state->generation()) return state;  // stale, or a request
  if (entry.generation > state->generation()) {
    // The peer restarted empty: its old data means nothing any more.
    const PeerRecord* peer = view_.Record(entry.id);
    if (peer == nullptr) return state;
    view_.AdoptLineage(entry.id, *state, from_itself ? sender.address : peer->address,
                       entry.generation, entry.heartbeat, now);
    return state;
  }
  if (from_itself) {
    state->vouched = true;
    const PeerRecord* peer = view_.Record(entry.id);
    if (peer != nullptr && peer->address != sender.address) {
      view_.SetAddress(entry.id, *state, sender.address);
    }
    if (entry.heartbeat < state->heartbeat) NoticePeerRestart(entry.id, *state, now);
  }
  if (entry.heartbeat > state->heartbeat) {
    // A peer stored dead (we restarted) is first heard of at the heartbeat
    // it may have died with: a baseline, not a rise (unless it speaks
    // itself), so that it keeps its down_since. A left peer is back only
    // once it retracts its leave.
    const bool baseline = state->heartbeat == Heartbeat() && !from_itself;
    state->vouched = state->vouched || !baseline;  // a rise: it lives
    state->heartbeat = entry.heartbeat;
    if (state->live()) {
      state->detector.RecordHeartbeat(entry.heartbeat, now, options);
    } else if (!state->left && !baseline) {
      // Back from the dead: the silence was the peer's absence, nothing to
      // learn about its cadence from.
      state->detector.Restart(entry.heartbeat, now, options);
      view_.SetLive(entry.id, *state, true);
    }
  }
  return state;
}

void Liveness::NoticePeerRestart(const PeerId& id, PeerState& state, Timestamp now) {
  // It restarted on its persisted state, in the lineage we know: its
  // heartbeat starts from zero until our answer shows it the old value (see
  // HearOwnEntry). Its own message is news of it as fresh as news gets, so
  // it is live now, not one round trip and a heartbeat rise later, and the
  // silence while it was down teaches the detector nothing.
  state.detector.Restart(state.heartbeat, now, context_.options);
  if (!state.live() && !state.left) view_.SetLive(id, state, true);
}

}  // namespace gossipmonger
