// AntiEntropy: the Scuttlebutt exchange (message.h): digests, the reply
// that reconciles both ways, and the deltas each side lacks.
//
//   initiator                      responder
//     kDigest       (SYN)   ──►      ReplyToDigest: differing entries + deltas
//     kDigestReply  (SYN-ACK) ◄──    AcknowledgeReply: what the responder lacked
//     kDeltas       (ACK)   ──►
//
// Received deltas are applied by the PeerView; whom a round calls is
// GossipTargets'. Every message it builds fits the transport's budget
// (wire_size.h): a digest that does not fit is sent partial, deltas are cut
// at the budget and at MAX_DELTAS_PER_GOSSIP, never leaving a gap in a
// receiver's prefix.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "deltas_above.h"
#include "engine_context.h"
#include "peer_view.h"

namespace gossipmonger {

class AntiEntropy {
 public:
  AntiEntropy(EngineContext& context, PeerView& view);

  // Our digest: our own entry first, then every peer we know, live or dead.
  std::vector<DigestEntry> FullDigest() const;
  // Sends our digest to `to` (a SYN): whole, or, when it does not fit one
  // message, our own entry and a random part that fits (flagged partial).
  void SendDigest(const PeerEndpoint& to);
  // Answers a SYN with the entries that differ (a newer heartbeat we hold,
  // a lineage or versions they lack, peers they do not list, requests for
  // peers we do not know) and the deltas they lack. `listed`: the states of
  // the peers its entries name (Liveness::HearDigest).
  void ReplyToDigest(const Message& syn, const std::vector<PeerState*>& listed);
  // Answers a SYN-ACK with the deltas its entries show the responder lacks
  // (the ACK), if any.
  void AcknowledgeReply(const Message& reply);

 private:
  // A peer the receiver of a message lacks deltas of.
  struct DeltaNeed {
    const PeerRecord* peer;
    Version from_version_excluded;
    bool send_address;
  };
  // Compares each entry of `syn` with ours; adds to the reply what they
  // should know and to `needs` what they lack. Whether the SYN lists us.
  bool CompareDigest(const Message& syn, const std::vector<PeerState*>& listed,
                     Message& reply, std::vector<DeltaNeed>& needs);
  // Adds every peer a complete SYN did not list (they have never heard of
  // it), ourselves included.
  void AddUnlisted(bool lists_us, Message& reply, std::vector<DeltaNeed>& needs);
  void Need(const PeerId& id, Version from_version_excluded, bool send_address,
            std::vector<DeltaNeed>& needs) const;
  // Fills `out.deltas` from `needs` within MAX_DELTAS_PER_GOSSIP and the byte
  // budget; `out.digest` must already be final.
  void FillDeltas(std::vector<DeltaNeed> needs, Message& out);
  std::size_t BodyBudget() const { return context_.max_body_bytes; }

  EngineContext& context_;
  PeerView& view_;
  // Numbers the SYNs answered; PeerState::listed_in holds the last that
  // listed each peer.
  std::uint64_t digests_answered_ = 0;
  DeltaCandidates scratch_;
};

}  // namespace gossipmonger
