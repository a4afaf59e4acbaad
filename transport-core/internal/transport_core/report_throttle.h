// ReportThrottle: at most one report a period for one kind of event, saying
// how many were held back meanwhile (docs/SECURITY.md, "Errors": refused
// frames are reported per counter, the first at once, then at most one a
// second). A flood of forged frames must not become a flood of error events.
//
// The caller passes the time (a steady clock), so that tests need no sleep.
// Not thread-safe: one per counter, used on the io_context's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace gossipmonger::transport_core {

class ReportThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ReportThrottle(Clock::duration period = std::chrono::seconds(1))
      : period_(period) {}

  // One event at `now`. When it is to be reported, returns how many events
  // were suppressed since the last report (0 for the first); else nullopt,
  // and counts it as suppressed.
  std::optional<std::uint64_t> Admit(Clock::time_point now);

 private:
  Clock::duration period_;
  std::optional<Clock::time_point> last_report_;
  std::uint64_t suppressed_ = 0;
};

}  // namespace gossipmonger::transport_core
