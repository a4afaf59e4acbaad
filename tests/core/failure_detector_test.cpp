// PhiAccrualDetector on its own: what failure_detector.h and options.h
// document. It judges the age of the freshest heartbeat known (when it was
// produced, at one per GOSSIP_INTERVAL, not when it arrived); phi follows the
// exponential model (age / mean · log10 e) or the normal model with its
// standard deviation floored at min_std_dev; the mean moves with a window of
// MAX_INTERVALS refreshes; Restart forgets the silence without learning from
// it.
#include "gossipmonger/failure_detector.h"

#include <catch2/catch.hpp>
#include <cmath>

#include "gossipmonger/options.h"

using namespace gossipmonger;
using namespace std::chrono_literals;

namespace {

Timestamp At(double seconds) {
  return Timestamp(static_cast<Timestamp::rep>(seconds * 1e6));
}

// Feeds `detector` heartbeats 1..count, each produced on the 1 s cadence of
// a peer whose heartbeat 0 was at 0 s and arriving `delay` later; returns the
// time of the last arrival.
Timestamp FeedRegular(PhiAccrualDetector& detector, const Options& options, int count,
                      Duration delay, int first = 1) {
  Timestamp last{};
  for (int h = first; h < first + count; ++h) {
    last = Timestamp(1s) * h + delay;
    detector.RecordHeartbeat(Heartbeat(static_cast<std::uint64_t>(h)), last, options);
  }
  return last;
}

// -log10 of the normal tail beyond z: the normal model's phi.
double NormalPhi(double z) { return -std::log10(0.5 * std::erfc(z / std::sqrt(2.0))); }

}  // namespace

TEST_CASE("A new detector starts fresh and phi grows with silence", "[detector]") {
  for (const FailureModel model : {FailureModel::kNormal, FailureModel::kExponential}) {
    INFO("model " << static_cast<int>(model));
    Options options;
    options.failure_model = model;
    PhiAccrualDetector detector(At(5), options);
    CHECK(detector.Age(At(5), options) == Duration(0));
    CHECK(detector.Phi(At(5), options) < 0.1);
    double previous = detector.Phi(At(5), options);
    for (double t = 5.5; t < 60; t += 0.5) {
      const double phi = detector.Phi(At(t), options);
      // Strictly rising until the model rules the peer out (+inf).
      if (std::isfinite(previous)) {
        CHECK(phi > previous);
      } else {
        CHECK(phi == previous);
      }
      previous = phi;
    }
    // Long silence is beyond any doubt.
    CHECK(detector.Phi(At(100000), options) > 100);
    // A clock before the start is no age at all.
    CHECK(detector.Age(At(1), options) == Duration(0));
  }
}

TEST_CASE("The exponential model's phi is age / mean * log10(e)", "[detector]") {
  Options options;
  options.failure_model = FailureModel::kExponential;
  PhiAccrualDetector detector(At(0), options);
  FeedRegular(detector, options, 20, 300ms);
  const Timestamp last = Timestamp(20s) + 300ms;
  const double mean_ms = detector.mean_age_ms();
  REQUIRE(mean_ms > 0);
  // Linear in the age.
  const double age1_ms =
      static_cast<double>(detector.Age(last + 2s, options).count()) / 1000;
  const double age2_ms =
      static_cast<double>(detector.Age(last + 6s, options).count()) / 1000;
  CHECK(detector.Phi(last + 2s, options) ==
        Approx(age1_ms / mean_ms * std::log10(std::exp(1.0))).epsilon(1e-4));
  CHECK(detector.Phi(last + 6s, options) ==
        Approx(age2_ms / mean_ms * std::log10(std::exp(1.0))).epsilon(1e-4));
  // options.h: at phi 8 it convicts after about 18 mean ages of silence.
  const double ages_at_phi8 = 8 / std::log10(std::exp(1.0));
  CHECK(ages_at_phi8 == Approx(18.42).margin(0.01));
}

TEST_CASE("The normal model floors its deviation at min_std_dev", "[detector]") {
  Options options;  // kNormal, min_std_dev 400 ms
  const double floor_ms = static_cast<double>(options.min_std_dev.count());
  REQUIRE(floor_ms == 400);
  REQUIRE(options.failure_model == FailureModel::kNormal);
  PhiAccrualDetector detector(At(0), options);
  // A perfectly regular peer: the measured deviation shrinks far below the
  // floor, so phi is set by the floor.
  const Timestamp last = FeedRegular(detector, options, 300, 200ms);
  const double mean_ms = detector.mean_age_ms();
  const Timestamp fresh = last;  // age 0 right after the last refresh
  CHECK(detector.Age(fresh, options) < 50ms);
  auto at_age = [&](double age_ms) {
    // The time at which our knowledge has this age.
    return fresh - detector.Age(fresh, options) +
           Duration(static_cast<Duration::rep>(age_ms * 1000));
  };
  // At the mean, half of the live peers' news is older: phi = -log10(1/2).
  CHECK(detector.Phi(at_age(mean_ms), options) == Approx(std::log10(2.0)).margin(0.01));
  // DEAD_PEER_PHI 8 is reached about 5.6 floors past the mean.
  const double z8 = 5.612;
  CHECK(detector.Phi(at_age(mean_ms + z8 * floor_ms), options) ==
        Approx(NormalPhi(z8)).margin(0.05));
  CHECK(NormalPhi(z8) == Approx(8).margin(0.01));

  // A larger floor makes the same silence less suspicious.
  Options lenient = options;
  lenient.min_std_dev = 2000ms;
  CHECK(detector.Phi(at_age(mean_ms + 3000), lenient) <
        detector.Phi(at_age(mean_ms + 3000), options));
}

TEST_CASE("Age counts from when a heartbeat was produced, not when it arrived",
          "[detector]") {
  Options options;
  PhiAccrualDetector detector(At(0), options);
  // Heartbeat 1 produced at 1 s arrives on time: our news is brand new.
  detector.RecordHeartbeat(Heartbeat(1), At(1), options);
  CHECK(detector.Age(At(1), options) == Duration(0));
  CHECK(detector.Age(At(1.5), options) == 500ms);
  // Heartbeat 5, produced about 5 s, arrives at 7 s through a slow relay:
  // the news is about 2 s old on arrival, and phi says so.
  detector.RecordHeartbeat(Heartbeat(5), At(7), options);
  CHECK(detector.Age(At(7), options) > 1500ms);
  CHECK(detector.Age(At(7), options) <= 2s);
  // A heartbeat that is not newer changes nothing.
  const Duration age = detector.Age(At(8), options);
  detector.RecordHeartbeat(Heartbeat(5), At(8), options);
  detector.RecordHeartbeat(Heartbeat(3), At(8), options);
  CHECK(detector.Age(At(8), options) == age);
}

TEST_CASE("MAX_INTERVALS is the span of the window the mean moves in", "[detector]") {
  // Refreshed once per interval, on time, news is one interval old just
  // before each refresh: the mean age tends to the interval (1000 ms) from
  // its initial assumption, (1 + 1 / gossip_fanout) intervals (1333 ms at
  // the default fanout 3; two intervals, the original's exchange, at fanout 1).
  Options quick;
  quick.max_intervals = 1;  // the last sample alone
  Options standard;         // the original's 100
  REQUIRE(standard.max_intervals == 100);
  PhiAccrualDetector a(At(0), quick);
  PhiAccrualDetector b(At(0), standard);
  CHECK(a.mean_age_ms() == Approx(1333.33));
  Options original_exchange;
  original_exchange.gossip_fanout = 1;
  CHECK(PhiAccrualDetector(At(0), original_exchange).mean_age_ms() == Approx(2000));
  FeedRegular(a, quick, 5, 0ms);
  FeedRegular(b, standard, 5, 0ms);
  CHECK(a.mean_age_ms() == Approx(1000).margin(1));
  // Until the window is full, the plain mean of the samples with the prior
  // counted once: the first refresh is no sample, four are
  // (1333 + 4 * 1000) / 5.
  CHECK(b.mean_age_ms() == Approx(1066.67).margin(1));
  CHECK(b.NextSampleWeight(standard) == Approx(1.0 / 6));
  FeedRegular(b, standard, 400, 0ms, 6);
  CHECK(b.mean_age_ms() == Approx(1000).margin(20));
  // Then each sample weighs 2 / (MAX_INTERVALS + 1).
  CHECK(b.NextSampleWeight(standard) == Approx(2.0 / 101));
}

TEST_CASE("A detector judges as fast after ten refreshes as after three hundred",
          "[detector]") {
  // The prior (two intervals, give or take one) must not slow conviction in
  // a cluster's first minutes: it counts as one sample, not as the whole
  // window.
  Options options;
  const double z = PhiAccrualDetector::NormalZForPhi(options.dead_peer_phi);
  // Heartbeat h is produced at h seconds and its news arrives after a delay
  // that varies between 0 and 580 ms (relays), or always on time.
  auto conviction_after = [&](int refreshes, bool jitter) {
    PhiAccrualDetector detector(At(0), options);
    for (int h = 1; h <= refreshes; ++h) {
      const Duration delay =
          jitter ? Duration(std::chrono::milliseconds(h * 37 % 600)) : Duration(0);
      detector.RecordHeartbeat(Heartbeat(static_cast<std::uint64_t>(h)),
                               Timestamp(1s) * h + delay, options);
    }
    return static_cast<double>(detector.ConvictionAge(options, z).count());
  };
  for (const bool jitter : {false, true}) {
    INFO("jitter " << jitter);
    const double settled = conviction_after(300, jitter);
    CHECK(conviction_after(10, jitter) <= 1.1 * settled);
    CHECK(conviction_after(45, jitter) <= 1.05 * settled);
    // What the window alone gave: 7.2 s after ten refreshes (ratio 1.9).
    CHECK(settled < 4.5e6);
  }
}

TEST_CASE("Restart forgets the silence without learning from it", "[detector]") {
  Options options;
  PhiAccrualDetector detector(At(0), options);
  FeedRegular(detector, options, 50, 100ms);
  const double mean = detector.mean_age_ms();
  // 30 s of silence (our own pause, or the peer's absence), then a restart.
  CHECK(detector.Phi(At(80), options) > options.dead_peer_phi);
  detector.Restart(Heartbeat(50), At(80), options);
  CHECK(detector.Age(At(80), options) == Duration(0));
  CHECK(detector.Phi(At(80), options) < 1);
  // The first refresh after it is not a sample: the mean is untouched...
  detector.RecordHeartbeat(Heartbeat(54), At(84), options);
  CHECK(detector.mean_age_ms() == Approx(mean));
  // ...the following ones are.
  detector.RecordHeartbeat(Heartbeat(60), At(92), options);
  CHECK(detector.mean_age_ms() != Approx(mean));
}
