// The replay guard (docs/SECURITY.md, "Replay protection"), with explicit
// wall times.
#include "transport_core/replay_guard.h"

#include <catch2/catch.hpp>
#include <string>

using gossipmonger::transport_core::ReplayGuard;
using gossipmonger::transport_core::SealHeader;
using Verdict = ReplayGuard::Verdict;

namespace {

constexpr std::uint64_t kNow = 1'700'000'000'000;  // ms since 1970
constexpr std::uint64_t kWindowMs = 30'000;
constexpr std::uint64_t kEpoch = 1'699'999'000'000'000;  // µs since 1970

SealHeader Frame(std::uint64_t counter, std::uint64_t sent_at_ms = kNow,
                 std::uint64_t epoch = kEpoch) {
  return SealHeader{epoch, counter, sent_at_ms};
}

ReplayGuard Guard(std::size_t max_senders = 16) {
  return ReplayGuard(std::chrono::milliseconds(kWindowMs), max_senders);
}

}  // namespace

TEST_CASE("replay guard: fresh frames pass, the same frame again is a replay") {
  ReplayGuard guard = Guard();
  CHECK(guard.senders() == 0);
  CHECK(guard.Check("a", Frame(0), kNow) == Verdict::kFresh);
  CHECK(guard.Check("a", Frame(1), kNow) == Verdict::kFresh);
  CHECK(guard.Check("a", Frame(0), kNow) == Verdict::kReplayed);
  CHECK(guard.Check("a", Frame(1), kNow + 5) == Verdict::kReplayed);
  // Counters are per sender.
  CHECK(guard.Check("b", Frame(0), kNow) == Verdict::kFresh);
  CHECK(guard.Check("b", Frame(0), kNow) == Verdict::kReplayed);
  CHECK(guard.senders() == 2);
}

TEST_CASE("replay guard: reordering within the window of counters is accepted") {
  ReplayGuard guard = Guard();
  const std::uint64_t w = ReplayGuard::kCounterWindow;
  CHECK(guard.Check("a", Frame(10), kNow) == Verdict::kFresh);
  CHECK(guard.Check("a", Frame(7), kNow) == Verdict::kFresh);  // late, never seen
  CHECK(guard.Check("a", Frame(9), kNow) == Verdict::kFresh);
  CHECK(guard.Check("a", Frame(7), kNow) == Verdict::kReplayed);
  CHECK(guard.Check("a", Frame(10 + w - 1), kNow) == Verdict::kFresh);
  // The window now covers 10 .. 10 + w - 1: 10 is still remembered, 8 is
  // too old (w or more below the highest).
  CHECK(guard.Check("a", Frame(10), kNow) == Verdict::kReplayed);
  CHECK(guard.Check("a", Frame(11), kNow) == Verdict::kFresh);
  CHECK(guard.Check("a", Frame(8), kNow) == Verdict::kReplayed);
  CHECK(guard.Check("a", Frame(9), kNow) == Verdict::kReplayed);
  // A jump beyond the window forgets every bit, but not the lower bound.
  CHECK(guard.Check("a", Frame(100 * w), kNow) == Verdict::kFresh);
  CHECK(guard.Check("a", Frame(100 * w - w), kNow) == Verdict::kReplayed);
  CHECK(guard.Check("a", Frame(100 * w - w + 1), kNow) == Verdict::kFresh);
  CHECK(guard.Check("a", Frame(100 * w - 1), kNow) == Verdict::kFresh);
  CHECK(guard.Check("a", Frame(100 * w - 1), kNow) == Verdict::kReplayed);
}

TEST_CASE("replay guard: epochs") {
  ReplayGuard guard = Guard();
  CHECK(guard.Check("a", Frame(5, kNow, kEpoch), kNow) == Verdict::kFresh);
  SECTION("a newer epoch (a restart) starts a new window of counters") {
    CHECK(guard.Check("a", Frame(0, kNow, kEpoch + 1), kNow) == Verdict::kFresh);
    CHECK(guard.Check("a", Frame(1, kNow, kEpoch + 1), kNow) == Verdict::kFresh);
    CHECK(guard.Check("a", Frame(5, kNow, kEpoch + 1), kNow) == Verdict::kFresh);
    CHECK(guard.Check("a", Frame(5, kNow, kEpoch + 1), kNow) == Verdict::kReplayed);
    // The older epoch's frames are replays from now on, even unseen ones.
    CHECK(guard.Check("a", Frame(6, kNow, kEpoch), kNow) == Verdict::kReplayed);
  }
  SECTION("an older epoch within the window is a replay") {
    CHECK(guard.Check("a", Frame(100, kNow, kEpoch - 1), kNow) == Verdict::kReplayed);
    CHECK(guard.Check("a", Frame(100, kNow + kWindowMs, kEpoch - 1), kNow + kWindowMs) ==
          Verdict::kReplayed);
    // Nothing changed: the current epoch goes on.
    CHECK(guard.Check("a", Frame(6, kNow, kEpoch), kNow) == Verdict::kFresh);
  }
  SECTION(
      "after the window's silence the sender is forgotten: an older epoch is accepted") {
    const std::uint64_t later = kNow + kWindowMs + 1;
    CHECK(guard.Check("a", Frame(0, later, kEpoch - 1), later) == Verdict::kFresh);
    CHECK(guard.Check("a", Frame(0, later, kEpoch - 1), later) == Verdict::kReplayed);
    // And the frames of before are stale, so forgetting let none back in.
    CHECK(guard.Check("a", Frame(5, kNow, kEpoch), later) == Verdict::kStale);
  }
}

TEST_CASE("replay guard: frames outside the window of now are stale") {
  ReplayGuard guard = Guard();
  CHECK(guard.Check("a", Frame(0, kNow - kWindowMs), kNow) == Verdict::kFresh);
  CHECK(guard.Check("a", Frame(1, kNow + kWindowMs), kNow) == Verdict::kFresh);
  CHECK(guard.Check("a", Frame(2, kNow - kWindowMs - 1), kNow) == Verdict::kStale);
  CHECK(guard.Check("a", Frame(3, kNow + kWindowMs + 1), kNow) == Verdict::kStale);
  CHECK(guard.Check("a", Frame(4, 0), kNow) == Verdict::kStale);
  CHECK(guard.Check("a", Frame(5, UINT64_MAX), kNow) == Verdict::kStale);
  // A stale frame is not recorded: the same counter fresh is accepted.
  CHECK(guard.Check("a", Frame(2, kNow), kNow) == Verdict::kFresh);
  // Near the start of the clock, without wrap-around.
  ReplayGuard early = Guard();
  CHECK(early.Check("a", Frame(0, 5), 10) == Verdict::kFresh);
  CHECK(early.Check("a", Frame(1, kWindowMs + 11), 10) == Verdict::kStale);
}

TEST_CASE("replay guard: an entry lives while its newest frame is within the window") {
  ReplayGuard guard = Guard();
  CHECK(guard.Check("a", Frame(0, kNow + 10'000), kNow) == Verdict::kFresh);  // ahead
  // Still remembered at its sent_at + window, though accepted earlier.
  const std::uint64_t edge = kNow + 10'000 + kWindowMs;
  CHECK(guard.Check("a", Frame(0, kNow + 10'000), edge) == Verdict::kReplayed);
  CHECK(guard.senders() == 1);
  CHECK(guard.Check("b", Frame(0, edge + 1), edge + 1) == Verdict::kFresh);
  CHECK(guard.senders() == 1);  // a forgotten, b held
}

TEST_CASE("replay guard: at most max_senders, the least recently accepted evicted") {
  ReplayGuard guard = Guard(3);
  CHECK(guard.Check("a", Frame(0), kNow) == Verdict::kFresh);
  CHECK(guard.Check("b", Frame(0), kNow) == Verdict::kFresh);
  CHECK(guard.Check("c", Frame(0), kNow) == Verdict::kFresh);
  CHECK(guard.Check("a", Frame(1), kNow) == Verdict::kFresh);     // a is recent again
  CHECK(guard.Check("b", Frame(0), kNow) == Verdict::kReplayed);  // not an acceptance
  CHECK(guard.Check("d", Frame(0), kNow) == Verdict::kFresh);     // evicts b
  CHECK(guard.senders() == 3);
  CHECK(guard.Check("a", Frame(1), kNow) == Verdict::kReplayed);
  CHECK(guard.Check("c", Frame(0), kNow) == Verdict::kReplayed);
  CHECK(guard.Check("d", Frame(0), kNow) == Verdict::kReplayed);
  // b was forgotten: its frame is accepted again (the cost of the bound).
  CHECK(guard.Check("b", Frame(0), kNow) == Verdict::kFresh);
  CHECK(guard.senders() == 3);

  ReplayGuard many = Guard(100);
  for (int i = 0; i < 10'000; ++i) {
    REQUIRE(many.Check("sender-" + std::to_string(i), Frame(0), kNow) == Verdict::kFresh);
    REQUIRE(many.senders() <= 100);
  }
  CHECK(many.senders() == 100);
  CHECK(many.Check("sender-9999", Frame(0), kNow) == Verdict::kReplayed);
}
