#include "anti_entropy.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>

#include "gossipmonger/wire_size.h"

namespace gossipmonger {

namespace {

// How many of `digest`'s first entries fit a body of `budget` bytes.
std::size_t EntriesThatFit(const std::vector<DigestEntry>& digest, std::size_t budget) {
  std::size_t size = wire_size::BodyOverhead();
  std::size_t kept = 0;
  while (kept < digest.size() && kept < wire_size::kMaxArrayElements) {
    const std::size_t entry_size = wire_size::Entry(digest[kept]);
    if (size + entry_size > budget) break;
    size += entry_size;
    ++kept;
  }
  return kept;
}

}  // namespace

AntiEntropy::AntiEntropy(EngineContext& context, PeerView& view)
    : context_(context), view_(view) {}

// --- the SYN --------------------------------------------------------------------

std::vector<DigestEntry> AntiEntropy::FullDigest() const {
  std::vector<DigestEntry> digest;
  digest.reserve(view_.size() + 1);
  digest.push_back(view_.OwnEntry());
  for (const auto& [id, state] : view_.states())
    digest.push_back(view_.EntryOf(id, state));
  return digest;
}

void AntiEntropy::SendDigest(const PeerEndpoint& to) {
  Message syn = context_.NewMessage(MessageKind::kDigest);
  syn.digest = FullDigest();
  std::size_t size = wire_size::BodyOverhead();
  for (const DigestEntry& entry : syn.digest) size += wire_size::Entry(entry);
  syn.digest_is_partial =
      size > BodyBudget() || syn.digest.size() > wire_size::kMaxArrayElements;
  if (syn.digest_is_partial) {
    // Too big for one message (a large cluster on UDP): send our own entry
    // and a random subset that fits, so that over rounds every entry travels.
    std::shuffle(syn.digest.begin() + 1, syn.digest.end(), context_.rng);
    syn.digest.resize(EntriesThatFit(syn.digest, BodyBudget()));
  }
  context_.Send(to, std::move(syn));
}

// --- the SYN-ACK ----------------------------------------------------------------

void AntiEntropy::ReplyToDigest(const Message& syn,
                                const std::vector<PeerState*>& listed) {
  ++digests_answered_;
  for (PeerState* state : listed) {
    if (state != nullptr) state->listed_in = digests_answered_;
  }
  Message reply = context_.NewMessage(MessageKind::kDigestReply);
  std::vector<DeltaNeed> needs;
  const bool lists_us = CompareDigest(syn, listed, reply, needs);
  if (!syn.digest_is_partial) AddUnlisted(lists_us, reply, needs);
  // The digest may take at most half the budget when deltas are due.
  const std::size_t digest_budget = needs.empty() ? BodyBudget() : BodyBudget() / 2;
  reply.digest.resize(EntriesThatFit(reply.digest, digest_budget));
  FillDeltas(std::move(needs), reply);
  context_.Send(syn.sender, std::move(reply));
}

bool AntiEntropy::CompareDigest(const Message& syn, const std::vector<PeerState*>& listed,
                                Message& reply, std::vector<DeltaNeed>& needs) {
  bool lists_us = false;
  for (std::size_t i = 0; i < syn.digest.size(); ++i) {
    const DigestEntry& theirs = syn.digest[i];
    const bool about_us = theirs.id == context_.self.id;
    lists_us = lists_us || about_us;
    if (!about_us && listed[i] == nullptr) {
      // Ask for it; they will send it with its address.
      if (theirs.generation != Generation())
        reply.digest.push_back({theirs.id, {}, {}, {}});
      continue;
    }
    const DigestEntry mine =
        about_us ? view_.OwnEntry() : view_.EntryOf(theirs.id, *listed[i]);
    if (mine.generation > theirs.generation) {
      reply.digest.push_back(mine);
      Need(theirs.id, Version(), Version(), true, needs);
      continue;
    }
    if (mine.generation < theirs.generation) continue;  // we could not adopt it
    // Tell them only what differs: a newer heartbeat, or that we lag.
    if (mine.heartbeat > theirs.heartbeat || mine.max_version < theirs.max_version) {
      reply.digest.push_back(mine);
    }
    if (theirs.max_version < mine.max_version) {
      Need(theirs.id, theirs.max_version, theirs.clean_through, false, needs);
    }
  }
  return lists_us;
}

void AntiEntropy::AddUnlisted(bool lists_us, Message& reply,
                              std::vector<DeltaNeed>& needs) {
  if (!lists_us) {
    reply.digest.push_back(view_.OwnEntry());
    Need(context_.self.id, Version(), Version(), true, needs);
  }
  for (const auto& [id, state] : view_.states()) {
    if (state.listed_in == digests_answered_ || !state.introducible()) continue;
    reply.digest.push_back(view_.EntryOf(id, state));
    Need(id, Version(), Version(), true, needs);
  }
}

AntiEntropy::DeltaNeed AntiEntropy::NeedOf(const PeerRecord& peer, Version from,
                                           Version clean, bool send_address) {
  // Plain deltas above `from` would skip the tombstones we collected above
  // max(from, clean) (none, when the receiver holds nothing yet, but then
  // a reset lets a paged catch-up go on from any node by plain deltas).
  if (std::max(from, clean) < peer.collected_through) {
    return {&peer, Version(), send_address, true};
  }
  return {&peer, from, send_address, false};
}

void AntiEntropy::Need(const PeerId& id, Version from_version_excluded,
                       Version clean_through, bool send_address,
                       std::vector<DeltaNeed>& needs) const {
  if (const PeerRecord* peer = view_.Record(id)) {
    needs.push_back(NeedOf(*peer, from_version_excluded, clean_through, send_address));
  }
}

// --- the ACK --------------------------------------------------------------------

void AntiEntropy::AcknowledgeReply(const Message& reply) {
  std::vector<DeltaNeed> needs;
  for (const DigestEntry& theirs : reply.digest) {
    const PeerRecord* peer = view_.Record(theirs.id);
    if (peer == nullptr) continue;
    if (theirs.generation == Generation() && !Introducible(theirs.id)) continue;
    if (theirs.generation < peer->generation) {  // includes "unknown to them" (0)
      needs.push_back(NeedOf(*peer, Version(), Version(), true));
    } else if (theirs.generation == peer->generation &&
               theirs.max_version < peer->max_version_seen) {
      needs.push_back(NeedOf(*peer, theirs.max_version, theirs.clean_through, false));
    }
  }
  if (needs.empty()) return;
  Message ack = context_.NewMessage(MessageKind::kDeltas);
  FillDeltas(std::move(needs), ack);
  if (!ack.deltas.empty()) context_.Send(reply.sender, std::move(ack));
}

bool AntiEntropy::Introducible(const PeerId& id) const {
  if (id == context_.self.id) return true;
  const PeerState* state = view_.Find(id);
  return state != nullptr && state->introducible();
}

// --- deltas ---------------------------------------------------------------------

void AntiEntropy::FillDeltas(std::vector<DeltaNeed> needs, Message& out) {
  std::size_t size = wire_size::BodyOverhead();
  for (const DigestEntry& entry : out.digest) size += wire_size::Entry(entry);
  // Order: peers the receiver has never heard of first (their headers are
  // cheap and spread membership), then the least outdated first, so that a
  // peer with a few fresh updates is not starved behind one with a large
  // backlog; ties in random order.
  std::shuffle(needs.begin(), needs.end(), context_.rng);
  std::stable_sort(
      needs.begin(), needs.end(), [](const DeltaNeed& a, const DeltaNeed& b) {
        if (a.send_address != b.send_address) return a.send_address;
        return a.peer->max_version_seen.value() - a.from_version_excluded.value() <
               b.peer->max_version_seen.value() - b.from_version_excluded.value();
      });
  std::size_t deltas_left = context_.options.max_deltas_per_gossip;
  for (const DeltaNeed& need : needs) {
    if (out.deltas.size() >= wire_size::kMaxArrayElements) break;
    PeerDeltas group = GroupFor(need, &deltas_left, &size);
    if (group.id.empty()) continue;
    if (group.reset_through != Version()) ++context_.stats.resets_sent;
    out.deltas.push_back(std::move(group));
  }
}

PeerDeltas AntiEntropy::GroupFor(const DeltaNeed& need, std::size_t* deltas_left,
                                 std::size_t* size) {
  const PeerRecord& peer = *need.peer;
  const std::string_view address = need.send_address ? peer.address : std::string_view();
  const Version reset_through = need.reset ? peer.max_version_seen : Version();
  const std::size_t overhead =
      wire_size::GroupOverhead(peer.id, peer.generation, address, reset_through);
  // Too big: nothing (a smaller group may still fit).
  if (*size + overhead > BodyBudget()) return {};
  PeerDeltas group{peer.id, peer.generation, std::string(address), {}};
  std::size_t used = *size + overhead;
  if (*deltas_left > 0) {
    AppendDeltasAbove(peer, need.from_version_excluded, *deltas_left, BodyBudget(), &used,
                      scratch_, group);
    *deltas_left -= group.deltas.size();
  }
  // A reset without deltas would replace the receiver's holding by nothing.
  if (!group.deltas.empty()) group.reset_through = reset_through;
  if (group.deltas.empty() && !need.send_address) return {};
  *size = used;
  return group;
}

}  // namespace gossipmonger
