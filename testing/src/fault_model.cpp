#include "gossipmonger/testing/fault_model.h"

namespace gossipmonger::testing {

FaultModel::FaultModel(std::uint64_t rng_seed, LinkConditions conditions)
    : rng_(rng_seed), conditions_(conditions) {}

void FaultModel::Partition(const std::vector<std::vector<std::string>>& groups) {
  group_of_.clear();
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (const std::string& address : groups[g]) group_of_[address] = static_cast<int>(g);
  }
}

bool FaultModel::Reachable(std::string_view from, std::string_view to) const {
  if (group_of_.empty()) return true;
  auto group = [&](std::string_view address) {
    auto it = group_of_.find(std::string(address));
    return it == group_of_.end() ? -1 : it->second;
  };
  return group(from) == group(to);
}

Duration FaultModel::Delay() {
  if (conditions_.delay_max <= conditions_.delay_min) return conditions_.delay_min;
  std::uniform_int_distribution<Duration::rep> pick(conditions_.delay_min.count(),
                                                    conditions_.delay_max.count());
  return Duration(pick(rng_));
}

std::vector<Duration> FaultModel::Route(std::string_view from, std::string_view to,
                                        std::size_t bytes) {
  ++stats_.messages_sent;
  stats_.bytes_sent += bytes;
  if (!Reachable(from, to)) {
    ++stats_.messages_partitioned;
    return {};
  }
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  if (conditions_.loss > 0 && coin(rng_) < conditions_.loss) {
    ++stats_.messages_lost;
    return {};
  }
  std::vector<Duration> copies{Delay()};
  if (conditions_.duplicate > 0 && coin(rng_) < conditions_.duplicate) {
    ++stats_.messages_duplicated;
    copies.push_back(Delay());
  }
  stats_.copies_delivered += copies.size();
  return copies;
}

}  // namespace gossipmonger::testing
