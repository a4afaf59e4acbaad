#include "gossipmonger/gossipmonger.h"

#include <algorithm>
#include <asio/post.hpp>
#include <chrono>
#include <cstdio>
#include <random>

namespace gossipmonger {

namespace {

Generation WallClockGeneration() {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return Generation(
      static_cast<std::uint64_t>(std::max<std::int64_t>(seconds.count(), 1)));
}

// The wall clock minus the engine's clock (Now(), on `epoch`), fixed at
// start: during a run, time is measured on the steady clock.
Duration WallOffset(std::chrono::steady_clock::time_point epoch) {
  const auto wall = std::chrono::duration_cast<Duration>(
      std::chrono::system_clock::now().time_since_epoch());
  const auto since_epoch =
      std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - epoch);
  return wall - since_epoch;
}

std::uint64_t RandomRngSeed() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

}  // namespace

Gossipmonger::Gossipmonger(asio::io_context& io, PeerEndpoint self, Options options,
                           Storage& storage, Transport& transport,
                           std::unique_ptr<Storage>&& owned_storage,
                           std::unique_ptr<Transport>&& owned_transport)
    : io_(io),
      owned_storage_(std::move(owned_storage)),
      owned_transport_(std::move(owned_transport)),
      storage_(storage),
      transport_(transport),
      epoch_(std::chrono::steady_clock::now()),
      engine_(std::move(self), std::move(options), storage_,
              Engine::Startup{.now = Now(),
                              .fresh_generation = WallClockGeneration(),
                              .rng_seed = RandomRngSeed(),
                              .max_body_bytes = transport_.MaxBodyBytes(),
                              .wall_offset = WallOffset(epoch_)}),
      timer_(io),
      leave_timer_(io),
      alive_(std::make_shared<bool>(true)) {
  transport_.SetHandlers([this](Message&& message) { Receive(std::move(message)); },
                         [this](const Status& status) { RaiseError(status); });
  // What resuming from the storage raised waits for Create
  // (ApplyInitialData).
}

Gossipmonger::~Gossipmonger() {
  *alive_ = false;
  Stop();
  transport_.SetHandlers(nullptr, nullptr);
}

Timestamp Gossipmonger::Now() const {
  return std::chrono::duration_cast<Timestamp>(std::chrono::steady_clock::now() - epoch_);
}

Status Gossipmonger::Submit(std::function<void()> work) {
  const bool on_executor = io_.get_executor().running_in_this_thread();
  {
    std::lock_guard<std::mutex> lock(calls_mutex_);
    if (stop_requested_)
      return Status::Error(StatusCode::kStopped, "the node was stopped");
    if (!on_executor) {
      // Queued rather than posted with the work inside: the stop drains this
      // queue first, so an accepted call is applied even when the stop runs
      // before the executor reaches this post (a Stop on the executor, or
      // the destructor).
      queued_.push_back(std::move(work));
      asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
        auto flag = alive.lock();
        if (flag && *flag) RunOneQueued();
      });
      return Status::Ok();
    }
  }
  // Outside the lock: the work raises events, and a handler may call Update
  // or Stop.
  work();
  return Status::Ok();
}

void Gossipmonger::RunOneQueued() {
  std::function<void()> work;
  {
    std::lock_guard<std::mutex> lock(calls_mutex_);
    if (queued_.empty()) return;  // already run by a stop
    work = std::move(queued_.front());
    queued_.pop_front();
  }
  work();
}

void Gossipmonger::RunAllQueued() {
  // One at a time, taking each under the lock: a handler of an event raised
  // by one may itself stop the node, which drains the rest.
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(calls_mutex_);
      if (queued_.empty()) return;
    }
    RunOneQueued();
  }
}

Status Gossipmonger::Gossip() {
  return Submit([this] {
    if (gossiping_ || stopped_) return;
    gossiping_ = true;
    next_round_ = std::chrono::steady_clock::now();
    ScheduleRound();
  });
}

void Gossipmonger::ScheduleRound() {
  // The timer fires kStepsPerRound times per interval: a round (Tick),
  // then Steps in between.
  timer_.expires_at(next_round_);
  timer_.async_wait(
      [this, alive = std::weak_ptr<bool>(alive_)](const std::error_code& error) {
        auto flag = alive.lock();
        if (error || !flag || !*flag || stopped_) return;
        if (phase_ == 0) {
          engine_.Tick(Now());
          Drain();
          // Batched storages make what they buffered durable once per round.
          Status flushed = storage_.Flush();
          if (!flushed.ok()) RaiseError(flushed);
        } else {
          engine_.Step(Now());
          Drain();
        }
        StopIfLeft();
        if (stopped_) return;
        phase_ = (phase_ + 1) % Engine::kStepsPerRound;
        // Keep the cadence; after a stall, resume from now rather than firing
        // the missed steps back to back.
        next_round_ += engine_.options().gossip_interval / Engine::kStepsPerRound;
        const auto now = std::chrono::steady_clock::now();
        if (next_round_ < now) next_round_ = now;
        ScheduleRound();
      });
}

Status Gossipmonger::Update(std::string key, std::string value) {
  Status valid = Engine::ValidateUpdate(engine_.self(), key, value, engine_.options(),
                                        transport_.MaxBodyBytes());
  if (!valid.ok()) return valid;
  // No stopped_ check inside: an accepted update always runs before the
  // stop takes effect (the stop drains the queue first).
  return Submit([this, key = std::move(key), value = std::move(value)] {
    engine_.Update(key, value);  // a failure is also queued as an error event
    Drain();
  });
}

Status Gossipmonger::Update(std::string key, std::string value,
                            std::chrono::milliseconds ttl) {
  Status valid = Engine::ValidateUpdate(engine_.self(), key, value, engine_.options(),
                                        transport_.MaxBodyBytes());
  if (!valid.ok()) return valid;
  return Submit([this, key = std::move(key), value = std::move(value), ttl] {
    engine_.Update(key, value, ttl);  // a failure is also queued as an error event
    Drain();
  });
}

Status Gossipmonger::Delete(std::string key) {
  Status valid = Engine::ValidateUpdate(engine_.self(), key, "", engine_.options(),
                                        transport_.MaxBodyBytes());
  if (!valid.ok()) return valid;
  return Submit([this, key = std::move(key)] {
    engine_.Delete(key);  // a failure is also queued as an error event
    Drain();
  });
}

Status Gossipmonger::Leave() {
  return Submit([this] {
    if (leaving_) return;
    leaving_ = true;
    engine_.Leave();  // a failure is also queued as an error event
    Drain();
    // Without an acknowledgement (lost, pushes off, nobody to push to but
    // leaves), the peers' digests fetch the leave meanwhile.
    leave_timer_.expires_after(engine_.options().gossip_interval);
    leave_timer_.async_wait(
        [this, alive = std::weak_ptr<bool>(alive_)](const std::error_code& error) {
          auto flag = alive.lock();
          if (!error && flag && *flag) Stop();
        });
    StopIfLeft();
  });
}

void Gossipmonger::StopIfLeft() {
  if (leaving_ && !stopped_ && engine_.LeaveDone()) Stop();
}

void Gossipmonger::Stop() {
  {
    // From here on Submit refuses, so the queue only shrinks.
    std::lock_guard<std::mutex> lock(calls_mutex_);
    stop_requested_ = true;
  }
  auto stop = [this] {
    if (stopped_) return;
    RunAllQueued();        // what was accepted before the request comes first
    if (stopped_) return;  // a handler run by it stopped the node already
    stopped_ = true;
    timer_.cancel();
    leave_timer_.cancel();
    Status flushed = storage_.Flush();
    if (!flushed.ok()) RaiseError(flushed);
  };
  if (!*alive_ || io_.get_executor().running_in_this_thread()) {
    stop();  // the destructor must not post; on the executor, act at once
    return;
  }
  asio::post(io_, [alive = std::weak_ptr<bool>(alive_), stop] {
    auto flag = alive.lock();
    if (flag && *flag) stop();
  });
}

std::vector<PeerSummary> Gossipmonger::Peers() const {
  std::vector<PeerSummary> peers;
  peers.reserve(storage_.PeerCount());
  storage_.ForEachPeer([&](const PeerRecord& peer) {
    if (peer.id == engine_.self().id) return;
    peers.push_back({peer.id, peer.address, peer.live, peer.max_version_seen});
  });
  std::sort(peers.begin(), peers.end(),
            [](const PeerSummary& a, const PeerSummary& b) { return a.id < b.id; });
  return peers;
}

std::optional<VersionedValue> Gossipmonger::Get(std::string_view peer_id,
                                                std::string_view key) const {
  const PeerRecord* peer = storage_.Get(peer_id);
  if (peer == nullptr) return std::nullopt;
  auto it = peer->data.find(std::string(key));
  // A deleted key (tombstone) or the leave entry is no value to read.
  if (it == peer->data.end() || it->second.kind != EntryKind::kValue) return std::nullopt;
  return it->second;
}

void Gossipmonger::Receive(Message&& message) {
  if (stopped_) return;
  const PeerEndpoint& sender = message.sender;
  // Only a round's digest (see OnDigestSend); the original has no other.
  if (on_digest_receive_ && message.kind == MessageKind::kDigest) {
    on_digest_receive_(sender, message.digest);
  }
  if (on_deltas_receive_ && !message.deltas.empty())
    on_deltas_receive_(sender, message.deltas);
  engine_.Receive(message, Now());
  Drain();
  StopIfLeft();  // an acknowledgement of the leave's push
}

void Gossipmonger::Drain() {
  for (OutgoingMessage& out : engine_.TakeOutbox()) {
    if (on_digest_send_ && out.message.kind == MessageKind::kDigest) {
      on_digest_send_(out.to, out.message.digest);
    }
    if (on_deltas_send_ && !out.message.deltas.empty()) {
      on_deltas_send_(out.to, out.message.deltas);
    }
    transport_.Send(out.to, out.message);
  }
  for (Event& event : engine_.TakeEvents()) Dispatch(event);
}

void Gossipmonger::RaiseError(const Status& status) {
  if (on_error_) {
    on_error_(status);
  } else {
    // stdio, not iostream: <iostream>'s static initialisers cost every
    // process that links core about 0.3 MiB of memory (docs/node.md).
    std::fprintf(stderr, "gossipmonger[%s] %s\n", engine_.self().id.c_str(),
                 status.ToString().c_str());
  }
}

void Gossipmonger::Dispatch(Event& event) {
  std::visit(
      [this](auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, ErrorEvent>) {
          RaiseError(e.status);
        } else if constexpr (std::is_same_v<E, NewPeerEvent>) {
          if (on_new_peer_) on_new_peer_(e.peer);
        } else if constexpr (std::is_same_v<E, PeerDeadEvent>) {
          if (on_peer_dead_) on_peer_dead_(e.peer);
        } else if constexpr (std::is_same_v<E, PeerLiveEvent>) {
          if (on_peer_live_) on_peer_live_(e.peer);
        } else if constexpr (std::is_same_v<E, UpdateEvent>) {
          if (on_update_) on_update_(e);
        } else if constexpr (std::is_same_v<E, UnknownPeerEvent>) {
          if (on_unknown_peer_) on_unknown_peer_(e.peer);
        } else if constexpr (std::is_same_v<E, LocalPauseEvent>) {
          if (on_local_pause_) on_local_pause_(e);
        } else if constexpr (std::is_same_v<E, NewLineageEvent>) {
          if (on_new_lineage_) on_new_lineage_(e);
        } else if constexpr (std::is_same_v<E, DeleteEvent>) {
          if (on_delete_) on_delete_(e);
        } else if constexpr (std::is_same_v<E, PeerLeftEvent>) {
          if (on_peer_left_) on_peer_left_(e.peer);
        } else if constexpr (std::is_same_v<E, PeerForgottenEvent>) {
          if (on_peer_forgotten_) on_peer_forgotten_(e);
        } else {
          static_assert(sizeof(E) == 0, "an event kind without a callback");
        }
      },
      event);
}

}  // namespace gossipmonger
