#include "reaper.h"

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

namespace gossipmonger {

Reaper::Reaper(EngineContext& context, PeerView& view, Storage& storage)
    : context_(context), view_(view), storage_(storage) {}

void Reaper::Load(Timestamp now) {
  std::vector<PeerId> known_again;
  storage_.ForEachForgotten([&](const ForgottenPeer& forgotten) {
    if (storage_.Get(forgotten.id) != nullptr) {
      known_again.push_back(forgotten.id);  // admitted before its memory was dropped
    } else {
      forgotten_.emplace(forgotten.id, forgotten);
    }
  });
  for (const PeerId& id : known_again) {
    context_.ReportIfFailed(storage_.DropForgotten(id));
  }
  const WallTime wall = context_.WallNow(now);
  for (auto& [id, state] : view_.states()) {
    if (!state.live() && state.down_since() == WallTime())
      view_.MarkDown(id, state, wall);
  }
}

void Reaper::RunDue(Timestamp now) {
  const WallTime wall = context_.WallNow(now);
  if (wall >= next_reap_) ReapDue(wall);
  if (wall >= next_expiry_) ExpireMemories(wall);
}

void Reaper::ReapDue(WallTime wall) {
  const Options& options = context_.options;
  const Duration dead_after = options.reap_dead_after;
  const Duration left_after = options.reap_left_after;
  WallTime next = wall + std::min(dead_after, left_after);
  std::vector<ForgottenPeer> due;
  for (const auto& [id, state] : view_.states()) {
    if (state.live() || state.down_since() == WallTime()) continue;
    const WallTime deadline = state.down_since() + (state.left ? left_after : dead_after);
    if (deadline <= wall) {
      due.push_back({id, state.generation(), wall});
    } else {
      next = std::min(next, deadline);
    }
  }
  next_reap_ = next;
  for (ForgottenPeer& forgotten : due) {
    if (!view_.Forget(forgotten)) {
      next_reap_ = wall;  // tried again next round
      continue;
    }
    context_.Announce(PeerForgottenEvent{forgotten.id, forgotten.generation});
    PeerId id = forgotten.id;
    forgotten_.insert_or_assign(std::move(id), std::move(forgotten));
  }
}

void Reaper::ExpireMemories(WallTime wall) {
  const Duration keep = context_.options.remember_forgotten_for;
  WallTime next = wall + keep;
  std::vector<PeerId> expired;
  for (const auto& [id, forgotten] : forgotten_) {
    if (forgotten.forgotten_at + keep <= wall) {
      expired.push_back(id);
    } else {
      next = std::min(next, forgotten.forgotten_at + keep);
    }
  }
  next_expiry_ = next;
  for (const PeerId& id : expired) DropMemory(id);
}

void Reaper::DropMemory(const PeerId& id) {
  auto it = forgotten_.find(id);
  if (it == forgotten_.end()) return;
  forgotten_.erase(it);
  context_.ReportIfFailed(storage_.DropForgotten(id));
}

bool Reaper::Remembers(const PeerId& id, Generation generation) const {
  auto it = forgotten_.find(id);
  return it != forgotten_.end() && generation <= it->second.generation;
}

bool Reaper::Ignores(const PeerId& id, Generation generation) {
  if (Remembers(id, generation)) return true;
  DropMemory(id);  // none, or a newer lineage of the id: a new peer
  return false;
}

std::optional<Message> Reaper::Screen(const Message& message) {
  if (forgotten_.empty()) return std::nullopt;
  // The peer itself is back (with its storage): a real return.
  DropMemory(message.sender.id);
  bool screened = false;
  for (const DigestEntry& entry : message.digest)
    screened = Ignores(entry.id, entry.generation) || screened;
  for (const PeerDeltas& group : message.deltas)
    screened = Ignores(group.id, group.generation) || screened;
  if (!screened) return std::nullopt;
  Message kept = message;
  std::erase_if(kept.digest, [&](const DigestEntry& entry) {
    return Remembers(entry.id, entry.generation);
  });
  std::erase_if(kept.deltas, [&](const PeerDeltas& group) {
    const bool drop = Remembers(group.id, group.generation);
    if (drop) context_.stats.deltas_ignored += group.deltas.size();
    return drop;
  });
  return kept;
}

WallTime LatestMembershipWallTime(const Storage& storage) {
  WallTime latest{};
  storage.ForEachPeer(
      [&](const PeerRecord& peer) { latest = std::max(latest, peer.down_since); });
  storage.ForEachForgotten([&](const ForgottenPeer& forgotten) {
    latest = std::max(latest, forgotten.forgotten_at);
  });
  return latest;
}

}  // namespace gossipmonger
