// Reaper: forgets peers gone for good and remembers whom it forgot
// (docs/LIFECYCLE.md, "Reaping").
//
// - Reaping: a peer not live since down_since (its conviction, or when this
//   node learnt that it left) is forgotten once down_since +
//   reap_dead_after (reap_left_after for a left peer) has passed on the
//   wall clock: its record and data go (Storage::ForgetPeer, which also
//   remembers (id, generation, forgotten_at)), its state goes, `peer
//   forgotten` is raised. down_since is persisted, so restarts do not
//   restart the count.
// - Memory: while a forgotten (id, generation) is remembered, digest
//   entries and delta groups about that id with a generation at or below
//   it are screened out of every message (no `new peer`, no request, no
//   `unknown peer`), unless the message's sender is that id. The sender
//   itself, or a newer generation, ends the memory first
//   (Storage::DropForgotten) and is then admitted as any new peer. A
//   memory is dropped remember_forgotten_for after it was made.
//
// Cost: both checks run once per round but scan only when something can be
// due: after a scan at wall time W, no peer that goes down later can be due
// before W + min(reap_left_after, reap_dead_after), and no memory made later
// expires before W + remember_forgotten_for. A scan reads the in-memory
// states (PeerState::down_since), never the storage.
//
// Ownership: the peer records are the PeerView's to write (Forget goes
// through it); the memory of forgotten peers is the Reaper's, kept here and
// in the storage.
#pragma once

#include <optional>
#include <unordered_map>

#include "engine_context.h"
#include "gossipmonger/storage.h"
#include "peer_view.h"

namespace gossipmonger {

class Reaper {
 public:
  Reaper(EngineContext& context, PeerView& view, Storage& storage);

  // At start, after PeerView::Load: loads the memories (dropping any of a
  // peer the storage holds again) and dates now the down peers stored
  // without a down_since (written before down_since existed).
  void Load(Timestamp now);
  // Once per round: reaps the peers that are due and drops expired
  // memories.
  void RunDue(Timestamp now);
  // `message` without what it says about remembered lineages, or nullopt
  // when it says nothing about them (the common case: no copy).
  std::optional<Message> Screen(const Message& message);

  std::size_t remembered() const { return forgotten_.size(); }

 private:
  void ReapDue(WallTime wall);
  void ExpireMemories(WallTime wall);
  // Whether an item about (id, generation) is to be screened out; a newer
  // generation ends the memory of `id`.
  bool Ignores(const PeerId& id, Generation generation);
  // Whether (id, generation) is at or below a remembered lineage.
  bool Remembers(const PeerId& id, Generation generation) const;
  void DropMemory(const PeerId& id);

  using Memories = std::unordered_map<PeerId, ForgottenPeer, IdHash, std::equal_to<>>;
  EngineContext& context_;
  PeerView& view_;
  Storage& storage_;
  Memories forgotten_;
  // Before these wall times no peer can be due, no memory expired.
  WallTime next_reap_{};
  WallTime next_expiry_{};
};

// The latest wall time the membership lifecycle stored (peers' down_since,
// forgotten peers' forgotten_at): the engine's wall clock starts at least
// there (docs/LIFECYCLE.md, "Clocks").
WallTime LatestMembershipWallTime(const Storage& storage);

}  // namespace gossipmonger
