// RocksDB's diagnostic log, written by us.
//
// Why not RocksDB's own logger: it writes through a WritableFileWriter that
// asserts when it is used again after a failed write, and Debian's
// librocksdb is built with assertions enabled; so on a full disk the next
// line RocksDB logs aborts the whole process. A gossip node must report a
// full disk through its `error` event and keep gossiping from memory, so
// this logger ignores its own write errors instead.
#pragma once

#include <cstddef>
#include <cstdio>
#include <mutex>
#include <string>

#include <rocksdb/env.h>

namespace gossipmonger::rdb_detail {

// Appends to `<directory>/LOG`; renames it to `LOG.old` (replacing the
// previous one) when it grows beyond `max_bytes`. Thread-safe: RocksDB logs
// from its background threads. Every failure is ignored.
class InfoLogger final : public rocksdb::Logger {
 public:
  InfoLogger(std::string directory, std::size_t max_bytes);
  ~InfoLogger() override;

  using rocksdb::Logger::Logv;
  void Logv(rocksdb::InfoLogLevel level, const char* format, va_list ap) override;
  void Logv(const char* format, va_list ap) override;
  void Flush() override;
  std::size_t GetLogFileSize() const override;

 protected:
  rocksdb::Status CloseImpl() override;

 private:
  void OpenLocked();
  void RotateLocked();

  const std::string path_;
  const std::string old_path_;
  const std::size_t max_bytes_;
  mutable std::mutex mutex_;
  std::FILE* file_ = nullptr;
  std::size_t size_ = 0;
};

// Drops everything (RocksDbStorageOptions::info_log = false).
class NullLogger final : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  void Logv(rocksdb::InfoLogLevel, const char*, va_list) override {}
  void Logv(const char*, va_list) override {}
};

}  // namespace gossipmonger::rdb_detail
