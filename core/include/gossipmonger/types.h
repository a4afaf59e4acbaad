// Strong typedefs for the numbers the protocol compares, so that a version
// can never be passed where a heartbeat or a generation is expected.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <string>

namespace gossipmonger {

// A 64-bit counter that only compares with counters of the same Tag.
template <typename Tag>
class Counter {
 public:
  constexpr Counter() = default;
  constexpr explicit Counter(std::uint64_t value) : value_(value) {}

  constexpr std::uint64_t value() const { return value_; }
  constexpr Counter next() const { return Counter(value_ + 1); }

  friend constexpr auto operator<=>(Counter, Counter) = default;

 private:
  std::uint64_t value_ = 0;
};

// Per-peer monotonic data version. Every local change that alters a value
// takes the next version; 0 means "nothing yet".
using Version = Counter<struct VersionTag>;

// Data lineage of a peer. Versions are only comparable within one
// generation. A node that restarts with its persisted state keeps its
// generation; a node that restarts empty starts a higher one, and peers drop
// everything they held for the lower one. 0 means "unknown".
using Generation = Counter<struct GenerationTag>;

// Liveness counter a peer raises once per gossip round. Comparable only
// within one generation; a rise, whoever reports it, feeds the failure
// detector.
using Heartbeat = Counter<struct HeartbeatTag>;

using PeerId = std::string;

// Time as the engine sees it: microseconds since an arbitrary epoch chosen by
// whoever drives the engine (a steady clock in the runtime, virtual time in
// the simulator). Only differences are meaningful.
using Duration = std::chrono::microseconds;
using Timestamp = std::chrono::microseconds;

// Wall-clock time: microseconds since the Unix epoch. It dates what must
// outlive a process (tombstones, TTL deadlines, how long a peer has been
// down: docs/LIFECYCLE.md); the engine derives it from its Timestamp plus an
// offset fixed at start, so a clock step during a run changes nothing.
using WallTime = std::chrono::microseconds;

}  // namespace gossipmonger
