// ReplayGuard (docs/SECURITY.md, "Replay protection").
//
// Per sender: the newest epoch accepted, the highest counter accepted in
// it, and a bitmap of which of the kCounterWindow counters up to that
// highest were accepted (bit d: highest - d). Entries are kept in the order
// they last accepted a frame, most recent first, so that a full table
// evicts the least recently accepted sender.
//
// Forgetting is safe once every frame an entry accepted is stale: an entry
// is forgotten when its newest accepted sent_at is more than the window
// before now, and then rule 1 (freshness) refuses all of its frames.
// Evicting a live entry when the table is full is not safe (its frames
// could be replayed until they are stale): the table is sized (2 x
// max_peers) so that an honest cluster never fills it.
#include "transport_core/replay_guard.h"

#include <algorithm>
#include <bitset>
#include <iterator>
#include <list>
#include <map>
#include <string>

namespace gossipmonger::transport_core {

namespace {

struct Entry {
  std::string sender;
  std::uint64_t epoch = 0;
  std::uint64_t highest = 0;  // the highest counter accepted in `epoch`
  std::uint64_t newest_sent_at_ms = 0;
  std::bitset<ReplayGuard::kCounterWindow> seen;  // bit d: counter highest - d

  // Starts `epoch` with `counter` as its only accepted counter.
  void Restart(std::uint64_t new_epoch, std::uint64_t counter) {
    epoch = new_epoch;
    highest = counter;
    seen.reset();
    seen.set(0);
  }

  // Rule 3: records `counter` of this epoch, or says it is a replay.
  ReplayGuard::Verdict AcceptCounter(std::uint64_t counter) {
    constexpr std::uint64_t kWindow = ReplayGuard::kCounterWindow;
    if (counter > highest) {
      std::uint64_t shift = counter - highest;
      if (shift >= kWindow) {
        seen.reset();
      } else {
        seen <<= static_cast<std::size_t>(shift);
      }
      seen.set(0);
      highest = counter;
      return ReplayGuard::Verdict::kFresh;
    }
    std::uint64_t below = highest - counter;
    if (below >= kWindow || seen.test(static_cast<std::size_t>(below))) {
      return ReplayGuard::Verdict::kReplayed;
    }
    seen.set(static_cast<std::size_t>(below));
    return ReplayGuard::Verdict::kFresh;
  }
};

// |a - b| > window, without unsigned wrap-around.
bool ApartMoreThan(std::uint64_t a, std::uint64_t b, std::uint64_t window) {
  return (a > b ? a - b : b - a) > window;
}

}  // namespace

struct ReplayGuard::Table {
  using Order = std::list<Entry>;
  Order entries;  // most recently accepted first
  // Keys view the `sender` strings of `entries` (list nodes never move).
  std::map<std::string_view, Order::iterator> index;

  void Erase(Order::iterator it) {
    index.erase(it->sender);
    entries.erase(it);
  }
};

ReplayGuard::ReplayGuard(std::chrono::milliseconds window, std::size_t max_senders)
    : window_(window),
      max_senders_(std::max<std::size_t>(max_senders, 1)),
      table_(std::make_unique<Table>()) {}

ReplayGuard::~ReplayGuard() = default;

ReplayGuard::Verdict ReplayGuard::Check(std::string_view sender, const SealHeader& header,
                                        std::uint64_t now_ms) {
  const auto window =
      static_cast<std::uint64_t>(std::max<std::int64_t>(window_.count(), 0));
  // Rule 1: freshness, in the past and in the future.
  if (ApartMoreThan(header.sent_at_ms, now_ms, window)) return Verdict::kStale;

  Table& t = *table_;
  auto expired = [&](const Entry& e) {
    return now_ms > e.newest_sent_at_ms && now_ms - e.newest_sent_at_ms > window;
  };
  // Forget from the least recently accepted end while those are expired.
  while (!t.entries.empty() && expired(t.entries.back()))
    t.Erase(std::prev(t.entries.end()));

  auto found = t.index.find(sender);
  if (found != t.index.end() && expired(*found->second)) {
    t.Erase(found->second);
    found = t.index.end();
  }
  if (found == t.index.end()) {
    if (t.entries.size() >= max_senders_) t.Erase(std::prev(t.entries.end()));
    t.entries.emplace_front();
    Entry& e = t.entries.front();
    e.sender = std::string(sender);
    e.Restart(header.epoch, header.counter);
    e.newest_sent_at_ms = header.sent_at_ms;
    t.index.emplace(e.sender, t.entries.begin());
    return Verdict::kFresh;
  }

  Entry& e = *found->second;
  // Rule 2: an older epoch is a replay; a newer one starts a new window.
  if (header.epoch < e.epoch) return Verdict::kReplayed;
  if (header.epoch > e.epoch) {
    e.Restart(header.epoch, header.counter);
  } else if (e.AcceptCounter(header.counter) == Verdict::kReplayed) {
    return Verdict::kReplayed;
  }
  e.newest_sent_at_ms = std::max(e.newest_sent_at_ms, header.sent_at_ms);
  t.entries.splice(t.entries.begin(), t.entries, found->second);
  return Verdict::kFresh;
}

std::size_t ReplayGuard::senders() const { return table_->entries.size(); }

}  // namespace gossipmonger::transport_core
