// RocksDbStorage's lifecycle writes (docs/LIFECYCLE.md): a reset
// (ReplaceData), tombstone collection, reaping (ForgetPeer) and the memory
// of forgotten peers. Each is checked against the PeerTable first (a refused
// call changes nothing), applied to memory, then written as one WriteBatch,
// with the failure model of PutDeltas (rocksdb_storage.cpp): after a failed
// write, memory stays the truth and Flush rewrites what may differ.
#include <string>

#include "gossipmonger/rocksdb_storage.h"
#include "record_format.h"
#include "rocksdb_impl.h"

namespace gossipmonger {

namespace {
namespace fmt = rdb_format;
}  // namespace

void RocksDbStorage::Impl::AppendIdState(rocksdb::WriteBatch* batch,
                                         const std::string& id) const {
  if (const PeerRecord* peer = table.Get(id); peer != nullptr) {
    AppendFullPeer(batch, *peer);
  } else {
    AppendDeleteData(batch, id);
    batch->Delete(fmt::HeaderKey(id));
  }
  if (const ForgottenPeer* forgotten = table.FindForgotten(id); forgotten != nullptr) {
    batch->Put(fmt::ForgottenKey(id),
               fmt::EncodeForgotten(
                   {forgotten->generation.value(), forgotten->forgotten_at.count()}));
  } else {
    batch->Delete(fmt::ForgottenKey(id));
  }
}

Status RocksDbStorage::ReplaceData(std::string_view id, std::span<const KeyDelta> deltas,
                                   Version max_version_seen, Version clean_through) {
  Impl& d = *impl_;
  Status checked = d.table.CheckReplaceData(id, deltas, max_version_seen);
  if (!checked.ok()) return checked;
  d.table.ReplaceData(id, deltas, max_version_seen, clean_through);
  if (d.failed) return d.NotPersisted(id);
  // The whole peer: DeleteRange of its data, its header (max_version_seen,
  // clean_through) and every entry of the reset.
  rocksdb::WriteBatch batch;
  d.AppendFullPeer(&batch, *d.table.Get(id));
  return d.Commit(&batch, id);
}

Status RocksDbStorage::CollectTombstones(std::string_view id,
                                         std::span<const std::string> keys,
                                         Version collected_through) {
  Impl& d = *impl_;
  Status checked = d.table.CheckCollectTombstones(id, keys, collected_through);
  if (!checked.ok()) return checked;
  d.table.CollectTombstones(id, keys, collected_through);
  if (d.failed) return d.NotPersisted(id);
  const PeerRecord& peer = *d.table.Get(id);
  rocksdb::WriteBatch batch;
  d.AppendChangeOrFullPeer(&batch, peer, [&] {
    for (const std::string& key : keys) batch.Delete(fmt::DataKey(id, key));
    d.AppendHeader(&batch, peer);  // carries collected_through
  });
  return d.Commit(&batch, id);
}

Status RocksDbStorage::ForgetPeer(const ForgottenPeer& forgotten) {
  Impl& d = *impl_;
  Status forgot = d.table.ForgetPeer(forgotten);
  if (!forgot.ok()) return forgot;
  if (d.batched()) d.removed_since_sync.insert(forgotten.id);
  if (d.failed) return d.NotPersisted(forgotten.id);
  // The peer's records go and its forgotten record comes, in one batch.
  rocksdb::WriteBatch batch;
  d.AppendIdState(&batch, forgotten.id);
  return d.Commit(&batch, forgotten.id);
}

Status RocksDbStorage::DropForgotten(std::string_view id) {
  Impl& d = *impl_;
  if (d.table.FindForgotten(id) == nullptr) return Status::Ok();
  d.table.DropForgotten(id);
  if (d.batched()) d.removed_since_sync.insert(std::string(id));
  if (d.failed) return d.NotPersisted(id);
  rocksdb::WriteBatch batch;
  batch.Delete(fmt::ForgottenKey(id));
  return d.Commit(&batch, id);
}

void RocksDbStorage::ForEachForgotten(
    const std::function<void(const ForgottenPeer&)>& visit) const {
  impl_->table.ForEachForgotten(visit);
}

}  // namespace gossipmonger
