// ReplayGuard: the receiving side of replay protection (docs/SECURITY.md,
// "Replay protection"): per sender id, the newest epoch and a sliding
// window of counters, and a freshness check against the wall clock.
// Bounded memory: entries older than the window are forgotten, and there
// are at most `max_senders`.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "transport_core/sealed_frame.h"

namespace gossipmonger::transport_core {

class ReplayGuard {
 public:
  static constexpr std::uint64_t kCounterWindow = 1024;

  enum class Verdict {
    kFresh,     // accept (and remembered: the same frame again is a replay)
    kStale,     // sent_at outside the window of now (too old or in the future)
    kReplayed,  // this sender's counter seen before, or an older epoch
  };

  ReplayGuard(std::chrono::milliseconds window, std::size_t max_senders);
  ~ReplayGuard();

  // Checks (and on kFresh records) a frame of `sender` opened at wall time
  // `now_ms` (ms since 1970).
  Verdict Check(std::string_view sender, const SealHeader& header, std::uint64_t now_ms);

  std::size_t senders() const;  // entries held now

 private:
  struct Table;
  std::chrono::milliseconds window_;
  std::size_t max_senders_;
  std::unique_ptr<Table> table_;
};

}  // namespace gossipmonger::transport_core
