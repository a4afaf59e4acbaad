// Bad states at Open: each gives a clear Status, never a crash, and never
// touches a file that is not ours (no silent reset).
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "gossipmonger/sqlite_storage.h"
#include "sqlite/test_util.h"

using namespace gossipmonger;
using namespace gossipmonger::sqlite_test;

namespace {

Status TryOpen(const std::string& path, const SqliteStorageOptions& options = {}) {
  std::unique_ptr<SqliteStorage> storage;
  Status status = SqliteStorage::Open(path, options, &storage);
  CHECK((storage != nullptr) == status.ok());
  return status;
}

// A database of ours with a few peers, closed.
void MakeDatabase(const std::string& path, int peers = 3, int keys = 10) {
  auto storage = OpenOrFail(path);
  for (int p = 0; p < peers; ++p) {
    const std::string id = "peer-" + std::to_string(p);
    REQUIRE(storage->PutPeer({id, "addr", Generation(1), true}).ok());
    std::vector<KeyDelta> deltas;
    for (int k = 0; k < keys; ++k) {
      deltas.push_back({"key-" + std::to_string(k),
                        std::string(100, static_cast<char>('a' + k % 26)),
                        Version(static_cast<std::uint64_t>(k + 1))});
    }
    REQUIRE(
        storage->PutDeltas(id, deltas, Version(static_cast<std::uint64_t>(keys))).ok());
  }
}

// The database file and its companions, to prove an Open changed nothing.
std::vector<std::string> FilesOf(const std::string& path) {
  std::vector<std::string> state;
  for (const char* suffix : {"", "-wal", "-journal", "-shm"}) {
    const std::string file = path + suffix;
    state.push_back(std::filesystem::exists(file) ? ReadFile(file)
                                                  : std::string("<none>"));
  }
  return state;
}

bool Mentions(const Status& status, const std::string& text) {
  return status.message().find(text) != std::string::npos;
}

constexpr uid_t kNobody = 65534;

}  // namespace

TEST_CASE("a file of random bytes is refused as kCorruption and left untouched") {
  ScratchDir dir;
  const std::string path = dir.File("random.db");
  std::mt19937 rng(7);
  std::string bytes(64 * 1024, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  WriteFile(path, bytes);
  const auto before = FilesOf(path);
  const Status status = TryOpen(path);
  INFO(status.ToString());
  CHECK(status.code() == StatusCode::kCorruption);
  CHECK(Mentions(status, path));
  CHECK(Mentions(status, "not a SQLite database"));
  CHECK(FilesOf(path) == before);
}

TEST_CASE("a short text file is refused as kCorruption") {
  ScratchDir dir;
  const std::string path = dir.File("notes.txt");
  WriteFile(path, "hello, this is not a database\n");
  const auto before = FilesOf(path);
  const Status status = TryOpen(path);
  INFO(status.ToString());
  CHECK(status.code() == StatusCode::kCorruption);
  CHECK(FilesOf(path) == before);
}

TEST_CASE("a SQLite database of another application is refused and left untouched") {
  ScratchDir dir;
  const std::string path = dir.File("foreign.db");
  SECTION("other tables, no application_id") {
    ExecSql(path,
            "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL);"
            "INSERT INTO invoices VALUES (1, 9.5);");
    const auto before = FilesOf(path);
    const Status status = TryOpen(path);
    INFO(status.ToString());
    CHECK(status.code() == StatusCode::kCorruption);
    CHECK(Mentions(status, "not a gossipmonger database"));
    CHECK(Mentions(status, "invoices"));
    CHECK(FilesOf(path) == before);
  }
  SECTION("another application_id, no tables") {
    ExecSql(path, "PRAGMA application_id = 1234;");
    const auto before = FilesOf(path);
    const Status status = TryOpen(path);
    INFO(status.ToString());
    CHECK(status.code() == StatusCode::kCorruption);
    CHECK(Mentions(status, "0x000004d2"));
    CHECK(FilesOf(path) == before);
  }
  SECTION("tables named like ours, but no application_id") {
    ExecSql(path, "CREATE TABLE peers (id); CREATE TABLE data (x);");
    const auto before = FilesOf(path);
    CHECK(TryOpen(path).code() == StatusCode::kCorruption);
    CHECK(FilesOf(path) == before);
  }
}

TEST_CASE("a database of a newer schema version is kNotSupported and left untouched") {
  ScratchDir dir;
  const std::string path = dir.File("newer.db");
  MakeDatabase(path);
  ExecSql(path,
          "PRAGMA user_version = " + std::to_string(SqliteStorage::kSchemaVersion + 1));
  const auto before = FilesOf(path);
  const Status status = TryOpen(path);
  INFO(status.ToString());
  CHECK(status.code() == StatusCode::kNotSupported);
  // Both versions, and what to do.
  const std::string newer = std::to_string(SqliteStorage::kSchemaVersion + 1);
  CHECK(Mentions(status, "schema version " + newer));
  CHECK(Mentions(
      status, "reads versions up to " + std::to_string(SqliteStorage::kSchemaVersion)));
  CHECK(Mentions(status, "open it with a gossipmonger that knows version " + newer));
  CHECK(Mentions(status, path));
  CHECK(FilesOf(path) == before);
}

TEST_CASE("a database of ours whose content is inconsistent is kCorruption") {
  ScratchDir dir;
  const std::string path = dir.File("bad.db");
  MakeDatabase(path);
  SECTION("data above max_version_seen") {
    ExecSql(path,
            "UPDATE data SET version = 99 WHERE peer = CAST('peer-1' AS BLOB) AND key = "
            "CAST('key-3' AS BLOB)");
  }
  SECTION("two keys with one version") {
    ExecSql(path,
            "UPDATE data SET version = 2 WHERE peer = CAST('peer-0' AS BLOB) AND key = "
            "CAST('key-5' AS BLOB)");
  }
  SECTION("data of an unknown peer") {
    ExecSql(path,
            "INSERT INTO data (peer, key, value, version) VALUES (CAST('ghost' AS BLOB), "
            "CAST('k' AS BLOB), CAST('v' AS BLOB), 1)");
  }
  SECTION("a value of the wrong type") {
    ExecSql(path,
            "UPDATE peers SET generation = 'soon' WHERE id = CAST('peer-2' AS BLOB)");
  }
  SECTION("an entry of an unknown kind") {
    ExecSql(path, "UPDATE data SET kind = 3 WHERE peer = CAST('peer-0' AS BLOB)");
  }
  SECTION("a forgotten row of the wrong type") {
    ExecSql(path, "INSERT INTO forgotten VALUES (CAST('gone' AS BLOB), 'two', 5)");
  }
  SECTION("a missing meta table") { ExecSql(path, "DROP TABLE meta"); }
  SECTION("a missing data table") { ExecSql(path, "DROP TABLE data"); }
  SECTION("a missing forgotten table") { ExecSql(path, "DROP TABLE forgotten"); }
  const Status status = TryOpen(path);
  INFO(status.ToString());
  CHECK(status.code() == StatusCode::kCorruption);
  CHECK(Mentions(status, path));
}

TEST_CASE("a damaged database file gives kCorruption, never a crash") {
  ScratchDir dir;
  const std::string path = dir.File("damaged.db");
  MakeDatabase(path, 20, 200);  // ~400 KiB: many b-tree pages
  std::string bytes = ReadFile(path);
  REQUIRE(bytes.size() > 40 * 4096);
  const bool paranoid = GENERATE(false, true);
  SECTION("garbage over interior pages") {
    std::mt19937 rng(11);
    for (std::size_t i = 4 * 4096; i < 40 * 4096; ++i)
      bytes[i] = static_cast<char>(rng());
  }
  SECTION("the file cut in half") { bytes.resize(bytes.size() / 2); }
  SECTION("page 1 damaged after the header") {
    for (std::size_t i = 100; i < 4096; ++i) bytes[i] = '\x5a';
  }
  WriteFile(path, bytes);
  SqliteStorageOptions options;
  options.paranoid_checks = paranoid;
  const Status status = TryOpen(path, options);
  INFO(status.ToString());
  CHECK(status.code() == StatusCode::kCorruption);
}

TEST_CASE("a database open in this process is kBusy for a second SqliteStorage") {
  ScratchDir dir;
  const std::string path = dir.File("busy.db");
  {
    auto first = OpenOrFail(path);
    REQUIRE(first->PutPeer({"p", "x", Generation(1), true}).ok());
    const Status second = TryOpen(path);
    INFO(second.ToString());
    CHECK(second.code() == StatusCode::kBusy);
    CHECK(Mentions(second, path));
    // The first one is unharmed and keeps writing.
    REQUIRE(
        first->PutDeltas("p", std::vector<KeyDelta>{{"k", "v", Version(1)}}, Version(1))
            .ok());
    REQUIRE(first->Flush().ok());
  }
  auto again = OpenOrFail(path);  // released on close
  CHECK(again->Get("p")->data.at("k").value == "v");
}

TEST_CASE("a database held by another process is kBusy") {
  ScratchDir dir;
  const std::string path = dir.File("shared.db");
  MakeDatabase(path, 1, 1);

  SECTION("a child holds it, this process tries") {
    int ready[2];
    int release[2];
    REQUIRE(::pipe(ready) == 0);
    REQUIRE(::pipe(release) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      std::unique_ptr<SqliteStorage> storage;
      const bool opened = SqliteStorage::Open(path, {}, &storage).ok();
      const char signal = opened ? 'y' : 'n';
      (void)!::write(ready[1], &signal, 1);
      char ignored;
      (void)!::read(release[0], &ignored, 1);  // until the parent is done
      storage.reset();
      ::_exit(opened ? 0 : 1);
    }
    char signal = 0;
    REQUIRE(::read(ready[0], &signal, 1) == 1);
    REQUIRE(signal == 'y');
    const Status status = TryOpen(path);
    const char go = 'g';
    REQUIRE(::write(release[1], &go, 1) == 1);
    int wstatus = 0;
    REQUIRE(::waitpid(child, &wstatus, 0) == child);
    for (int fd : {ready[0], ready[1], release[0], release[1]}) ::close(fd);
    INFO(status.ToString());
    CHECK(status.code() == StatusCode::kBusy);
    CHECK(Mentions(status, "in use by another process"));
    CHECK(WIFEXITED(wstatus));
    CHECK(WEXITSTATUS(wstatus) == 0);
    OpenOrFail(path);  // free again once the child is gone
  }
  SECTION("this process holds it, a child tries") {
    auto holder = OpenOrFail(path);
    const ChildStatus tried = StatusFromChild([&] { return TryOpen(path); });
    REQUIRE(tried.completed);
    INFO(tried.message);
    CHECK(tried.code == StatusCode::kBusy);
  }
}

TEST_CASE("a missing directory is kIOError naming the path") {
  ScratchDir dir;
  const std::string path = dir.File("no/such/dir/node.db");
  const Status status = TryOpen(path);
  INFO(status.ToString());
  CHECK(status.code() == StatusCode::kIOError);
  CHECK(Mentions(status, path));
  CHECK(Mentions(status, "does not exist"));
  CHECK_FALSE(std::filesystem::exists(dir.File("no")));
}

TEST_CASE("create_if_missing = false: a missing file is kIOError") {
  ScratchDir dir;
  const std::string path = dir.File("absent.db");
  SqliteStorageOptions options;
  options.create_if_missing = false;
  const Status status = TryOpen(path, options);
  INFO(status.ToString());
  CHECK(status.code() == StatusCode::kIOError);
  CHECK(Mentions(status, path));
  CHECK_FALSE(std::filesystem::exists(path));
  MakeDatabase(path, 1, 1);
  CHECK(TryOpen(path, options).ok());
}

TEST_CASE("a directory where the file should be is kIOError") {
  ScratchDir dir;
  std::filesystem::create_directory(dir.File("adir.db"));
  const Status status = TryOpen(dir.File("adir.db"));
  INFO(status.ToString());
  CHECK(status.code() == StatusCode::kIOError);
  CHECK(Mentions(status, dir.File("adir.db")));
}

TEST_CASE("a read-only directory or file is kIOError naming the path") {
  // Root ignores permission bits, so as root the open runs in a child that
  // has given up root (setuid nobody); otherwise in a child as well, for
  // symmetry.
  ScratchDir dir;
  std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_all |
                                               std::filesystem::perms::group_read |
                                               std::filesystem::perms::group_exec |
                                               std::filesystem::perms::others_read |
                                               std::filesystem::perms::others_exec);
  const std::string ro_dir = dir.File("readonly");
  std::filesystem::create_directory(ro_dir);
  const std::string existing = ro_dir + "/existing.db";
  MakeDatabase(existing, 1, 1);
  const auto read_only =
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec |
      std::filesystem::perms::group_read | std::filesystem::perms::group_exec |
      std::filesystem::perms::others_read | std::filesystem::perms::others_exec;
  std::filesystem::permissions(ro_dir, read_only);
  std::filesystem::permissions(existing, std::filesystem::perms::owner_read |
                                             std::filesystem::perms::group_read |
                                             std::filesystem::perms::others_read);
  const auto before = FilesOf(existing);

  auto open_as_unprivileged = [&](const std::string& path) {
    return StatusFromChild([&] {
      if (::geteuid() == 0) {
        if (::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) {
          return Status::Error(StatusCode::kUnavailable, "cannot drop root");
        }
      }
      return TryOpen(path);
    });
  };
  SECTION("a new file in a read-only directory") {
    const std::string path = ro_dir + "/new.db";
    const ChildStatus result = open_as_unprivileged(path);
    REQUIRE(result.completed);
    INFO(result.message);
    CHECK(result.code == StatusCode::kIOError);
    CHECK(result.message.find(path) != std::string::npos);
    CHECK(result.message.find(ro_dir) != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(path));
  }
  SECTION("an existing read-only file in a read-only directory") {
    const ChildStatus result = open_as_unprivileged(existing);
    REQUIRE(result.completed);
    INFO(result.message);
    CHECK(result.code == StatusCode::kIOError);
    CHECK(result.message.find(existing) != std::string::npos);
    CHECK(FilesOf(existing) == before);
  }
}
