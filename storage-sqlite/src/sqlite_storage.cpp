// SqliteStorage: a PeerTable written through to one SQLite database.
//
// On-disk format (schema version 1; see docs/storage-sqlite.md):
//   header   PRAGMA application_id = SqliteStorage::kApplicationId,
//            PRAGMA user_version  = SqliteStorage::kSchemaVersion
//   meta     (key TEXT PRIMARY KEY, value)          format name, schema version
//   peers    (id BLOB PRIMARY KEY, address BLOB, generation INTEGER,
//             max_version_seen INTEGER, live INTEGER)
//   data     (peer BLOB, key BLOB, value BLOB, version INTEGER,
//             PRIMARY KEY (peer, key))
// Byte strings are BLOBs (ids, keys and values need not be UTF-8); the
// 64-bit unsigned counters are stored as their two's-complement int64 bit
// pattern and compared only in C++.
//
// The connection runs in WAL mode with locking_mode=EXCLUSIVE (so no -shm
// file, and no other connection or process can read or write while it is
// open) and synchronous=FULL (a COMMIT returns after the WAL is fsynced).
//
// Consistency rule: for every peer, the database holds a state the peer
// had in memory at some commit. A write that fails rolls back the whole open
// transaction; the peers it touched become "unsynced" (memory is ahead of
// disk) and are not written again until Flush rewrites each of them whole.
#include "gossipmonger/sqlite_storage.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "gossipmonger/peer_table.h"

namespace gossipmonger {
namespace {

constexpr const char* kFormatName = "gossipmonger-storage";
// Once a checkpoint has copied the WAL into the database, the WAL file is
// truncated to at most this size.
constexpr std::int64_t kJournalSizeLimit = 64ll << 20;

std::int64_t ToSql(std::uint64_t value) { return static_cast<std::int64_t>(value); }
std::uint64_t FromSql(std::int64_t value) { return static_cast<std::uint64_t>(value); }

StatusCode CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return StatusCode::kBusy;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return StatusCode::kCorruption;
    default:
      return StatusCode::kIOError;
  }
}

struct StatementDeleter {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

struct ConnectionDeleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Connection = std::unique_ptr<sqlite3, ConnectionDeleter>;

// Binds a byte string. A zero-length blob, never NULL (sqlite3_bind_blob
// with a null pointer would bind NULL, and every column is NOT NULL).
int BindBytes(sqlite3_stmt* statement, int index, std::string_view bytes) {
  if (bytes.empty()) return sqlite3_bind_zeroblob(statement, index, 0);
  return sqlite3_bind_blob(statement, index, bytes.data(), static_cast<int>(bytes.size()),
                           SQLITE_STATIC);
}

std::string ColumnBytes(sqlite3_stmt* statement, int column) {
  const int size = sqlite3_column_bytes(statement, column);
  if (size <= 0) return std::string();
  const void* bytes = sqlite3_column_blob(statement, column);
  return std::string(static_cast<const char*>(bytes), static_cast<std::size_t>(size));
}

bool IsBytes(sqlite3_stmt* statement, int column) {
  const int type = sqlite3_column_type(statement, column);
  return type == SQLITE_BLOB || type == SQLITE_TEXT;
}

bool IsInteger(sqlite3_stmt* statement, int column) {
  return sqlite3_column_type(statement, column) == SQLITE_INTEGER;
}

std::string Quote(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      quoted += '?';
    } else {
      quoted += c;
    }
  }
  quoted += '\'';
  return quoted;
}

// A set of peer ids that can be searched with a string_view.
struct IdHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view id) const { return std::hash<std::string_view>{}(id); }
};
using IdSet = std::unordered_set<std::string, IdHash, std::equal_to<>>;

}  // namespace

struct SqliteStorage::Impl {
  std::string path;
  SqliteStorageOptions options;
  Connection db;
  PeerTable table;

  Statement begin;
  Statement commit;
  Statement rollback;
  Statement upsert_peer;
  Statement delete_peer_data;
  Statement upsert_data;
  Statement set_max_version;

  bool in_transaction = false;
  std::size_t batch_bytes = 0;
  // Peers written in the open transaction: if it rolls back, they become
  // unsynced.
  IdSet touched;
  // Peers whose rows on disk are behind memory; rewritten whole by Flush.
  IdSet unsynced;

  // --- errors ----------------------------------------------------------------
  Status Error(int rc, std::string_view what) const {
    std::string message = "sqlite " + Quote(path) + ": " + std::string(what) + ": ";
    message += db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(rc);
    message += " (code " + std::to_string(rc) + ")";
    return Status::Error(CodeFor(rc), std::move(message));
  }

  // --- statements ------------------------------------------------------------
  Status Prepare(const char* sql, Statement* out) {
    sqlite3_stmt* statement = nullptr;
    const int rc = sqlite3_prepare_v3(db.get(), sql, -1, SQLITE_PREPARE_PERSISTENT,
                                      &statement, nullptr);
    out->reset(statement);
    if (rc == SQLITE_ERROR) {
      // Our SQL is fixed: "no such table / column" means the schema was
      // altered behind our back.
      return Status::Error(StatusCode::kCorruption,
                           "database " + Quote(path) + " does not have the expected schema: " +
                               sqlite3_errmsg(db.get()));
    }
    if (rc != SQLITE_OK) return Error(rc, std::string("preparing \"") + sql + "\"");
    return Status::Ok();
  }

  // Runs a statement that returns no row, then resets it (which also lets go
  // of the buffers bound with SQLITE_STATIC).
  // The message is built only on failure: this runs once per row written.
  Status Run(sqlite3_stmt* statement, const char* what, std::string_view peer_id = {}) {
    const int rc = sqlite3_step(statement);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
      sqlite3_reset(statement);
      return Status::Ok();
    }
    std::string context = what;
    if (!peer_id.empty()) context += " of peer " + Quote(peer_id);
    Status status = Error(rc, context);
    sqlite3_reset(statement);
    return status;
  }

  Status Exec(const char* sql, std::string_view what) {
    const int rc = sqlite3_exec(db.get(), sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return Error(rc, what);
    return Status::Ok();
  }

  // A single-value query, e.g. a PRAGMA.
  Status QueryInt(const char* sql, std::int64_t* value) {
    Statement statement;
    Status status = Prepare(sql, &statement);
    if (!status.ok()) return status;
    const int rc = sqlite3_step(statement.get());
    if (rc != SQLITE_ROW) return Error(rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, sql);
    *value = sqlite3_column_int64(statement.get(), 0);
    return Status::Ok();
  }

  Status QueryText(const char* sql, std::string* value) {
    Statement statement;
    Status status = Prepare(sql, &statement);
    if (!status.ok()) return status;
    const int rc = sqlite3_step(statement.get());
    if (rc != SQLITE_ROW) return Error(rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, sql);
    *value = ColumnBytes(statement.get(), 0);
    return Status::Ok();
  }

  // --- opening ---------------------------------------------------------------
  Status OpenConnection();
  Status CheckOrCreateSchema();
  Status Configure();
  Status TakeWriteLock();
  Status PrepareWriteStatements();
  Status Load();

  // --- writing ---------------------------------------------------------------
  Status BeginIfNeeded() {
    if (in_transaction) return Status::Ok();
    Status status = Run(begin.get(), "BEGIN");
    if (status.ok()) in_transaction = true;
    return status;
  }

  // Rolls back the open transaction; everything it touched is now behind
  // memory.
  void AbortTransaction() {
    if (sqlite3_get_autocommit(db.get()) == 0) {
      sqlite3_step(rollback.get());
      sqlite3_reset(rollback.get());
    }
    in_transaction = false;
    batch_bytes = 0;
    unsynced.merge(touched);
    touched.clear();
  }

  Status CommitTransaction() {
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

  Status WritePeerRow(const PeerRecord& peer) {
    sqlite3_stmt* s = upsert_peer.get();
    BindBytes(s, 1, peer.id);
    BindBytes(s, 2, peer.address);
    sqlite3_bind_int64(s, 3, ToSql(peer.generation.value()));
    sqlite3_bind_int64(s, 4, ToSql(peer.max_version_seen.value()));
    sqlite3_bind_int(s, 5, peer.live ? 1 : 0);
    batch_bytes += peer.id.size() + peer.address.size() + 24;
    return Run(s, "writing the row", peer.id);
  }

  Status DeletePeerData(std::string_view id) {
    BindBytes(delete_peer_data.get(), 1, id);
    return Run(delete_peer_data.get(), "dropping the data", id);
  }

  Status WriteData(std::string_view id, std::string_view key, std::string_view value,
                   Version version) {
    sqlite3_stmt* s = upsert_data.get();
    BindBytes(s, 1, id);
    BindBytes(s, 2, key);
    BindBytes(s, 3, value);
    sqlite3_bind_int64(s, 4, ToSql(version.value()));
    batch_bytes += id.size() + key.size() + value.size() + 16;
    const int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE) {
      Status status = Error(rc, "writing key " + Quote(key) + " of peer " + Quote(id));
      sqlite3_reset(s);
      return status;
    }
    sqlite3_reset(s);
    return Status::Ok();
  }

  Status WriteMaxVersion(std::string_view id, Version max_version_seen) {
    sqlite3_stmt* s = set_max_version.get();
    BindBytes(s, 1, id);
    sqlite3_bind_int64(s, 2, ToSql(max_version_seen.value()));
    batch_bytes += id.size() + 16;
    return Run(s, "writing max_version_seen", id);
  }

  // Rewrites a peer whole from memory: its row, then all its data.
  Status ResyncPeer(const std::string& id) {
    const PeerRecord* peer = table.Get(id);
    if (peer == nullptr) return Status::Ok();
    Status status = WritePeerRow(*peer);
    if (status.ok()) status = DeletePeerData(id);
    for (auto it = peer->data.begin(); status.ok() && it != peer->data.end(); ++it) {
      status = WriteData(id, it->first, it->second.value, it->second.version);
    }
    return status;
  }

  // Runs `persist` (the SQL of one Storage write of peer `id`) in the open
  // transaction, or in its own one in kSynchronous mode. Memory has already
  // been changed.
  template <typename Persist>
  Status WriteThrough(std::string_view id, Persist&& persist) {
    if (!unsynced.empty()) {
      auto it = unsynced.find(id);
      if (it != unsynced.end()) {
        return Status::Error(StatusCode::kIOError,
                             "sqlite " + Quote(path) + ": peer " + Quote(id) +
                                 " is kept in memory only since an earlier write "
                                 "failed; Flush retries writing it");
      }
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
    if (options.durability == SqliteDurability::kSynchronous ||
        (!options.synchronous_peer_id.empty() && id == options.synchronous_peer_id) ||
        (options.max_batch_bytes != 0 && batch_bytes > options.max_batch_bytes)) {
      return CommitTransaction();
    }
    return Status::Ok();
  }

  Status Flush() {
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

  void Close() {
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
    db.reset();
  }
};

// --- Open ---------------------------------------------------------------------

// The directory of `path` as std::filesystem's parent_path() names it ("."
// for a bare file name). Plain strings and stat() here rather than
// std::filesystem: these checks were the only use of std::filesystem in a
// gossipmonger-node on SQLite, and its code cost that process 0.2 MiB of
// libstdc++ pages (docs/real-processes.md, "Memory of one node").
namespace {
std::string ParentDirectory(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}
}  // namespace

Status SqliteStorage::Impl::OpenConnection() {
  const std::string directory = ParentDirectory(path);
  struct stat info {};
  if (::stat(directory.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return Status::Error(StatusCode::kIOError, "cannot open database " + Quote(path) +
                                                   ": directory " + Quote(directory) +
                                                   " does not exist");
  }
  const bool exists = ::stat(path.c_str(), &info) == 0;
  if (!exists && !options.create_if_missing) {
    return Status::Error(StatusCode::kIOError,
                         "cannot open database " + Quote(path) +
                             ": no such file (create_if_missing is false)");
  }
  if (exists && S_ISDIR(info.st_mode)) {
    return Status::Error(StatusCode::kIOError,
                         "cannot open database " + Quote(path) + ": it is a directory");
  }

  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (options.create_if_missing) flags |= SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags,
                                 options.vfs.empty() ? nullptr : options.vfs.c_str());
  db.reset(raw);
  if (rc == SQLITE_OK) sqlite3_extended_result_codes(db.get(), 1);
  const bool read_only = rc == SQLITE_OK && sqlite3_db_readonly(db.get(), "main") == 1;
  if (rc != SQLITE_OK || read_only) {
    std::string message = "cannot open database " + Quote(path) + " for writing: ";
    message += read_only ? "the file is read-only" : (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
    if (::access(directory.c_str(), W_OK) != 0) {
      message += " (directory " + Quote(directory) + ": " + std::strerror(errno) + ")";
    } else if (exists && ::access(path.c_str(), R_OK | W_OK) != 0) {
      message += std::string(" (") + std::strerror(errno) + ")";
    }
    db.reset();
    return Status::Error(StatusCode::kIOError, std::move(message));
  }
  // No busy_timeout: a database held by someone else is reported at once.
  return Exec("PRAGMA locking_mode=EXCLUSIVE", "setting locking_mode");
}

// Inside one write transaction taken before anything is read (so a database
// held by another connection fails here with SQLITE_BUSY), decides what the
// file is. Only an empty database is written to; anything else that is not
// ours is refused untouched.
Status SqliteStorage::Impl::CheckOrCreateSchema() {
  int rc = sqlite3_exec(db.get(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    switch (rc & 0xff) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        return Status::Error(StatusCode::kBusy,
                             "database " + Quote(path) +
                                 " is in use by another process or another SqliteStorage");
      case SQLITE_NOTADB:
        return Status::Error(StatusCode::kCorruption,
                             "database " + Quote(path) +
                                 " is not a SQLite database (or is encrypted or damaged)");
      default:
        return Error(rc, "locking the database");
    }
  }
  auto fail = [this](Status status) {
    sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    return status;
  };

  std::int64_t application_id = 0;
  std::int64_t user_version = 0;
  Status status = QueryInt("PRAGMA application_id", &application_id);
  if (status.ok()) status = QueryInt("PRAGMA user_version", &user_version);
  std::vector<std::string> objects;
  if (status.ok()) {
    Statement list;
    status = Prepare("SELECT name FROM sqlite_schema ORDER BY name", &list);
    while (status.ok()) {
      rc = sqlite3_step(list.get());
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        status = Error(rc, "reading the schema");
        break;
      }
      objects.push_back(ColumnBytes(list.get(), 0));
    }
  }
  if (!status.ok()) return fail(status);

  const auto ours = static_cast<std::int32_t>(application_id) == kApplicationId;
  if (!ours) {
    if (application_id == 0 && user_version == 0 && objects.empty()) {
      // A new (empty) database: make it ours.
      static constexpr const char* kSchema =
          "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value NOT NULL) WITHOUT ROWID;"
          "CREATE TABLE peers (id BLOB PRIMARY KEY NOT NULL, address BLOB NOT NULL,"
          " generation INTEGER NOT NULL, max_version_seen INTEGER NOT NULL,"
          " live INTEGER NOT NULL) WITHOUT ROWID;"
          "CREATE TABLE data (peer BLOB NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,"
          " version INTEGER NOT NULL, PRIMARY KEY (peer, key)) WITHOUT ROWID;";
      status = Exec(kSchema, "creating the schema");
      if (status.ok()) {
        const std::string meta = std::string("INSERT INTO meta VALUES ('format', '") +
                                 kFormatName + "'), ('schema_version', " +
                                 std::to_string(kSchemaVersion) + "), ('opened', 0);" +
                                 "PRAGMA application_id = " + std::to_string(kApplicationId) +
                                 "; PRAGMA user_version = " + std::to_string(kSchemaVersion) +
                                 ";";
        status = Exec(meta.c_str(), "writing the schema identity");
      }
      if (status.ok()) status = Exec("COMMIT", "committing the new schema");
      if (!status.ok()) return fail(status);
      return Status::Ok();
    }
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08x", static_cast<unsigned>(application_id));
    std::string message = "database " + Quote(path) +
                          " is not a gossipmonger database (application_id " + hex;
    if (!objects.empty()) {
      message += "; it holds";
      for (std::size_t i = 0; i < objects.size() && i < 8; ++i) {
        message += (i == 0 ? " " : ", ") + Quote(objects[i]);
      }
      if (objects.size() > 8) message += ", ...";
    }
    message += "); refusing to touch it";
    return fail(Status::Error(StatusCode::kCorruption, std::move(message)));
  }
  if (user_version > kSchemaVersion) {
    return fail(Status::Error(
        StatusCode::kNotSupported,
        "database " + Quote(path) + " has schema version " + std::to_string(user_version) +
            "; this build reads versions up to " + std::to_string(kSchemaVersion)));
  }
  if (user_version < 1) {
    return fail(Status::Error(StatusCode::kCorruption,
                              "database " + Quote(path) + " has the gossipmonger id but schema "
                              "version " + std::to_string(user_version)));
  }
  std::string format;
  status = QueryText("SELECT value FROM meta WHERE key = 'format'", &format);
  if (!status.ok() || format != kFormatName) {
    return fail(Status::Error(StatusCode::kCorruption,
                              "database " + Quote(path) +
                                  " has the gossipmonger id but no valid meta table" +
                                  (status.ok() ? std::string() : ": " + status.message())));
  }
  return Exec("COMMIT", "ending the schema check");
}

Status SqliteStorage::Impl::Configure() {
  std::string mode;
  Status status = QueryText("PRAGMA journal_mode=WAL", &mode);
  if (!status.ok()) return status;
  if (mode != "wal") {
    return Status::Error(StatusCode::kIOError, "database " + Quote(path) +
                                                   ": cannot switch to WAL mode (got '" +
                                                   mode + "')");
  }
  const std::string pragmas = "PRAGMA synchronous=FULL; PRAGMA cache_size=-" +
                              std::to_string(options.cache_kib) +
                              "; PRAGMA journal_size_limit=" + std::to_string(kJournalSizeLimit) +
                              ";";
  status = Exec(pragmas.c_str(), "configuring the connection");
  if (!status.ok()) return status;
  if (options.max_database_bytes != 0) {
    std::int64_t page_size = 0;
    status = QueryInt("PRAGMA page_size", &page_size);
    if (!status.ok()) return status;
    const std::uint64_t pages =
        std::max<std::uint64_t>(1, options.max_database_bytes / static_cast<std::uint64_t>(page_size));
    std::int64_t applied = 0;
    const std::string sql = "PRAGMA max_page_count=" + std::to_string(pages);
    status = QueryInt(sql.c_str(), &applied);
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

// An immediate write, after the file has loaded cleanly (a damaged file is
// not written to): it proves the file, its directory (for the WAL) and the
// disk are writable now rather than at the first gossip round, and in
// EXCLUSIVE locking mode it leaves the connection holding the exclusive lock
// until it closes.
Status SqliteStorage::Impl::TakeWriteLock() {
  return Exec("BEGIN IMMEDIATE; UPDATE meta SET value = value + 1 WHERE key = 'opened'; COMMIT",
              "taking the exclusive lock");
}

Status SqliteStorage::Impl::PrepareWriteStatements() {
  Status status = Prepare("BEGIN", &begin);
  if (status.ok()) status = Prepare("COMMIT", &commit);
  if (status.ok()) status = Prepare("ROLLBACK", &rollback);
  if (status.ok()) {
    status = Prepare(
        "INSERT INTO peers (id, address, generation, max_version_seen, live)"
        " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO UPDATE SET"
        " address = excluded.address, generation = excluded.generation,"
        " max_version_seen = excluded.max_version_seen, live = excluded.live",
        &upsert_peer);
  }
  if (status.ok()) status = Prepare("DELETE FROM data WHERE peer = ?1", &delete_peer_data);
  if (status.ok()) {
    status = Prepare(
        "INSERT INTO data (peer, key, value, version) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT (peer, key) DO UPDATE SET value = excluded.value,"
        " version = excluded.version",
        &upsert_data);
  }
  if (status.ok()) {
    status = Prepare("UPDATE peers SET max_version_seen = ?2 WHERE id = ?1", &set_max_version);
  }
  return status;
}

Status SqliteStorage::Impl::Load() {
  auto corrupt = [this](const std::string& what) {
    return Status::Error(StatusCode::kCorruption, "database " + Quote(path) + ": " + what);
  };
  auto step_error = [this](int rc, const char* what) { return Error(rc, what); };

  if (options.paranoid_checks) {
    std::string verdict;
    Status status = QueryText("PRAGMA integrity_check(1)", &verdict);
    if (!status.ok()) return status;
    if (verdict != "ok") return corrupt("integrity_check: " + verdict);
  }

  // Peers first; each is handed to the table whole (PeerTable::Restore)
  // once its data is read.
  std::unordered_map<std::string, PeerRecord> loaded;
  {
    Statement peers;
    Status status =
        Prepare("SELECT id, address, generation, max_version_seen, live FROM peers", &peers);
    if (!status.ok()) return corrupt("unreadable peers table: " + status.message());
    for (;;) {
      const int rc = sqlite3_step(peers.get());
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return step_error(rc, "reading peers");
      sqlite3_stmt* s = peers.get();
      if (!IsBytes(s, 0) || !IsBytes(s, 1) || !IsInteger(s, 2) || !IsInteger(s, 3) ||
          !IsInteger(s, 4)) {
        return corrupt("a peers row has values of the wrong type");
      }
      PeerRecord record;
      record.id = ColumnBytes(s, 0);
      record.address = ColumnBytes(s, 1);
      record.generation = Generation(FromSql(sqlite3_column_int64(s, 2)));
      record.max_version_seen = Version(FromSql(sqlite3_column_int64(s, 3)));
      record.live = sqlite3_column_int64(s, 4) != 0;
      if (record.id.empty()) return corrupt("invalid peer row: peer id is empty");
      auto [slot, inserted] = loaded.try_emplace(record.id);
      if (!inserted) return corrupt("peer " + Quote(record.id) + " twice");
      slot->second = std::move(record);
    }
  }

  // Data rows arrive in primary-key order, so grouped by peer. A group's
  // bytes go to one arena with a small index, sorted by version to check
  // that no two keys share one; then they are moved into the peer's map,
  // reserved once.
  Statement data;
  Status status = Prepare("SELECT peer, key, value, version FROM data", &data);
  if (!status.ok()) return corrupt("unreadable data table: " + status.message());
  struct Row {
    std::uint64_t version;
    std::size_t offset;
    std::size_t key_size;
    std::size_t value_size;
  };
  std::string arena;
  std::vector<Row> rows;
  std::string current;
  PeerRecord* current_peer = nullptr;
  IdSet seen;
  auto apply_group = [&]() -> Status {
    if (rows.empty()) return Status::Ok();
    std::sort(rows.begin(), rows.end(),
              [](const Row& a, const Row& b) { return a.version < b.version; });
    for (std::size_t i = 1; i < rows.size(); ++i) {
      if (rows[i].version == rows[i - 1].version) {
        return corrupt("data of peer " + Quote(current) + " is inconsistent (two keys have version " +
                       std::to_string(rows[i].version) + ")");
      }
    }
    current_peer->data.reserve(rows.size());
    for (const Row& row : rows) {
      current_peer->data.emplace(
          arena.substr(row.offset, row.key_size),
          VersionedValue{arena.substr(row.offset + row.key_size, row.value_size),
                         Version(row.version)});
    }
    rows.clear();
    arena.clear();
    return Status::Ok();
  };
  for (;;) {
    const int rc = sqlite3_step(data.get());
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return step_error(rc, "reading data");
    sqlite3_stmt* s = data.get();
    if (!IsBytes(s, 0) || !IsBytes(s, 1) || !IsBytes(s, 2) || !IsInteger(s, 3)) {
      return corrupt("a data row has values of the wrong type");
    }
    auto bytes = [s](int column) {
      const int size = sqlite3_column_bytes(s, column);
      const void* blob = sqlite3_column_blob(s, column);
      return size <= 0 || blob == nullptr
                 ? std::string_view()
                 : std::string_view(static_cast<const char*>(blob), static_cast<std::size_t>(size));
    };
    const std::string_view peer_id = bytes(0);
    if (current_peer == nullptr || peer_id != current) {
      Status applied = apply_group();
      if (!applied.ok()) return applied;
      current.assign(peer_id);
      auto found = loaded.find(current);
      if (found == loaded.end()) return corrupt("data rows for unknown peer " + Quote(current));
      current_peer = &found->second;
      if (!seen.insert(current).second) {
        return corrupt("data rows of peer " + Quote(current) + " out of key order");
      }
    }
    const std::string_view key = bytes(1);
    const std::string_view value = bytes(2);
    rows.push_back(Row{FromSql(sqlite3_column_int64(s, 3)), arena.size(), key.size(), value.size()});
    arena.append(key);
    arena.append(value);
  }
  status = apply_group();
  if (!status.ok()) return status;

  table.Reserve(loaded.size());
  for (auto& [id, record] : loaded) {
    const std::string max_version = std::to_string(record.max_version_seen.value());
    Status restored = table.Restore(std::move(record));
    if (!restored.ok()) {
      return corrupt("peer " + Quote(id) + " is inconsistent with its max_version_seen " +
                     max_version + " (" + restored.message() + ")");
    }
  }
  return Status::Ok();
}

Status SqliteStorage::Open(const std::string& path, const SqliteStorageOptions& options,
                           std::unique_ptr<SqliteStorage>* out) {
  out->reset();
  if (path.empty()) return Status::Error(StatusCode::kInvalidArgument, "empty database path");
  if (path == ":memory:" || path.rfind("file:", 0) == 0) {
    return Status::Error(StatusCode::kInvalidArgument,
                         "database path must name a file: " + Quote(path));
  }
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->options = options;
  Status status = impl->OpenConnection();
  if (status.ok()) status = impl->CheckOrCreateSchema();
  if (status.ok()) status = impl->Configure();
  if (status.ok()) status = impl->Load();
  if (status.ok()) status = impl->TakeWriteLock();
  if (status.ok()) status = impl->PrepareWriteStatements();
  if (!status.ok()) return status;  // `impl` closes the connection
  out->reset(new SqliteStorage(std::move(impl)));
  return Status::Ok();
}

Status SqliteStorage::Destroy(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-journal", "-shm"}) {
    const std::string file = path + suffix;
    std::error_code ec;
    std::filesystem::remove(file, ec);
    if (ec) {
      return Status::Error(StatusCode::kIOError,
                           "cannot delete " + Quote(file) + ": " + ec.message());
    }
  }
  return Status::Ok();
}

// --- SqliteStorage --------------------------------------------------------------

SqliteStorage::SqliteStorage(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SqliteStorage::~SqliteStorage() { impl_->Close(); }

const PeerRecord* SqliteStorage::Get(std::string_view id) const { return impl_->table.Get(id); }

void SqliteStorage::ForEachPeer(const std::function<void(const PeerRecord&)>& visit) const {
  impl_->table.ForEach(visit);
}

std::size_t SqliteStorage::PeerCount() const { return impl_->table.size(); }

Status SqliteStorage::PutPeer(const PeerHeader& header) {
  PeerTable::PutPeerResult result;
  Status status = impl_->table.PutPeer(header, &result);
  if (!status.ok()) return status;
  const PeerRecord* peer = impl_->table.Get(header.id);
  return impl_->WriteThrough(header.id, [&] {
    Status written = impl_->WritePeerRow(*peer);
    // A new generation shares nothing with the old one: its rows go in the
    // same transaction as the row that announces it.
    if (written.ok() && result.data_dropped) written = impl_->DeletePeerData(header.id);
    return written;
  });
}

Status SqliteStorage::PutDeltas(std::string_view id, std::span<const KeyDelta> deltas,
                                Version max_version_seen) {
  Status status = impl_->table.CheckDeltas(id, deltas, max_version_seen);
  if (!status.ok()) return status;
  impl_->table.PutDeltas(id, deltas, max_version_seen);
  return impl_->WriteThrough(id, [&] {
    Status written;
    for (const KeyDelta& delta : deltas) {
      written = impl_->WriteData(id, delta.key, delta.value, delta.version);
      if (!written.ok()) return written;
    }
    // kBatched writes max_version_seen once per transaction, at commit.
    if (impl_->options.durability == SqliteDurability::kSynchronous) {
      written = impl_->WriteMaxVersion(id, max_version_seen);
    }
    return written;
  });
}

Status SqliteStorage::Flush() { return impl_->Flush(); }

const std::string& SqliteStorage::path() const { return impl_->path; }

const SqliteStorageOptions& SqliteStorage::options() const { return impl_->options; }

std::size_t SqliteStorage::UnsyncedPeerCount() const { return impl_->unsynced.size(); }

}  // namespace gossipmonger
