// Opening a SqliteStorage's file: checks on the path, the connection, the
// schema check (ours, new, foreign or newer) and the connection's settings.
//
// On-disk format (schema version 2; see docs/storage-sqlite.md):
//   header    PRAGMA application_id = SqliteStorage::kApplicationId,
//             PRAGMA user_version  = SqliteStorage::kSchemaVersion
//   meta      (key TEXT PRIMARY KEY, value)          format name, schema version
//   peers     (id BLOB PRIMARY KEY, address BLOB, generation INTEGER,
//              max_version_seen INTEGER, live INTEGER, down_since INTEGER,
//              collected_through INTEGER, clean_through INTEGER)
//   data      (peer BLOB, key BLOB, value BLOB, version INTEGER,
//              kind INTEGER, expires_at INTEGER, PRIMARY KEY (peer, key))
//   forgotten (id BLOB PRIMARY KEY, generation INTEGER, forgotten_at INTEGER)
// A new file is created with the tables of version 1 and migrated
// (sqlite_migrate.cpp), so that a new file and a migrated one are alike.
// Byte strings are BLOBs (ids, keys and values need not be UTF-8); the
// 64-bit unsigned counters are stored as their two's-complement int64 bit
// pattern and compared only in C++.
//
// The connection runs in WAL mode with locking_mode=EXCLUSIVE (so no -shm
// file, and no other connection or process can read or write while it is
// open) and synchronous=FULL (a COMMIT returns after the WAL is fsynced).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "sqlite_impl.h"

namespace gossipmonger {

using sqlite_detail::kFormatName;
using sqlite_detail::Quote;
using sqlite_detail::SchemaIdentity;

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
    message += read_only ? "the file is read-only"
                         : (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
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
  Status status = BeginSchemaCheck();
  if (!status.ok()) return status;
  SchemaIdentity identity;
  status = ReadSchemaIdentity(&identity);
  if (!status.ok()) return RollBackSchemaCheck(status);

  const auto ours = static_cast<std::int32_t>(identity.application_id) == kApplicationId;
  if (ours) return CheckOurSchema(identity);
  if (identity.application_id == 0 && identity.user_version == 0 &&
      identity.objects.empty()) {
    // A new (empty) database: make it ours.
    status = CreateSchema();
    if (!status.ok()) return RollBackSchemaCheck(status);
    return Status::Ok();
  }
  return RollBackSchemaCheck(ForeignDatabaseError(identity));
}

// BEGIN IMMEDIATE, the write lock of the schema check.
Status SqliteStorage::Impl::BeginSchemaCheck() {
  const int rc = sqlite3_exec(db.get(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK) return Status::Ok();
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

Status SqliteStorage::Impl::ReadSchemaIdentity(SchemaIdentity* identity) {
  Status status = QueryInt("PRAGMA application_id", &identity->application_id);
  if (status.ok()) status = QueryInt("PRAGMA user_version", &identity->user_version);
  if (!status.ok()) return status;
  Statement list;
  status = Prepare("SELECT name FROM sqlite_schema ORDER BY name", &list);
  while (status.ok()) {
    const int rc = sqlite3_step(list.get());
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      status = Error(rc, "reading the schema");
      break;
    }
    identity->objects.push_back(sqlite_detail::ColumnBytes(list.get(), 0));
  }
  return status;
}

// Creates the tables and the identity (meta rows, application_id,
// user_version) of schema version 1, migrates them to kSchemaVersion and
// commits the schema check.
Status SqliteStorage::Impl::CreateSchema() {
  static constexpr const char* kSchema =
      "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value NOT NULL) WITHOUT ROWID;"
      "CREATE TABLE peers (id BLOB PRIMARY KEY NOT NULL, address BLOB NOT NULL,"
      " generation INTEGER NOT NULL, max_version_seen INTEGER NOT NULL,"
      " live INTEGER NOT NULL) WITHOUT ROWID;"
      "CREATE TABLE data (peer BLOB NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,"
      " version INTEGER NOT NULL, PRIMARY KEY (peer, key)) WITHOUT ROWID;";
  Status status = Exec(kSchema, "creating the schema");
  if (status.ok()) {
    const std::string meta = std::string("INSERT INTO meta VALUES ('format', '") +
                             kFormatName + "'), ('schema_version', 1), ('opened', 0);" +
                             "PRAGMA application_id = " + std::to_string(kApplicationId) +
                             "; PRAGMA user_version = 1;";
    status = Exec(meta.c_str(), "writing the schema identity");
  }
  if (status.ok()) status = MigrateSchema(1);
  if (status.ok()) status = Exec("COMMIT", "committing the new schema");
  return status;
}

Status SqliteStorage::Impl::ForeignDatabaseError(const SchemaIdentity& identity) const {
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%08x",
                static_cast<unsigned>(identity.application_id));
  std::string message = "database " + Quote(path) +
                        " is not a gossipmonger database (application_id " + hex;
  const std::vector<std::string>& objects = identity.objects;
  if (!objects.empty()) {
    message += "; it holds";
    for (std::size_t i = 0; i < objects.size() && i < 8; ++i) {
      message += (i == 0 ? " " : ", ") + Quote(objects[i]);
    }
    if (objects.size() > 8) message += ", ...";
  }
  message += "); refusing to touch it";
  return Status::Error(StatusCode::kCorruption, std::move(message));
}

// A file with our application_id: its schema version must be one this build
// reads, and its meta table must name our format. An older version is
// migrated. Ends the schema check.
Status SqliteStorage::Impl::CheckOurSchema(const SchemaIdentity& identity) {
  const std::int64_t user_version = identity.user_version;
  if (user_version > kSchemaVersion) {
    return RollBackSchemaCheck(NewerSchemaError(user_version));
  }
  if (user_version < 1) {
    return RollBackSchemaCheck(
        Status::Error(StatusCode::kCorruption, "database " + Quote(path) +
                                                   " has the gossipmonger id but schema "
                                                   "version " +
                                                   std::to_string(user_version)));
  }
  std::string format;
  Status status = QueryText("SELECT value FROM meta WHERE key = 'format'", &format);
  if (!status.ok() || format != kFormatName) {
    return RollBackSchemaCheck(Status::Error(
        StatusCode::kCorruption,
        "database " + Quote(path) + " has the gossipmonger id but no valid meta table" +
            (status.ok() ? std::string() : ": " + status.message())));
  }
  if (user_version < kSchemaVersion) {
    status = MigrateSchema(user_version);
    if (!status.ok()) return RollBackSchemaCheck(status);
  }
  return Exec("COMMIT", "ending the schema check");
}

Status SqliteStorage::Impl::NewerSchemaError(std::int64_t user_version) const {
  return Status::Error(
      StatusCode::kNotSupported,
      "database " + Quote(path) + " has schema version " + std::to_string(user_version) +
          "; this build reads versions up to " + std::to_string(kSchemaVersion) +
          ": open it with a gossipmonger that knows version " +
          std::to_string(user_version) + " (the file is left unchanged)");
}

// Ends a failed schema check, leaving the file as it was; returns `status`.
Status SqliteStorage::Impl::RollBackSchemaCheck(Status status) {
  sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  return status;
}

Status SqliteStorage::Impl::Configure() {
  std::string mode;
  Status status = QueryText("PRAGMA journal_mode=WAL", &mode);
  if (!status.ok()) return status;
  if (mode != "wal") {
    return Status::Error(
        StatusCode::kIOError,
        "database " + Quote(path) + ": cannot switch to WAL mode (got '" + mode + "')");
  }
  const std::string pragmas =
      "PRAGMA synchronous=FULL; PRAGMA cache_size=-" + std::to_string(options.cache_kib) +
      "; PRAGMA journal_size_limit=" + std::to_string(sqlite_detail::kJournalSizeLimit) +
      ";";
  status = Exec(pragmas.c_str(), "configuring the connection");
  if (!status.ok()) return status;
  if (options.max_database_bytes != 0) return LimitDatabaseSize();
  return Status::Ok();
}

// PRAGMA max_page_count for options.max_database_bytes (whole pages, at
// least one).
Status SqliteStorage::Impl::LimitDatabaseSize() {
  std::int64_t page_size = 0;
  Status status = QueryInt("PRAGMA page_size", &page_size);
  if (!status.ok()) return status;
  const std::uint64_t pages = std::max<std::uint64_t>(
      1, options.max_database_bytes / static_cast<std::uint64_t>(page_size));
  std::int64_t applied = 0;
  const std::string sql = "PRAGMA max_page_count=" + std::to_string(pages);
  return QueryInt(sql.c_str(), &applied);
}

// An immediate write, after the file has loaded cleanly (a damaged file is
// not written to): it proves the file, its directory (for the WAL) and the
// disk are writable now rather than at the first gossip round, and in
// EXCLUSIVE locking mode it leaves the connection holding the exclusive lock
// until it closes.
Status SqliteStorage::Impl::TakeWriteLock() {
  return Exec(
      "BEGIN IMMEDIATE; UPDATE meta SET value = value + 1 WHERE key = 'opened'; COMMIT",
      "taking the exclusive lock");
}

Status SqliteStorage::Impl::PrepareWriteStatements() {
  Status status = Prepare("BEGIN", &begin);
  if (status.ok()) status = Prepare("COMMIT", &commit);
  if (status.ok()) status = Prepare("ROLLBACK", &rollback);
  if (status.ok()) {
    status = Prepare(
        "INSERT INTO peers (id, address, generation, max_version_seen, live,"
        " down_since, collected_through, clean_through)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (id) DO UPDATE SET"
        " address = excluded.address, generation = excluded.generation,"
        " max_version_seen = excluded.max_version_seen, live = excluded.live,"
        " down_since = excluded.down_since,"
        " collected_through = excluded.collected_through,"
        " clean_through = excluded.clean_through",
        &upsert_peer);
  }
  if (status.ok())
    status = Prepare("DELETE FROM data WHERE peer = ?1", &delete_peer_data);
  if (status.ok()) {
    status = Prepare(
        "INSERT INTO data (peer, key, value, version, kind, expires_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (peer, key) DO UPDATE SET"
        " value = excluded.value, version = excluded.version, kind = excluded.kind,"
        " expires_at = excluded.expires_at",
        &upsert_data);
  }
  if (status.ok()) {
    status =
        Prepare("UPDATE peers SET max_version_seen = ?2 WHERE id = ?1", &set_max_version);
  }
  return status.ok() ? PrepareLifecycleStatements() : status;
}

}  // namespace gossipmonger
