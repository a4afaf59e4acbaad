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
//
// The reset rule (docs/LIFECYCLE.md, "Tombstone collection"): a receiver
// whose digest shows max(max_version, clean_through) of a peer below our
// collection floor of it may hold keys whose tombstones we collected; it
// gets a reset (our whole holding of the peer, from its lowest version,
// paged like deltas) instead of deltas above its version.
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
    Version from_version_excluded;  // Version() for a reset
    bool send_address;
    bool reset = false;
  };
  // What a receiver that holds `peer` up to `from` (clean through `clean`)
  // needs: deltas above `from`, or a reset (the rule above).
  static DeltaNeed NeedOf(const PeerRecord& peer, Version from, Version clean,
                          bool send_address);
  // Compares each entry of `syn` with ours; adds to the reply what they
  // should know and to `needs` what they lack. Whether the SYN lists us.
  // Whether we may introduce this peer (or ourselves) to a node that does
  // not know it (PeerState::introducible).
  bool Introducible(const PeerId& id) const;
  bool CompareDigest(const Message& syn, const std::vector<PeerState*>& listed,
                     Message& reply, std::vector<DeltaNeed>& needs);
  // Adds every peer a complete SYN did not list (they have never heard of
  // it), ourselves included.
  void AddUnlisted(bool lists_us, Message& reply, std::vector<DeltaNeed>& needs);
  void Need(const PeerId& id, Version from_version_excluded, Version clean_through,
            bool send_address, std::vector<DeltaNeed>& needs) const;
  // One group of `need` within the message's budget; `*size` is the
  // message's size so far, raised by what the group takes.
  PeerDeltas GroupFor(const DeltaNeed& need, std::size_t* deltas_left, std::size_t* size);
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
