#include "sqlite/test_util.h"

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

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
    for (const auto& [key, value] : peer.data) data[key] = {value.value, value.version.value()};
    snapshot[peer.id] = {peer.address, peer.generation.value(), peer.max_version_seen.value(),
                         peer.live, std::move(data)};
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
