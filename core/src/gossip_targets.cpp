#include "gossip_targets.h"

#include <algorithm>
#include <random>
#include <utility>

namespace gossipmonger {

namespace {

template <typename T>
const T& RandomElement(const std::vector<T>& items, std::mt19937_64& rng) {
  std::uniform_int_distribution<std::size_t> pick(0, items.size() - 1);
  return items[pick(rng)];
}

}  // namespace

GossipTargets::GossipTargets(EngineContext& context, PeerView& view,
                             AntiEntropy& anti_entropy)
    : context_(context), view_(view), anti_entropy_(anti_entropy) {}

void GossipTargets::SendDigestTo(const PeerId& id) {
  const PeerRecord* peer = view_.Record(id);
  if (peer != nullptr) anti_entropy_.SendDigest({peer->id, peer->address});
}

void GossipTargets::StartWaitingExchanges(bool all) {
  while (!waiting_.empty()) {
    const PeerId id = std::move(waiting_.front());
    waiting_.erase(waiting_.begin());
    const PeerState* state = view_.Find(id);
    const PeerRecord* peer = view_.Record(id);
    if (state == nullptr || !state->live() || peer == nullptr) continue;
    anti_entropy_.SendDigest({peer->id, peer->address});
    if (!all) return;
  }
}

void GossipTargets::StartRound() {
  std::vector<const PeerId*> live;
  std::vector<const PeerId*> dead;
  live.reserve(view_.size());
  for (const auto& [id, state] : view_.states()) {
    // A peer that left is gone on purpose: nobody to call.
    if (!state.left) (state.live() ? live : dead).push_back(&id);
  }
  std::vector<const PeerId*> chosen;
  if (!live.empty()) {
    // If last round's exchanges got no reply (lost, or the peers are slow or
    // gone), call one more peer: a node whose messages are being lost would
    // otherwise let its heartbeat go stale everywhere and be convicted.
    const bool retry = awaiting_reply_;
    awaiting_reply_ = true;
    auto draw_new = [&] {
      for (;;) {
        const PeerId* pick = RandomElement(live, context_.rng);
        if (std::find(chosen.begin(), chosen.end(), pick) == chosen.end()) return pick;
      }
    };
    while (chosen.size() < std::min(context_.options.gossip_fanout, live.size())) {
      chosen.push_back(draw_new());
    }
    SendDigestTo(*chosen.front());
    for (std::size_t i = 1; i < chosen.size(); ++i) waiting_.push_back(*chosen[i]);
    if (retry && live.size() > chosen.size()) {
      SendDigestTo(*draw_new());
      ++context_.stats.retries;
    }
  }
  if (!dead.empty()) {
    // The original's rule; always when nobody is live.
    std::uniform_real_distribution<double> coin(0.0, 1.0);
    const double p =
        static_cast<double>(dead.size()) / static_cast<double>(live.size() + 1);
    if (live.empty() || coin(context_.rng) < p)
      SendDigestTo(*RandomElement(dead, context_.rng));
  }
  GossipToSeeds(live.size(), live.size() + dead.size(), chosen);
}

std::vector<PeerEndpoint> GossipTargets::OtherSeeds() const {
  const PeerEndpoint& self = context_.self;
  std::vector<PeerEndpoint> seeds;
  for (const PeerEndpoint& seed : context_.options.seeds) {
    if (seed.id != self.id && seed.address != self.address) seeds.push_back(seed);
  }
  return seeds;
}

void GossipTargets::GossipToSeeds(std::size_t live, std::size_t known,
                                  const std::vector<const PeerId*>& partners) {
  const std::vector<PeerEndpoint> seeds = OtherSeeds();
  if (seeds.empty()) return;
  if (!announced_to_seeds_) {
    // A starting node announces itself to every seed once: seeds that are
    // starting too, or that formed groups of their own, all hear of it.
    announced_to_seeds_ = true;
    for (const PeerEndpoint& seed : seeds) anti_entropy_.SendDigest(seed);
    return;
  }
  // Seeds that are not already among this round's partners.
  std::vector<PeerEndpoint> others;
  for (const PeerEndpoint& seed : seeds) {
    const bool partner = std::any_of(partners.begin(), partners.end(),
                                     [&](const PeerId* id) { return *id == seed.id; });
    if (!partner) others.push_back(seed);
  }
  if (others.empty()) return;
  // The original's rule: alone (fewer than MINIMUM_LIVE_PEERS), always. Then
  // Cassandra's: groups that formed apart (nodes that started while a seed
  // was not up yet) share the seeds, so talking to a seed now and then
  // merges them. Always while fewer peers are live than there are seeds;
  // otherwise, unless this round's partners include a seed, with probability
  // seeds / known peers, which costs the whole cluster about one digest
  // exchange per seed per round, whatever its size.
  bool call = live < context_.options.minimum_live_peers || live < seeds.size();
  if (!call && others.size() == seeds.size()) {
    std::uniform_real_distribution<double> coin(0.0, 1.0);
    call = coin(context_.rng) < static_cast<double>(seeds.size()) /
                                    static_cast<double>(std::max<std::size_t>(known, 1));
  }
  if (call) anti_entropy_.SendDigest(RandomElement(others, context_.rng));
}

}  // namespace gossipmonger
