#include "gossipmonger/failure_detector.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gossipmonger {

namespace {
double Milliseconds(Duration d) { return static_cast<double>(d.count()) / 1000.0; }
}  // namespace

PhiAccrualDetector::PhiAccrualDetector(Timestamp now, const Options& options)
    : last_(now) {
  const double interval_ms = static_cast<double>(options.gossip_interval.count());
  mean_ms_ = static_cast<float>(interval_ms);
  variance_ms2_ = static_cast<float>((interval_ms / 4) * (interval_ms / 4));
}

void PhiAccrualDetector::RecordHeartbeat(Timestamp now, const Options& options) {
  if (now < last_) return;  // a clock that went back; keep the later time
  if (skip_next_interval_) {
    skip_next_interval_ = false;
  } else {
    // Exponentially weighted mean and variance with a span of max_intervals
    // (alpha = 2 / (span + 1)), Welford-style.
    const double alpha = 2.0 / (static_cast<double>(options.max_intervals) + 1.0);
    const double interval = Milliseconds(now - last_);
    const double diff = interval - mean_ms_;
    const double increment = alpha * diff;
    mean_ms_ = static_cast<float>(mean_ms_ + increment);
    variance_ms2_ = static_cast<float>((1 - alpha) * (variance_ms2_ + diff * increment));
  }
  last_ = now;
}

double PhiAccrualDetector::Phi(Timestamp now, const Options& options) const {
  const double elapsed = std::max(0.0, Milliseconds(now - last_));
  const double mean = std::max<double>(mean_ms_, 1.0);
  if (options.failure_model == FailureModel::kExponential) {
    return elapsed / mean * std::log10(std::exp(1.0));
  }
  const double min_sd = static_cast<double>(options.min_std_dev.count());
  const double sd = std::max({std::sqrt(std::max<double>(variance_ms2_, 0.0)), min_sd, 1.0});
  const double z = (elapsed - mean) / sd;
  // P(a heartbeat arrives later than `elapsed`) = 1 - CDF(z) = erfc(z/√2)/2.
  const double p_later = 0.5 * std::erfc(z / std::sqrt(2.0));
  if (p_later <= 0) return std::numeric_limits<double>::infinity();
  return -std::log10(p_later);
}

void PhiAccrualDetector::ForgiveSilence(Timestamp now) {
  if (now > last_) last_ = now;
  skip_next_interval_ = true;
}

}  // namespace gossipmonger
