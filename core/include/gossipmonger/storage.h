// The storage protocol: the original's get / put / livePeers / deadPeers / error,
// shaped so that a persistent backend writes only what changed.
//
// A Storage owns the working set (every PeerRecord, in memory) and answers
// reads from it without touching disk. Writes change the working set first,
// then persist it. A non-ok Status from a write means the change is in memory
// but may not be durable; the engine reports it through the `error` event and
// keeps gossiping from memory.
//
// Threading: a Storage is used by one engine, on that engine's executor; it
// need not be thread-safe.
//
// Conformance: gossipmonger/testing/storage_conformance.h (the testing kit,
// gossipmonger::testing) is the suite every backend runs.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "gossipmonger/message.h"
#include "gossipmonger/peer.h"
#include "gossipmonger/status.h"

namespace gossipmonger {

class Storage {
 public:
  virtual ~Storage() = default;

  // --- reads (working set) ------------------------------------------------
  // The original's get(id): the peer, or nullptr. The pointer stays valid until
  // the next write to this storage.
  virtual const PeerRecord* Get(std::string_view id) const = 0;
  // Calls `visit` once for every stored peer, in unspecified order. `visit`
  // must not write to this storage.
  virtual void ForEachPeer(const std::function<void(const PeerRecord&)>& visit) const = 0;
  virtual std::size_t PeerCount() const = 0;
  // The original's livePeers() / deadPeers(), from PeerRecord::live: every
  // stored peer but `local_id`. As in the original, neither ever lists the local
  // node, although a storage also holds the local node's record (that is how
  // a node resumes); the storage does not know which record is the local
  // one, so the caller names it.
  std::vector<const PeerRecord*> LivePeers(std::string_view local_id) const;
  std::vector<const PeerRecord*> DeadPeers(std::string_view local_id) const;

  // --- writes -------------------------------------------------------------
  // The original's put(id, peer) for everything but data. Creates the peer if it
  // is unknown (max_version_seen 0, no data). If the peer exists with another
  // generation, drops its data and sets max_version_seen to 0 (a new lineage
  // shares nothing with the old one).
  virtual Status PutPeer(const PeerHeader& header) = 0;
  // The original's put(id, peer) for data: stores each delta (ascending versions,
  // each above the peer's current max_version_seen) and sets
  // max_version_seen to `max_version_seen`. One call is one atomic batch
  // (transaction / WriteBatch) in a persistent backend. Fails with
  // kInvalidArgument if the peer is unknown.
  virtual Status PutDeltas(std::string_view id, std::span<const KeyDelta> deltas,
                           Version max_version_seen) = 0;
  // --- lifecycle (docs/LIFECYCLE.md) ---------------------------------------
  // A PutPeer that changes the generation also resets collected_through and
  // clean_through to 0. PutDeltas stores each delta's kind and expires_at.

  // A reset: replaces all of the peer's data with `deltas` (ascending
  // versions, any kind), sets max_version_seen to `max_version_seen` (at
  // least the last delta's version) and clean_through to `clean_through`.
  // One atomic batch. kInvalidArgument if the peer is unknown.
  virtual Status ReplaceData(std::string_view id, std::span<const KeyDelta> deltas,
                             Version max_version_seen, Version clean_through) = 0;
  // Tombstone collection: removes the peer's entries `keys` (each a
  // tombstone with a version <= `collected_through`) and raises its
  // collected_through to `collected_through`. One atomic batch.
  // kInvalidArgument if the peer is unknown or a key is not such a
  // tombstone (nothing changes then).
  virtual Status CollectTombstones(std::string_view id, std::span<const std::string> keys,
                                   Version collected_through) = 0;
  // Reaping: removes the peer `forgotten.id` (record and data) and
  // remembers `forgotten`, replacing an earlier memory of that id. One
  // atomic batch. kInvalidArgument if the peer is unknown.
  virtual Status ForgetPeer(const ForgottenPeer& forgotten) = 0;
  // Forgets the memory of a forgotten peer (it expired, or the peer came
  // back); ok if there is none.
  virtual Status DropForgotten(std::string_view id) = 0;
  // Every remembered forgotten peer, in unspecified order (working set).
  virtual void ForEachForgotten(
      const std::function<void(const ForgottenPeer&)>& visit) const = 0;

  // Makes every acknowledged write durable (a no-op for memory storage).
  // The runtime calls it once per gossip round and on Stop, so a batching
  // backend is durable within one GOSSIP_INTERVAL.
  virtual Status Flush() { return Status::Ok(); }
};

}  // namespace gossipmonger
