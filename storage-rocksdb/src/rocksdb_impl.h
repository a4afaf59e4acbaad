// RocksDbStorage's private parts, shared by the files that implement it:
// the Status helpers (rocksdb_errors.cpp) and RocksDbStorage::Impl. Not
// installed; nothing outside storage-rocksdb/src includes it.
//
//   rocksdb_storage.cpp  the Storage interface and the write path (Commit,
//                        Recover after a failed write, Close)
//   rocksdb_lifecycle.cpp  the lifecycle writes (reset, collection, reaping)
//   rocksdb_open.cpp     Open and Destroy: what is at the path, the options,
//                        the format record
//   rocksdb_load.cpp     reading the database into the PeerTable
//   record_format.*      the byte layout of the records
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "gossipmonger/peer_table.h"
#include "gossipmonger/rocksdb_storage.h"

namespace gossipmonger {
namespace rdb_detail {

// A Status whose message starts "RocksDB storage '<path>': ".
Status Fail(StatusCode code, const std::string& path, const std::string& what);

// Whether `s` reports that the database's LOCK file is held (by this
// process or another one).
bool IsLockConflict(const rocksdb::Status& s);

// A RocksDB status as ours: "<doing>: <RocksDB's message>", with the code
// that matches (a held LOCK file is kBusy).
Status FromRocks(const rocksdb::Status& s, const std::string& path,
                 const std::string& doing);

}  // namespace rdb_detail

struct RocksDbStorage::Impl {
  Impl(std::string db_path, const RocksDbStorageOptions& storage_options)
      : path(std::move(db_path)), options(storage_options) {
    write_options.sync = options.durability == RocksDbDurability::kSynchronous;
  }
  ~Impl() { Close(); }

  bool batched() const { return options.durability == RocksDbDurability::kBatched; }

  // --- opening and loading (rocksdb_open.cpp, rocksdb_load.cpp) --------------
  rocksdb::Status OpenDb();
  Status CheckFormat();
  // Raises the format record of an older schema to kSchemaVersion, after
  // the database has loaded (rocksdb_open.cpp).
  Status UpgradeFormat();
  Status ClaimEmptyDatabase();
  Status Load();
  Status RestoreForgotten(std::string_view key, std::string_view value);

  // --- writing (rocksdb_storage.cpp) -----------------------------------------
  void AppendHeader(rocksdb::WriteBatch* batch, const PeerRecord& peer) const;
  void AppendDeleteData(rocksdb::WriteBatch* batch, std::string_view id) const;
  // The whole peer as memory has it: every stale record on disk goes.
  void AppendFullPeer(rocksdb::WriteBatch* batch, const PeerRecord& peer) const;
  // Everything stored under `id` as memory has it: the peer (whole, or its
  // records deleted if it is not in memory) and its forgotten record (or
  // its deletion). Recovery and ForgetPeer (rocksdb_lifecycle.cpp).
  void AppendIdState(rocksdb::WriteBatch* batch, const std::string& id) const;
  bool PendingRewrite(std::string_view id) const {
    return rewrite_all || (!pending.empty() && pending.find(id) != pending.end());
  }
  // The batch of a change of `peer`: `append_change` (the change alone), or
  // the whole peer when its records may lag memory.
  template <typename AppendChange>
  void AppendChangeOrFullPeer(rocksdb::WriteBatch* batch, const PeerRecord& peer,
                              AppendChange&& append_change) const {
    if (PendingRewrite(peer.id)) {
      AppendFullPeer(batch, peer);
    } else {
      append_change();
    }
  }
  Status Commit(rocksdb::WriteBatch* batch, std::string_view id);
  Status NotPersisted(std::string_view id);
  Status Recover();
  Status RewritePendingPeers();
  Status SyncWalAfterRecovery();
  void Close();

  const std::string path;
  const RocksDbStorageOptions options;
  rocksdb::Options db_options;
  rocksdb::WriteOptions write_options;
  std::unique_ptr<rocksdb::DB> db;
  PeerTable table;

  // Failure state (see the header's failure model). `pending`: peers whose
  // stored records may differ from memory; `rewrite_all`: every peer may
  // (an fsync of the log failed, so any write since the last one may be
  // lost).
  bool failed = false;
  bool rewrite_all = false;
  std::set<std::string, std::less<>> pending;
  std::string first_error;
  // kBatched: ids removed from memory (ForgetPeer, DropForgotten) since the
  // last fsync of the log. A rewrite of everything (rewrite_all) must
  // delete their records again, and memory no longer lists them.
  std::set<std::string, std::less<>> removed_since_sync;
  // The schema version of the format record found at Open.
  std::uint32_t stored_schema_version = 0;

  bool wal_dirty = false;  // kBatched: written since the last fsync
  RocksDbStorageStats stats;
};

}  // namespace gossipmonger
