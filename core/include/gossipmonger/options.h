// Options of a node. The first block is the seed's options, with the seed's
// names (in C++ case) and defaults; the rest is what this implementation
// adds, each with the reason for its default.
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

#include "gossipmonger/message.h"

namespace gossipmonger {

// How the phi-accrual failure detector models the intervals between
// heartbeat rises of a peer.
enum class FailureModel {
  // Hayashibara et al.'s normal model, with the standard deviation floored at
  // Options::min_std_dev: detects regular heartbeats much sooner than the
  // exponential model at the same phi.
  kNormal,
  // The seed's (and Cassandra's) exponential model: phi = elapsed / mean *
  // log10(e); at phi 8 it convicts after about 18 mean intervals of silence.
  kExponential,
};

// Size and count limits. Anything over a limit is refused with
// StatusCode::kLimitExceeded (a local call) or dropped and reported through
// the `error` event (a remote message).
struct Limits {
  std::size_t max_peer_id_bytes = 128;
  std::size_t max_address_bytes = 256;
  std::size_t max_key_bytes = 1024;
  std::size_t max_value_bytes = 1 << 20;
  std::size_t max_keys_per_peer = 1'000'000;
  std::size_t max_peers = 20'000;
};

struct Options {
  // --- the seed's options ----------------------------------------------
  // DEAD_PEER_PHI: phi above which a live peer is convicted (`peer dead`).
  double dead_peer_phi = 8;
  // GOSSIP_INTERVAL: time between two gossip rounds.
  std::chrono::milliseconds gossip_interval{1000};
  // MAX_DELTAS_PER_GOSSIP: most deltas in one message.
  std::size_t max_deltas_per_gossip = 5;
  // MINIMUM_LIVE_PEERS: below this many live peers, also gossip with a seed.
  std::size_t minimum_live_peers = 1;
  // seeds: peers to bootstrap from and to fall back on.
  std::vector<PeerEndpoint> seeds;

  // --- failure detector ------------------------------------------------
  FailureModel failure_model = FailureModel::kNormal;
  // The seed's MAX_INTERVALS: the detector weighs about the last
  // max_intervals heartbeat intervals (an exponentially weighted window of
  // that span, so that a peer costs constant memory).
  std::size_t max_intervals = 100;
  // Floor of the normal model's standard deviation: gossip delivers
  // heartbeats in bursts, so the measured deviation understates the tail.
  std::chrono::milliseconds min_std_dev{500};
  // A local loop that ran nothing for longer than this many gossip intervals
  // was paused (GC, suspend, overload); the silence of every peer during the
  // pause is then forgiven instead of convicting everyone.
  double local_pause_intervals = 2.0;

  Limits limits;
};

}  // namespace gossipmonger
