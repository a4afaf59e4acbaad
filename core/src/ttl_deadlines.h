// TtlDeadlines: when this node's own keys with a time to live expire
// (docs/LIFECYCLE.md, "TTL"). The deadlines themselves are persisted with
// the values (VersionedValue::expires_at); this is their index, ordered by
// deadline, so that each step finds the expired keys without a scan. Built
// from the node's own record at start (so a deadline that passed while the
// node was down is acted on at its first step) and kept exact by the
// PeerView, the only writer of the node's data.
#pragma once

#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gossipmonger/peer.h"
#include "gossipmonger/types.h"

namespace gossipmonger {

class TtlDeadlines {
 public:
  // The key expires at `deadline`; WallTime() (0): it no longer expires.
  void Set(const std::string& key, WallTime deadline);
  void Clear(const std::string& key) { Set(key, WallTime()); }
  // Every value of `own` with a deadline, replacing what was indexed.
  void Rebuild(const PeerRecord& own);
  // The keys whose deadline is at or before `now`, removed from the index,
  // earliest deadline first.
  std::vector<std::string> TakeDue(WallTime now);
  std::size_t size() const { return of_key_.size(); }

 private:
  std::set<std::pair<WallTime, std::string>> by_deadline_;
  std::unordered_map<std::string, WallTime> of_key_;
};

}  // namespace gossipmonger
