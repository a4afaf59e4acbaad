// PushQueue: a token bucket of push_rate_limit batches per interval, and
// what waits for a token, coalesced.
#include "push_queue.h"

#include <catch2/catch.hpp>

#include "core/engine_test_support.h"

using namespace gmtest;

TEST_CASE("Batches take tokens, and without one they wait and are counted", "[push_queue]") {
  Options options;
  options.push_rate_limit = 2;
  PushQueue queue(options);
  EngineStats stats;
  CHECK(queue.TakeToken(stats));
  CHECK(queue.TakeToken(stats));
  CHECK_FALSE(queue.TakeToken(stats));
  CHECK(stats.push_waits == 1);

  // Tokens come back continuously, push_rate_limit per interval, up to the
  // capacity. The first refill only sets the clock.
  queue.Refill(Timestamp(1s));
  CHECK(queue.clock() == Timestamp(1s));
  CHECK_FALSE(queue.TakeToken(stats));
  queue.Refill(Timestamp(1s + 250ms));  // half a token
  CHECK_FALSE(queue.TakeToken(stats));
  queue.Refill(Timestamp(1s + 500ms));  // one
  CHECK(queue.TakeToken(stats));
  queue.Refill(Timestamp(60s));  // capped at 2
  CHECK(queue.TakeToken(stats));
  CHECK(queue.TakeToken(stats));
  CHECK_FALSE(queue.TakeToken(stats));
  CHECK(stats.push_waits == 4);
  // The clock never goes back.
  queue.Refill(Timestamp(30s));
  CHECK(queue.clock() == Timestamp(60s));
}

TEST_CASE("A rate below one batch per interval still allows one batch", "[push_queue]") {
  Options options;
  options.push_rate_limit = 0.5;
  PushQueue queue(options);
  EngineStats stats;
  CHECK(queue.TakeToken(stats));
  CHECK_FALSE(queue.TakeToken(stats));
  queue.Refill(Timestamp(0));
  queue.Refill(Timestamp(2s));
  CHECK(queue.TakeToken(stats));
}

TEST_CASE("Own deltas waiting are coalesced from the oldest pending version",
          "[push_queue]") {
  PushQueue queue(Options{});
  CHECK_FALSE(queue.PendingOwn(Version(0)).has_value());
  queue.QueueOwn(Version(3));
  queue.QueueOwn(Version(5));  // already covered by "above 3"
  CHECK(queue.PendingOwn(Version(7)) == Version(3));
  // Up to 5 went; 6 and 7 wait.
  queue.OwnSentUpTo(Version(5), Version(7));
  CHECK(queue.PendingOwn(Version(7)) == Version(5));
  queue.OwnSentUpTo(Version(7), Version(7));
  CHECK_FALSE(queue.PendingOwn(Version(7)).has_value());
  // A pending version at or above ours is done.
  queue.QueueOwn(Version(7));
  CHECK_FALSE(queue.PendingOwn(Version(7)).has_value());
}

TEST_CASE("Learned deltas wait per peer from the lowest version", "[push_queue]") {
  PushQueue queue(Options{});
  CHECK_FALSE(queue.HasLearned());
  queue.QueueLearned("b", Version(4));
  queue.QueueLearned("b", Version(2));
  queue.QueueLearned("b", Version(6));
  queue.QueueLearned("c", Version(0));
  REQUIRE(queue.HasLearned());
  CHECK(queue.learned().size() == 2);
  CHECK(queue.learned().at("b") == Version(2));
  CHECK(queue.learned().at("c") == Version(0));
  queue.ClearLearned();
  CHECK_FALSE(queue.HasLearned());

  queue.QueueOwn(Version(1));
  queue.QueueLearned("b", Version(1));
  queue.Clear();
  CHECK_FALSE(queue.HasLearned());
  CHECK_FALSE(queue.PendingOwn(Version(9)).has_value());
}
