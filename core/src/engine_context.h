// EngineContext: what every concept of one Engine shares: who this node is,
// its options and message budget, the random source, and where messages,
// events and counters go. The Engine owns it; each concept holds a
// reference.
//
// One random source for all concepts, on purpose: a run is reproducible for
// a seed only if every draw happens in the same order, whichever concept
// makes it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gossipmonger/engine.h"
#include "gossipmonger/events.h"
#include "gossipmonger/message.h"
#include "gossipmonger/options.h"
#include "gossipmonger/status.h"

namespace gossipmonger {

// Hash of the engine's maps keyed by peer id, looked up by string_view.
struct IdHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const {
    return std::hash<std::string_view>{}(s);
  }
};

struct EngineContext {
  EngineContext(PeerEndpoint self_endpoint, Options engine_options,
                std::size_t body_budget, std::uint64_t rng_seed,
                Duration clock_to_wall = Duration(0))
      : self(std::move(self_endpoint)),
        options(std::move(engine_options)),
        max_body_bytes(body_budget),
        wall_offset(clock_to_wall),
        rng(rng_seed) {}

  const PeerEndpoint self;
  const Options options;
  // The transport's MaxBodyBytes(): every message body built fits in it.
  const std::size_t max_body_bytes;
  // WallTime minus the engine's clock, fixed at start (types.h, WallTime);
  // only RaiseWallClock changes it, and only before the first step.
  Duration wall_offset;
  std::mt19937_64 rng;
  std::vector<OutgoingMessage> outbox;
  std::vector<Event> events;
  EngineStats stats;

  WallTime WallNow(Timestamp now) const { return now + wall_offset; }
  // At start (docs/LIFECYCLE.md, "Clocks"): the wall clock never runs below
  // `stored`, the latest wall time this node already wrote. Each concept
  // that dates what it stores calls it from the engine's constructor.
  void RaiseWallClock(WallTime stored, Timestamp now) {
    if (WallNow(now) < stored) wall_offset += stored - WallNow(now);
  }
  Duration interval() const {
    return std::chrono::duration_cast<Duration>(options.gossip_interval);
  }
  Message NewMessage(MessageKind kind) const {
    Message message;
    message.kind = kind;
    message.sender = self;
    return message;
  }
  // Out of line (engine_context.cpp): inlined, each call site would carry
  // its own copy of the Message and Event moves.
  void Send(PeerEndpoint to, Message message);
  void Announce(Event event);
  // An `error` event.
  void Report(Status status);
  // Reports a failed storage write (the change stays in memory); an ok
  // status is no news.
  void ReportIfFailed(Status status);
};

}  // namespace gossipmonger
