// TombstoneCollector: which stored tombstones (deleted keys) this node
// removes, and when (docs/LIFECYCLE.md, "Tombstone collection").
//
// It indexes every stored tombstone by peer and version with its deadline
// (VersionedValue::expires_at: stored at + tombstone_grace), so that a
// round's collection touches only the peers with a tombstone due and never
// scans the data. The index is built from the storage at start and kept
// exact by the PeerView, the storage's only writer, at each write that
// stores, overwrites or drops a tombstone; the collector's own write
// (Storage::CollectTombstones) is made on the view's behalf.
//
// Rules, per peer:
// - in version order only: it stops at the first tombstone not yet due, so
//   the collection floor (collected_through, persisted in the same batch)
//   is the version of the last tombstone removed, and every tombstone at or
//   below it is gone;
// - never the tombstone at the peer's max_version_seen (its latest change):
//   a holding's highest entry is then always its max version, so a reset's
//   last page leaves the receiver at the sender's max version and the two
//   digests agree afterwards. It is collected after the peer's next change.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine_context.h"
#include "gossipmonger/peer.h"
#include "gossipmonger/storage.h"

namespace gossipmonger {

class TombstoneCollector {
 public:
  // Indexes peer `id`'s tombstone of `key` at `version`, due at `deadline`.
  void Track(const PeerId& id, const std::string& key, Version version,
             WallTime deadline);
  // The tombstone of `id` at `version` was overwritten (no-op if none).
  void Untrack(std::string_view id, Version version);
  // Everything of `id` was dropped (a new lineage, a reset, a forgotten peer).
  void Forget(std::string_view id);
  // Indexes every tombstone of a stored record (at start).
  void TrackRecord(const PeerRecord& record);
  // How many tombstones of `id` are stored: its entries that are not live.
  std::size_t Count(std::string_view id) const;
  // The latest deadline indexed, WallTime() if none.
  WallTime LatestDeadline() const;

  // Collects, for every peer, the tombstones due at `now` (the rules above)
  // from `storage`; reports failed writes through `context`. How many it
  // removed.
  std::size_t CollectDue(WallTime now, Storage& storage, EngineContext& context);

 private:
  struct Pending {
    std::string key;
    WallTime deadline;
  };
  using ByVersion = std::map<Version, Pending>;
  // Collects the due prefix of one peer's tombstones; false if the peer is
  // gone from the storage (its index is then to be dropped).
  bool CollectPeer(const PeerId& id, ByVersion& tombstones, WallTime now,
                   Storage& storage, EngineContext& context, std::size_t* collected);

  std::unordered_map<PeerId, ByVersion, IdHash, std::equal_to<>> by_peer_;
};

}  // namespace gossipmonger
