// Gossipmonger: the original's public API in C++ (gossipmonger-js,
// docs/ORIGINAL-API.md). It binds an Engine to an asio::io_context (the
// gossip timer), one Storage and one Transport.
//
//   asio::io_context io;
//   gossipmonger::MemoryStorage storage;            // or SQLite, RocksDB
//   gossipmonger::TcpTransport transport(io, ...);  // or UDP; must listen
//   std::unique_ptr<gossipmonger::Gossipmonger> node;
//   gossipmonger::Status s = gossipmonger::Gossipmonger::Create(
//       io, {"localId", "127.0.0.1:9742"}, options, storage, transport, &node);
//   if (!s.ok()) { ... }          // invalid options, or the storage failed
//   node->OnUpdate([](const gossipmonger::UpdateEvent& e) { ... });
//   node->Gossip();               // start gossiping
//   node->Update("foo", "bar");   // gossiped to the rest of the cluster
//   io.run();
//
// Errors: every fallible call returns a Status (LevelDB's style, as the
// storages' Open does); nothing in this API throws (but std::bad_alloc).
//
// Threading rule: the engine's state is touched only on the io_context's
// executor (one thread runs the io_context). Gossip, Update and Stop may be
// called from any thread: on the executor they act at once, off it they are
// queued for it. Event callbacks run on the executor. The read accessors
// (GetPeer, Get, Peers, engine(), storage()) must be called on the executor
// (or while the io_context is not running).
//
// Stop is final. Once Stop has been called, from any thread, Gossip and
// Update return kStopped and queue nothing; every call that returned ok
// before it takes effect before Stop does (see Stop).
//
// Unlike the original, no storage or transport is created behind your back:
// the library picks plugins at link time, so you pass the ones you linked.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gossipmonger/engine.h"
#include "gossipmonger/events.h"
#include "gossipmonger/options.h"
#include "gossipmonger/storage.h"
#include "gossipmonger/transport.h"

namespace gossipmonger {

class Gossipmonger {
 public:
  // The original's peerInfo.data: key / value pairs the local node starts
  // with, applied as Update(key, value) calls when the node is created.
  using InitialData = std::map<std::string, std::string>;

  // The original's new Gossipmonger(peerInfo, options). On success sets
  // *out to a node that resumed what `storage` holds of `self` (its
  // generation, version counter and data) and then applied `initial_data`,
  // and returns ok; `storage` and `transport` must outlive it. Otherwise
  // leaves *out empty and returns why:
  // - kInvalidArgument or kLimitExceeded: the options, the transport's
  //   budget, `self` (an id or address empty or over its limit) or a pair of
  //   `initial_data` (Update's limits) are refused; nothing was written.
  // - the storage's error: it failed to record the start (the local peer's
  //   record or initial data). Nobody can have subscribed to the `error`
  //   event yet, so the failure is returned rather than announced.
  //
  // Initial data, with a persistent storage: each pair is applied as an
  // Update at every start, so a key whose stored value is the same takes no
  // new version (nothing is gossiped again after a restart), and a key
  // whose value changed since the last run takes the next version and
  // spreads like any update. Stored keys not named in `initial_data` keep
  // their values (there is no delete). A value set by Update while the node
  // ran is replaced by the initial one at the next start: give as initial
  // data what describes the node (its role, the port of its service), not
  // state that changes while it runs.
  //
  // Call it on the executor or while the io_context is not running (the
  // node subscribes to the transport).
  static Status Create(asio::io_context& io, PeerEndpoint self, Options options,
                       Storage& storage, Transport& transport,
                       const InitialData& initial_data,
                       std::unique_ptr<Gossipmonger>* out);
  static Status Create(asio::io_context& io, PeerEndpoint self, Options options,
                       Storage& storage, Transport& transport,
                       std::unique_ptr<Gossipmonger>* out) {
    return Create(io, std::move(self), std::move(options), storage, transport, {}, out);
  }
  // The same, the node owning its storage and transport (destroyed with it,
  // or at once if Create fails). Null plugins are kInvalidArgument.
  static Status Create(asio::io_context& io, PeerEndpoint self, Options options,
                       std::unique_ptr<Storage> storage,
                       std::unique_ptr<Transport> transport,
                       const InitialData& initial_data,
                       std::unique_ptr<Gossipmonger>* out);
  static Status Create(asio::io_context& io, PeerEndpoint self, Options options,
                       std::unique_ptr<Storage> storage,
                       std::unique_ptr<Transport> transport,
                       std::unique_ptr<Gossipmonger>* out) {
    return Create(io, std::move(self), std::move(options), std::move(storage),
                  std::move(transport), {}, out);
  }
  // Stops (see Stop). Destroy on the executor or after the io_context stopped.
  ~Gossipmonger();

  Gossipmonger(const Gossipmonger&) = delete;
  Gossipmonger& operator=(const Gossipmonger&) = delete;

  // The original's gossip(): one round now, then one every GOSSIP_INTERVAL.
  // Calling it again while gossiping changes nothing (ok). kStopped after
  // Stop.
  Status Gossip();
  // The original's update(key, value). Limits are checked at once; a non-ok
  // Status (kInvalidArgument, kLimitExceeded, or kStopped after Stop) means
  // nothing was queued. Ok means the change will be applied: on the
  // executor, at once if called there, and in any case before Stop takes
  // effect. A storage failure while applying it is an `error` event.
  Status Update(std::string key, std::string value);
  // Update with a time to live (Engine::Update with a ttl); the same checks
  // and queueing as Update.
  Status Update(std::string key, std::string value, std::chrono::milliseconds ttl);
  // Deletes a local key (Engine::Delete); queued like Update.
  Status Delete(std::string key);
  // Leaves the cluster gracefully (Engine::Leave): the leave is pushed at
  // once, then the node stops (Stop) once the push is acknowledged or one
  // gossip interval has passed. kStopped after Stop.
  Status Leave();
  // Stops gossiping, ignores further messages and flushes the storage.
  // Idempotent and final. The call is the dividing line for every other
  // thread: a Gossip or Update that returned ok before it is applied first
  // (then flushed with the rest), one that starts after it returns kStopped.
  // (A Gossip or Update running concurrently on another thread falls on
  // one side or the other, never in between: the check and the queueing
  // happen under one lock.) On the executor, or from the destructor, the
  // node is stopped and flushed when Stop returns; from another thread the
  // stop itself is queued and runs when the executor next runs.
  void Stop();

  // --- reading (on the executor) ----------------------------------------
  const PeerRecord* GetPeer(std::string_view id) const { return storage_.Get(id); }
  std::optional<VersionedValue> Get(std::string_view peer_id, std::string_view key) const;
  // Every other peer this node knows, live or dead, sorted by id; never the
  // local node (the original's livePeers() and deadPeers() together).
  // Copies, so the result outlives later storage writes.
  std::vector<PeerSummary> Peers() const;
  const Engine& engine() const { return engine_; }
  Storage& storage() { return storage_; }
  Transport& transport() { return transport_; }
  const PeerEndpoint& self() const { return engine_.self(); }

  // --- events (the original's names) --------------------------------------
  // 'error'. Without a handler, errors are written to stderr; never thrown.
  void OnError(std::function<void(const Status&)> handler) {
    on_error_ = std::move(handler);
  }
  // 'new peer'
  void OnNewPeer(std::function<void(const PeerEndpoint&)> handler) {
    on_new_peer_ = std::move(handler);
  }
  // 'peer dead'
  void OnPeerDead(std::function<void(const PeerEndpoint&)> handler) {
    on_peer_dead_ = std::move(handler);
  }
  // 'peer live'
  void OnPeerLive(std::function<void(const PeerEndpoint&)> handler) {
    on_peer_live_ = std::move(handler);
  }
  // 'update' (peerId, key, value, plus the version)
  void OnUpdate(std::function<void(const UpdateEvent&)> handler) {
    on_update_ = std::move(handler);
  }
  // 'unknown peer'
  void OnUnknownPeer(std::function<void(const PeerId&)> handler) {
    on_unknown_peer_ = std::move(handler);
  }
  // 'local pause' and 'new lineage' (not in the original): normal situations,
  // not errors (events.h). Without a handler they are silent.
  void OnLocalPause(std::function<void(const LocalPauseEvent&)> handler) {
    on_local_pause_ = std::move(handler);
  }
  void OnNewLineage(std::function<void(const NewLineageEvent&)> handler) {
    on_new_lineage_ = std::move(handler);
  }
  // 'delete', 'peer left', 'peer forgotten' (not in the original; events.h,
  // docs/LIFECYCLE.md).
  void OnDelete(std::function<void(const DeleteEvent&)> handler) {
    on_delete_ = std::move(handler);
  }
  void OnPeerLeft(std::function<void(const PeerEndpoint&)> handler) {
    on_peer_left_ = std::move(handler);
  }
  void OnPeerForgotten(std::function<void(const PeerForgottenEvent&)> handler) {
    on_peer_forgotten_ = std::move(handler);
  }
  // 'digest send' / 'digest receive' / 'deltas send' / 'deltas receive'
  // (the original marks them internal; useful for tracing). As in the
  // original, the digest events are the digest a gossip round sends
  // (kDigest, which always holds at least the sender's own entry) and its
  // arrival, nothing else: a reply's digest entries (kDigestReply, an
  // extension the original does not have), pushes and acknowledgements raise
  // no digest event. The deltas events are every message that carries deltas
  // (replies, kDeltas, pushes).
  using DigestHandler =
      std::function<void(const PeerEndpoint& remote, const std::vector<DigestEntry>&)>;
  using DeltasHandler =
      std::function<void(const PeerEndpoint& remote, const std::vector<PeerDeltas>&)>;
  void OnDigestSend(DigestHandler handler) { on_digest_send_ = std::move(handler); }
  void OnDigestReceive(DigestHandler handler) { on_digest_receive_ = std::move(handler); }
  void OnDeltasSend(DeltasHandler handler) { on_deltas_send_ = std::move(handler); }
  void OnDeltasReceive(DeltasHandler handler) { on_deltas_receive_ = std::move(handler); }

 private:
  // Only through Create, which refuses first what Engine::Create refuses:
  // the engine is built in place by its private constructor, which
  // requires valid arguments.
  Gossipmonger(asio::io_context& io, PeerEndpoint self, Options options, Storage& storage,
               Transport& transport, std::unique_ptr<Storage>&& owned_storage,
               std::unique_ptr<Transport>&& owned_transport);
  // Create's shared part (gossipmonger_create.cpp).
  static Status CreateNode(asio::io_context& io, PeerEndpoint self, Options options,
                           Storage& storage, Transport& transport,
                           std::unique_ptr<Storage> owned_storage,
                           std::unique_ptr<Transport> owned_transport,
                           const InitialData& initial_data,
                           std::unique_ptr<Gossipmonger>* out);
  // Applies the initial data; returns the first failure of the start's
  // writes (resuming or initial data), else sends what they queued.
  Status ApplyInitialData(const InitialData& initial_data);

  Timestamp Now() const;
  // Runs `work` now if called on the executor, else queues it for the
  // executor; refuses it (kStopped) once Stop was called.
  Status Submit(std::function<void()> work);
  // Executor: runs the oldest queued call, or every queued call.
  void RunOneQueued();
  void RunAllQueued();
  void ScheduleRound();
  // Executor: stops a node that left once its leave is out
  // (Engine::LeaveDone).
  void StopIfLeft();
  void Receive(Message&& message);
  void Drain();
  void Dispatch(Event& event);
  void RaiseError(const Status& status);

  asio::io_context& io_;
  std::unique_ptr<Storage> owned_storage_;
  std::unique_ptr<Transport> owned_transport_;
  Storage& storage_;
  Transport& transport_;
  std::chrono::steady_clock::time_point epoch_;
  Engine engine_;
  asio::steady_timer timer_;
  // Leave: the node stops when this fires (one gossip interval after the
  // leave) unless the leave's push was acknowledged before.
  asio::steady_timer leave_timer_;
  bool leaving_ = false;  // executor
  std::chrono::steady_clock::time_point next_round_;
  int phase_ = 0;  // 0: the next timer expiry is a round (Tick); else a Step
  bool gossiping_ = false;
  bool stopped_ = false;  // executor: the stop has taken effect
  // Orders Stop against Gossip and Update called from other threads.
  std::mutex calls_mutex_;
  bool stop_requested_ = false;               // guarded by calls_mutex_
  std::deque<std::function<void()>> queued_;  // guarded by calls_mutex_
  // Set to false on destruction so that work posted before it is dropped.
  std::shared_ptr<bool> alive_;

  std::function<void(const Status&)> on_error_;
  std::function<void(const PeerEndpoint&)> on_new_peer_;
  std::function<void(const PeerEndpoint&)> on_peer_dead_;
  std::function<void(const PeerEndpoint&)> on_peer_live_;
  std::function<void(const UpdateEvent&)> on_update_;
  std::function<void(const PeerId&)> on_unknown_peer_;
  std::function<void(const LocalPauseEvent&)> on_local_pause_;
  std::function<void(const NewLineageEvent&)> on_new_lineage_;
  std::function<void(const DeleteEvent&)> on_delete_;
  std::function<void(const PeerEndpoint&)> on_peer_left_;
  std::function<void(const PeerForgottenEvent&)> on_peer_forgotten_;
  DigestHandler on_digest_send_;
  DigestHandler on_digest_receive_;
  DeltasHandler on_deltas_send_;
  DeltasHandler on_deltas_receive_;
};

}  // namespace gossipmonger
