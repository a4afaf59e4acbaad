#include "rocksdb/rdb_test_util.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace gossipmonger::rocksdb_test {

namespace fs = std::filesystem;

ScratchDir::ScratchDir() {
  std::string pattern = (fs::temp_directory_path() / "gm-rocksdb-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
  }
  path_ = pattern;
  ::chmod(path_.c_str(), 0755);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  // A test may have made a directory read-only; give write access back so
  // that removal works for a non-root user too.
  for (auto it = fs::recursive_directory_iterator(path_, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec))
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
  }
  fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(path_, ec);
}

Status TryOpen(const std::string& path, const RocksDbStorageOptions& options) {
  std::unique_ptr<RocksDbStorage> storage;
  return RocksDbStorage::Open(path, options, &storage);
}

std::unique_ptr<RocksDbStorage> OpenOrFail(const std::string& path,
                                           const RocksDbStorageOptions& options) {
  std::unique_ptr<RocksDbStorage> storage;
  const Status status = RocksDbStorage::Open(path, options, &storage);
  INFO(status.ToString());
  REQUIRE(status.ok());
  REQUIRE(storage != nullptr);
  return storage;
}

Snapshot TakeSnapshot(const Storage& storage) {
  Snapshot snapshot;
  storage.ForEachPeer([&](const PeerRecord& peer) {
    std::map<std::string, std::pair<std::string, std::uint64_t>> data;
    for (const auto& [key, value] : peer.data)
      data[key] = {value.value, value.version.value()};
    snapshot[peer.id] = {peer.address, peer.generation.value(),
                         peer.max_version_seen.value(), peer.live, std::move(data)};
  });
  return snapshot;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

std::map<std::string, std::string> ReadDirectory(const std::string& path) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(path)) {
    if (entry.is_regular_file())
      files[entry.path().filename().string()] = ReadFile(entry.path());
  }
  return files;
}

void RawPut(const std::string& path,
            const std::vector<std::pair<std::string, std::string>>& records,
            const std::string& extra_column_family) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, path, &raw);
  INFO(s.ToString());
  REQUIRE(s.ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  if (!extra_column_family.empty()) {
    rocksdb::ColumnFamilyHandle* handle = nullptr;
    s = db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), extra_column_family,
                               &handle);
    REQUIRE(s.ok());
    REQUIRE(db->Put(rocksdb::WriteOptions(), handle, "in-the-family", "x").ok());
    REQUIRE(db->DestroyColumnFamilyHandle(handle).ok());
  }
  for (const auto& [key, value] : records) {
    REQUIRE(db->Put(rocksdb::WriteOptions(), key, value).ok());
  }
  REQUIRE(db->Close().ok());
}

std::vector<std::pair<std::string, std::string>> RawScan(const std::string& path) {
  rocksdb::Options options;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, path, &raw);
  INFO(s.ToString());
  REQUIRE(s.ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::vector<std::pair<std::string, std::string>> records;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    records.emplace_back(it->key().ToString(), it->value().ToString());
  }
  REQUIRE(it->status().ok());
  it.reset();
  REQUIRE(db->Close().ok());
  return records;
}

// --- Child --------------------------------------------------------------------

Child::Child(const std::string& test_name, const std::map<std::string, std::string>& env,
             bool unprivileged) {
  // Everything the child needs is prepared before fork(): after it, only
  // async-signal-safe calls.
  const std::string exe = fs::read_symlink("/proc/self/exe").string();
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    if (env.count(name) == 0) env_strings.push_back(entry);
  }
  for (const auto& [name, value] : env) env_strings.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (std::string& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::string arg0 = exe;
  std::string arg1 = test_name;
  char* argv[] = {arg0.data(), arg1.data(), nullptr};

  std::string output_pattern =
      (fs::temp_directory_path() / "gm-rocksdb-child-XXXXXX").string();
  const int out_fd = ::mkstemp(output_pattern.data());
  REQUIRE(out_fd >= 0);
  output_path_ = output_pattern;
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);

  pid_ = ::fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    ::dup2(out_fd, 1);
    ::dup2(out_fd, 2);
    if (fds[1] == 3) {
      ::fcntl(3, F_SETFD, 0);
    } else {
      ::dup2(fds[1], 3);  // the copy does not inherit O_CLOEXEC
    }
    if (unprivileged && ::geteuid() == 0) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) {
        ::_exit(126);
      }
    }
    ::execve(exe.c_str(), argv, envp.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  ::close(out_fd);
  read_fd_ = fds[0];
}

Child::~Child() {
  if (!reaped_) {
    Kill();
    Wait();
  }
  if (read_fd_ >= 0) ::close(read_fd_);
  std::error_code ec;
  fs::remove(output_path_, ec);
}

bool Child::Read(std::string* out, std::chrono::steady_clock::time_point deadline) {
  const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  pollfd p{read_fd_, POLLIN, 0};
  const int ready = ::poll(&p, 1, static_cast<int>(std::max<long>(0, remaining.count())));
  if (ready <= 0) return true;
  char buffer[65536];
  const ssize_t n = ::read(read_fd_, buffer, sizeof buffer);
  if (n == 0) return false;
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  out->append(buffer, static_cast<std::size_t>(n));
  return true;
}

void Child::ReadToEof(std::string* out, std::chrono::steady_clock::time_point deadline) {
  while (std::chrono::steady_clock::now() < deadline) {
    if (!Read(out, deadline)) return;
  }
}

void Child::Kill() {
  if (!reaped_ && pid_ > 0) ::kill(pid_, SIGKILL);
}

int Child::Wait() {
  if (!reaped_) {
    while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
  }
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
  return -1;
}

std::string Child::output() const { return ReadFile(output_path_); }

std::string ChildEnv(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

void Report(const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(3, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    REQUIRE(n > 0);
    done += static_cast<std::size_t>(n);
  }
}

std::string EncodeReport(char kind, std::uint64_t value) {
  std::string bytes(1, kind);
  for (int i = 0; i < 8; ++i)
    bytes.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
  return bytes;
}

std::vector<std::pair<char, std::uint64_t>> DecodeReports(std::string* buffer) {
  std::vector<std::pair<char, std::uint64_t>> reports;
  std::size_t at = 0;
  for (; at + 9 <= buffer->size(); at += 9) {
    std::uint64_t value = 0;
    for (int i = 7; i >= 0; --i) {
      value = (value << 8) |
              static_cast<unsigned char>((*buffer)[at + 1 + static_cast<std::size_t>(i)]);
    }
    reports.emplace_back((*buffer)[at], value);
  }
  buffer->erase(0, at);
  return reports;
}

}  // namespace gossipmonger::rocksdb_test

namespace gossipmonger::rocksdb_test {

std::filesystem::path FixtureDir() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  for (std::filesystem::path dir = exe.parent_path(); !ec && !dir.empty();
       dir = dir.parent_path()) {
    const std::filesystem::path candidate = dir / "tests" / "rocksdb" / "fixtures";
    if (std::filesystem::is_directory(candidate)) return candidate;
    if (dir == dir.parent_path()) break;
  }
  FAIL("tests/rocksdb/fixtures not found above " << exe.string());
  return {};
}

}  // namespace gossipmonger::rocksdb_test
