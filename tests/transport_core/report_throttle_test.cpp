// ReportThrottle: the first report at once, then at most one a period,
// saying how many were suppressed since.
#include "transport_core/report_throttle.h"

#include <catch2/catch.hpp>

using gossipmonger::transport_core::ReportThrottle;
using std::chrono::milliseconds;

TEST_CASE("report throttle: the first at once, then one a period with the count") {
  ReportThrottle throttle(milliseconds(1000));
  const ReportThrottle::Clock::time_point t0{};
  CHECK(throttle.Admit(t0) == 0u);
  CHECK_FALSE(throttle.Admit(t0 + milliseconds(1)).has_value());
  CHECK_FALSE(throttle.Admit(t0 + milliseconds(500)).has_value());
  CHECK_FALSE(throttle.Admit(t0 + milliseconds(999)).has_value());
  CHECK(throttle.Admit(t0 + milliseconds(1000)) == 3u);
  CHECK_FALSE(throttle.Admit(t0 + milliseconds(1500)).has_value());
  CHECK(throttle.Admit(t0 + milliseconds(2500)) == 1u);
  // After a quiet spell: at once, nothing suppressed.
  CHECK(throttle.Admit(t0 + milliseconds(60'000)) == 0u);
}
