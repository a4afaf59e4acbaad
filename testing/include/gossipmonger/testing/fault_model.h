// FaultModel: decides, with its own RNG (rng_seed), what an imperfect
// network does to each message: lose it, duplicate it, delay it (which
// reorders messages whose delays cross), or cut it by a partition. It has no
// clock and no queue, so the in-process transport (MemoryTransport, on asio
// timers) and the virtual-time cluster (VirtualCluster) share it. It counts
// messages and bytes. Part of the testing kit (gossipmonger::testing).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gossipmonger/types.h"

namespace gossipmonger::testing {

struct LinkConditions {
  double loss = 0;       // probability that a message is dropped
  double duplicate = 0;  // probability that a delivered message arrives twice
  // Each copy is delayed uniformly in [delay_min, delay_max]; with
  // delay_max > delay_min, messages overtake each other.
  Duration delay_min{0};
  Duration delay_max{0};
};

struct NetworkStats {
  std::uint64_t messages_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t messages_lost = 0;         // by loss
  std::uint64_t messages_partitioned = 0;  // by a partition
  std::uint64_t messages_duplicated = 0;
  std::uint64_t copies_delivered = 0;  // scheduled for delivery, duplicates included
};

class FaultModel {
 public:
  explicit FaultModel(std::uint64_t rng_seed, LinkConditions conditions = {});

  void SetConditions(const LinkConditions& conditions) { conditions_ = conditions; }
  const LinkConditions& conditions() const { return conditions_; }

  // Splits the network: two addresses reach each other only if they are in
  // the same group, or both in none. Replaces any earlier partition.
  void Partition(const std::vector<std::vector<std::string>>& groups);
  void Heal() { group_of_.clear(); }

  // The delays after which copies of one message of `bytes` bytes from
  // `from` to `to` arrive; empty when it is lost.
  std::vector<Duration> Route(std::string_view from, std::string_view to,
                              std::size_t bytes);

  const NetworkStats& stats() const { return stats_; }

 private:
  bool Reachable(std::string_view from, std::string_view to) const;
  Duration Delay();

  std::mt19937_64 rng_;
  LinkConditions conditions_;
  std::unordered_map<std::string, int> group_of_;
  NetworkStats stats_;
};

}  // namespace gossipmonger::testing
