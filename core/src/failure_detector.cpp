#include "gossipmonger/failure_detector.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gossipmonger {

namespace {

double Milliseconds(Duration d) { return static_cast<double>(d.count()) / 1000.0; }

Duration Interval(const Options& options) {
  return std::chrono::duration_cast<Duration>(options.gossip_interval);
}

// Weight of one new sample: an exponential window whose span is
// MAX_INTERVALS samples.
double Alpha(const Options& options) {
  return 2.0 / (static_cast<double>(options.max_intervals) + 1.0);
}

}  // namespace

PhiAccrualDetector::PhiAccrualDetector(Timestamp now, const Options& options)
    : base_(now) {
  // Until it has learned, the detector assumes news is (1 + 1 / fanout)
  // intervals old when refreshed, give or take half that: two intervals at
  // the original's one exchange per round, less as more exchanges carry news.
  // It weighs as one sample (NextSampleWeight), so it matters for the first
  // few refreshes only; too optimistic a guess convicts in that time
  // (measured: 690 false convictions in 39 node-hours at fanout 1 and 5%
  // loss with one interval for every fanout, none with this).
  const double interval_ms = Milliseconds(Interval(options));
  const double prior_ms =
      interval_ms *
      (1.0 + 1.0 / static_cast<double>(std::max<std::size_t>(options.gossip_fanout, 1)));
  mean_ms_ = static_cast<float>(prior_ms);
  variance_ms2_ = static_cast<float>(prior_ms * prior_ms / 4);
}

double PhiAccrualDetector::NextSampleWeight(const Options& options) const {
  return std::max(Alpha(options), 1.0 / (static_cast<double>(samples_) + 2.0));
}

Timestamp PhiAccrualDetector::ProducedAt(Heartbeat heartbeat,
                                         const Options& options) const {
  return base_ + Interval(options) * static_cast<Duration::rep>(heartbeat.value());
}

Duration PhiAccrualDetector::Age(Timestamp now, const Options& options) const {
  return std::max(Duration(0), now - ProducedAt(heartbeat_, options));
}

void PhiAccrualDetector::RecordHeartbeat(Heartbeat heartbeat, Timestamp now,
                                         const Options& options) {
  if (heartbeat <= heartbeat_) return;
  const double age_before_ms = Milliseconds(Age(now, options));
  const double sd_ms = std::sqrt(std::max<double>(variance_ms2_, 0.0));
  if (skip_next_sample_) {
    skip_next_sample_ = false;
  } else {
    const double alpha = NextSampleWeight(options);
    if (samples_ < UINT32_MAX) ++samples_;
    const double diff = age_before_ms - mean_ms_;
    const double increment = alpha * diff;
    mean_ms_ = static_cast<float>(mean_ms_ + increment);
    variance_ms2_ = static_cast<float>((1 - alpha) * (variance_ms2_ + diff * increment));
  }
  // Re-estimate the peer's epoch from this arrival. Fresher news (a lower
  // epoch) is believed at once; staler news pulls the estimate up slowly,
  // which absorbs a peer's drift, unless it is far out of line with what we
  // learned (the peer restarted or stalled), in which case it is believed.
  const Timestamp epoch =
      now - Interval(options) * static_cast<Duration::rep>(heartbeat.value());
  const double late_ms = Milliseconds(epoch - base_);
  if (late_ms <= 0) {
    base_ = epoch;
  } else if (late_ms > mean_ms_ + 4 * std::max(sd_ms, static_cast<double>(
                                                          options.min_std_dev.count()))) {
    base_ = epoch;
  } else {
    // The window's weight even at first: one slow relay must not move the
    // epoch far, and fresher news corrects it at once anyway.
    base_ += Duration(static_cast<Duration::rep>(late_ms * 1000.0 * Alpha(options)));
  }
  heartbeat_ = heartbeat;
}

double PhiAccrualDetector::Phi(Timestamp now, const Options& options) const {
  const double age = Milliseconds(Age(now, options));
  const double mean = std::max<double>(mean_ms_, 1.0);
  if (options.failure_model == FailureModel::kExponential) {
    return age / mean * std::log10(std::exp(1.0));
  }
  const double min_sd = static_cast<double>(options.min_std_dev.count());
  const double sd =
      std::max({std::sqrt(std::max<double>(variance_ms2_, 0.0)), min_sd, 1.0});
  const double z = (age - mean) / sd;
  // P(a live peer's news is older than `age`) = 1 - CDF(z) = erfc(z/√2)/2.
  const double p_later = 0.5 * std::erfc(z / std::sqrt(2.0));
  if (p_later <= 0) return std::numeric_limits<double>::infinity();
  return -std::log10(p_later);
}

double PhiAccrualDetector::NormalZForPhi(double phi) {
  // -log10(erfc(z/√2)/2) increases with z: bisect.
  double low = -10;
  double high = 40;
  for (int i = 0; i < 100; ++i) {
    const double mid = (low + high) / 2;
    const double p_later = 0.5 * std::erfc(mid / std::sqrt(2.0));
    const double phi_mid =
        p_later <= 0 ? std::numeric_limits<double>::infinity() : -std::log10(p_later);
    (phi_mid < phi ? low : high) = mid;
  }
  return (low + high) / 2;
}

Duration PhiAccrualDetector::ConvictionAge(const Options& options,
                                           double normal_z) const {
  const double mean = std::max<double>(mean_ms_, 1.0);
  double age_ms;
  if (options.failure_model == FailureModel::kExponential) {
    age_ms = options.dead_peer_phi * mean / std::log10(std::exp(1.0));
  } else {
    const double min_sd = static_cast<double>(options.min_std_dev.count());
    const double sd =
        std::max({std::sqrt(std::max<double>(variance_ms2_, 0.0)), min_sd, 1.0});
    age_ms = mean + normal_z * sd;
  }
  return Duration(static_cast<Duration::rep>(age_ms * 1000.0));
}

void PhiAccrualDetector::Restart(Heartbeat heartbeat, Timestamp now,
                                 const Options& options) {
  heartbeat_ = heartbeat;
  base_ = now - Interval(options) * static_cast<Duration::rep>(heartbeat.value());
  skip_next_sample_ = true;
}

}  // namespace gossipmonger
