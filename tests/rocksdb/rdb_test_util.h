// Helpers shared by the RocksDB storage tests: scratch directories, child
// processes, raw RocksDB access and storage snapshots.
//
// Child processes. RocksDB starts background threads the first time a
// database is opened and keeps them for the life of the process, and a
// fork()ed child of a multi-threaded process may only call async-signal-safe
// functions. So a test that needs another process (a writer to kill, a
// second lock holder, an unprivileged opener) forks and at once exec()s this
// test executable again, running one hidden test case ("[.child]") that
// reads its parameters from the environment and reports through file
// descriptor 3.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "gossipmonger/rocksdb_storage.h"
#include "gossipmonger/storage.h"

namespace gossipmonger::rocksdb_test {

// A fresh directory under the system temp dir (mode 0755, so that an
// unprivileged child can traverse it), removed recursively on destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string Sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

std::unique_ptr<RocksDbStorage> OpenOrFail(const std::string& path,
                                           const RocksDbStorageOptions& options = {});
Status TryOpen(const std::string& path, const RocksDbStorageOptions& options = {});

// A storage's whole content as plain values, for comparisons:
// id -> (address, generation, max_version_seen, live, key -> (value, version)).
using Snapshot =
    std::map<std::string,
             std::tuple<std::string, std::uint64_t, std::uint64_t, bool,
                        std::map<std::string, std::pair<std::string, std::uint64_t>>>>;
Snapshot TakeSnapshot(const Storage& storage);

// Every file of a directory (name -> bytes), to show that a refused Open
// changed nothing.
std::map<std::string, std::string> ReadDirectory(const std::string& path);
// The checked-in fixtures of tests/rocksdb/fixtures: found by walking up from
// this executable (the build directory lies inside the source tree),
// because ccache's base_dir makes __FILE__ relative. Fails the test if
// there is none.
std::filesystem::path FixtureDir();

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& bytes);

// --- raw RocksDB, for databases this storage would never write ------------
// Creates (or opens) a plain RocksDB database and puts `records`; with
// `extra_column_family`, also creates a column family of that name.
void RawPut(const std::string& path,
            const std::vector<std::pair<std::string, std::string>>& records,
            const std::string& extra_column_family = "");
// Every record of a RocksDB database, in key order.
std::vector<std::pair<std::string, std::string>> RawScan(const std::string& path);

// --- child processes ----------------------------------------------------------
class Child {
 public:
  // Runs the hidden test case `test_name` of this executable in a new
  // process with `env` added to its environment. The child's file
  // descriptor 3 is the write end of a pipe whose read end is fd(); its
  // stdout and stderr go to a file whose text output() returns. With
  // `unprivileged`, a child of root gives up root (uid/gid 65534) first.
  Child(const std::string& test_name, const std::map<std::string, std::string>& env,
        bool unprivileged = false);
  ~Child();  // kills (SIGKILL) and reaps the child if it still runs
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  int fd() const { return read_fd_; }
  // Waits at most until `deadline` for the child to write to fd 3, then
  // appends what it wrote (without blocking further) to `*out`. Returns
  // false once the pipe is at EOF (the child exited or was killed).
  bool Read(std::string* out, std::chrono::steady_clock::time_point deadline);
  // Reads until EOF (or `deadline`).
  void ReadToEof(std::string* out, std::chrono::steady_clock::time_point deadline);
  void Kill();
  // Waits for the child; returns its exit code, or 128 + signal.
  int Wait();
  std::string output() const;

 private:
  pid_t pid_ = -1;
  int read_fd_ = -1;
  std::string output_path_;
  bool reaped_ = false;
  int status_ = 0;
};

// In a child: the value of environment variable `name` ("" if unset), and
// writing to the report descriptor (fd 3).
std::string ChildEnv(const char* name);
void Report(const std::string& bytes);

// Fixed-size reports (kind, 64-bit value): a write of 9 bytes to a pipe is
// atomic, so a child killed at any moment never leaves half a report.
std::string EncodeReport(char kind, std::uint64_t value);
std::vector<std::pair<char, std::uint64_t>> DecodeReports(std::string* buffer);

}  // namespace gossipmonger::rocksdb_test
