// GossipTargets: whom each round's digest exchanges go to.
//
// A round calls gossip_fanout distinct live peers (drawn one by one, so
// that fanout 1 makes the original's single draw): the first at the Tick, the
// others one per Step, so that each exchange sees what the previous ones
// brought. Beyond them: one more live peer when the last round's exchanges
// got no reply; a dead peer with probability dead / (live + 1) (the original's
// rule, so that a healed partition is noticed); and seeds (GossipToSeeds).
// Digests are sent at once through AntiEntropy::SendDigest, in the order
// the choices are made (every choice and digest draws from the one RNG).
#pragma once

#include <cstddef>
#include <vector>

#include "anti_entropy.h"
#include "engine_context.h"
#include "peer_view.h"

namespace gossipmonger {

class GossipTargets {
 public:
  GossipTargets(EngineContext& context, PeerView& view, AntiEntropy& anti_entropy);

  // Tick: chooses this round's partners and starts the first exchange.
  void StartRound();
  // Starts the next exchange of the round still waiting (Step), or, with
  // `all`, every one (Tick: those of the last round go before the new
  // round's). Partners no longer live are skipped.
  void StartWaitingExchanges(bool all);
  // A reply to one of our digests came back.
  void NoteReply() { awaiting_reply_ = false; }

 private:
  // The seed exchange of a round: `live` and `known` count peers but
  // ourselves; `partners` are the round's.
  void GossipToSeeds(std::size_t live, std::size_t known,
                     const std::vector<const PeerId*>& partners);
  // options.seeds without ourselves (by id or by address).
  std::vector<PeerEndpoint> OtherSeeds() const;
  void SendDigestTo(const PeerId& id);

  EngineContext& context_;
  PeerView& view_;
  AntiEntropy& anti_entropy_;
  // A digest went to a live peer and no reply has come back since.
  bool awaiting_reply_ = false;
  // The first round sent a digest to every seed.
  bool announced_to_seeds_ = false;
  // This round's partners after the first, in the order they are called.
  std::vector<PeerId> waiting_;
};

}  // namespace gossipmonger
