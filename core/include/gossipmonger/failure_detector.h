// Phi-accrual failure detector of one peer (Hayashibara et al. 2004), fed
// by rises of the peer's heartbeat, whoever reports them.
//
// What it measures: the *age* of the freshest heartbeat we know, not the
// time since it arrived. A peer raises its heartbeat once per gossip
// interval I, so heartbeat h was produced about base + h·I, where base is
// the peer's epoch on our clock, estimated from the freshest arrivals
// (a = arrival − h·I; base follows the low envelope of a). The age of our
// knowledge is then now − (base + h·I). When the peer is up, the age is a
// sawtooth: it grows until fresher news arrives. We keep an exponentially
// weighted mean and variance of the age reached just before each refresh
// (the analogue of the classic inter-arrival interval), over a span of
// MAX_INTERVALS refreshes, and phi is the tail probability of the current
// age under that model.
//
// Learning from the first refreshes: until the window is full, each sample
// weighs as much as every earlier one and as the prior ((1 + 1 / fanout)
// intervals, give or take half that), which counts as one sample: the
// estimate is the plain mean of what was seen. An exponential window from
// the first sample would let a pessimistic prior dominate for about
// MAX_INTERVALS refreshes: a peer that crashed 45 s after its cluster
// started was convicted 65% later than one that crashed after two minutes
// (docs/real-processes.md, "Detection from the first minute").
//
// Why age and not inter-arrival time: gossip delivers a crashed peer's last
// heartbeat to the last observers several rounds late. Timing from the
// arrival would add that propagation delay to every conviction; timing from
// the production convicts everywhere at about the same moment. It costs 32
// bytes per peer instead of the original's 100 intervals, so that a 10,000-node
// cluster fits in memory.
//
// Invariant: all peers of a cluster use the same GOSSIP_INTERVAL (a peer
// with a slower cadence looks older than it is and is convicted early).
#pragma once

#include <cstdint>

#include "gossipmonger/options.h"
#include "gossipmonger/types.h"

namespace gossipmonger {

class PhiAccrualDetector {
 public:
  // `now`: when the peer was first heard of; its age starts at 0.
  PhiAccrualDetector(Timestamp now, const Options& options);

  // The peer's heartbeat rose to `heartbeat` at `now`.
  void RecordHeartbeat(Heartbeat heartbeat, Timestamp now, const Options& options);
  // Phi at `now`: -log10 of the probability that a live peer's knowledge is
  // still this old. 0 right after fresh news, +inf when the model rules it out.
  double Phi(Timestamp now, const Options& options) const;
  // Starts over from `heartbeat` as fresh at `now`, without learning from
  // the silence before: after our own loop paused, when a dead peer returns,
  // or when a peer starts a new generation.
  void Restart(Heartbeat heartbeat, Timestamp now, const Options& options);

  // The age above which phi exceeds the threshold whose normal-model z is
  // `normal_z` (NormalZForPhi): comparing ages is much cheaper than
  // computing phi for every peer several times per round.
  Duration ConvictionAge(const Options& options, double normal_z) const;
  // z such that -log10(P(Z > z)) = phi for a standard normal Z.
  static double NormalZForPhi(double phi);

  // How old our freshest knowledge of the peer is at `now`.
  Duration Age(Timestamp now, const Options& options) const;
  double mean_age_ms() const { return mean_ms_; }
  // The weight of the next sample: 1 / (samples + 2) while that exceeds the
  // window's 2 / (MAX_INTERVALS + 1), then the window's.
  double NextSampleWeight(const Options& options) const;

 private:
  Timestamp ProducedAt(Heartbeat heartbeat, const Options& options) const;

  Timestamp base_;  // the peer's heartbeat 0 on our clock (estimated)
  Heartbeat heartbeat_;
  float mean_ms_;
  float variance_ms2_;
  // Samples learned so far (saturates; only its order of magnitude matters).
  std::uint32_t samples_ = 0;
  bool skip_next_sample_ = true;
};

}  // namespace gossipmonger
