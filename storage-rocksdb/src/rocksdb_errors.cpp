// RocksDbStorage's errors: every message names the database, and RocksDB's
// statuses map onto ours.
#include <string>

#include "rocksdb_impl.h"

namespace gossipmonger::rdb_detail {

Status Fail(StatusCode code, const std::string& path, const std::string& what) {
  return Status::Error(code, "RocksDB storage '" + path + "': " + what);
}

// RocksDB reports a held LOCK file as an IOError: "lock hold by current
// process" when this process holds it (RocksDB tracks its own locks, since
// fcntl locks do not conflict within a process), "While lock file: ...:
// Resource temporarily unavailable" when another process does. Other
// failures around the LOCK file (a read-only directory: "While open a file
// for lock") are plain I/O errors.
bool IsLockConflict(const rocksdb::Status& s) {
  if (!s.IsIOError()) return false;
  const std::string text = s.ToString();
  if (text.find("lock hold by current process") != std::string::npos) return true;
  return text.find("While lock file") != std::string::npos &&
         (text.find("Resource temporarily unavailable") != std::string::npos ||
          text.find("Permission denied") != std::string::npos);
}

Status FromRocks(const rocksdb::Status& s, const std::string& path,
                 const std::string& doing) {
  if (IsLockConflict(s)) {
    return Fail(
        StatusCode::kBusy, path,
        "the database is in use: another process, or another RocksDbStorage in this "
        "process, holds its LOCK file (" +
            s.ToString() + ")");
  }
  StatusCode code = StatusCode::kIOError;
  if (s.IsCorruption()) {
    code = StatusCode::kCorruption;
  } else if (s.IsNotSupported()) {
    code = StatusCode::kNotSupported;
  } else if (s.IsBusy() || s.IsTryAgain() || s.IsTimedOut()) {
    code = StatusCode::kBusy;
  } else if (s.IsInvalidArgument()) {
    code = StatusCode::kInvalidArgument;
  }
  return Fail(code, path, doing + ": " + s.ToString());
}

}  // namespace gossipmonger::rdb_detail
