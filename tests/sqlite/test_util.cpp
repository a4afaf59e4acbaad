#include "sqlite/test_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace gossipmonger::sqlite_test {

ScratchDir::ScratchDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "gossipmonger-sqlite-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  // Restore permissions a test may have removed, then delete everything.
  std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::add, ec);
  for (const auto& entry : std::filesystem::directory_iterator(path_, ec)) {
    std::filesystem::permissions(entry.path(), std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
  }
  std::filesystem::remove_all(path_, ec);
}

std::unique_ptr<SqliteStorage> OpenOrFail(const std::string& path,
                                          const SqliteStorageOptions& options) {
  std::unique_ptr<SqliteStorage> storage;
  Status status = SqliteStorage::Open(path, options, &storage);
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

int RunInChild(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int code = 99;
    try {
      code = body();
    } catch (...) {
      code = 98;
    }
    ::_exit(code);
  }
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0) {
  }
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return -1;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace gossipmonger::sqlite_test

#include <sqlite3.h>

namespace gossipmonger::sqlite_test {

ChildStatus StatusFromChild(const std::function<Status()>& body) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const int exit_code = RunInChild([&] {
    ::close(fds[0]);
    const Status status = body();
    std::string report =
        std::to_string(static_cast<int>(status.code())) + "\n" + status.message();
    const char* data = report.data();
    std::size_t left = report.size();
    while (left > 0) {
      const ssize_t n = ::write(fds[1], data, left);
      if (n <= 0) return 3;
      data += n;
      left -= static_cast<std::size_t>(n);
    }
    ::close(fds[1]);
    return 0;
  });
  ::close(fds[1]);
  std::string report;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n <= 0) break;
    report.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  ChildStatus result;
  const auto newline = report.find('\n');
  if (exit_code != 0 || newline == std::string::npos) return result;
  result.completed = true;
  result.code = static_cast<StatusCode>(std::stoi(report.substr(0, newline)));
  result.message = report.substr(newline + 1);
  return result;
}

void ExecSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open(path.c_str(), &db);
  char* error = nullptr;
  if (rc == SQLITE_OK) rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error ? error : (db ? sqlite3_errmsg(db) : "open failed");
  sqlite3_free(error);
  sqlite3_close(db);
  INFO("SQL: " << sql << " -> " << message);
  REQUIRE(rc == SQLITE_OK);
}

}  // namespace gossipmonger::sqlite_test

namespace gossipmonger::sqlite_test {

std::filesystem::path FixtureDir() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  for (std::filesystem::path dir = exe.parent_path(); !ec && !dir.empty();
       dir = dir.parent_path()) {
    const std::filesystem::path candidate = dir / "tests" / "sqlite" / "fixtures";
    if (std::filesystem::is_directory(candidate)) return candidate;
    if (dir == dir.parent_path()) break;
  }
  FAIL("tests/sqlite/fixtures not found above " << exe.string());
  return {};
}

}  // namespace gossipmonger::sqlite_test
