// Helpers shared by the SQLite storage tests: scratch directories, child
// processes, and comparison of storages.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "gossipmonger/sqlite_storage.h"
#include "gossipmonger/storage.h"

namespace gossipmonger::sqlite_test {

// A fresh directory under the system temp dir, removed (recursively) on
// destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

std::unique_ptr<SqliteStorage> OpenOrFail(const std::string& path,
                                          const SqliteStorageOptions& options = {});

// A storage's whole content as plain values, for comparisons.
using Snapshot =
    std::map<std::string,
             std::tuple<std::string, std::uint64_t, std::uint64_t, bool,
                        std::map<std::string, std::pair<std::string, std::uint64_t>>>>;
Snapshot TakeSnapshot(const Storage& storage);

// Runs `body` in a forked child and returns its exit code (or 128 + signal).
// The child never returns into the test framework: it _exits with the
// value `body` returns.
int RunInChild(const std::function<int()>& body);

// The checked-in fixtures of tests/sqlite/fixtures: found by walking up from
// this executable (the build directory lies inside the source tree),
// because ccache's base_dir makes __FILE__ relative. Fails the test if
// there is none.
std::filesystem::path FixtureDir();

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& bytes);

}  // namespace gossipmonger::sqlite_test

namespace gossipmonger::sqlite_test {

// Runs `body` in a forked child and brings back the Status it returns (code
// and message, through a pipe). `ok` false in `completed` if the child died
// before reporting.
struct ChildStatus {
  bool completed = false;
  StatusCode code = StatusCode::kOk;
  std::string message;
};
ChildStatus StatusFromChild(const std::function<Status()>& body);

// Raw SQLite helpers for building foreign, newer or damaged databases.
void ExecSql(const std::string& path, const std::string& sql);

}  // namespace gossipmonger::sqlite_test
