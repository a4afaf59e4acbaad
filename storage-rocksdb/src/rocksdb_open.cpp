// Opening a RocksDbStorage: what is at the path before RocksDB sees it, the
// RocksDB options, the format record; and destroying a database.
#include <rocksdb/iterator.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

#include "info_logger.h"
#include "record_format.h"
#include "rocksdb_impl.h"

namespace gossipmonger {

using rdb_detail::Fail;
using rdb_detail::FromRocks;

namespace {

namespace fs = std::filesystem;
namespace fmt = rdb_format;

// Files RocksDB creates before CURRENT while it creates a database. A
// directory holding only these is a creation that was interrupted (say, by a
// crash at first start): nothing was ever stored, so it is created anew.
bool IsCreationLeftover(const std::string& name) {
  return name == "LOCK" || name == "LOG" || name == "IDENTITY" ||
         name.rfind("LOG.old", 0) == 0 || name.rfind("MANIFEST-", 0) == 0 ||
         name.rfind("OPTIONS-", 0) == 0 ||
         (name.size() > 6 && name.compare(name.size() - 6, 6, ".dbtmp") == 0);
}

enum class DirState { kMissing, kEmpty, kDatabase };

// `path` does not exist: it can be created if its parent is a directory.
Status CheckParentDirectory(const std::string& path) {
  std::error_code ec;
  fs::path target(path);
  if (!target.has_filename()) target = target.parent_path();  // "a/db/"
  fs::path parent = target.parent_path();
  if (parent.empty()) parent = ".";
  const fs::file_status parent_status = fs::status(parent, ec);
  if (!fs::exists(parent_status)) {
    return Fail(
        StatusCode::kIOError, path,
        "its parent directory '" + parent.string() + "' does not exist" +
            (ec && ec != std::errc::no_such_file_or_directory ? " (" + ec.message() + ")"
                                                              : std::string()));
  }
  if (!fs::is_directory(parent_status)) {
    return Fail(StatusCode::kIOError, path,
                "its parent '" + parent.string() + "' is not a directory");
  }
  return Status::Ok();
}

// `path` is a directory: a database (it has CURRENT), empty, or foreign.
Status InspectDirectory(const std::string& path, bool create_if_missing,
                        DirState* state) {
  std::error_code ec;
  bool has_current = false;
  std::string foreign;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name == "CURRENT") {
      has_current = true;
    } else if (foreign.empty() && !IsCreationLeftover(name)) {
      foreign = name;
    }
  }
  if (ec)
    return Fail(StatusCode::kIOError, path, "cannot list the directory: " + ec.message());
  if (has_current) {
    *state = DirState::kDatabase;
    return Status::Ok();
  }
  if (!foreign.empty()) {
    return Fail(StatusCode::kCorruption, path,
                "the directory holds files (e.g. '" + foreign +
                    "') but no RocksDB database (no CURRENT file); not a gossipmonger "
                    "database, refusing to create one beside them");
  }
  if (!create_if_missing) {
    return Fail(StatusCode::kIOError, path,
                "holds no database (create_if_missing is false)");
  }
  *state = DirState::kEmpty;
  return Status::Ok();
}

// What is at `path`, before RocksDB sees it: RocksDB with create_if_missing
// would happily create a database inside any directory without a CURRENT
// file, next to whatever else is there.
Status Inspect(const std::string& path, bool create_if_missing, DirState* state) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Fail(StatusCode::kIOError, path, "cannot examine the path: " + ec.message());
  }
  if (!fs::exists(st)) {
    if (!create_if_missing) {
      return Fail(StatusCode::kIOError, path,
                  "does not exist (create_if_missing is false)");
    }
    Status parent = CheckParentDirectory(path);
    if (parent.ok()) *state = DirState::kMissing;
    return parent;
  }
  if (!fs::is_directory(st)) {
    return Fail(
        StatusCode::kCorruption, path,
        "is not a directory (a file of another format?); not a gossipmonger database");
  }
  return InspectDirectory(path, create_if_missing, state);
}

Status MakeDirectory(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    const int error = errno;
    return Fail(StatusCode::kIOError, path,
                std::string("cannot create the directory: ") + std::strerror(error));
  }
  return Status::Ok();
}

std::shared_ptr<rocksdb::Logger> MakeLogger(const std::string& path,
                                            const RocksDbStorageOptions& options) {
  if (!options.info_log) return std::make_shared<rdb_detail::NullLogger>();
  return std::make_shared<rdb_detail::InfoLogger>(path, options.max_info_log_bytes);
}

rocksdb::Options MakeDbOptions(const RocksDbStorageOptions& options,
                               std::shared_ptr<rocksdb::Logger> logger) {
  rocksdb::Options db;
  db.create_if_missing = false;  // Open decides, after Inspect
  db.error_if_exists = false;
  db.paranoid_checks = true;
  db.write_buffer_size = options.write_buffer_bytes;
  db.max_background_jobs = options.max_background_jobs;
  db.info_log = std::move(logger);
  // Replay the write-ahead log up to the first damaged record (a torn write
  // at the moment of a crash) and stop there: the state is a prefix of the
  // writes, never half a WriteBatch.
  db.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  // Hand every write to the operating system before Write returns, so that
  // kBatched survives kill -9; Flush() adds the fsync.
  db.manual_wal_flush = false;
  return db;
}

// RocksDB could not open the database at `path` (whose state was `state`).
Status OpenFailure(const std::string& path, DirState state,
                   const rocksdb::Status& opened) {
  if (state == DirState::kDatabase && opened.IsInvalidArgument()) {
    // RocksDB refuses an existing database whose configuration differs
    // from ours (other column families, another comparator).
    return Fail(StatusCode::kCorruption, path,
                "a RocksDB database this storage cannot open as its own; not a "
                "gossipmonger database (" +
                    opened.ToString() + ")");
  }
  if (state == DirState::kDatabase && opened.IsPathNotFound() &&
      !rdb_detail::IsLockConflict(opened)) {
    // CURRENT names a MANIFEST (or the MANIFEST a file) that is not there.
    return Fail(StatusCode::kCorruption, path,
                "the database is damaged: a file it refers to is missing (" +
                    opened.ToString() + ")");
  }
  return FromRocks(opened, path, "cannot open the database");
}

}  // namespace

rocksdb::Status RocksDbStorage::Impl::OpenDb() {
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, path, &raw);
  if (s.ok()) db.reset(raw);
  return s;
}

Status RocksDbStorage::Impl::CheckFormat() {
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), fmt::kFormatKey, &value);
  if (s.IsNotFound()) return ClaimEmptyDatabase();
  if (!s.ok()) return FromRocks(s, path, "cannot read the format record");
  const std::optional<std::uint32_t> version = fmt::DecodeFormat(value);
  if (!version || *version == 0) {
    return Fail(StatusCode::kCorruption, path,
                "the format record is not gossipmonger's ('" + fmt::Printable(value) +
                    "'); not a gossipmonger database");
  }
  if (*version > kSchemaVersion) {
    return Fail(StatusCode::kNotSupported, path,
                "schema version " + std::to_string(*version) +
                    " is newer than this build reads (" + std::to_string(kSchemaVersion) +
                    "); open it with a gossipmonger that knows version " +
                    std::to_string(*version) + " (the database is left unchanged)");
  }
  stored_schema_version = *version;
  return Status::Ok();
}

// Every record of an older schema is a valid record of this one
// (record_format.h), so the upgrade is the format record alone; written
// durably before any record of the new layouts, which an older build would
// misread, can be.
Status RocksDbStorage::Impl::UpgradeFormat() {
  if (stored_schema_version >= kSchemaVersion) return Status::Ok();
  rocksdb::WriteOptions sync;
  sync.sync = true;
  rocksdb::Status s = db->Put(sync, fmt::kFormatKey, fmt::EncodeFormat(kSchemaVersion));
  if (!s.ok())
    return FromRocks(s, path,
                     "cannot raise the format record to schema version " +
                         std::to_string(kSchemaVersion));
  stored_schema_version = kSchemaVersion;
  return Status::Ok();
}

// A database without a format record: foreign unless it is empty.
Status RocksDbStorage::Impl::ClaimEmptyDatabase() {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  it->SeekToFirst();
  if (it->Valid()) {
    return Fail(StatusCode::kCorruption, path,
                "a RocksDB database without a gossipmonger format record (first key '" +
                    fmt::Printable(std::string_view(it->key().data(), it->key().size())) +
                    "'); not a gossipmonger database");
  }
  if (!it->status().ok())
    return FromRocks(it->status(), path, "cannot read the database");
  // Empty: new (or its creation was interrupted before anything was
  // stored). Claim it, durably, before anything else is written.
  rocksdb::WriteOptions sync;
  sync.sync = true;
  rocksdb::Status s = db->Put(sync, fmt::kFormatKey, fmt::EncodeFormat(kSchemaVersion));
  if (!s.ok()) return FromRocks(s, path, "cannot write the format record");
  stored_schema_version = kSchemaVersion;
  return Status::Ok();
}

Status RocksDbStorage::Open(const std::string& path, const RocksDbStorageOptions& options,
                            std::unique_ptr<RocksDbStorage>* out) {
  if (path.empty()) {
    return Status::Error(StatusCode::kInvalidArgument,
                         "RocksDB storage: the path is empty");
  }
  if (out == nullptr) {
    return Status::Error(StatusCode::kInvalidArgument, "RocksDB storage: `out` is null");
  }
  if (options.max_background_jobs < 1) {
    return Fail(StatusCode::kInvalidArgument, path,
                "max_background_jobs must be at least 1");
  }
  DirState state = DirState::kMissing;
  Status inspected = Inspect(path, options.create_if_missing, &state);
  if (!inspected.ok()) return inspected;
  if (state == DirState::kMissing) {
    Status made = MakeDirectory(path);
    if (!made.ok()) return made;
  }

  auto impl = std::make_unique<Impl>(path, options);
  impl->db_options = MakeDbOptions(options, MakeLogger(path, options));
  impl->db_options.create_if_missing = state != DirState::kDatabase;
  const rocksdb::Status opened = impl->OpenDb();
  if (!opened.ok()) return OpenFailure(path, state, opened);
  impl->db_options.create_if_missing = false;  // a reopen after a failure
  Status checked = impl->CheckFormat();
  if (!checked.ok()) return checked;
  Status loaded = impl->Load();
  if (loaded.ok()) loaded = impl->UpgradeFormat();
  if (!loaded.ok()) return loaded;
  out->reset(new RocksDbStorage(std::move(impl)));
  return Status::Ok();
}

Status RocksDbStorage::Destroy(const std::string& path) {
  if (path.empty()) {
    return Status::Error(StatusCode::kInvalidArgument,
                         "RocksDB storage: the path is empty");
  }
  std::error_code ec;
  if (!fs::exists(path, ec)) return Status::Ok();
  rocksdb::Options options;
  options.info_log = std::make_shared<rdb_detail::NullLogger>();
  rocksdb::Status s = rocksdb::DestroyDB(path, options);
  if (!s.ok()) return FromRocks(s, path, "cannot destroy the database");
  fs::remove(fs::path(path) / "LOG", ec);
  fs::remove(fs::path(path) / "LOG.old", ec);
  fs::remove(path, ec);  // only if empty: never anything that is not ours
  return Status::Ok();
}

}  // namespace gossipmonger
