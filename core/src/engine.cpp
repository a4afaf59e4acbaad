// The Engine is a dispatcher: time (Tick, Step), messages (Receive) and
// local updates (Update) are handed to the concept each belongs to. The
// concepts share one EngineContext (identity, options, RNG, outbox, events,
// counters) and one PeerView (the storage's only writer).
#include "gossipmonger/engine.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "anti_entropy.h"
#include "departures.h"
#include "engine_context.h"
#include "gossip_targets.h"
#include "liveness.h"
#include "peer_view.h"
#include "push_tree.h"
#include "reaper.h"
#include "validation.h"

namespace gossipmonger {

struct Engine::Parts {
  Parts(PeerEndpoint self, Options options, Storage& storage, Timestamp now,
        std::uint64_t rng_seed, std::size_t max_body_bytes, Duration wall_offset)
      : context(std::move(self), std::move(options), max_body_bytes, rng_seed,
                wall_offset),
        view(context, storage),
        liveness(context, view, now),
        anti_entropy(context, view),
        targets(context, view, anti_entropy),
        push(context, view),
        departures(context, view),
        reaper(context, view, storage),
        clock(now) {}

  // The wall clock for local calls (Update, Delete), which get no time:
  // the latest time the engine was given, at most a step ago.
  WallTime WallNow() const { return context.WallNow(clock); }

  // A local change took versions above `before` (or none): pushed at once
  // with push_fanout > 0, coalesced with what waits for a token.
  Status PushOwn(Version before, Status stored) {
    if (view.version() == before) return stored;  // unchanged, or refused
    if (context.options.push_fanout > 0) {
      push.QueueOwn(before);
      push.Flush();
    }
    return stored;
  }

  Status SetOwn(std::string_view key, std::string_view value, WallTime expires_at) {
    Status valid = validation::ValidateUpdate(context.self, key, value, context.options,
                                              context.max_body_bytes);
    if (!valid.ok()) return valid;
    const Version before = view.version();
    return PushOwn(before, view.SetOwnValue(key, value, expires_at));
  }

  // Deletes our keys whose TTL passed (docs/LIFECYCLE.md, "TTL"); the
  // tombstones go with the step's push.
  void ExpireDueKeys() {
    const Version before = view.version();
    for (const std::string& key : view.TakeExpiredKeys(WallNow())) {
      view.DeleteOwnKey(key, WallNow());  // a failure is reported
    }
    if (view.version() != before && context.options.push_fanout > 0)
      push.QueueOwn(before);
  }

  // Deltas an exchange brought (any kind but kPush), group by group: the
  // view applies them; they may fill the gap below held pushes, and what
  // was new to us is pushed on to our ring neighbours.
  void ApplyExchangedDeltas(const Message& message, Timestamp now) {
    for (const PeerDeltas& group : message.deltas) {
      const PeerState* state = view.Find(group.id);
      const Generation generation_before = state ? state->generation() : Generation();
      const Version before = state ? state->max_version_seen() : Version();
      view.ApplyDeltas(group, now);
      push.ReleaseHeld(group.id, now);
      push.NoteLearned(group.id, generation_before, before);
    }
  }

  // A peer's leave (or its retraction) takes effect once its deltas are
  // applied, whichever way they came. `had_held`: deltas were held before
  // the message (it may have released them).
  void NoteDepartures(const Message& message, Timestamp now, bool had_held) {
    for (const PeerDeltas& group : message.deltas) {
      if (departures.MayChange(group, had_held)) departures.NoteApplied(group.id, now);
    }
  }

  // With pushes off, a leave goes out in one last digest exchange with up
  // to gossip_fanout live peers: each answers that it lacks our newest
  // version, and our acknowledgement carries the leave.
  void SendLeaveDigests() {
    std::vector<const PeerId*> partners = view.LiveRing();
    std::shuffle(partners.begin(), partners.end(), context.rng);
    partners.resize(std::min(partners.size(), context.options.gossip_fanout));
    for (const PeerId* id : partners) {
      if (const PeerRecord* peer = view.Record(*id))
        anti_entropy.SendDigest({peer->id, peer->address});
    }
  }

  // Pushes lost (unacknowledged) go again, those that waited for a token
  // go now. All a node that left still does at each step.
  void PushOnly(Timestamp now) {
    push.ResendUnacked(now);
    push.RefillTokens(now);
    push.Flush();
  }

  // What Tick and Step both do, after their own work.
  void ConvictAndPush(Timestamp now) {
    liveness.ConvictSilentPeers(now);
    PushOnly(now);
  }

  EngineContext context;
  PeerView view;
  Liveness liveness;
  AntiEntropy anti_entropy;
  GossipTargets targets;
  PushTree push;
  Departures departures;
  Reaper reaper;
  Timestamp clock;  // the latest time given to the engine
};

namespace {

// The wall clock never starts before what the membership lifecycle already
// stored (docs/LIFECYCLE.md, "Clocks"): the offset is raised so that the
// wall time at `now` is at least `latest_stored`.
Duration WallOffsetNotBefore(Duration wall_offset, Timestamp now,
                             WallTime latest_stored) {
  return std::max(wall_offset, latest_stored - now);
}

}  // namespace

Status Engine::Create(PeerEndpoint self, Options options, Storage& storage,
                      const Startup& startup, std::unique_ptr<Engine>* out) {
  if (out == nullptr) {
    return Status::Error(StatusCode::kInvalidArgument, "no place for the engine (out)");
  }
  out->reset();
  Status valid = validation::ValidateStart(self, options, startup.max_body_bytes);
  if (!valid.ok()) return valid;
  // Not make_unique: the constructor is private.
  out->reset(new Engine(std::move(self), std::move(options), storage, startup));
  return Status::Ok();
}

Status Engine::Create(PeerEndpoint self, Storage& storage, Options options,
                      std::unique_ptr<Engine>* out) {
  return Create(std::move(self), std::move(options), storage, Startup{}, out);
}

Engine::Engine(PeerEndpoint self, Options options, Storage& storage,
               const Startup& startup) {
  const Timestamp now = startup.now;
  const Duration wall_offset =
      WallOffsetNotBefore(startup.wall_offset, now, LatestMembershipWallTime(storage));
  parts_ = std::make_unique<Parts>(std::move(self), std::move(options), storage, now,
                                   startup.rng_seed, startup.max_body_bytes, wall_offset);
  Parts& p = *parts_;
  p.view.Load(now, startup.fresh_generation);
  // docs/LIFECYCLE.md, "Clocks": never below a wall time already stored
  // (tombstone deadlines here; down_since and forgotten_at above).
  p.context.RaiseWallClock(p.view.LatestStoredWallTime(), now);
  const Version loaded = p.view.version();
  // A node that left and is started again on its storage retracts its
  // leave; the retraction is pushed at the first step.
  if (p.departures.Load(now)) p.push.QueueOwn(loaded);
  p.reaper.Load(now);
}

Engine::~Engine() = default;

// --- time ---------------------------------------------------------------------

void Engine::Tick(Timestamp now) {
  Parts& p = *parts_;
  p.clock = now;
  if (p.departures.leaving()) {
    p.PushOnly(now);
    return;
  }
  p.liveness.NoticeLocalPause(now);
  p.liveness.RaiseOwnHeartbeat(now);
  p.ExpireDueKeys();
  p.view.CollectTombstones(p.WallNow());  // once per round
  ++p.context.stats.rounds;
  // Before the round's choices: a forgotten peer is no partner.
  p.reaper.RunDue(now);
  p.departures.PruneLeft();
  // Exchanges of the last round still waiting (more partners than steps
  // per round) go before this round's.
  p.targets.StartWaitingExchanges(/*all=*/true);
  p.targets.StartRound();
  p.ConvictAndPush(now);
}

void Engine::Step(Timestamp now) {
  Parts& p = *parts_;
  p.clock = now;
  if (p.departures.leaving()) {
    p.PushOnly(now);
    return;
  }
  p.liveness.NoticeLocalPause(now);
  p.ExpireDueKeys();
  p.ConvictAndPush(now);
  p.targets.StartWaitingExchanges(/*all=*/false);
}

// --- messages -------------------------------------------------------------------

void Engine::Receive(const Message& received, Timestamp now) {
  Parts& p = *parts_;
  EngineContext& context = p.context;
  p.clock = now;
  ++context.stats.messages_received;
  Status valid = validation::ValidateMessage(received, context.options.limits);
  if (!valid.ok()) {
    ++context.stats.messages_dropped;
    context.Report(std::move(valid));
    return;
  }
  if (received.sender.id == context.self.id) {
    // Our own message came back (we are listed as our own seed, or another
    // node uses our id). Nothing in it is news.
    ++context.stats.messages_dropped;
    return;
  }
  // What it says of peers we forgot (and remember) is stale: left out.
  const std::optional<Message> screened = p.reaper.Screen(received);
  const Message& message = screened ? *screened : received;
  const bool had_held = !p.push.held().empty();
  // Every kind may carry digest entries: heartbeats and lineages first.
  const std::vector<PeerState*> listed = p.liveness.HearDigest(message, now);
  switch (message.kind) {
    case MessageKind::kDigest:
      p.ApplyExchangedDeltas(message, now);
      p.anti_entropy.ReplyToDigest(message, listed);
      break;
    case MessageKind::kDigestReply:
      p.ApplyExchangedDeltas(message, now);
      p.targets.NoteReply();
      p.anti_entropy.AcknowledgeReply(message);
      break;
    case MessageKind::kDeltas:
      p.ApplyExchangedDeltas(message, now);
      break;
    case MessageKind::kPush:
      p.push.Receive(message, now);
      break;
  }
  p.NoteDepartures(message, now, had_held);
  p.push.RefillTokens(now);
  p.push.Flush();
}

// --- local updates ----------------------------------------------------------------

Status Engine::ValidateUpdate(const PeerEndpoint& self, std::string_view key,
                              std::string_view value, const Options& options,
                              std::size_t max_body_bytes) {
  return validation::ValidateUpdate(self, key, value, options, max_body_bytes);
}

Status Engine::ValidateOptions(const Options& options, std::size_t max_body_bytes) {
  return validation::ValidateOptions(options, max_body_bytes);
}

Status Engine::Leave() {
  Parts& p = *parts_;
  if (p.departures.leaving()) return Status::Ok();
  const Version before = p.view.version();
  Status stored = p.PushOwn(before, p.departures.Leave());
  if (p.context.options.push_fanout == 0) p.SendLeaveDigests();
  return stored;
}

bool Engine::LeaveDone() const {
  const Parts& p = *parts_;
  return p.departures.leaving() && p.context.options.push_fanout > 0 && p.push.Settled();
}

Status Engine::Update(std::string_view key, std::string_view value) {
  return parts_->SetOwn(key, value, WallTime());
}

Status Engine::Update(std::string_view key, std::string_view value, Duration ttl) {
  if (ttl < Duration(0)) {
    return Status::Error(StatusCode::kInvalidArgument, "ttl is negative");
  }
  Parts& p = *parts_;
  return p.SetOwn(key, value, ttl == Duration(0) ? WallTime() : p.WallNow() + ttl);
}

Status Engine::Delete(std::string_view key) {
  Parts& p = *parts_;
  const EngineContext& context = p.context;
  Status valid = validation::ValidateUpdate(context.self, key, {}, context.options,
                                            context.max_body_bytes);
  if (!valid.ok()) return valid;
  const Version before = p.view.version();
  return p.PushOwn(before, p.view.DeleteOwnKey(key, p.WallNow()));
}

// --- outputs and inspection ---------------------------------------------------------

std::vector<OutgoingMessage> Engine::TakeOutbox() {
  return std::exchange(parts_->context.outbox, {});
}

std::vector<Event> Engine::TakeEvents() {
  return std::exchange(parts_->context.events, {});
}

const PeerEndpoint& Engine::self() const { return parts_->context.self; }
Generation Engine::generation() const { return parts_->view.generation(); }
Heartbeat Engine::heartbeat() const { return parts_->view.heartbeat(); }
Version Engine::version() const { return parts_->view.version(); }
const Options& Engine::options() const { return parts_->context.options; }
const EngineStats& Engine::stats() const { return parts_->context.stats; }

std::vector<DigestEntry> Engine::FullDigest() const {
  return parts_->anti_entropy.FullDigest();
}

std::optional<double> Engine::Phi(std::string_view peer_id, Timestamp now) const {
  const PeerState* state = parts_->view.Find(peer_id);
  if (state == nullptr) return std::nullopt;
  return state->detector.Phi(now, parts_->context.options);
}

std::optional<Duration> Engine::HeartbeatAge(std::string_view peer_id,
                                             Timestamp now) const {
  const PeerState* state = parts_->view.Find(peer_id);
  if (state == nullptr) return std::nullopt;
  return state->detector.Age(now, parts_->context.options);
}

std::optional<Heartbeat> Engine::KnownHeartbeat(std::string_view peer_id) const {
  if (peer_id == parts_->context.self.id) return parts_->view.heartbeat();
  const PeerState* state = parts_->view.Find(peer_id);
  if (state == nullptr) return std::nullopt;
  return state->heartbeat;
}

}  // namespace gossipmonger
