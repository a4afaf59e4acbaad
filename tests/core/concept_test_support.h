// Helpers for the unit tests of the engine's concepts (core/src): one node's
// shared context and peer view on a storage that counts its calls, so that a
// test can drive one concept alone and see what it read and wrote.
#pragma once

#include <catch2/catch.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "core/engine_test_support.h"
#include "engine_context.h"
#include "gossipmonger/testing/forwarding_storage.h"
#include "peer_view.h"

namespace gmtest {

// A MemoryStorage that counts reads and writes.
class CountingStorage : public gossipmonger::testing::ForwardingStorage {
 public:
  CountingStorage() : ForwardingStorage(inner) {}
  const PeerRecord* Get(std::string_view id) const override {
    ++gets;
    return inner.Get(id);
  }
  Status PutPeer(const PeerHeader& header) override {
    ++put_peers;
    return inner.PutPeer(header);
  }
  Status PutDeltas(std::string_view id, std::span<const KeyDelta> deltas,
                   Version max_version_seen) override {
    ++put_deltas;
    return inner.PutDeltas(id, deltas, max_version_seen);
  }
  void ResetCounts() { gets = put_peers = put_deltas = 0; }

  MemoryStorage inner;
  mutable std::size_t gets = 0;
  std::size_t put_peers = 0;
  std::size_t put_deltas = 0;
};

// One node's context and view, on a CountingStorage. Peers put in `storage`
// before Load() are known from the start.
struct ViewRig {
  explicit ViewRig(const std::string& id = "a", Options options = SeedExchange(),
                   std::size_t max_body_bytes = 64 * 1024)
      : context(Endpoint(id), std::move(options), max_body_bytes, /*rng_seed=*/7),
        view(context, storage) {}

  void Know(const std::string& id, Generation generation = kGen, bool live = true) {
    REQUIRE(storage.inner.PutPeer({id, "mem:" + id, generation, live}).ok());
  }
  void KnowData(const std::string& id, const std::vector<KeyDelta>& deltas) {
    REQUIRE(storage.inner.PutDeltas(id, deltas, deltas.back().version).ok());
  }
  PeerView& Load(Timestamp now = Timestamp(0), Generation generation = kGen) {
    view.Load(now, generation);
    storage.ResetCounts();
    return view;
  }
  std::vector<Event> Events() { return std::exchange(context.events, {}); }
  std::vector<OutgoingMessage> Out() { return std::exchange(context.outbox, {}); }
  const PeerRecord* Peer(const std::string& id) const { return storage.inner.Get(id); }

  // The invariant of peer_view.h: every stored peer but ourselves has a
  // state whose copies equal its record, and no state lacks a record.
  void CheckStatesMatchStorage() const {
    std::size_t stored = 0;
    storage.inner.ForEachPeer([&](const PeerRecord& peer) {
      if (peer.id == context.self.id) return;
      ++stored;
      INFO("peer " << peer.id);
      const PeerState* state = view.Find(peer.id);
      REQUIRE(state != nullptr);
      CHECK(state->generation() == peer.generation);
      CHECK(state->max_version_seen() == peer.max_version_seen);
      CHECK(state->live() == peer.live);
    });
    CHECK(view.size() == stored);
  }

  CountingStorage storage;
  EngineContext context;
  PeerView view;
};

}  // namespace gmtest
