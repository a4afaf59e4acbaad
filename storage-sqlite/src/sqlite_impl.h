// SqliteStorage's private parts, shared by the files that implement it:
// small SQLite helpers (namespace sqlite_detail) and SqliteStorage::Impl.
// Not installed; nothing outside storage-sqlite/src includes it.
//
//   sqlite_storage.cpp     Open, Destroy and the Storage interface
//   sqlite_statements.cpp  errors and running statements
//   sqlite_schema.cpp      opening the file, the schema check, configuration
//   sqlite_migrate.cpp     bringing an older schema version up to date
//   sqlite_load.cpp        reading the database into the PeerTable
//   sqlite_write.cpp       write-through: transactions, rows, Flush, Close
//   sqlite_lifecycle.cpp   the lifecycle writes (reset, collection, reaping)
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "gossipmonger/peer_table.h"
#include "gossipmonger/sqlite_storage.h"

namespace gossipmonger {
namespace sqlite_detail {

inline constexpr const char* kFormatName = "gossipmonger-storage";
// Once a checkpoint has copied the WAL into the database, the WAL file is
// truncated to at most this size.
inline constexpr std::int64_t kJournalSizeLimit = 64ll << 20;

inline std::int64_t ToSql(std::uint64_t value) {
  return static_cast<std::int64_t>(value);
}
inline std::uint64_t FromSql(std::int64_t value) {
  return static_cast<std::uint64_t>(value);
}

struct StatementDeleter {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

struct ConnectionDeleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Connection = std::unique_ptr<sqlite3, ConnectionDeleter>;

// The Status code for a SQLite result code.
StatusCode CodeFor(int rc);

// Binds a byte string. A zero-length blob, never NULL (sqlite3_bind_blob
// with a null pointer would bind NULL, and every column is NOT NULL).
int BindBytes(sqlite3_stmt* statement, int index, std::string_view bytes);

std::string ColumnBytes(sqlite3_stmt* statement, int column);
bool IsBytes(sqlite3_stmt* statement, int column);
bool IsInteger(sqlite3_stmt* statement, int column);

// `text` in single quotes, control characters replaced by '?', for messages.
std::string Quote(std::string_view text);

// A set of peer ids that can be searched with a string_view.
struct IdHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view id) const {
    return std::hash<std::string_view>{}(id);
  }
};
using IdSet = std::unordered_set<std::string, IdHash, std::equal_to<>>;

// What the schema check finds in the file before deciding whether it is
// ours, new (empty) or foreign.
struct SchemaIdentity {
  std::int64_t application_id = 0;
  std::int64_t user_version = 0;
  std::vector<std::string> objects;  // names in sqlite_schema, sorted
};

// Peers read from the peers table, by id, before their data is added.
using LoadedPeers = std::unordered_map<std::string, PeerRecord>;

// One row of the data table, as views of a KeyDelta or a stored entry.
struct DataRow {
  std::string_view key;
  std::string_view value;
  Version version;
  EntryKind kind = EntryKind::kValue;
  WallTime expires_at{};

  static DataRow Of(const KeyDelta& delta) {
    return {delta.key, delta.value, delta.version, delta.kind, delta.expires_at};
  }
  static DataRow Of(std::string_view key, const VersionedValue& entry) {
    return {key, entry.value, entry.version, entry.kind, entry.expires_at};
  }
};

}  // namespace sqlite_detail

struct SqliteStorage::Impl {
  using Statement = sqlite_detail::Statement;

  std::string path;
  SqliteStorageOptions options;
  sqlite_detail::Connection db;
  PeerTable table;

  Statement begin;
  Statement commit;
  Statement rollback;
  Statement upsert_peer;
  Statement delete_peer_data;
  Statement upsert_data;
  Statement set_max_version;
  Statement delete_data_key;
  Statement delete_peer;
  Statement upsert_forgotten;
  Statement delete_forgotten;

  bool in_transaction = false;
  std::size_t batch_bytes = 0;
  // Peers written in the open transaction: if it rolls back, they become
  // unsynced.
  sqlite_detail::IdSet touched;
  // Peers whose rows on disk are behind memory; rewritten whole by Flush.
  sqlite_detail::IdSet unsynced;

  // --- errors and statements (sqlite_statements.cpp) -------------------------
  Status Error(int rc, std::string_view what) const;
  // kCorruption, "database '<path>': <what>".
  Status Corrupt(const std::string& what) const;
  Status Prepare(const char* sql, Statement* out);
  // Runs a statement that returns no row, then resets it (which also lets go
  // of the buffers bound with SQLITE_STATIC).
  Status Run(sqlite3_stmt* statement, const char* what, std::string_view peer_id = {});
  Status Exec(const char* sql, std::string_view what);
  // Prepares `sql` and steps to its first row; a query that returns no row
  // fails with SQLITE_CORRUPT.
  Status StepToFirstRow(const char* sql, Statement* statement);
  // A single-value query, e.g. a PRAGMA.
  Status QueryInt(const char* sql, std::int64_t* value);
  Status QueryText(const char* sql, std::string* value);

  // --- opening (sqlite_schema.cpp) -------------------------------------------
  Status OpenConnection();
  Status CheckOrCreateSchema();
  Status BeginSchemaCheck();
  Status ReadSchemaIdentity(sqlite_detail::SchemaIdentity* identity);
  Status CreateSchema();
  Status ForeignDatabaseError(const sqlite_detail::SchemaIdentity& identity) const;
  Status CheckOurSchema(const sqlite_detail::SchemaIdentity& identity);
  Status NewerSchemaError(std::int64_t user_version) const;
  // Brings a file of schema version `from` (>= 1) to kSchemaVersion inside
  // the schema check's transaction (sqlite_migrate.cpp).
  Status MigrateSchema(std::int64_t from);
  Status RollBackSchemaCheck(Status status);
  Status Configure();
  Status LimitDatabaseSize();
  Status TakeWriteLock();
  Status PrepareWriteStatements();
  Status PrepareLifecycleStatements();  // sqlite_lifecycle.cpp

  // --- loading (sqlite_load.cpp) ---------------------------------------------
  Status Load();
  Status CheckIntegrity();
  Status LoadPeers(sqlite_detail::LoadedPeers* loaded);
  Status LoadData(sqlite_detail::LoadedPeers* loaded);
  Status RestorePeers(sqlite_detail::LoadedPeers* loaded);
  Status LoadForgotten();

  // --- writing (sqlite_write.cpp) --------------------------------------------
  Status BeginIfNeeded();
  void AbortTransaction();
  Status CommitTransaction();
  Status WritePeerRow(const PeerRecord& peer);
  Status DeletePeerData(std::string_view id);
  Status WriteData(std::string_view id, const sqlite_detail::DataRow& row);
  Status WriteMaxVersion(std::string_view id, Version max_version_seen);
  Status DeleteDataKey(std::string_view id, std::string_view key);
  // The peer's row and all its data rows.
  Status DeletePeerRows(std::string_view id);
  Status WriteForgotten(const ForgottenPeer& forgotten);
  Status DeleteForgotten(std::string_view id);
  // Rewrites everything stored under `id` from memory: the peer's row and
  // data (or their absence) and its forgotten row (or its absence).
  Status ResyncPeer(const std::string& id);
  // The error for a write of a peer that is unsynced (kept in memory only).
  Status UnsyncedPeerError(std::string_view id) const;
  // Ends a write-through whose SQL succeeded: commits at once when the
  // durability, the peer or the batch size asks for it.
  Status CommitIfDue(std::string_view id);
  Status Flush();
  void Close();

  // Runs `persist` (the SQL of one Storage write of peer `id`) in the open
  // transaction, or in its own one in kSynchronous mode. Memory has already
  // been changed.
  template <typename Persist>
  Status WriteThrough(std::string_view id, Persist&& persist) {
    if (!unsynced.empty() && unsynced.find(id) != unsynced.end()) {
      return UnsyncedPeerError(id);
    }
    Status status = BeginIfNeeded();
    if (!status.ok()) {
      unsynced.emplace(id);
      return status;
    }
    if (touched.find(id) == touched.end()) touched.emplace(id);
    status = persist();
    if (!status.ok()) {
      AbortTransaction();
      return status;
    }
    return CommitIfDue(id);
  }
};

}  // namespace gossipmonger
