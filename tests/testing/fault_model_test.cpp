// FaultModel: the imperfect network, driven by its own RNG, shared by
// MemoryTransport and the simulator. Loss, duplication and delay happen at
// their configured rates, delays stay in their range (and reorder messages
// when it is wide), a partition cuts exactly the links between groups, the
// same rng_seed replays the same faults, and every message and byte is
// counted.
#include "gossipmonger/testing/fault_model.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace gossipmonger;
using namespace gossipmonger::testing;
using namespace std::chrono_literals;

TEST_CASE("A perfect link delivers every message once, after delay_min", "[faults]") {
  FaultModel faults(1, LinkConditions{0, 0, 5ms, 5ms});
  for (int i = 0; i < 100; ++i) {
    const auto copies = faults.Route("a", "b", 10);
    REQUIRE(copies.size() == 1);
    CHECK(copies[0] == Duration(5ms));
  }
  const NetworkStats& stats = faults.stats();
  CHECK(stats.messages_sent == 100);
  CHECK(stats.bytes_sent == 1000);
  CHECK(stats.copies_delivered == 100);
  CHECK(stats.messages_lost == 0);
  CHECK(stats.messages_duplicated == 0);
  CHECK(stats.messages_partitioned == 0);
  // Without conditions, no delay at all.
  FaultModel instant(1);
  CHECK(instant.Route("a", "b", 1) == std::vector<Duration>{Duration(0)});
}

TEST_CASE("Loss and duplication happen at their configured rates", "[faults]") {
  constexpr int kMessages = 20000;
  FaultModel faults(7, LinkConditions{0.3, 0.2, 0ms, 0ms});
  int delivered = 0;
  int twice = 0;
  for (int i = 0; i < kMessages; ++i) {
    const auto copies = faults.Route("a", "b", 1);
    REQUIRE(copies.size() <= 2);
    delivered += copies.empty() ? 0 : 1;
    twice += copies.size() == 2 ? 1 : 0;
  }
  const NetworkStats& stats = faults.stats();
  CHECK(stats.messages_lost == static_cast<std::uint64_t>(kMessages - delivered));
  CHECK(stats.messages_duplicated == static_cast<std::uint64_t>(twice));
  CHECK(stats.copies_delivered == static_cast<std::uint64_t>(delivered + twice));
  CHECK(stats.messages_lost / double(kMessages) == Approx(0.3).margin(0.015));
  // Duplication applies to the delivered messages.
  CHECK(twice / double(delivered) == Approx(0.2).margin(0.015));

  FaultModel lossy(1, LinkConditions{1.0, 0, 0ms, 0ms});
  CHECK(lossy.Route("a", "b", 1).empty());
  FaultModel echoing(1, LinkConditions{0, 1.0, 0ms, 0ms});
  CHECK(echoing.Route("a", "b", 1).size() == 2);
}

TEST_CASE("Delays stay in their range and reorder messages", "[faults]") {
  FaultModel faults(3, LinkConditions{0, 0, 10ms, 50ms});
  std::vector<Duration> delays;
  for (int i = 0; i < 2000; ++i) {
    const auto copies = faults.Route("a", "b", 1);
    REQUIRE(copies.size() == 1);
    CHECK(copies[0] >= Duration(10ms));
    CHECK(copies[0] <= Duration(50ms));
    delays.push_back(copies[0]);
  }
  // Spread over the range, not stuck at one end.
  CHECK(*std::min_element(delays.begin(), delays.end()) < Duration(12ms));
  CHECK(*std::max_element(delays.begin(), delays.end()) > Duration(48ms));
  // Messages sent in order at the same instant arrive out of order.
  CHECK_FALSE(std::is_sorted(delays.begin(), delays.end()));
  // A range that is empty or upside down means delay_min.
  faults.SetConditions(LinkConditions{0, 0, 20ms, 10ms});
  CHECK(faults.Route("a", "b", 1) == std::vector<Duration>{Duration(20ms)});
  CHECK(faults.conditions().delay_min == Duration(20ms));
}

TEST_CASE("A partition cuts the links between groups, and heals", "[faults]") {
  FaultModel faults(1);
  faults.Partition({{"a", "b"}, {"c"}});
  CHECK(faults.Route("a", "b", 1).size() == 1);  // same group
  CHECK(faults.Route("b", "a", 1).size() == 1);
  CHECK(faults.Route("a", "c", 1).empty());  // across groups, both ways
  CHECK(faults.Route("c", "b", 1).empty());
  CHECK(faults.Route("a", "x", 1).empty());  // a grouped and an ungrouped address
  CHECK(faults.Route("x", "c", 1).empty());
  CHECK(faults.Route("x", "y", 1).size() == 1);  // both in no group
  CHECK(faults.stats().messages_partitioned == 4);
  // A new partition replaces the old one.
  faults.Partition({{"a", "c"}});
  CHECK(faults.Route("a", "c", 1).size() == 1);
  CHECK(faults.Route("a", "b", 1).empty());
  faults.Heal();
  CHECK(faults.Route("a", "b", 1).size() == 1);
  CHECK(faults.Route("c", "x", 1).size() == 1);
  // A partition wins over a lossless link; lost-by-partition is not loss.
  CHECK(faults.stats().messages_lost == 0);
}

TEST_CASE("The same rng_seed replays the same faults", "[faults]") {
  const LinkConditions conditions{0.1, 0.1, 1ms, 30ms};
  auto trace = [&](std::uint64_t rng_seed) {
    FaultModel faults(rng_seed, conditions);
    std::vector<std::vector<Duration>> out;
    for (int i = 0; i < 500; ++i) out.push_back(faults.Route("a", "b", 1));
    return out;
  };
  CHECK(trace(42) == trace(42));
  CHECK(trace(42) != trace(43));
}
