// Schema migrations: a gossipmonger database of an older schema version is
// brought up to SqliteStorage::kSchemaVersion in place, inside the schema
// check's write transaction (sqlite_schema.cpp), so that a crash or an error
// in the middle leaves the file exactly as it was. A new file takes the same
// path from version 1, so a migrated file and a new one have one schema.
//
// Version 1 -> 2 (the lifecycle, docs/LIFECYCLE.md): the new columns take
// the values that describe what a version-1 file held: every entry a value
// with no deadline, no peer down, nothing collected, no reset, nobody
// forgotten.
#include <string>

#include "sqlite_impl.h"

namespace gossipmonger {

namespace {

constexpr const char* kVersion1To2 =
    "ALTER TABLE peers ADD COLUMN down_since INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE peers ADD COLUMN collected_through INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE peers ADD COLUMN clean_through INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE data ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE data ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE forgotten (id BLOB PRIMARY KEY NOT NULL,"
    " generation INTEGER NOT NULL, forgotten_at INTEGER NOT NULL) WITHOUT ROWID;"
    "UPDATE meta SET value = 2 WHERE key = 'schema_version';"
    "PRAGMA user_version = 2;";

}  // namespace

Status SqliteStorage::Impl::MigrateSchema(std::int64_t from) {
  static_assert(kSchemaVersion == 2, "add the migration to the new schema version");
  if (from == 1) {
    const int rc = sqlite3_exec(db.get(), kVersion1To2, nullptr, nullptr, nullptr);
    // SQLITE_ERROR: our fixed SQL does not fit the file (a table missing or
    // altered behind our back), as in Prepare.
    if ((rc & 0xff) == SQLITE_ERROR) {
      return Corrupt("cannot migrate schema version 1 to 2: " +
                     std::string(sqlite3_errmsg(db.get())));
    }
    if (rc != SQLITE_OK) return Error(rc, "migrating schema version 1 to 2");
    from = 2;
  }
  if (from != kSchemaVersion) {
    return Corrupt("no migration from schema version " + std::to_string(from));
  }
  return Status::Ok();
}

}  // namespace gossipmonger
