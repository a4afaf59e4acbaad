#include "push_queue.h"

#include <algorithm>
#include <utility>

namespace gossipmonger {

PushQueue::PushQueue(const Options& options)
    : options_(options), tokens_(std::max(1.0, options.push_rate_limit)) {}

void PushQueue::QueueLearned(const PeerId& id, Version from) {
  auto [pending, inserted] = learned_.try_emplace(id, from);
  if (!inserted) pending->second = std::min(pending->second, from);
}

void PushQueue::Refill(Timestamp now) {
  const double capacity = std::max(1.0, options_.push_rate_limit);
  if (last_refill_ && now > *last_refill_) {
    const double intervals =
        static_cast<double>((now - *last_refill_).count()) /
        static_cast<double>(
            std::chrono::duration_cast<Duration>(options_.gossip_interval).count());
    tokens_ = std::min(capacity, tokens_ + intervals * options_.push_rate_limit);
  }
  if (!last_refill_ || now > *last_refill_) last_refill_ = now;
}

std::optional<Version> PushQueue::PendingOwn(Version own_version) {
  if (own_from_ && *own_from_ >= own_version) own_from_.reset();
  return own_from_;
}

void PushQueue::OwnSentUpTo(Version sent, Version own_version) {
  own_from_ = sent;
  if (*own_from_ >= own_version) own_from_.reset();
}

bool PushQueue::TakeToken(EngineStats& stats) {
  if (tokens_ < 1) {
    ++stats.push_waits;
    return false;
  }
  tokens_ -= 1;
  return true;
}

void PushQueue::Clear() {
  own_from_.reset();
  learned_.clear();
}

}  // namespace gossipmonger
