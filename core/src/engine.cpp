#include "gossipmonger/engine.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

#include "gossipmonger/wire_size.h"

namespace gossipmonger {

namespace {

constexpr std::size_t kMinBodyBytes = 256;
// View starvation (see UpdateLiveness): needs this many live peers, adapts
// its idea of "usual" with this weight per round, and forgives at most this
// many intervals.
constexpr std::size_t kMinPeersForStarvation = 4;
constexpr double kViewAgeAlpha = 0.02;
constexpr double kMaxStarvationIntervals = 5;

Status ProtocolError(const Message& message, const std::string& what) {
  return Status::Error(StatusCode::kProtocolError,
                       "dropped message from '" + message.sender.id + "': " + what);
}

Status LimitError(const Message& message, const std::string& what) {
  return Status::Error(StatusCode::kLimitExceeded,
                       "dropped message from '" + message.sender.id + "': " + what);
}

template <typename T>
const T& RandomElement(const std::vector<T>& items, std::mt19937_64& rng) {
  std::uniform_int_distribution<std::size_t> pick(0, items.size() - 1);
  return items[pick(rng)];
}

}  // namespace

Status Engine::ValidateOptions(const Options& options, std::size_t max_body_bytes) {
  auto invalid = [](const std::string& what) {
    return Status::Error(StatusCode::kInvalidArgument, what);
  };
  if (!(options.dead_peer_phi > 0)) return invalid("dead_peer_phi must be positive");
  if (options.gossip_interval.count() <= 0) {
    return invalid("gossip_interval must be positive");
  }
  if (options.max_intervals < 1) return invalid("max_intervals must be at least 1");
  if (!(options.local_pause_intervals >= 1)) {
    return invalid("local_pause_intervals must be at least 1");
  }
  if (options.gossip_fanout < 1) return invalid("gossip_fanout must be at least 1");
  if (options.push_max_hops < 1 || options.push_max_hops > 255) {
    return invalid("push_max_hops must be within 1..255");
  }
  if (!(options.push_rate_limit > 0)) return invalid("push_rate_limit must be positive");
  if (max_body_bytes < kMinBodyBytes) {
    return invalid("the transport's message budget (" + std::to_string(max_body_bytes) +
                   " bytes) is below the minimum of " + std::to_string(kMinBodyBytes));
  }
  return Status::Ok();
}

Engine::Engine(PeerEndpoint self, Options options, Storage& storage, Timestamp now,
               Generation fresh_generation, std::uint64_t rng_seed,
               std::size_t max_body_bytes)
    : self_(std::move(self)),
      options_(std::move(options)),
      storage_(storage),
      max_body_bytes_(max_body_bytes),
      rng_(rng_seed) {
  Status valid = ValidateOptions(options_, max_body_bytes_);
  if (valid.ok() &&
      (self_.id.empty() || self_.id.size() > options_.limits.max_peer_id_bytes)) {
    valid = Status::Error(StatusCode::kInvalidArgument, "invalid local peer id");
  }
  if (!valid.ok()) throw std::invalid_argument(valid.ToString());
  conviction_z_ = PhiAccrualDetector::NormalZForPhi(options_.dead_peer_phi);
  push_tokens_ = std::max(1.0, options_.push_rate_limit);
  StartFromStorage(now, fresh_generation);
}

void Engine::StartFromStorage(Timestamp now, Generation fresh_generation) {
  built_at_ = now;
  const PeerRecord* own = storage_.Get(self_.id);
  if (own != nullptr && own->generation != Generation()) {
    // Resume the persisted lineage: same generation, same version counter,
    // so peers that already hold our data need nothing of it again.
    generation_ = own->generation;
    version_ = own->max_version_seen;
    if (own->address != self_.address || !own->live) {
      Persist(storage_.PutPeer({self_.id, self_.address, generation_, true}));
    }
  } else {
    generation_ = std::max(fresh_generation, Generation(1));
    Persist(storage_.PutPeer({self_.id, self_.address, generation_, true}));
  }
  storage_.ForEachPeer([&](const PeerRecord& peer) {
    if (peer.id == self_.id) return;
    Mirror(peer.id, now);
  });
}

// --- restarts: what a (re)started node and its peers assume -----------------

void Engine::StartDetectors(Timestamp now) {
  // Our first step came more than local_pause_intervals after we were
  // built (the application started gossiping late). Peers we know from
  // storage but have heard nothing of since (heartbeat 0) are judged from
  // now, not from our construction: we must not convict them before we
  // have even called them. Their detectors start now, so a peer that is
  // really gone is convicted as any silent peer is, a few intervals later.
  for (auto& [id, liveness] : liveness_) {
    if (liveness.heartbeat == Heartbeat()) {
      liveness.detector.Restart(liveness.heartbeat, now, options_);
    }
  }
}

void Engine::NoticePeerRestart(const PeerId& id, Liveness& liveness, Timestamp now) {
  // The peer itself speaks, in the lineage we know, with a heartbeat below
  // the one we know: it restarted on its persisted state (its heartbeat
  // starts from zero until our answer shows it the old value; see
  // AbsorbOwnEntry). Its own message is news of it as fresh as news gets,
  // so it is live now, not one round trip and a heartbeat rise later, and
  // the silence while it was down teaches the detector nothing.
  liveness.detector.Restart(liveness.heartbeat, now, options_);
  if (!liveness.live) SetLive(id, liveness, true);
}

// --- rounds -----------------------------------------------------------------

void Engine::NoticeLocalPause(Timestamp now) {
  const auto pause_limit = Duration(static_cast<Duration::rep>(
      static_cast<double>(
          std::chrono::duration_cast<Duration>(options_.gossip_interval).count()) *
      options_.local_pause_intervals));
  if (!last_step_) {
    // Built long before it started stepping: like a pause, see StartDetectors.
    if (now - built_at_ > pause_limit) StartDetectors(now);
  } else if (now - *last_step_ > pause_limit) {
    ForgivePause(now);
  }
  last_step_ = now;
}

void Engine::Tick(Timestamp now) {
  NoticeLocalPause(now);
  // Our heartbeat keeps time: one per interval, missed rounds included, so
  // that peers' estimate of its age stays right after we stall.
  std::uint64_t rounds = 1;
  if (last_tick_) {
    rounds = static_cast<std::uint64_t>(
        (now - *last_tick_) /
        std::chrono::duration_cast<Duration>(options_.gossip_interval));
  }
  last_tick_ = now;
  ++stats_.rounds;
  heartbeat_ = Heartbeat(heartbeat_.value() + std::max<std::uint64_t>(rounds, 1));
  // Exchanges of the last round still waiting (more partners than checks
  // per round) go before this round's.
  StartStaggeredExchanges(/*all=*/true);
  ChooseGossipTargets();
  JudgeLiveness(now);
}

void Engine::StartStaggeredExchanges(bool all) {
  while (!staggered_targets_.empty()) {
    const PeerId id = std::move(staggered_targets_.front());
    staggered_targets_.erase(staggered_targets_.begin());
    const auto it = liveness_.find(id);
    const PeerRecord* peer = storage_.Get(id);
    if (it == liveness_.end() || !it->second.live || peer == nullptr) continue;
    SendDigest({peer->id, peer->address});
    if (!all) return;
  }
}

void Engine::ChooseGossipTargets() {
  std::vector<const PeerId*> live;
  std::vector<const PeerId*> dead;
  live.reserve(liveness_.size());
  for (const auto& [id, liveness] : liveness_)
    (liveness.live ? live : dead).push_back(&id);
  auto send_to = [&](const PeerId& id) {
    const PeerRecord* peer = storage_.Get(id);
    if (peer != nullptr) SendDigest({peer->id, peer->address});
  };
  // gossip_fanout distinct live peers (drawn one by one, so that fanout 1
  // makes the seed's single draw).
  std::vector<const PeerId*> chosen;
  if (!live.empty()) {
    // If last round's exchanges got no reply (lost, or the peers are slow or
    // gone), call one more peer: a node whose messages are being lost would
    // otherwise let its heartbeat go stale everywhere and be convicted.
    const bool retry = awaiting_reply_;
    awaiting_reply_ = true;
    auto draw_new = [&] {
      for (;;) {
        const PeerId* pick = RandomElement(live, rng_);
        if (std::find(chosen.begin(), chosen.end(), pick) == chosen.end()) return pick;
      }
    };
    while (chosen.size() < std::min(options_.gossip_fanout, live.size())) {
      chosen.push_back(draw_new());
    }
    // The first now, the others one per liveness check (CheckLiveness).
    send_to(*chosen.front());
    for (std::size_t i = 1; i < chosen.size(); ++i)
      staggered_targets_.push_back(*chosen[i]);
    if (retry && live.size() > chosen.size()) {
      send_to(*draw_new());
      ++stats_.retries;
    }
  }
  if (!dead.empty()) {
    // The seed's rule: a dead peer with probability dead / (live + 1), so
    // that a healed partition is noticed; always when nobody is live.
    std::uniform_real_distribution<double> coin(0.0, 1.0);
    const double p =
        static_cast<double>(dead.size()) / static_cast<double>(live.size() + 1);
    if (live.empty() || coin(rng_) < p) send_to(*RandomElement(dead, rng_));
  }
  GossipToSeeds(live.size(), live.size() + dead.size(), chosen);
}

std::vector<PeerEndpoint> Engine::OtherSeeds() const {
  std::vector<PeerEndpoint> seeds;
  for (const PeerEndpoint& seed : options_.seeds) {
    if (seed.id != self_.id && seed.address != self_.address) seeds.push_back(seed);
  }
  return seeds;
}

void Engine::GossipToSeeds(std::size_t live, std::size_t known,
                           const std::vector<const PeerId*>& partners) {
  const std::vector<PeerEndpoint> seeds = OtherSeeds();
  if (seeds.empty()) return;
  if (!announced_to_seeds_) {
    // A starting node announces itself to every seed once: seeds that are
    // starting too, or that formed groups of their own, all hear of it.
    announced_to_seeds_ = true;
    for (const PeerEndpoint& seed : seeds) SendDigest(seed);
    return;
  }
  // Seeds that are not already among this round's partners.
  std::vector<PeerEndpoint> others;
  for (const PeerEndpoint& seed : seeds) {
    const bool partner = std::any_of(partners.begin(), partners.end(),
                                     [&](const PeerId* id) { return *id == seed.id; });
    if (!partner) others.push_back(seed);
  }
  if (others.empty()) return;
  // The seed's rule: alone (fewer than MINIMUM_LIVE_PEERS), always. Then
  // Cassandra's: groups that formed apart (nodes that started while a seed
  // was not up yet) share the seeds, so talking to a seed now and then
  // merges them. Always while fewer peers are live than there are seeds;
  // otherwise, unless this round's partners include a seed, with probability
  // seeds / known peers, which costs the whole cluster about one digest
  // exchange per seed per round, whatever its size.
  bool call = live < options_.minimum_live_peers || live < seeds.size();
  if (!call && others.size() == seeds.size()) {
    std::uniform_real_distribution<double> coin(0.0, 1.0);
    call = coin(rng_) < static_cast<double>(seeds.size()) /
                            static_cast<double>(std::max<std::size_t>(known, 1));
  }
  if (call) SendDigest(RandomElement(others, rng_));
}

void Engine::CheckLiveness(Timestamp now) {
  JudgeLiveness(now);
  StartStaggeredExchanges(/*all=*/false);
}

void Engine::JudgeLiveness(Timestamp now) {
  NoticeLocalPause(now);
  std::vector<Duration> ages;
  ages.reserve(liveness_.size());
  for (const auto& [id, liveness] : liveness_) {
    if (liveness.live) ages.push_back(liveness.detector.Age(now, options_));
  }
  // Judge each peer as if our own news were as fresh as usual: when all our
  // knowledge is stale at once (our messages were lost, nobody called us,
  // our loop was slow), that is our problem, not every peer's.
  const Timestamp judged_at = now - ViewStarvation(ages);
  std::vector<const PeerId*> convicted;
  for (const auto& [id, liveness] : liveness_) {
    if (liveness.live && liveness.detector.Age(judged_at, options_) >
                             liveness.detector.ConvictionAge(options_, conviction_z_)) {
      convicted.push_back(&id);
    }
  }
  for (const PeerId* id : convicted) SetLive(*id, liveness_.find(*id)->second, false);
  // Pushes that waited for a token go now, lost ones again (Tick calls us
  // too).
  ResendUnacked(now);
  RefillPushTokens(now);
  FlushPushes();
}

Duration Engine::ViewStarvation(std::vector<Duration>& ages) {
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
  const double cap_ms =
      static_cast<double>(options_.gossip_interval.count()) * kMaxStarvationIntervals;
  return Duration(static_cast<Duration::rep>(std::min(excess_ms, cap_ms) * 1000.0));
}

void Engine::ForgivePause(Timestamp now) {
  ++stats_.local_pauses;
  for (auto& [id, liveness] : liveness_) {
    liveness.detector.Restart(liveness.heartbeat, now, options_);
  }
  Report(Status::Error(StatusCode::kUnavailable,
                       "the local gossip loop was paused; peers' silence during the "
                       "pause is forgiven, no peer is convicted for it"));
}

// --- digests ----------------------------------------------------------------

DigestEntry Engine::OwnEntry() const {
  return {self_.id, generation_, heartbeat_, version_};
}

DigestEntry Engine::EntryOf(const PeerId& id, const Liveness& liveness) const {
  return {id, liveness.generation, liveness.heartbeat, liveness.max_version_seen};
}

std::vector<DigestEntry> Engine::FullDigest() const {
  std::vector<DigestEntry> digest;
  digest.reserve(liveness_.size() + 1);
  digest.push_back(OwnEntry());
  for (const auto& [id, liveness] : liveness_) digest.push_back(EntryOf(id, liveness));
  return digest;
}

std::vector<DigestEntry> Engine::DigestForSyn(bool* partial) {
  std::vector<DigestEntry> digest = FullDigest();
  std::size_t size = wire_size::BodyOverhead();
  for (const DigestEntry& entry : digest) size += wire_size::Entry(entry);
  *partial = size > BodyBudget() || digest.size() > wire_size::kMaxArrayElements;
  if (!*partial) return digest;
  // Too big for one message (a large cluster on UDP): send our own entry and
  // a random subset that fits, so that over rounds every entry travels.
  std::shuffle(digest.begin() + 1, digest.end(), rng_);
  size = wire_size::BodyOverhead();
  std::size_t kept = 0;
  while (kept < digest.size() && kept < wire_size::kMaxArrayElements) {
    const std::size_t entry_size = wire_size::Entry(digest[kept]);
    if (size + entry_size > BodyBudget()) break;
    size += entry_size;
    ++kept;
  }
  digest.resize(kept);
  return digest;
}

Message Engine::NewMessage(MessageKind kind) const {
  Message message;
  message.kind = kind;
  message.sender = self_;
  return message;
}

void Engine::SendDigest(const PeerEndpoint& to) {
  Message syn = NewMessage(MessageKind::kDigest);
  syn.digest = DigestForSyn(&syn.digest_is_partial);
  outbox_.push_back({to, std::move(syn)});
}

// --- receiving --------------------------------------------------------------

Status Engine::ValidateMessage(const Message& message) const {
  const Limits& limits = options_.limits;
  auto bad_id = [&](const std::string& id) {
    return id.empty() || id.size() > limits.max_peer_id_bytes;
  };
  if (message.kind != MessageKind::kDigest && message.kind != MessageKind::kDigestReply &&
      message.kind != MessageKind::kDeltas && message.kind != MessageKind::kPush) {
    return ProtocolError(message, "unknown message kind");
  }
  if (bad_id(message.sender.id)) return ProtocolError(message, "invalid sender id");
  if (message.sender.address.empty() ||
      message.sender.address.size() > limits.max_address_bytes) {
    return ProtocolError(message, "invalid sender address");
  }
  if (message.digest.size() > limits.max_peers + 1 ||
      message.deltas.size() > limits.max_peers + 1) {
    return LimitError(message, "more peers than max_peers");
  }
  for (const DigestEntry& entry : message.digest) {
    if (bad_id(entry.id)) return ProtocolError(message, "invalid peer id in digest");
  }
  if (message.push.range_after.size() > limits.max_peer_id_bytes ||
      message.push.range_until.size() > limits.max_peer_id_bytes) {
    return ProtocolError(message, "invalid peer id in push route");
  }
  for (const PeerDeltas& group : message.deltas) {
    if (bad_id(group.id)) return ProtocolError(message, "invalid peer id in deltas");
    if (group.generation == Generation()) {
      return ProtocolError(message, "deltas without a generation");
    }
    if (group.address.size() > limits.max_address_bytes) {
      return LimitError(message, "address longer than max_address_bytes");
    }
    // A push's deltas continue from continues_from (0 in the other kinds).
    Version previous = group.continues_from;
    for (const KeyDelta& delta : group.deltas) {
      if (delta.key.empty()) return ProtocolError(message, "empty key");
      if (delta.key.size() > limits.max_key_bytes) {
        return LimitError(message, "key longer than max_key_bytes");
      }
      if (delta.value.size() > limits.max_value_bytes) {
        return LimitError(message, "value longer than max_value_bytes");
      }
      if (delta.version <= previous) {
        return ProtocolError(message, "delta versions do not ascend");
      }
      previous = delta.version;
    }
  }
  return Status::Ok();
}

void Engine::Receive(const Message& message, Timestamp now) {
  ++stats_.messages_received;
  Status valid = ValidateMessage(message);
  if (!valid.ok()) {
    ++stats_.messages_dropped;
    Report(std::move(valid));
    return;
  }
  if (message.sender.id == self_.id) {
    // Our own message came back (we are listed as our own seed, or another
    // node uses our id). Nothing in it is news.
    ++stats_.messages_dropped;
    return;
  }
  const std::vector<Liveness*> listed = AbsorbDigest(message, now);
  if (message.kind == MessageKind::kPush) {
    ReceivePush(message, now);
  } else {
    ApplyDeltas(message, now);
  }
  if (message.kind == MessageKind::kDigest) ReplyToDigest(message, listed);
  if (message.kind == MessageKind::kDigestReply) {
    awaiting_reply_ = false;
    AcknowledgeReply(message);
  }
  RefillPushTokens(now);
  FlushPushes();
}

std::vector<Engine::Liveness*> Engine::AbsorbDigest(const Message& message,
                                                    Timestamp now) {
  ++digests_received_;
  std::vector<Engine::Liveness*> listed(message.digest.size(), nullptr);
  for (std::size_t i = 0; i < message.digest.size(); ++i) {
    const DigestEntry& entry = message.digest[i];
    if (entry.id == self_.id) {
      if (entry.generation != Generation()) AbsorbOwnEntry(entry);
      continue;
    }
    listed[i] = AbsorbPeerEntry(entry, message.sender, now);
    if (listed[i] != nullptr) listed[i]->listed_in = digests_received_;
  }
  return listed;
}

void Engine::AbsorbOwnEntry(const DigestEntry& entry) {
  if (entry.generation > generation_ ||
      (entry.generation == generation_ && entry.max_version > version_)) {
    // The cluster holds a lineage of our id that we do not have: we
    // restarted empty within the same generation, or our clock went back.
    // Our versions would be ignored; start a lineage above it.
    StartNewLineage(std::max(entry.generation, generation_));
    return;
  }
  if (entry.generation == generation_ && entry.heartbeat > heartbeat_) {
    // We restarted with persisted state and a heartbeat from zero: jump
    // past what the cluster saw, or our rises would be ignored.
    heartbeat_ = entry.heartbeat.next();
  }
}

void Engine::StartNewLineage(Generation above) {
  ++stats_.lineage_restarts;
  generation_ = above.next();
  const PeerRecord* own = storage_.Get(self_.id);
  std::vector<std::pair<Version, KeyDelta>> ordered;
  for (const auto& [key, value] : own->data) {
    ordered.push_back({value.version, KeyDelta{key, value.value, Version()}});
  }
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<KeyDelta> data;
  data.reserve(ordered.size());
  Version version;
  for (auto& [old_version, delta] : ordered) {
    version = version.next();
    delta.version = version;
    data.push_back(std::move(delta));
  }
  Persist(storage_.PutPeer({self_.id, self_.address, generation_, true}));
  version_ = version;
  Persist(storage_.PutDeltas(self_.id, data, version_));
  Report(Status::Error(StatusCode::kProtocolError,
                       "peers hold a newer lineage of id '" + self_.id +
                           "' (restarted without its state, or the id is used "
                           "twice); took generation " +
                           std::to_string(generation_.value())));
}

Engine::Liveness* Engine::AbsorbPeerEntry(const DigestEntry& entry,
                                          const PeerEndpoint& sender, Timestamp now) {
  const bool from_itself = entry.id == sender.id;
  auto it = liveness_.find(entry.id);
  if (it == liveness_.end()) {
    // Only the sender's own entry comes with an address; others arrive as
    // deltas with their address when we ask for them.
    if (!from_itself || entry.generation == Generation()) return nullptr;
    if (!AdmitPeer({sender.id, sender.address, entry.generation, true}, now))
      return nullptr;
    Liveness& liveness = liveness_.find(entry.id)->second;
    liveness.heartbeat = entry.heartbeat;
    liveness.detector.Restart(entry.heartbeat, now, options_);
    return &liveness;
  }
  Liveness& liveness = it->second;
  if (entry.generation < liveness.generation) return &liveness;  // stale, or a request
  if (entry.generation > liveness.generation) {
    // The peer restarted empty: its old data means nothing any more.
    const PeerRecord* peer = storage_.Get(entry.id);
    if (peer == nullptr) return &liveness;
    const bool was_dead = !liveness.live;
    PeerHeader header{entry.id, from_itself ? sender.address : peer->address,
                      entry.generation, true};
    Persist(storage_.PutPeer(header));
    Mirror(entry.id, now);
    liveness.heartbeat = entry.heartbeat;
    liveness.detector.Restart(entry.heartbeat, now, options_);
    if (was_dead) events_.push_back(PeerLiveEvent{{header.id, header.address}});
    return &liveness;
  }
  if (from_itself) {
    const PeerRecord* peer = storage_.Get(entry.id);
    if (peer != nullptr && peer->address != sender.address) {
      Persist(storage_.PutPeer({entry.id, sender.address, peer->generation, peer->live}));
    }
  }
  if (from_itself && entry.heartbeat < liveness.heartbeat) {
    NoticePeerRestart(entry.id, liveness, now);
  }
  if (entry.heartbeat > liveness.heartbeat) {
    liveness.heartbeat = entry.heartbeat;
    if (liveness.live) {
      liveness.detector.RecordHeartbeat(entry.heartbeat, now, options_);
    } else {
      // Back from the dead: the silence was the peer's absence, nothing to
      // learn about its cadence from.
      liveness.detector.Restart(entry.heartbeat, now, options_);
      SetLive(entry.id, liveness, true);
    }
  }
  return &liveness;
}

bool Engine::AdmitPeer(const PeerHeader& header, Timestamp now) {
  if (header.address.empty()) return false;
  if (storage_.PeerCount() >= options_.limits.max_peers) {
    Report(Status::Error(StatusCode::kLimitExceeded,
                         "ignored new peer '" + header.id + "': max_peers (" +
                             std::to_string(options_.limits.max_peers) + ") reached"));
    return false;
  }
  Persist(storage_.PutPeer(header));
  liveness_.insert_or_assign(
      header.id, Liveness{Heartbeat(), PhiAccrualDetector(now, options_), {}, {}});
  ring_dirty_ = true;
  Mirror(header.id, now);
  events_.push_back(NewPeerEvent{{header.id, header.address}});
  return true;
}

Engine::Liveness& Engine::LivenessOf(const PeerId& id, Timestamp now) {
  auto it = liveness_.find(id);
  if (it == liveness_.end()) {
    it =
        liveness_
            .emplace(id, Liveness{Heartbeat(), PhiAccrualDetector(now, options_), {}, {}})
            .first;
    ring_dirty_ = true;
  }
  return it->second;
}

Engine::Liveness& Engine::Mirror(const PeerId& id, Timestamp now) {
  Liveness& liveness = LivenessOf(id, now);
  if (const PeerRecord* peer = storage_.Get(id)) {
    liveness.generation = peer->generation;
    liveness.max_version_seen = peer->max_version_seen;
    if (liveness.live != peer->live) ring_dirty_ = true;
    liveness.live = peer->live;
  }
  return liveness;
}

void Engine::SetLive(const PeerId& id, Liveness& liveness, bool live) {
  const PeerRecord* peer = storage_.Get(id);
  if (peer == nullptr) return;
  PeerHeader header{peer->id, peer->address, peer->generation, live};
  Persist(storage_.PutPeer(header));
  liveness.live = live;
  ring_dirty_ = true;
  if (live) {
    events_.push_back(PeerLiveEvent{{header.id, header.address}});
  } else {
    events_.push_back(PeerDeadEvent{{header.id, header.address}});
  }
}

void Engine::ApplyDeltas(const Message& message, Timestamp now) {
  for (const PeerDeltas& group : message.deltas) {
    auto it = liveness_.find(group.id);
    const bool known = it != liveness_.end();
    const Generation generation_before = known ? it->second.generation : Generation();
    const Version before = known ? it->second.max_version_seen : Version();
    ApplyPeerDeltas(group, now);
    // Anti-entropy may fill the gap below pushed deltas we hold.
    if (!held_.empty()) ReleaseHeld(group.id, now);
    NoteLearned(group.id, generation_before, before);
  }
}

void Engine::ApplyPeerDeltas(const PeerDeltas& group, Timestamp now) {
  if (group.id == self_.id) {
    // We are the owner: nobody knows our data better than we do.
    stats_.deltas_ignored += group.deltas.size();
    return;
  }
  const PeerRecord* peer = storage_.Get(group.id);
  if (peer == nullptr) {
    if (group.address.empty()) {
      stats_.deltas_ignored += group.deltas.size();
      events_.push_back(UnknownPeerEvent{group.id});
      return;
    }
    if (!AdmitPeer({group.id, group.address, group.generation, true}, now)) return;
  } else if (group.generation < peer->generation) {
    stats_.deltas_ignored += group.deltas.size();
    return;
  } else if (group.generation > peer->generation) {
    const bool was_dead = !peer->live;
    PeerHeader header{group.id, group.address.empty() ? peer->address : group.address,
                      group.generation, true};
    Persist(storage_.PutPeer(header));
    Liveness& liveness = Mirror(group.id, now);
    liveness.heartbeat = Heartbeat();
    liveness.detector.Restart(Heartbeat(), now, options_);
    if (was_dead) events_.push_back(PeerLiveEvent{{header.id, header.address}});
  } else if (!group.address.empty() && group.address != peer->address) {
    Persist(storage_.PutPeer({group.id, group.address, peer->generation, peer->live}));
  }
  peer = storage_.Get(group.id);

  // Skip what we already hold; the rest continues our prefix.
  auto first =
      std::find_if(group.deltas.begin(), group.deltas.end(),
                   [&](const KeyDelta& d) { return d.version > peer->max_version_seen; });
  stats_.deltas_ignored += static_cast<std::uint64_t>(first - group.deltas.begin());
  std::span<const KeyDelta> fresh(first, group.deltas.end());
  if (fresh.empty()) return;
  std::size_t new_keys = 0;
  for (const KeyDelta& delta : fresh)
    new_keys += peer->data.count(delta.key) == 0 ? 1 : 0;
  if (peer->data.size() + new_keys > options_.limits.max_keys_per_peer) {
    stats_.deltas_ignored += fresh.size();
    Report(Status::Error(
        StatusCode::kLimitExceeded,
        "ignored deltas of peer '" + group.id + "': max_keys_per_peer (" +
            std::to_string(options_.limits.max_keys_per_peer) + ") reached"));
    return;
  }
  Persist(storage_.PutDeltas(group.id, fresh, fresh.back().version));
  Mirror(group.id, now);
  stats_.deltas_applied += fresh.size();
  for (const KeyDelta& delta : fresh) {
    events_.push_back(UpdateEvent{group.id, delta.key, delta.value, delta.version});
  }
}

// --- answering --------------------------------------------------------------

void Engine::ReplyToDigest(const Message& syn, const std::vector<Liveness*>& listed) {
  Message reply = NewMessage(MessageKind::kDigestReply);
  std::vector<DeltaNeed> needs;
  auto need = [&](const PeerId& id, Version from_version_excluded, bool send_address) {
    if (const PeerRecord* peer = storage_.Get(id)) {
      needs.push_back({peer, from_version_excluded, send_address});
    }
  };
  bool lists_us = false;
  for (std::size_t i = 0; i < syn.digest.size(); ++i) {
    const DigestEntry& theirs = syn.digest[i];
    const bool about_us = theirs.id == self_.id;
    lists_us = lists_us || about_us;
    if (!about_us && listed[i] == nullptr) {
      // Ask for it; they will send it with its address.
      if (theirs.generation != Generation())
        reply.digest.push_back({theirs.id, {}, {}, {}});
      continue;
    }
    const DigestEntry mine = about_us ? OwnEntry() : EntryOf(theirs.id, *listed[i]);
    if (mine.generation > theirs.generation) {
      reply.digest.push_back(mine);
      need(theirs.id, Version(), true);
      continue;
    }
    if (mine.generation < theirs.generation) continue;  // we could not adopt it
    // Tell them only what differs: a newer heartbeat, or that we lag.
    if (mine.heartbeat > theirs.heartbeat || mine.max_version < theirs.max_version) {
      reply.digest.push_back(mine);
    }
    if (theirs.max_version < mine.max_version) need(theirs.id, theirs.max_version, false);
  }
  if (!syn.digest_is_partial) {
    // Peers missing from their digest: they have never heard of them.
    if (!lists_us) {
      reply.digest.push_back(OwnEntry());
      need(self_.id, Version(), true);
    }
    for (const auto& [id, liveness] : liveness_) {
      if (liveness.listed_in == digests_received_) continue;
      reply.digest.push_back(EntryOf(id, liveness));
      need(id, Version(), true);
    }
  }
  // The digest may take at most half the budget when deltas are due.
  const std::size_t digest_budget = needs.empty() ? BodyBudget() : BodyBudget() / 2;
  std::size_t size = wire_size::BodyOverhead();
  std::size_t kept = 0;
  while (kept < reply.digest.size() && kept < wire_size::kMaxArrayElements) {
    const std::size_t entry_size = wire_size::Entry(reply.digest[kept]);
    if (size + entry_size > digest_budget) break;
    size += entry_size;
    ++kept;
  }
  reply.digest.resize(kept);
  FillDeltas(std::move(needs), reply);
  outbox_.push_back({syn.sender, std::move(reply)});
}

void Engine::AcknowledgeReply(const Message& reply) {
  std::vector<DeltaNeed> needs;
  for (const DigestEntry& theirs : reply.digest) {
    const PeerRecord* peer = storage_.Get(theirs.id);
    if (peer == nullptr) continue;
    if (theirs.generation < peer->generation) {  // includes "unknown to them" (0)
      needs.push_back({peer, Version(), true});
    } else if (theirs.generation == peer->generation &&
               theirs.max_version < peer->max_version_seen) {
      needs.push_back({peer, theirs.max_version, false});
    }
  }
  if (needs.empty()) return;
  Message ack = NewMessage(MessageKind::kDeltas);
  FillDeltas(std::move(needs), ack);
  if (!ack.deltas.empty()) outbox_.push_back({reply.sender, std::move(ack)});
}

void Engine::FillDeltas(std::vector<DeltaNeed> needs, Message& out) {
  std::size_t size = wire_size::BodyOverhead();
  for (const DigestEntry& entry : out.digest) size += wire_size::Entry(entry);
  // Order: peers the receiver has never heard of first (their headers are
  // cheap and spread membership), then the least outdated first, so that a
  // peer with a few fresh updates is not starved behind one with a large
  // backlog; ties in random order.
  std::shuffle(needs.begin(), needs.end(), rng_);
  std::stable_sort(
      needs.begin(), needs.end(), [](const DeltaNeed& a, const DeltaNeed& b) {
        if (a.send_address != b.send_address) return a.send_address;
        return a.peer->max_version_seen.value() - a.from_version_excluded.value() <
               b.peer->max_version_seen.value() - b.from_version_excluded.value();
      });
  std::size_t deltas_left = options_.max_deltas_per_gossip;
  std::vector<std::pair<Version, const std::string*>> candidates;
  for (const DeltaNeed& need : needs) {
    if (out.deltas.size() >= wire_size::kMaxArrayElements) break;
    const PeerRecord& peer = *need.peer;
    const std::string_view address =
        need.send_address ? peer.address : std::string_view();
    const std::size_t overhead =
        wire_size::GroupOverhead(peer.id, peer.generation, address);
    if (size + overhead > BodyBudget()) continue;  // a smaller group may still fit
    PeerDeltas group{peer.id, peer.generation, std::string(address), {}};
    std::size_t group_size = overhead;
    if (deltas_left > 0) {
      candidates.clear();
      for (const auto& [key, value] : peer.data) {
        if (value.version > need.from_version_excluded) {
          candidates.push_back({value.version, &key});
        }
      }
      const std::size_t take =
          std::min({candidates.size(), deltas_left, wire_size::kMaxArrayElements});
      std::partial_sort(candidates.begin(), candidates.begin() + static_cast<long>(take),
                        candidates.end());
      // Ascending versions, never skipping one to fit a later one: the
      // receiver's prefix must stay gap-free.
      for (std::size_t i = 0; i < take; ++i) {
        const std::string& key = *candidates[i].second;
        KeyDelta delta{key, peer.data.at(key).value, candidates[i].first};
        const std::size_t delta_size = wire_size::Delta(delta);
        if (size + group_size + delta_size > BodyBudget()) break;
        group_size += delta_size;
        group.deltas.push_back(std::move(delta));
      }
      deltas_left -= group.deltas.size();
    }
    if (group.deltas.empty() && !need.send_address) continue;
    size += group_size;
    out.deltas.push_back(std::move(group));
  }
}

// --- local updates ------------------------------------------------------------

Status Engine::ValidateUpdate(const PeerEndpoint& self, std::string_view key,
                              std::string_view value, const Options& options,
                              std::size_t max_body_bytes) {
  const Limits& limits = options.limits;
  if (key.empty()) return Status::Error(StatusCode::kInvalidArgument, "key is empty");
  if (key.size() > limits.max_key_bytes) {
    return Status::Error(StatusCode::kLimitExceeded,
                         "key of " + std::to_string(key.size()) +
                             " bytes exceeds max_key_bytes (" +
                             std::to_string(limits.max_key_bytes) + ")");
  }
  if (value.size() > limits.max_value_bytes) {
    return Status::Error(StatusCode::kLimitExceeded,
                         "value of " + std::to_string(value.size()) +
                             " bytes exceeds max_value_bytes (" +
                             std::to_string(limits.max_value_bytes) + ")");
  }
  // The delta must fit one message, in the worst case: with our address and
  // the largest generation and version.
  const std::size_t worst =
      wire_size::BodyOverhead() +
      wire_size::GroupOverhead(self.id, Generation(~0ULL), self.address) +
      wire_size::ArrayHeader(3) + wire_size::Str(key.size()) +
      wire_size::Bin(value.size()) + wire_size::Uint(~0ULL);
  if (worst > max_body_bytes) {
    return Status::Error(StatusCode::kLimitExceeded,
                         "key and value need " + std::to_string(worst) +
                             " bytes in a message; the transport allows " +
                             std::to_string(max_body_bytes));
  }
  return Status::Ok();
}

Status Engine::Update(std::string_view key, std::string_view value) {
  Status valid = ValidateUpdate(self_, key, value, options_, max_body_bytes_);
  if (!valid.ok()) return valid;
  const PeerRecord* own = storage_.Get(self_.id);
  auto it = own->data.find(std::string(key));
  if (it != own->data.end() && it->second.value == value) return Status::Ok();
  if (it == own->data.end() && own->data.size() >= options_.limits.max_keys_per_peer) {
    return Status::Error(StatusCode::kLimitExceeded,
                         "max_keys_per_peer (" +
                             std::to_string(options_.limits.max_keys_per_peer) +
                             ") reached");
  }
  const Version before = version_;
  version_ = version_.next();
  const KeyDelta delta{std::string(key), std::string(value), version_};
  Status stored =
      storage_.PutDeltas(self_.id, std::span<const KeyDelta>(&delta, 1), version_);
  if (!stored.ok()) Report(stored);
  if (options_.push_fanout > 0) {
    // Push at once; coalesced with what already waits for a token.
    if (!pending_own_from_) pending_own_from_ = before;
    FlushPushes();
  }
  return stored;
}

// --- plumbing ---------------------------------------------------------------

void Engine::Report(Status status) { events_.push_back(ErrorEvent{std::move(status)}); }

void Engine::Persist(Status status) {
  if (!status.ok()) Report(std::move(status));
}

std::vector<OutgoingMessage> Engine::TakeOutbox() { return std::exchange(outbox_, {}); }

std::vector<Event> Engine::TakeEvents() { return std::exchange(events_, {}); }

std::optional<double> Engine::Phi(std::string_view peer_id, Timestamp now) const {
  auto it = liveness_.find(std::string(peer_id));
  if (it == liveness_.end()) return std::nullopt;
  return it->second.detector.Phi(now, options_);
}

std::optional<Duration> Engine::HeartbeatAge(std::string_view peer_id,
                                             Timestamp now) const {
  auto it = liveness_.find(std::string(peer_id));
  if (it == liveness_.end()) return std::nullopt;
  return it->second.detector.Age(now, options_);
}

std::optional<Heartbeat> Engine::KnownHeartbeat(std::string_view peer_id) const {
  if (peer_id == self_.id) return heartbeat_;
  auto it = liveness_.find(std::string(peer_id));
  if (it == liveness_.end()) return std::nullopt;
  return it->second.heartbeat;
}

}  // namespace gossipmonger
