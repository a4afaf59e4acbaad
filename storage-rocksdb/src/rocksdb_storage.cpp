// RocksDbStorage: a PeerTable written through to RocksDB. This file holds
// the Storage interface and the write path: each change of a peer is one
// WriteBatch; after a failed write, memory stays the truth and Flush reopens
// the database and rewrites what may differ (Recover). Opening and loading
// are in rocksdb_open.cpp and rocksdb_load.cpp (see rocksdb_impl.h).
#include "gossipmonger/rocksdb_storage.h"

#include <string>
#include <utility>
#include <vector>

#include "record_format.h"
#include "rocksdb_impl.h"

namespace gossipmonger {

using rdb_detail::Fail;
using rdb_detail::FromRocks;

namespace {
namespace fmt = rdb_format;

fmt::DataValue DataValueOf(const VersionedValue& entry) {
  return {entry.version.value(), static_cast<std::uint8_t>(entry.kind),
          entry.expires_at.count(), entry.value};
}
}  // namespace

// --- Impl: writing --------------------------------------------------------

void RocksDbStorage::Impl::Close() {
  if (!db) return;
  // After a failed write RocksDB's log writer must not be used again (it
  // asserts in builds with assertions); memory was the truth then anyway.
  if (!failed) {
    if (batched() && wal_dirty) db->FlushWAL(/*sync=*/true);
    // Move the memtable into a table file now, on the way down, rather
    // than have the next Open replay the write-ahead log (the difference
    // is about a second per million keys written since the last flush).
    rocksdb::FlushOptions flush;
    flush.wait = true;
    db->Flush(flush);
  }
  db->Close();
  db.reset();
}

void RocksDbStorage::Impl::AppendHeader(rocksdb::WriteBatch* batch,
                                        const PeerRecord& peer) const {
  fmt::HeaderValue header;
  header.generation = peer.generation.value();
  header.max_version_seen = peer.max_version_seen.value();
  header.live = peer.live;
  header.down_since = peer.down_since.count();
  header.collected_through = peer.collected_through.value();
  header.clean_through = peer.clean_through.value();
  header.address = peer.address;
  batch->Put(fmt::HeaderKey(peer.id), fmt::EncodeHeader(header));
}

void RocksDbStorage::Impl::AppendDeleteData(rocksdb::WriteBatch* batch,
                                            std::string_view id) const {
  std::string begin = fmt::PeerPrefix(id);
  std::string end = begin;
  begin.push_back(fmt::kDataTag);
  end.push_back(fmt::kDataEndTag);
  batch->DeleteRange(begin, end);
}

void RocksDbStorage::Impl::AppendFullPeer(rocksdb::WriteBatch* batch,
                                          const PeerRecord& peer) const {
  AppendDeleteData(batch, peer.id);
  AppendHeader(batch, peer);
  std::string value;
  for (const auto& [key, versioned] : peer.data) {
    value.clear();
    fmt::AppendDataValue(&value, DataValueOf(versioned));
    batch->Put(fmt::DataKey(peer.id, key), value);
  }
}

Status RocksDbStorage::Impl::Commit(rocksdb::WriteBatch* batch, std::string_view id) {
  rocksdb::Status s = db->Write(write_options, batch);
  if (s.ok()) {
    ++stats.batches_written;
    stats.records_written += batch->Count();
    if (batched()) wal_dirty = true;
    if (!pending.empty()) pending.erase(std::string(id));
    return Status::Ok();
  }
  failed = true;
  ++stats.write_errors;
  pending.insert(std::string(id));
  first_error = s.ToString();
  return Fail(StatusCode::kIOError, path,
              "writing peer '" + fmt::Printable(id) + "' failed (" + first_error +
                  "); the change is kept in memory and the next Flush() reopens the "
                  "database and rewrites the peer");
}

Status RocksDbStorage::Impl::NotPersisted(std::string_view id) {
  pending.insert(std::string(id));
  return Fail(StatusCode::kIOError, path,
              "change of peer '" + fmt::Printable(id) +
                  "' kept in memory only: an earlier write failed (" + first_error +
                  "); the next Flush() reopens the database and rewrites it");
}

// After a failed write: reopens the database, rewrites every peer that may
// differ from memory and (kBatched) fsyncs the log; then writes go on.
Status RocksDbStorage::Impl::Recover() {
  if (db) {
    db->Close();  // reports the earlier error again; nothing to do about it
    db.reset();
  }
  rocksdb::Status opened = OpenDb();
  if (!opened.ok()) {
    return FromRocks(opened, path, "cannot reopen the database after a failed write");
  }
  Status status = RewritePendingPeers();
  if (status.ok() && batched()) status = SyncWalAfterRecovery();
  if (!status.ok()) return status;
  pending.clear();
  rewrite_all = false;
  failed = false;
  wal_dirty = false;
  removed_since_sync.clear();
  ++stats.reopens;
  return Status::Ok();
}

Status RocksDbStorage::Impl::RewritePendingPeers() {
  std::set<std::string, std::less<>> ids;
  if (rewrite_all) {
    table.ForEach([&](const PeerRecord& peer) { ids.insert(peer.id); });
    table.ForEachForgotten([&](const ForgottenPeer& peer) { ids.insert(peer.id); });
    ids.insert(removed_since_sync.begin(), removed_since_sync.end());
  } else {
    ids = pending;
  }
  for (const std::string& id : ids) {
    rocksdb::WriteBatch batch;
    AppendIdState(&batch, id);
    rocksdb::Status s = db->Write(write_options, &batch);
    if (!s.ok()) {
      ++stats.write_errors;
      first_error = s.ToString();
      return Fail(StatusCode::kIOError, path,
                  "rewriting peer '" + fmt::Printable(id) +
                      "' after a failed write failed (" + first_error +
                      "); memory keeps it, the next Flush() tries again");
    }
    ++stats.batches_written;
    stats.records_written += batch.Count();
    pending.erase(id);
  }
  return Status::Ok();
}

Status RocksDbStorage::Impl::SyncWalAfterRecovery() {
  rocksdb::Status s = db->FlushWAL(/*sync=*/true);
  if (!s.ok()) {
    ++stats.write_errors;
    first_error = s.ToString();
    rewrite_all = true;
    return Fail(StatusCode::kIOError, path,
                "fsync of the write-ahead log failed (" + first_error +
                    "); the next Flush() tries again");
  }
  ++stats.wal_syncs;
  return Status::Ok();
}

// --- RocksDbStorage ---------------------------------------------------------

RocksDbStorage::RocksDbStorage(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RocksDbStorage::~RocksDbStorage() = default;

const PeerRecord* RocksDbStorage::Get(std::string_view id) const {
  return impl_->table.Get(id);
}

void RocksDbStorage::ForEachPeer(
    const std::function<void(const PeerRecord&)>& visit) const {
  impl_->table.ForEach(visit);
}

std::size_t RocksDbStorage::PeerCount() const { return impl_->table.size(); }

Status RocksDbStorage::PutPeer(const PeerHeader& header) {
  Impl& d = *impl_;
  const PeerRecord* before = d.table.Get(header.id);
  const bool existed = before != nullptr;
  const bool generation_changed = existed && before->generation != header.generation;
  if (existed && !generation_changed && before->address == header.address &&
      before->live == header.live && before->down_since == header.down_since &&
      !d.PendingRewrite(header.id)) {
    return Status::Ok();  // nothing changes
  }
  Status put = d.table.PutPeer(header);
  if (!put.ok()) return put;
  if (d.failed) return d.NotPersisted(header.id);

  const PeerRecord& peer = *d.table.Get(header.id);
  rocksdb::WriteBatch batch;
  d.AppendChangeOrFullPeer(&batch, peer, [&] {
    // A new lineage shares nothing with the old one: its data goes in the
    // same batch as the header that announces the new generation.
    if (generation_changed) d.AppendDeleteData(&batch, header.id);
    d.AppendHeader(&batch, peer);
  });
  return d.Commit(&batch, header.id);
}

Status RocksDbStorage::PutDeltas(std::string_view id, std::span<const KeyDelta> deltas,
                                 Version max_version_seen) {
  Impl& d = *impl_;
  Status checked = d.table.CheckDeltas(id, deltas, max_version_seen);
  if (!checked.ok()) return checked;
  if (deltas.empty() && d.table.Get(id)->max_version_seen == max_version_seen &&
      !d.PendingRewrite(id)) {
    return Status::Ok();  // nothing changes
  }
  // Memory first: if persisting fails, the engine keeps gossiping what it
  // accepted, and the peer is rewritten when the disk is back.
  Status applied = d.table.PutDeltas(id, deltas, max_version_seen);
  if (!applied.ok()) return applied;
  if (d.failed) return d.NotPersisted(id);

  const PeerRecord& peer = *d.table.Get(id);
  rocksdb::WriteBatch batch;
  d.AppendChangeOrFullPeer(&batch, peer, [&] {
    std::string key = fmt::PeerPrefix(id);
    key.push_back(fmt::kDataTag);
    const std::size_t key_base = key.size();
    std::string value;
    for (const KeyDelta& delta : deltas) {
      key.resize(key_base);
      key.append(delta.key);
      value.clear();
      fmt::AppendDataValue(&value,
                           {delta.version.value(), static_cast<std::uint8_t>(delta.kind),
                            delta.expires_at.count(), delta.value});
      batch.Put(key, value);
    }
    d.AppendHeader(&batch, peer);
  });
  return d.Commit(&batch, id);
}

Status RocksDbStorage::Flush() {
  Impl& d = *impl_;
  if (d.failed) {
    Status recovered = d.Recover();
    if (!recovered.ok()) return recovered;
  }
  if (d.batched() && d.wal_dirty) {
    rocksdb::Status s = d.db->FlushWAL(/*sync=*/true);
    if (!s.ok()) {
      // Whatever was written since the last fsync may or may not be on
      // disk: rewrite everything once the disk is back.
      d.failed = true;
      d.rewrite_all = true;
      ++d.stats.write_errors;
      d.first_error = s.ToString();
      return Fail(
          StatusCode::kIOError, d.path,
          "fsync of the write-ahead log failed (" + d.first_error +
              "); memory keeps every change, the next Flush() reopens the database "
              "and rewrites every peer");
    }
    ++d.stats.wal_syncs;
    d.wal_dirty = false;
    d.removed_since_sync.clear();
  }
  return Status::Ok();
}

const std::string& RocksDbStorage::path() const { return impl_->path; }

RocksDbDurability RocksDbStorage::durability() const { return impl_->options.durability; }

RocksDbStorageStats RocksDbStorage::stats() const {
  RocksDbStorageStats stats = impl_->stats;
  stats.peers_pending_rewrite =
      impl_->rewrite_all ? impl_->table.size() : impl_->pending.size();
  stats.failed = impl_->failed;
  return stats;
}

}  // namespace gossipmonger
