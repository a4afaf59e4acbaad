// RocksDbStorage: a Storage that keeps the working set in memory (a
// PeerTable, loaded with one scan at Open) and writes every change through
// to a RocksDB database, one WriteBatch per call.
//
//   std::unique_ptr<gossipmonger::RocksDbStorage> storage;
//   gossipmonger::Status s =
//       gossipmonger::RocksDbStorage::Open("/var/lib/node/gossip", {}, &storage);
//   if (!s.ok()) { /* s.code(): kCorruption, kBusy, kNotSupported, kIOError */ }
//   std::unique_ptr<gossipmonger::Gossipmonger> node;
//   s = gossipmonger::Gossipmonger::Create(io, self, options, *storage, transport,
//   &node);
//
// What is stored (docs/storage-rocksdb.md has the byte layout): one format
// record (magic + schema version), one header record per peer (address,
// generation, max_version_seen, live, down_since, collected_through,
// clean_through), one record per (peer, key) (version, value, kind,
// expires_at) and one record per forgotten peer (generation, forgotten_at).
// Nothing of the failure detector is stored.
//
// Durability (see RocksDbDurability):
//   kBatched (default)  a write that returned survives a crash of the process
//                       (kill -9); it survives a crash of the machine (power
//                       loss, kernel panic) once Flush() has returned. The
//                       runtime calls Flush() once per gossip round and on
//                       Stop, so the window is one GOSSIP_INTERVAL.
//   kSynchronous        every write is fsync'ed before it returns.
// Recovery never yields half a batch: a PutDeltas call is either entirely
// in the database after a crash or not at all, and max_version_seen always
// matches the data stored with it.
//
// Failure model: a write that RocksDB refuses returns kIOError; the change
// stays in memory (the engine keeps gossiping from memory) and the peer is
// marked for a full rewrite. From then on the database is considered broken:
// writes only update memory (and return kIOError) until a Flush() closes and
// reopens the database and rewrites every peer marked, which happens on the
// next Flush() after the disk problem went away. So memory is the truth and
// the database catches up with it; it never holds a half-applied batch.
//
// Ownership: the object owns the database handle and holds RocksDB's LOCK
// file of `path` for its lifetime; a second Open of the same path (from this
// process or another) fails with kBusy until it is destroyed. The destructor
// makes batched writes durable (as Flush() does), moves RocksDB's memtable
// into a table file (so the next Open replays no log) and closes the
// database; changes made after a failed write and never recovered by a
// Flush() exist only in memory and are lost with it.
//
// Threading: like every Storage, one object is used from one thread at a time
// (the engine's executor); it is not thread-safe. RocksDB runs background
// threads of its own (flushes, compactions) for the whole life of the
// process once a database was opened: a process that fork()s after opening a
// database must exec() in the child before it opens one again.
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

enum class RocksDbDurability {
  // WriteOptions::sync = false: every write goes to RocksDB's write-ahead
  // log, which hands it to the operating system before the call returns;
  // Flush() fsyncs the log (DB::FlushWAL(true)). Survives kill -9 at once,
  // a machine crash after the next Flush().
  kBatched,
  // WriteOptions::sync = true: every write fsyncs the write-ahead log before
  // it returns. Survives a machine crash as soon as the call returns; costs
  // one fsync per write (see docs/storage-rocksdb.md for the figures).
  kSynchronous,
};

struct RocksDbStorageOptions {
  // When writes become durable. Default: kBatched.
  RocksDbDurability durability = RocksDbDurability::kBatched;

  // Create the database if `path` does not exist or is an empty directory.
  // Only the last component of `path` is created: a missing parent directory
  // is an error (kIOError), so a typo does not silently create a tree.
  // Default: true.
  bool create_if_missing = true;

  // Size of RocksDB's in-memory write buffer (memtable) before it is flushed
  // to a table file. Larger: fewer, larger files and a longer write-ahead log
  // to replay after a crash. Default: 64 MiB (RocksDB's default).
  std::size_t write_buffer_bytes = 64u << 20;

  // Background threads RocksDB may use for flushes and compactions of this
  // database. Default: 2.
  int max_background_jobs = 2;

  // RocksDB's diagnostic log, written to `<path>/LOG` by a logger of this
  // library that ignores its own write errors (RocksDB's own logger can
  // abort the process when the disk fills up in builds with assertions
  // enabled, as Debian's is). False: no LOG file at all. Default: true.
  bool info_log = true;

  // The LOG file is renamed to LOG.old when it grows beyond this size (one
  // old file is kept). Default: 4 MiB.
  std::size_t max_info_log_bytes = 4u << 20;
};

// Counters of what the storage did since Open; for tests, benchmarks and
// monitoring.
struct RocksDbStorageStats {
  std::uint64_t batches_written = 0;      // successful WriteBatch writes
  std::uint64_t records_written = 0;      // puts and deletes in those batches
  std::uint64_t write_errors = 0;         // writes RocksDB refused (kIOError)
  std::uint64_t wal_syncs = 0;            // successful fsyncs of the log by Flush()
  std::uint64_t reopens = 0;              // recoveries: close, reopen, rewrite
  std::size_t peers_pending_rewrite = 0;  // peers whose disk state lags memory
  bool failed = false;                    // a write failed; Flush() will recover
};

class RocksDbStorage final : public Storage {
 public:
  // The on-disk schema this build writes. Open refuses a database of a
  // newer schema with kNotSupported (naming both versions). A database of
  // schema 1 (before the lifecycle) is read as it is (its records are valid
  // records of schema 2, with the new fields at their defaults) and its
  // format record is raised to 2 once it has loaded.
  static constexpr std::uint32_t kSchemaVersion = 2;

  // Opens (or creates, see create_if_missing) the database in directory
  // `path` and loads every peer into memory with one scan. On success
  // `*out` owns the storage; on failure `*out` is left untouched and the
  // Status says why:
  //   kInvalidArgument  `path` is empty.
  //   kIOError          `path` or its parent is missing or not writable, or
  //                     the operating system refused a read or write; the
  //                     message names the path.
  //   kBusy             the database is open elsewhere (another process, or
  //                     another RocksDbStorage in this process).
  //   kCorruption       damaged database files (CURRENT, MANIFEST, tables,
  //                     records), or a foreign format: a regular file, a
  //                     directory holding files but no RocksDB database, or a
  //                     RocksDB database that is not ours.
  //   kNotSupported     a gossipmonger database of a newer schema version.
  // Open never deletes or rewrites existing data to make it fit; the only
  // write to an existing database is the format record of an older schema,
  // raised to kSchemaVersion after it loaded.
  static Status Open(const std::string& path, const RocksDbStorageOptions& options,
                     std::unique_ptr<RocksDbStorage>* out);

  // Deletes the database in `path` (RocksDB's DestroyDB, then the directory
  // if it is empty). Fails with kBusy if it is open; succeeds if `path` does
  // not exist. For tests and for a node that restarts without its state.
  static Status Destroy(const std::string& path);

  ~RocksDbStorage() override;
  RocksDbStorage(const RocksDbStorage&) = delete;
  RocksDbStorage& operator=(const RocksDbStorage&) = delete;

  // --- Storage ------------------------------------------------------------
  const PeerRecord* Get(std::string_view id) const override;
  void ForEachPeer(const std::function<void(const PeerRecord&)>& visit) const override;
  std::size_t PeerCount() const override;
  // One record (the peer's header); on a generation change the same batch
  // also deletes the peer's data records. A header equal to the stored one
  // writes nothing.
  Status PutPeer(const PeerHeader& header) override;
  // Validated first (kInvalidArgument changes nothing); then memory changes
  // and one WriteBatch writes exactly the given keys plus the peer's header
  // (which carries max_version_seen).
  Status PutDeltas(std::string_view id, std::span<const KeyDelta> deltas,
                   Version max_version_seen) override;
  // Lifecycle writes (storage.h, docs/LIFECYCLE.md): validated first (a
  // refused call changes nothing), then memory changes and one WriteBatch
  // writes the change: ReplaceData the whole peer, CollectTombstones the
  // deletions plus the header (collected_through), ForgetPeer the deletion
  // of the peer's records plus its forgotten record, DropForgotten the
  // deletion of that record.
  Status ReplaceData(std::string_view id, std::span<const KeyDelta> deltas,
                     Version max_version_seen, Version clean_through) override;
  Status CollectTombstones(std::string_view id, std::span<const std::string> keys,
                           Version collected_through) override;
  Status ForgetPeer(const ForgottenPeer& forgotten) override;
  Status DropForgotten(std::string_view id) override;
  void ForEachForgotten(
      const std::function<void(const ForgottenPeer&)>& visit) const override;
  // kBatched: fsyncs the write-ahead log if anything was written since the
  // last Flush. Both modes: if a write failed earlier, first reopens the
  // database and rewrites the peers whose writes failed.
  Status Flush() override;

  // --- introspection ----------------------------------------------------
  const std::string& path() const;
  RocksDbDurability durability() const;
  RocksDbStorageStats stats() const;

 private:
  struct Impl;
  explicit RocksDbStorage(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gossipmonger
