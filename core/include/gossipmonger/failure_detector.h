// Phi-accrual failure detector of one peer (Hayashibara et al. 2004), fed
// by rises of the peer's heartbeat, whoever reports them.
//
// It keeps an exponentially weighted mean and variance of the intervals
// between rises instead of the seed's array of the last MAX_INTERVALS
// intervals: the same span, 16 bytes instead of 800, so that a 10,000-node
// cluster fits in memory.
#pragma once

#include "gossipmonger/options.h"
#include "gossipmonger/types.h"

namespace gossipmonger {

class PhiAccrualDetector {
 public:
  // `now`: when the peer was first heard of. The first interval is assumed
  // to be one gossip interval with a quarter of it as deviation (the seed
  // starts with one assumed interval too).
  PhiAccrualDetector(Timestamp now, const Options& options);

  // The peer's heartbeat rose at `now`.
  void RecordHeartbeat(Timestamp now, const Options& options);
  // Phi at `now`: -log10 of the probability that a heartbeat still arrives
  // this late. 0 right after a heartbeat, +inf when the model rules it out.
  double Phi(Timestamp now, const Options& options) const;
  // Forgets the silence up to `now` without counting it as an interval: used
  // after a local pause, when the silence was ours, not the peer's.
  void ForgiveSilence(Timestamp now);

  Timestamp last_heartbeat() const { return last_; }
  double mean_interval_ms() const { return mean_ms_; }

 private:
  Timestamp last_;
  float mean_ms_;
  float variance_ms2_;
  bool skip_next_interval_ = false;
};

}  // namespace gossipmonger
