// SqliteStorage's lifecycle writes (docs/LIFECYCLE.md): a reset
// (ReplaceData), tombstone collection, reaping (ForgetPeer) and the memory
// of forgotten peers. Each is checked against the PeerTable first (a refused
// call changes nothing), applied to memory, then written through like
// PutDeltas: in the open transaction (kBatched) or in one of its own
// (kSynchronous), so that its rows change together or not at all.
#include <string>

#include "sqlite_impl.h"

namespace gossipmonger {

using sqlite_detail::BindBytes;
using sqlite_detail::DataRow;
using sqlite_detail::ToSql;

// --- statements and rows ----------------------------------------------------

Status SqliteStorage::Impl::PrepareLifecycleStatements() {
  Status status =
      Prepare("DELETE FROM data WHERE peer = ?1 AND key = ?2", &delete_data_key);
  if (status.ok()) status = Prepare("DELETE FROM peers WHERE id = ?1", &delete_peer);
  if (status.ok()) {
    status = Prepare(
        "INSERT INTO forgotten (id, generation, forgotten_at) VALUES (?1, ?2, ?3)"
        " ON CONFLICT (id) DO UPDATE SET generation = excluded.generation,"
        " forgotten_at = excluded.forgotten_at",
        &upsert_forgotten);
  }
  if (status.ok())
    status = Prepare("DELETE FROM forgotten WHERE id = ?1", &delete_forgotten);
  return status;
}

Status SqliteStorage::Impl::DeleteDataKey(std::string_view id, std::string_view key) {
  BindBytes(delete_data_key.get(), 1, id);
  BindBytes(delete_data_key.get(), 2, key);
  batch_bytes += id.size() + key.size();
  return Run(delete_data_key.get(), "collecting a tombstone", id);
}

Status SqliteStorage::Impl::DeletePeerRows(std::string_view id) {
  BindBytes(delete_peer.get(), 1, id);
  batch_bytes += id.size();
  Status status = Run(delete_peer.get(), "deleting the row", id);
  if (status.ok()) status = DeletePeerData(id);
  return status;
}

Status SqliteStorage::Impl::WriteForgotten(const ForgottenPeer& forgotten) {
  sqlite3_stmt* s = upsert_forgotten.get();
  BindBytes(s, 1, forgotten.id);
  sqlite3_bind_int64(s, 2, ToSql(forgotten.generation.value()));
  sqlite3_bind_int64(s, 3, forgotten.forgotten_at.count());
  batch_bytes += forgotten.id.size() + 16;
  return Run(s, "remembering the forgotten", forgotten.id);
}

Status SqliteStorage::Impl::DeleteForgotten(std::string_view id) {
  BindBytes(delete_forgotten.get(), 1, id);
  batch_bytes += id.size();
  return Run(delete_forgotten.get(), "dropping the memory", id);
}

// --- SqliteStorage ------------------------------------------------------------

Status SqliteStorage::ReplaceData(std::string_view id, std::span<const KeyDelta> deltas,
                                  Version max_version_seen, Version clean_through) {
  Status status = impl_->table.CheckReplaceData(id, deltas, max_version_seen);
  if (!status.ok()) return status;
  impl_->table.ReplaceData(id, deltas, max_version_seen, clean_through);
  const PeerRecord* peer = impl_->table.Get(id);
  return impl_->WriteThrough(id, [&] {
    Status written = impl_->DeletePeerData(id);
    for (const KeyDelta& delta : deltas) {
      if (written.ok()) written = impl_->WriteData(id, DataRow::Of(delta));
    }
    // The row carries max_version_seen and clean_through.
    if (written.ok()) written = impl_->WritePeerRow(*peer);
    return written;
  });
}

Status SqliteStorage::CollectTombstones(std::string_view id,
                                        std::span<const std::string> keys,
                                        Version collected_through) {
  Status status = impl_->table.CheckCollectTombstones(id, keys, collected_through);
  if (!status.ok()) return status;
  impl_->table.CollectTombstones(id, keys, collected_through);
  const PeerRecord* peer = impl_->table.Get(id);
  return impl_->WriteThrough(id, [&] {
    Status written;
    for (const std::string& key : keys) {
      if (written.ok()) written = impl_->DeleteDataKey(id, key);
    }
    // The row carries collected_through.
    if (written.ok()) written = impl_->WritePeerRow(*peer);
    return written;
  });
}

Status SqliteStorage::ForgetPeer(const ForgottenPeer& forgotten) {
  Status status = impl_->table.ForgetPeer(forgotten);
  if (!status.ok()) return status;
  return impl_->WriteThrough(forgotten.id, [&] {
    Status written = impl_->DeletePeerRows(forgotten.id);
    if (written.ok()) written = impl_->WriteForgotten(forgotten);
    return written;
  });
}

Status SqliteStorage::DropForgotten(std::string_view id) {
  if (impl_->table.FindForgotten(id) == nullptr) return Status::Ok();
  impl_->table.DropForgotten(id);
  return impl_->WriteThrough(id, [&] { return impl_->DeleteForgotten(id); });
}

void SqliteStorage::ForEachForgotten(
    const std::function<void(const ForgottenPeer&)>& visit) const {
  impl_->table.ForEachForgotten(visit);
}

}  // namespace gossipmonger
