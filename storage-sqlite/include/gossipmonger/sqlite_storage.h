// SqliteStorage: a Storage that persists every peer in one SQLite database
// file, so that a node restarted on the same file resumes its lineage (its
// generation, version counter and data) and everything it knew of its peers.
//
// Working set: the whole database is loaded into a PeerTable at Open; reads
// (Get, ForEachPeer, PeerCount) never touch disk. Writes change memory first,
// then write through to SQLite: PutPeer writes one peer row, PutDeltas
// writes exactly the given keys (with their kind and expires_at) plus the
// peer's max_version_seen, in one transaction; the lifecycle writes
// (ReplaceData, CollectTombstones, ForgetPeer, DropForgotten) likewise.
// Nothing about the failure detector is stored.
//
// Durability (SqliteStorageOptions::durability):
//   kBatched (default)  writes go into one open transaction; Flush() commits
//                       it and waits for the disk (WAL + fsync). The runtime
//                       calls Flush once per gossip round and on Stop, so a
//                       write is durable within one GOSSIP_INTERVAL. After
//                       kill -9 or power loss the database holds exactly the
//                       state of the last successful commit: every write
//                       acknowledged by a returned Flush, never a part of a
//                       PutDeltas batch, never an older version than a
//                       flushed one.
//   kSynchronous        every write is its own transaction, committed and
//                       fsynced before the call returns: durable when it
//                       returns. Slower by the cost of one fsync per write.
// Either way a committed transaction is atomic: after a crash, every peer's
// max_version_seen matches its data (no half-applied PutDeltas).
//
// Errors: a write whose persistence fails returns kIOError (kCorruption if
// SQLite reports a damaged file) but keeps the change in memory, as the
// Storage contract asks; the peers concerned are then "unsynced": their rows
// on disk keep their last committed (consistent, older) state, later writes
// to them stay in memory only (and also return kIOError), and every Flush
// retries by rewriting those peers whole from memory. The database is never
// left with a peer half-written.
//
// Open refuses, with a clear Status and without modifying the file:
//   kCorruption    a file that is not a SQLite database, a SQLite database of
//                  another application (foreign application_id or tables),
//                  or a gossipmonger database whose contents are damaged or
//                  inconsistent;
//   kNotSupported  a gossipmonger database of a newer schema version (the
//                  message names both versions);
//   kBusy          a database held by another process or another open
//                  SqliteStorage (the connection takes an exclusive lock for
//                  its whole life);
//   kIOError       a missing or unwritable directory or file (the message
//                  names the path), or create_if_missing == false and no
//                  file.
//
// Migration: a gossipmonger database of an older schema version (1, written
// before the lifecycle of docs/LIFECYCLE.md) is brought to kSchemaVersion in
// place when opened, in the one transaction that checks the schema: either
// the whole migration is committed or the file stays as it was.
//
// Ownership: a SqliteStorage owns its SQLite connection and closes it in its
// destructor, after committing any pending batch (best effort: a failure
// there cannot be reported; call Flush first to see it).
//
// Threading: like every Storage, used by one thread at a time (the engine's
// executor); not thread-safe. Never use an object across fork(); a child
// process opens its own (and gets kBusy while the parent holds the file).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "gossipmonger/storage.h"

namespace gossipmonger {

enum class SqliteDurability {
  // Writes accumulate in an open transaction; Flush() commits it (and a
  // batch that outgrows SqliteStorageOptions::max_batch_bytes is committed
  // early). Durable within one gossip round.
  kBatched,
  // Every write is committed (synchronous=FULL) before it returns.
  kSynchronous,
};

struct SqliteStorageOptions {
  // How writes reach the disk; see the file comment.
  // Default: kBatched.
  SqliteDurability durability = SqliteDurability::kBatched;

  // Create the database file if it does not exist. If false, opening a
  // missing file fails with kIOError.
  // Default: true.
  bool create_if_missing = true;

  // kBatched only: writes to this peer are committed (with everything
  // batched before them) before they return, as in kSynchronous. Set it to
  // the node's own id: its own updates then survive any crash, while remote
  // peers' writes, which gossip restores after a crash, stay batched. A lost
  // own update is worse than a lost remote one: peers that already received
  // it would ignore the different update that reuses its version after a
  // restart. Empty: none.
  // Default: "".
  std::string synchronous_peer_id;

  // kBatched only: once the keys and values written in the open transaction
  // exceed this many bytes, the transaction is committed without waiting for
  // Flush, which bounds the memory SQLite holds for it and the work a crash
  // can lose. 0 means "no bound" (commit only at Flush).
  // Default: 8 MiB.
  std::size_t max_batch_bytes = 8u << 20;

  // Upper bound on the size of the database file, in bytes (rounded down to
  // whole pages; SQLite's PRAGMA max_page_count). A write that would grow the
  // file beyond it fails with kIOError ("database or disk is full"), exactly
  // like a full disk. 0 means "no bound beyond SQLite's own".
  // Default: 0.
  std::uint64_t max_database_bytes = 0;

  // Size of SQLite's page cache, in KiB (PRAGMA cache_size = -N). The
  // working set lives in the PeerTable; this cache only serves writes.
  // Default: 8192 (8 MiB).
  std::size_t cache_kib = 8192;

  // Run PRAGMA integrity_check at Open (reads the whole file once more;
  // damage is otherwise found while loading, or not at all if it hits only
  // free pages or indexes). Like LevelDB's paranoid_checks.
  // Default: false.
  bool paranoid_checks = false;

  // Name of a registered SQLite VFS to use instead of the default one
  // (sqlite3_vfs_register), e.g. for fault-injection tests. Empty: default.
  // Default: "".
  std::string vfs;
};

class SqliteStorage final : public Storage {
 public:
  // Schema identity, stored in the database header: PRAGMA application_id
  // and PRAGMA user_version. A file with another application_id is foreign
  // (kCorruption); one with a higher user_version is newer (kNotSupported);
  // one with a lower one is migrated at Open.
  static constexpr std::int32_t kApplicationId = 0x474D4F4E;  // "GMON"
  static constexpr std::int32_t kSchemaVersion = 2;

  // Opens (or creates) the database at `path` and loads it. On success
  // `*out` holds the storage; on failure `*out` is reset. A file that is not
  // a gossipmonger database, or is of a newer schema, is never modified; one
  // of ours that fails to load is at most switched to WAL mode (and migrated
  // if it was of an older schema). (A missing
  // or empty file is created and initialized.)
  static Status Open(const std::string& path, const SqliteStorageOptions& options,
                     std::unique_ptr<SqliteStorage>* out);

  // Deletes the database at `path` and its -wal / -journal / -shm companion
  // files (like LevelDB's DestroyDB). Missing files are not an error. The
  // database must not be open.
  static Status Destroy(const std::string& path);

  ~SqliteStorage() override;
  SqliteStorage(const SqliteStorage&) = delete;
  SqliteStorage& operator=(const SqliteStorage&) = delete;

  // --- Storage -------------------------------------------------------------
  const PeerRecord* Get(std::string_view id) const override;
  void ForEachPeer(const std::function<void(const PeerRecord&)>& visit) const override;
  std::size_t PeerCount() const override;
  Status PutPeer(const PeerHeader& header) override;
  Status PutDeltas(std::string_view id, std::span<const KeyDelta> deltas,
                   Version max_version_seen) override;
  // Lifecycle writes (storage.h, docs/LIFECYCLE.md): each is checked first
  // (a refused call changes nothing), then written through like PutDeltas,
  // as one transaction's worth of rows (sqlite_lifecycle.cpp).
  Status ReplaceData(std::string_view id, std::span<const KeyDelta> deltas,
                     Version max_version_seen, Version clean_through) override;
  Status CollectTombstones(std::string_view id, std::span<const std::string> keys,
                           Version collected_through) override;
  Status ForgetPeer(const ForgottenPeer& forgotten) override;
  Status DropForgotten(std::string_view id) override;
  void ForEachForgotten(
      const std::function<void(const ForgottenPeer&)>& visit) const override;
  // Commits the open batch (kBatched) after rewriting any unsynced peer;
  // when it returns Ok, everything written so far is durable and
  // UnsyncedPeerCount() is 0.
  Status Flush() override;

  // --- introspection -------------------------------------------------------
  const std::string& path() const;
  const SqliteStorageOptions& options() const;
  // Peers whose state on disk is behind memory after a failed write; Flush
  // retries them. 0 in normal operation.
  std::size_t UnsyncedPeerCount() const;

 private:
  struct Impl;
  explicit SqliteStorage(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gossipmonger
