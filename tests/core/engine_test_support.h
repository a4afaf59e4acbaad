// Helpers shared by the engine tests: nodes driven by hand (an Engine on its
// own MemoryStorage), message and digest builders, event filters, readable
// printing of protocol values for Catch, and a lock-step cluster that, unlike
// VirtualCluster, shows the test every message a node sends.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "gossipmonger/engine.h"
#include "gossipmonger/events.h"
#include "gossipmonger/memory_storage.h"
#include "gossipmonger/message.h"
#include "gossipmonger/wire_size.h"

// --- printing, so that a failed comparison shows the values -------------------
namespace Catch {
template <>
struct StringMaker<gossipmonger::DigestEntry> {
  static std::string convert(const gossipmonger::DigestEntry& e) {
    std::ostringstream out;
    out << "{" << e.id << " gen " << e.generation.value() << " hb " << e.heartbeat.value()
        << " v " << e.max_version.value() << "}";
    return out.str();
  }
};
template <>
struct StringMaker<gossipmonger::KeyDelta> {
  static std::string convert(const gossipmonger::KeyDelta& d) {
    std::ostringstream out;
    out << "{" << d.key << "=";
    if (d.value.size() <= 16) {
      out << d.value;
    } else {
      out << "<" << d.value.size() << " bytes>";
    }
    out << " @" << d.version.value() << "}";
    return out.str();
  }
};
template <>
struct StringMaker<gossipmonger::PeerDeltas> {
  static std::string convert(const gossipmonger::PeerDeltas& g) {
    std::ostringstream out;
    out << "{" << g.id << " gen " << g.generation.value() << " addr '" << g.address
        << "' [";
    for (const auto& d : g.deltas) out << StringMaker<gossipmonger::KeyDelta>::convert(d);
    out << "]}";
    return out.str();
  }
};
template <>
struct StringMaker<gossipmonger::PeerEndpoint> {
  static std::string convert(const gossipmonger::PeerEndpoint& p) {
    return "{" + p.id + " @ " + p.address + "}";
  }
};
}  // namespace Catch

namespace gmtest {

using namespace gossipmonger;
using namespace std::chrono_literals;

// The generation every hand-built node starts with, unless a test says
// otherwise.
inline constexpr Generation kGen{100};

inline PeerEndpoint Endpoint(const std::string& id) { return {id, "mem:" + id}; }

// Engine::Create, required to succeed.
inline std::unique_ptr<Engine> CreateEngine(PeerEndpoint self, Options options,
                                            Storage& storage,
                                            const Engine::Startup& startup) {
  std::unique_ptr<Engine> engine;
  REQUIRE(Engine::Create(std::move(self), std::move(options), storage, startup, &engine)
              .ok());
  return engine;
}

inline DigestEntry Entry(const std::string& id, std::uint64_t generation,
                         std::uint64_t heartbeat, std::uint64_t max_version) {
  return {id, Generation(generation), Heartbeat(heartbeat), Version(max_version)};
}

inline KeyDelta Delta(const std::string& key, const std::string& value,
                      std::uint64_t version) {
  return {key, value, Version(version)};
}

inline Message MakeMessage(MessageKind kind, const PeerEndpoint& sender,
                           std::vector<DigestEntry> digest,
                           std::vector<PeerDeltas> deltas = {}, bool partial = false) {
  Message m;
  m.kind = kind;
  m.sender = sender;
  m.digest_is_partial = partial;
  m.digest = std::move(digest);
  m.deltas = std::move(deltas);
  return m;
}

template <typename E>
std::vector<E> EventsOf(const std::vector<Event>& events) {
  std::vector<E> out;
  for (const Event& event : events) {
    if (const E* e = std::get_if<E>(&event)) out.push_back(*e);
  }
  return out;
}

// The original's exchange: one digest partner per round, no pushes. Tests that
// follow one exchange message by message start from these; the push and
// fanout tests (push_tree_test.cpp, gossip_targets_test.cpp) set their own.
inline Options SeedExchange() {
  Options options;
  options.gossip_fanout = 1;
  options.push_fanout = 0;
  return options;
}

// SeedExchange with tombstones collected `grace` after they are stored.
inline Options WithGrace(std::chrono::milliseconds grace) {
  Options options = SeedExchange();
  options.tombstone_grace = grace;
  return options;
}

// An Engine on its own MemoryStorage, driven by the test. Peers the node
// should know from the start are put in its storage before Start(), the way a
// restarted node finds them (the engine builds its liveness state from the
// storage when it starts).
struct HandNode {
  explicit HandNode(const std::string& id, Options opts = SeedExchange(),
                    std::size_t max_body_bytes = 64 * 1024)
      : self(Endpoint(id)), options(std::move(opts)), budget(max_body_bytes) {}

  void Know(const PeerEndpoint& peer, Generation generation = kGen, bool live = true) {
    REQUIRE(storage.PutPeer({peer.id, peer.address, generation, live}).ok());
  }
  // Gives a known peer data, as if received earlier.
  void KnowData(const std::string& peer, const std::vector<KeyDelta>& deltas) {
    REQUIRE(storage.PutDeltas(peer, deltas, deltas.back().version).ok());
  }
  Engine& Start(Timestamp now = Timestamp(0), Generation generation = kGen,
                std::uint64_t seed = 7) {
    engine = CreateEngine(self, options, storage,
                          {.now = now,
                           .fresh_generation = generation,
                           .rng_seed = seed,
                           .max_body_bytes = budget});
    return *engine;
  }

  Engine& operator*() { return *engine; }
  Engine* operator->() { return engine.get(); }
  std::vector<OutgoingMessage> Out() { return engine->TakeOutbox(); }
  std::vector<Event> Events() { return engine->TakeEvents(); }
  const PeerRecord* Peer(const std::string& id) const { return storage.Get(id); }

  PeerEndpoint self;
  Options options;
  std::size_t budget;
  MemoryStorage storage;
  std::unique_ptr<Engine> engine;
};

// Two hand-driven nodes that know each other, both started at time 0: the
// opening of most exchange tests.
inline void StartPair(HandNode& a, HandNode& b) {
  a.Know(b.self);
  b.Know(a.self);
  a.Start();
  b.Start();
}

// The only message in an outbox (fails the test otherwise).
inline Message Single(const std::vector<OutgoingMessage>& outbox,
                      const PeerEndpoint& expected_to) {
  REQUIRE(outbox.size() == 1);
  CHECK(outbox[0].to == expected_to);
  return outbox[0].message;
}

// The ids of a digest, in order.
inline std::vector<std::string> IdsOf(const std::vector<DigestEntry>& digest) {
  std::vector<std::string> ids;
  for (const DigestEntry& e : digest) ids.push_back(e.id);
  return ids;
}

inline std::size_t DeltaCount(const Message& message) {
  std::size_t n = 0;
  for (const PeerDeltas& group : message.deltas) n += group.deltas.size();
  return n;
}

// The data a node holds of a peer, as key -> (value, version).
inline std::unordered_map<std::string, VersionedValue> DataOf(const Storage& storage,
                                                              const std::string& peer) {
  const PeerRecord* record = storage.Get(peer);
  if (record == nullptr) return {};
  return record->data;
}

// A few engines in lock step over a perfect, instant network. Each Round()
// advances time by one gossip interval; every node ticks once, at an evenly
// spread phase, and every message that tick causes (replies, acks) is
// delivered at once, in the order sent. Tests see every message through
// `on_send`, can cut links with `link`, and see events through `on_event`.
class Lockstep {
 public:
  struct Config {
    std::size_t nodes = 3;
    Options options = SeedExchange();
    std::size_t max_body_bytes = 64 * 1024;
    bool prejoined = true;
    std::uint64_t seed = 1;
  };

  explicit Lockstep(Config config) : config_(std::move(config)) {
    interval_ = std::chrono::duration_cast<Duration>(config_.options.gossip_interval);
    storages_.resize(config_.nodes);
    for (std::size_t i = 0; i < config_.nodes; ++i) {
      storages_[i] = std::make_unique<MemoryStorage>();
      address_to_node_[Address(i)] = i;
      if (config_.prejoined) {
        for (std::size_t j = 0; j < config_.nodes; ++j) {
          if (j != i)
            REQUIRE(storages_[i]->PutPeer({Id(j), Address(j), kGen, true}).ok());
        }
      }
    }
    for (std::size_t i = 0; i < config_.nodes; ++i) {
      engines_.push_back(CreateEngine(PeerEndpoint{Id(i), Address(i)}, config_.options,
                                      *storages_[i],
                                      {.now = now_,
                                       .fresh_generation = kGen,
                                       .rng_seed = config_.seed * 1000 + i,
                                       .max_body_bytes = config_.max_body_bytes}));
    }
  }

  static std::string Id(std::size_t i) { return "n" + std::to_string(i); }
  static std::string Address(std::size_t i) { return "mem:n" + std::to_string(i); }
  static PeerEndpoint EndpointOf(std::size_t i) { return {Id(i), Address(i)}; }

  std::size_t size() const { return engines_.size(); }
  Engine& engine(std::size_t i) { return *engines_[i]; }
  MemoryStorage& storage(std::size_t i) { return *storages_[i]; }
  Timestamp now() const { return now_; }

  // A local update at the current time.
  Status Update(std::size_t node, const std::string& key, const std::string& value) {
    Status status = engines_[node]->Update(key, value);
    Deliver(node);
    return status;
  }

  // A local delete at the current time.
  Status Delete(std::size_t node, const std::string& key) {
    Status status = engines_[node]->Delete(key);
    Deliver(node);
    return status;
  }

  void Round() {
    const Timestamp start = now_;
    for (std::size_t i = 0; i < engines_.size(); ++i) {
      now_ = start + interval_ * static_cast<Duration::rep>(i) /
                         static_cast<Duration::rep>(engines_.size());
      engines_[i]->Tick(now_);
      Deliver(i);
    }
    now_ = start + interval_;
  }
  void Rounds(std::size_t n) {
    for (std::size_t r = 0; r < n; ++r) Round();
  }
  // Rounds until `done()` holds, at most `max_rounds`; whether it held.
  bool RoundsUntil(const std::function<bool()>& done, std::size_t max_rounds) {
    for (std::size_t r = 0; r < max_rounds; ++r) {
      if (done()) return true;
      Round();
    }
    return done();
  }

  std::function<void(std::size_t from, std::size_t to, const Message&)> on_send;
  std::function<bool(std::size_t from, std::size_t to)> link;  // unset: every link up
  std::function<void(std::size_t node, const Event&)> on_event;

 private:
  void Deliver(std::size_t first) {
    std::deque<std::pair<std::size_t, OutgoingMessage>> queue;
    auto collect = [&](std::size_t node) {
      for (OutgoingMessage& out : engines_[node]->TakeOutbox()) {
        queue.emplace_back(node, std::move(out));
      }
      for (const Event& event : engines_[node]->TakeEvents()) {
        if (on_event) on_event(node, event);
      }
    };
    collect(first);
    while (!queue.empty()) {
      auto [from, out] = std::move(queue.front());
      queue.pop_front();
      auto it = address_to_node_.find(out.to.address);
      if (it == address_to_node_.end()) continue;  // nobody there
      const std::size_t to = it->second;
      if (on_send) on_send(from, to, out.message);
      if (link && !link(from, to)) continue;
      engines_[to]->Receive(out.message, now_);
      collect(to);
    }
  }

  Config config_;
  Duration interval_;
  Timestamp now_{0};
  std::vector<std::unique_ptr<MemoryStorage>> storages_;
  std::vector<std::unique_ptr<Engine>> engines_;
  std::unordered_map<std::string, std::size_t> address_to_node_;
};

}  // namespace gmtest
