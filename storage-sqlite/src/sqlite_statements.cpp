// SqliteStorage's SQLite plumbing: result codes to Status, messages that
// name the file, and running the fixed statements.
#include <string>
#include <utility>

#include "sqlite_impl.h"

namespace gossipmonger {
namespace sqlite_detail {

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

}  // namespace sqlite_detail

using sqlite_detail::ColumnBytes;
using sqlite_detail::Quote;

Status SqliteStorage::Impl::Error(int rc, std::string_view what) const {
  std::string message = "sqlite " + Quote(path) + ": " + std::string(what) + ": ";
  message += db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(rc);
  message += " (code " + std::to_string(rc) + ")";
  return Status::Error(sqlite_detail::CodeFor(rc), std::move(message));
}

Status SqliteStorage::Impl::Corrupt(const std::string& what) const {
  return Status::Error(StatusCode::kCorruption, "database " + Quote(path) + ": " + what);
}

Status SqliteStorage::Impl::Prepare(const char* sql, Statement* out) {
  sqlite3_stmt* statement = nullptr;
  const int rc = sqlite3_prepare_v3(db.get(), sql, -1, SQLITE_PREPARE_PERSISTENT,
                                    &statement, nullptr);
  out->reset(statement);
  if (rc == SQLITE_ERROR) {
    // Our SQL is fixed: "no such table / column" means the schema was
    // altered behind our back.
    return Status::Error(
        StatusCode::kCorruption,
        "database " + Quote(path) +
            " does not have the expected schema: " + sqlite3_errmsg(db.get()));
  }
  if (rc != SQLITE_OK) return Error(rc, std::string("preparing \"") + sql + "\"");
  return Status::Ok();
}

// The message is built only on failure: this runs once per row written.
Status SqliteStorage::Impl::Run(sqlite3_stmt* statement, const char* what,
                                std::string_view peer_id) {
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

Status SqliteStorage::Impl::Exec(const char* sql, std::string_view what) {
  const int rc = sqlite3_exec(db.get(), sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc, what);
  return Status::Ok();
}

Status SqliteStorage::Impl::StepToFirstRow(const char* sql, Statement* statement) {
  Status status = Prepare(sql, statement);
  if (!status.ok()) return status;
  const int rc = sqlite3_step(statement->get());
  if (rc != SQLITE_ROW) return Error(rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, sql);
  return Status::Ok();
}

Status SqliteStorage::Impl::QueryInt(const char* sql, std::int64_t* value) {
  Statement statement;
  Status status = StepToFirstRow(sql, &statement);
  if (status.ok()) *value = sqlite3_column_int64(statement.get(), 0);
  return status;
}

Status SqliteStorage::Impl::QueryText(const char* sql, std::string* value) {
  Statement statement;
  Status status = StepToFirstRow(sql, &statement);
  if (status.ok()) *value = ColumnBytes(statement.get(), 0);
  return status;
}

}  // namespace gossipmonger
