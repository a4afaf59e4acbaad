// SqliteStorage's write-through: every Storage write changes the PeerTable,
// then runs its SQL in the open transaction (see WriteThrough).
//
// Consistency rule: for every peer, the database holds a state the peer
// had in memory at some commit. A write that fails rolls back the whole open
// transaction; the peers it touched become "unsynced" (memory is ahead of
// disk) and are not written again until Flush rewrites each of them whole.
#include <string>
#include <vector>

#include "sqlite_impl.h"

namespace gossipmonger {

using sqlite_detail::BindBytes;
using sqlite_detail::DataRow;
using sqlite_detail::Quote;
using sqlite_detail::ToSql;

Status SqliteStorage::Impl::BeginIfNeeded() {
  if (in_transaction) return Status::Ok();
  Status status = Run(begin.get(), "BEGIN");
  if (status.ok()) in_transaction = true;
  return status;
}

// Rolls back the open transaction; everything it touched is now behind
// memory.
void SqliteStorage::Impl::AbortTransaction() {
  if (sqlite3_get_autocommit(db.get()) == 0) {
    sqlite3_step(rollback.get());
    sqlite3_reset(rollback.get());
  }
  in_transaction = false;
  batch_bytes = 0;
  unsynced.merge(touched);
  touched.clear();
}

Status SqliteStorage::Impl::CommitTransaction() {
  if (!in_transaction) return Status::Ok();
  if (options.durability == SqliteDurability::kBatched) {
    // PutDeltas in a batch leaves max_version_seen to the commit: one
    // UPDATE per peer and transaction instead of one per call. The
    // transaction is atomic, so the file never shows the data without it.
    for (const std::string& id : touched) {
      const PeerRecord* peer = table.Get(id);
      if (peer == nullptr) continue;
      Status status = WriteMaxVersion(id, peer->max_version_seen);
      if (!status.ok()) {
        AbortTransaction();
        return status;
      }
    }
  }
  Status status = Run(commit.get(), "COMMIT");
  if (!status.ok()) {
    AbortTransaction();
    return status;
  }
  in_transaction = false;
  batch_bytes = 0;
  touched.clear();
  return Status::Ok();
}

Status SqliteStorage::Impl::WritePeerRow(const PeerRecord& peer) {
  sqlite3_stmt* s = upsert_peer.get();
  BindBytes(s, 1, peer.id);
  BindBytes(s, 2, peer.address);
  sqlite3_bind_int64(s, 3, ToSql(peer.generation.value()));
  sqlite3_bind_int64(s, 4, ToSql(peer.max_version_seen.value()));
  sqlite3_bind_int(s, 5, peer.live ? 1 : 0);
  sqlite3_bind_int64(s, 6, peer.down_since.count());
  sqlite3_bind_int64(s, 7, ToSql(peer.collected_through.value()));
  sqlite3_bind_int64(s, 8, ToSql(peer.clean_through.value()));
  batch_bytes += peer.id.size() + peer.address.size() + 48;
  return Run(s, "writing the row", peer.id);
}

Status SqliteStorage::Impl::DeletePeerData(std::string_view id) {
  BindBytes(delete_peer_data.get(), 1, id);
  return Run(delete_peer_data.get(), "dropping the data", id);
}

Status SqliteStorage::Impl::WriteData(std::string_view id, const DataRow& row) {
  sqlite3_stmt* s = upsert_data.get();
  BindBytes(s, 1, id);
  BindBytes(s, 2, row.key);
  BindBytes(s, 3, row.value);
  sqlite3_bind_int64(s, 4, ToSql(row.version.value()));
  sqlite3_bind_int(s, 5, static_cast<int>(row.kind));
  sqlite3_bind_int64(s, 6, row.expires_at.count());
  batch_bytes += id.size() + row.key.size() + row.value.size() + 24;
  const int rc = sqlite3_step(s);
  if (rc != SQLITE_DONE) {
    Status status = Error(rc, "writing key " + Quote(row.key) + " of peer " + Quote(id));
    sqlite3_reset(s);
    return status;
  }
  sqlite3_reset(s);
  return Status::Ok();
}

Status SqliteStorage::Impl::WriteMaxVersion(std::string_view id,
                                            Version max_version_seen) {
  sqlite3_stmt* s = set_max_version.get();
  BindBytes(s, 1, id);
  sqlite3_bind_int64(s, 2, ToSql(max_version_seen.value()));
  batch_bytes += id.size() + 16;
  return Run(s, "writing max_version_seen", id);
}

// Rewrites everything stored under `id` whole from memory: the peer's row
// and data, or their absence (it was forgotten), and the forgotten row, or
// its absence.
Status SqliteStorage::Impl::ResyncPeer(const std::string& id) {
  Status status = DeletePeerRows(id);
  if (const PeerRecord* peer = table.Get(id); peer != nullptr) {
    if (status.ok()) status = WritePeerRow(*peer);
    for (auto it = peer->data.begin(); status.ok() && it != peer->data.end(); ++it) {
      status = WriteData(id, DataRow::Of(it->first, it->second));
    }
  }
  if (!status.ok()) return status;
  const ForgottenPeer* forgotten = table.FindForgotten(id);
  return forgotten == nullptr ? DeleteForgotten(id) : WriteForgotten(*forgotten);
}

Status SqliteStorage::Impl::UnsyncedPeerError(std::string_view id) const {
  return Status::Error(StatusCode::kIOError,
                       "sqlite " + Quote(path) + ": peer " + Quote(id) +
                           " is kept in memory only since an earlier write "
                           "failed; Flush retries writing it");
}

Status SqliteStorage::Impl::CommitIfDue(std::string_view id) {
  if (options.durability == SqliteDurability::kSynchronous ||
      (!options.synchronous_peer_id.empty() && id == options.synchronous_peer_id) ||
      (options.max_batch_bytes != 0 && batch_bytes > options.max_batch_bytes)) {
    return CommitTransaction();
  }
  return Status::Ok();
}

Status SqliteStorage::Impl::Flush() {
  if (!unsynced.empty()) {
    Status status = BeginIfNeeded();
    if (!status.ok()) return status;
    std::vector<std::string> ids(unsynced.begin(), unsynced.end());
    for (const std::string& id : ids) {
      touched.insert(id);
      status = ResyncPeer(id);
      if (!status.ok()) {
        AbortTransaction();
        return status;
      }
    }
  }
  Status status = CommitTransaction();
  if (status.ok()) unsynced.clear();
  return status;
}

void SqliteStorage::Impl::Close() {
  if (!db) return;
  Flush();  // best effort; a failure here cannot be reported
  if (in_transaction) AbortTransaction();
  begin.reset();
  commit.reset();
  rollback.reset();
  upsert_peer.reset();
  delete_peer_data.reset();
  upsert_data.reset();
  set_max_version.reset();
  delete_data_key.reset();
  delete_peer.reset();
  upsert_forgotten.reset();
  delete_forgotten.reset();
  db.reset();
}

}  // namespace gossipmonger
