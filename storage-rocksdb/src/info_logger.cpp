#include "info_logger.h"

#include <sys/time.h>

#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <thread>
#include <vector>

namespace gossipmonger::rdb_detail {

namespace {
const char* LevelName(rocksdb::InfoLogLevel level) {
  switch (level) {
    case rocksdb::InfoLogLevel::DEBUG_LEVEL: return "DEBUG";
    case rocksdb::InfoLogLevel::INFO_LEVEL: return "INFO";
    case rocksdb::InfoLogLevel::WARN_LEVEL: return "WARN";
    case rocksdb::InfoLogLevel::ERROR_LEVEL: return "ERROR";
    case rocksdb::InfoLogLevel::FATAL_LEVEL: return "FATAL";
    case rocksdb::InfoLogLevel::HEADER_LEVEL: return "HEADER";
    default: return "?";
  }
}
}  // namespace

InfoLogger::InfoLogger(std::string directory, std::size_t max_bytes)
    : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL),
      path_(directory + "/LOG"),
      old_path_(directory + "/LOG.old"),
      max_bytes_(max_bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  OpenLocked();
}

InfoLogger::~InfoLogger() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
}

void InfoLogger::OpenLocked() {
  file_ = std::fopen(path_.c_str(), "ae");  // 'e': O_CLOEXEC
  size_ = 0;
  if (file_ != nullptr && std::fseek(file_, 0, SEEK_END) == 0) {
    const long at = std::ftell(file_);
    if (at > 0) size_ = static_cast<std::size_t>(at);
  }
}

void InfoLogger::RotateLocked() {
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
  std::rename(path_.c_str(), old_path_.c_str());
  OpenLocked();
}

void InfoLogger::Logv(const char* format, va_list ap) {
  Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
}

void InfoLogger::Logv(rocksdb::InfoLogLevel level, const char* format, va_list ap) {
  if (level < GetInfoLogLevel()) return;
  // "2026/11/26-16:07:01.123456 INFO message\n"
  struct timeval now;
  gettimeofday(&now, nullptr);
  struct tm parts;
  const time_t seconds = now.tv_sec;
  localtime_r(&seconds, &parts);
  char prefix[64];
  const int prefix_size =
      std::snprintf(prefix, sizeof prefix, "%04d/%02d/%02d-%02d:%02d:%02d.%06ld %s ",
                    parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
                    parts.tm_min, parts.tm_sec, static_cast<long>(now.tv_usec), LevelName(level));
  if (prefix_size < 0) return;

  va_list copy;
  va_copy(copy, ap);
  const int body_size = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  if (body_size < 0) return;
  std::vector<char> line(static_cast<std::size_t>(prefix_size) +
                         static_cast<std::size_t>(body_size) + 2);
  std::copy(prefix, prefix + prefix_size, line.begin());
  std::vsnprintf(line.data() + prefix_size, static_cast<std::size_t>(body_size) + 1, format, ap);
  std::size_t length = static_cast<std::size_t>(prefix_size + body_size);
  if (length == 0 || line[length - 1] != '\n') line[length++] = '\n';

  std::lock_guard<std::mutex> lock(mutex_);
  if (size_ > max_bytes_) RotateLocked();
  if (file_ == nullptr) return;
  size_ += std::fwrite(line.data(), 1, length, file_);
  // Flush at once: a crash must not lose the lines that explain it. A failed
  // write sets the stream's error flag; clear it so the next line is tried.
  std::fflush(file_);
  std::clearerr(file_);
}

void InfoLogger::Flush() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (file_ != nullptr) {
    std::fflush(file_);
    std::clearerr(file_);
  }
}

std::size_t InfoLogger::GetLogFileSize() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return size_;
}

rocksdb::Status InfoLogger::CloseImpl() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
  return rocksdb::Status::OK();
}

}  // namespace gossipmonger::rdb_detail
