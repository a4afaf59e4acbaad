#include "ttl_deadlines.h"

namespace gossipmonger {

void TtlDeadlines::Set(const std::string& key, WallTime deadline) {
  auto it = of_key_.find(key);
  if (it != of_key_.end()) {
    by_deadline_.erase({it->second, key});
    if (deadline == WallTime()) {
      of_key_.erase(it);
      return;
    }
    it->second = deadline;
  } else {
    if (deadline == WallTime()) return;
    of_key_.emplace(key, deadline);
  }
  by_deadline_.insert({deadline, key});
}

void TtlDeadlines::Rebuild(const PeerRecord& own) {
  by_deadline_.clear();
  of_key_.clear();
  for (const auto& [key, value] : own.data) {
    if (value.kind == EntryKind::kValue) Set(key, value.expires_at);
  }
}

std::vector<std::string> TtlDeadlines::TakeDue(WallTime now) {
  std::vector<std::string> due;
  while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
    auto first = by_deadline_.begin();
    of_key_.erase(first->second);
    due.push_back(first->second);
    by_deadline_.erase(first);
  }
  return due;
}

}  // namespace gossipmonger
