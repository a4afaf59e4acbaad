// Options of a node. The first block is the original's options (the
// JavaScript library gossipmonger-js, docs/ORIGINAL-API.md), with its names
// (in C++ case) and defaults; the rest is what this implementation adds,
// each with the reason for its default. Options::Original() is the preset
// that behaves as the original does.
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
  // The original's (and Cassandra's) exponential model: phi = elapsed / mean *
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
  // --- the original's options ------------------------------------------
  // DEAD_PEER_PHI: phi above which a live peer is convicted (`peer dead`).
  double dead_peer_phi = 8;
  // GOSSIP_INTERVAL: time between two gossip rounds.
  std::chrono::milliseconds gossip_interval{1000};
  // MAX_DELTAS_PER_GOSSIP: most deltas in one message.
  std::size_t max_deltas_per_gossip = 5;
  // MINIMUM_LIVE_PEERS: below this many live peers, also gossip with a seed
  // every round.
  std::size_t minimum_live_peers = 1;
  // seeds: peers to bootstrap from and to fall back on. Beyond the
  // original's rule above, a node calls every seed in its first round, a
  // seed every round while fewer peers are live than there are seeds, and
  // otherwise a seed with probability seeds / known peers unless a round's
  // partner is one: groups that formed apart (nodes started all at once)
  // merge. Give every node the same few seeds (3 is usual).
  std::vector<PeerEndpoint> seeds;

  // --- failure detector ------------------------------------------------
  FailureModel failure_model = FailureModel::kNormal;
  // The original's MAX_INTERVALS: the detector weighs about the last
  // max_intervals heartbeat intervals (an exponentially weighted window of
  // that span, so that a peer costs constant memory).
  std::size_t max_intervals = 100;
  // Floor of the normal model's standard deviation: gossip delivers
  // heartbeats in bursts, so the measured deviation understates the tail.
  // At phi 8 a peer is convicted 5.6 floors past its mean age. Sized for the
  // default gossip_fanout of 3 (news of every peer arrives a few times a
  // round): no false conviction at 5% loss in 5,000 simulated node-hours at
  // 20, 50 and 100 nodes, with cold starts (docs/SIMULATION.md), and 0.6 s
  // sooner than 500 ms. With gossip_fanout 1 in a small cluster a node can
  // miss a peer's news for four rounds in a row: use about one interval.
  std::chrono::milliseconds min_std_dev{400};
  // A local loop that ran nothing for longer than this many gossip intervals
  // was paused (GC, suspend, overload); the silence of every peer during the
  // pause is then forgiven instead of convicting everyone.
  double local_pause_intervals = 2.0;

  // --- fanout and push (docs/DESIGN-NOTES.md, "Push and fanout") -----------
  // Peers a node sends its digest to each round (push-pull exchanges it
  // starts). The original's behaviour is 1. Default 3, from the measurements in
  // docs/SIMULATION.md ("Push and fanout"): heartbeats spread in fewer
  // hops, so the detector judges younger, steadier ages (at 100 nodes every
  // survivor convicts a crashed peer in 4.8 s median instead of 9.4 s; 2
  // gives 6.5 s) and anti-entropy repairs lost pushes sooner, for about 3x
  // the digest bytes of fanout 1.
  std::size_t gossip_fanout = 3;
  // Peers a fresh update is pushed to at once (rumour mongering over the
  // anti-entropy): a local update starts a push tree over the live peers, in
  // which every node gets it once and forwards it to up to push_fanout
  // peers of its part of the tree; a delta first learned by anti-entropy is
  // pushed to push_fanout random live peers (not forwarded further). 0
  // turns pushes off (the original's behaviour): updates then take about a
  // round to spread, for far fewer messages (20 processes, 1 update per
  // node per second: 8.6 instead of 29 messages per node per second;
  // docs/real-processes.md). Default 4: a tree of n nodes is ceil(log4 n)
  // hops deep (4 at 100 nodes, 5 at 1,000), each node sends at most 4
  // messages per push.
  std::size_t push_fanout = 4;
  // Most hops a push travels; bounds forwarding whatever the peers' views.
  // 12 covers a tree of 4^12 nodes, far above Limits::max_peers.
  std::size_t push_max_hops = 12;
  // Push batches a node may start per gossip interval (token bucket of that
  // capacity, refilled continuously): local updates beyond it wait, and are
  // coalesced into one batch, until a token is back (at the latest at the
  // next liveness check, a quarter of an interval later). Forwarding a push
  // costs no token: each node forwards each delta at most once.
  double push_rate_limit = 8;

  // --- lifecycle (docs/LIFECYCLE.md) ---------------------------------------
  // How long a tombstone (a deleted key) is kept after this node stored it,
  // measured on the wall clock, across restarts. Safety does not depend on
  // it: a peer that missed a collected tombstone gets a reset of the
  // owner's keys instead of deltas, so no deleted key comes back. It sets
  // how long a node may lag (offline, partitioned) and still catch up by
  // deltas, which is cheaper than a reset. Default 1 hour.
  std::chrono::milliseconds tombstone_grace{std::chrono::hours(1)};
  // A peer dead for this long (on this node's wall clock, across restarts)
  // is forgotten: removed from memory, storage and digests (`peer
  // forgotten`). Default 24 hours, Serf's reconnect timeout: a node down for
  // a day's maintenance is still known when it returns (it would be
  // accepted anyway, as a new peer).
  std::chrono::milliseconds reap_dead_after{std::chrono::hours(24)};
  // A peer that left (Leave) is forgotten after this long: long enough for
  // the leave to reach every node by anti-entropy. Default 5 minutes.
  std::chrono::milliseconds reap_left_after{std::chrono::minutes(5)};
  // How long this node remembers a forgotten (id, generation), so that a
  // node that lags (or was restored from old storage) cannot bring it back
  // by gossip. It must exceed the longest time a node can be away and then
  // return with its old storage. Default 7 days.
  std::chrono::milliseconds remember_forgotten_for{std::chrono::hours(24 * 7)};

  Limits limits;

  // The original's behaviour: its defaults, with its exponential failure
  // model, one digest exchange per round (gossip_fanout 1) and no pushes
  // (push_fanout 0). For a deployment that must behave as gossipmonger-js
  // did, or a comparison with it. The defaults above spread updates in
  // milliseconds instead of rounds, and convict a crashed peer sooner: at
  // 100 nodes and 5% loss every survivor has convicted it after 4.9 s
  // (median) instead of 62 s (docs/SIMULATION.md, "Failure detection").
  // The options the original does not have keep their defaults, and what
  // is not an option stays on (the digest lists dead peers, an exchange
  // reconciles both ways, seeds are called as `seeds` says, a silent round
  // is retried, a local pause is forgiven): see docs/ORIGINAL-API.md, "The
  // Original() preset". Change any field after.
  static Options Original() {
    Options options;
    options.failure_model = FailureModel::kExponential;
    options.gossip_fanout = 1;
    options.push_fanout = 0;
    return options;
  }
};

}  // namespace gossipmonger
