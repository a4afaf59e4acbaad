#include "transport_core/report_throttle.h"

namespace gossipmonger::transport_core {

std::optional<std::uint64_t> ReportThrottle::Admit(Clock::time_point now) {
  if (last_report_ && now - *last_report_ < period_) {
    ++suppressed_;
    return std::nullopt;
  }
  last_report_ = now;
  const std::uint64_t suppressed = suppressed_;
  suppressed_ = 0;
  return suppressed;
}

}  // namespace gossipmonger::transport_core
