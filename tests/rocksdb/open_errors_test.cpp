// Bad states at Open: each gives a clear Status (never a crash, never a
// silent reset) and leaves what it found untouched.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "gossipmonger/rocksdb_storage.h"
#include "rocksdb/rdb_test_util.h"

using namespace gossipmonger;
using namespace gossipmonger::rocksdb_test;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

// The documented layout (docs/storage-rocksdb.md), spelled out for ids
// without NUL bytes.
const std::string kFormatKey("\x00gossipmonger", 13);
std::string FormatValue(std::uint32_t version) {
  std::string value = "gossipmonger-rocksdb";
  for (int i = 0; i < 4; ++i)
    value.push_back(static_cast<char>((version >> (8 * i)) & 0xFF));
  return value;
}
std::string Fixed64(std::uint64_t v) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  return out;
}
std::string HeaderKey(const std::string& id) {
  return "p" + id + std::string("\x00\x01H", 3);
}
std::string DataKey(const std::string& id, const std::string& key) {
  return "p" + id + std::string("\x00\x01K", 3) + key;
}
std::string HeaderValue(std::uint64_t generation, std::uint64_t max_version, bool live,
                        const std::string& address) {
  return Fixed64(generation) + Fixed64(max_version) +
         std::string(1, live ? '\x01' : '\x00') + address;
}
std::string DataValue(std::uint64_t version, const std::string& value) {
  return Fixed64(version) + value;
}

// A small valid database: peer "a" with two keys.
void MakeDatabase(const std::string& path, int keys = 2) {
  auto storage = OpenOrFail(path);
  REQUIRE(storage->PutPeer({"a", "host:1", Generation(3), true}).ok());
  std::vector<KeyDelta> deltas;
  for (int k = 0; k < keys; ++k) {
    deltas.push_back({"key-" + std::to_string(k),
                      std::string(40, static_cast<char>('a' + k % 26)),
                      Version(static_cast<std::uint64_t>(k + 1))});
  }
  REQUIRE(
      storage->PutDeltas("a", deltas, Version(static_cast<std::uint64_t>(keys))).ok());
}

// The directory's files, without our diagnostic LOG (which a failed Open
// may append to).
std::map<std::string, std::string> DataFiles(const std::string& path) {
  auto files = ReadDirectory(path);
  files.erase("LOG");
  files.erase("LOG.old");
  return files;
}

// What "left untouched" means: for a directory RocksDB cannot open, every
// file is as it was; for a RocksDB database, every record is (RocksDB's own
// recovery at Open may rotate its log and MANIFEST files, which changes no
// record).
enum class Untouched { kFiles, kRecords };

void ExpectRefused(const std::string& path, StatusCode code,
                   const std::string& mentions = "",
                   Untouched untouched = Untouched::kFiles) {
  const auto files = DataFiles(path);
  std::vector<std::pair<std::string, std::string>> records;
  if (untouched == Untouched::kRecords) records = RawScan(path);
  const Status status = TryOpen(path);
  INFO(status.ToString());
  CHECK(status.code() == code);
  CHECK(status.message().find(path) != std::string::npos);
  if (!mentions.empty()) CHECK(status.message().find(mentions) != std::string::npos);
  // Nothing was created, deleted or rewritten to make the directory fit.
  if (untouched == Untouched::kFiles) {
    CHECK(DataFiles(path) == files);
  } else {
    CHECK(RawScan(path) == records);
  }
  // And the verdict does not change on a second try.
  CHECK(TryOpen(path).code() == code);
}

std::string FileStartingWith(const std::string& dir, const std::string& prefix) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0) return entry.path().string();
  }
  FAIL("no file " << prefix << "* in " << dir);
  return {};
}

std::string FileEndingWith(const std::string& dir, const std::string& suffix) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return entry.path().string();
    }
  }
  FAIL("no file *" << suffix << " in " << dir);
  return {};
}

void Overwrite(const std::string& file, std::size_t offset, const std::string& bytes) {
  std::string content = ReadFile(file);
  REQUIRE(content.size() >= offset + bytes.size());
  content.replace(offset, bytes.size(), bytes);
  WriteFile(file, content);
}

}  // namespace

// --- damaged databases --------------------------------------------------------

TEST_CASE("RocksDB Open: a damaged CURRENT file is kCorruption", "[rocksdb][open]") {
  ScratchDir dir;
  const std::string path = dir.Sub("db");
  MakeDatabase(path);
  SECTION("garbage") {
    WriteFile(path + "/CURRENT", std::string("\x01\x02garbage\xff", 10));
  }
  SECTION("empty") { WriteFile(path + "/CURRENT", ""); }
  ExpectRefused(path, StatusCode::kCorruption);
}

TEST_CASE("RocksDB Open: a damaged or missing MANIFEST is kCorruption",
          "[rocksdb][open]") {
  ScratchDir dir;
  const std::string path = dir.Sub("db");
  MakeDatabase(path);
  const std::string manifest = FileStartingWith(path, "MANIFEST-");
  SECTION("bytes overwritten") { Overwrite(manifest, 10, std::string(24, 'X')); }
  SECTION("truncated to nothing") { fs::resize_file(manifest, 0); }
  SECTION("removed") { fs::remove(manifest); }
  ExpectRefused(path, StatusCode::kCorruption);
}

TEST_CASE("RocksDB Open: a damaged table file is kCorruption", "[rocksdb][open]") {
  ScratchDir dir;
  const std::string path = dir.Sub("db");
  MakeDatabase(path, 3000);
  OpenOrFail(path).reset();  // the memtable is in a table file by now
  const std::string table = FileEndingWith(path, ".sst");
  const std::size_t size = fs::file_size(table);
  REQUIRE(size > 4096);
  Overwrite(table, size / 3, std::string(512, '\x5a'));
  const std::string damaged = ReadFile(table);
  for (int attempt = 0; attempt < 2; ++attempt) {
    const Status status = TryOpen(path);
    INFO(status.ToString());
    CHECK(status.code() == StatusCode::kCorruption);
    CHECK(status.message().find(path) != std::string::npos);
  }
  // The evidence stays: the damaged table was neither dropped nor repaired.
  CHECK(ReadFile(table) == damaged);
}

// --- foreign formats ------------------------------------------------------------

TEST_CASE("RocksDB Open: a directory of other files is refused, not adopted",
          "[rocksdb][open]") {
  ScratchDir dir;
  const std::string path = dir.Sub("other");
  fs::create_directory(path);
  WriteFile(path + "/data.bin", std::string("\x00\x01\x02\x03", 4));
  WriteFile(path + "/notes.txt", "someone else's files");
  ExpectRefused(path, StatusCode::kCorruption, "no CURRENT file");
  CHECK_FALSE(fs::exists(path + "/CURRENT"));
}

TEST_CASE("RocksDB Open: a regular file at the path is refused", "[rocksdb][open]") {
  ScratchDir dir;
  const std::string path = dir.Sub("gossip.db");
  WriteFile(path, "SQLite format 3\0 -- or anything else");
  const Status status = TryOpen(path);
  INFO(status.ToString());
  CHECK(status.code() == StatusCode::kCorruption);
  CHECK(status.message().find(path) != std::string::npos);
  CHECK(ReadFile(path) == "SQLite format 3\0 -- or anything else");
}

TEST_CASE("RocksDB Open: another application's RocksDB database is refused",
          "[rocksdb][open]") {
  ScratchDir dir;
  const std::string path = dir.Sub("foreign");
  SECTION("records but no format record") {
    RawPut(path, {{"user:1", "alice"}, {"user:2", "bob"}});
    ExpectRefused(path, StatusCode::kCorruption, "without a gossipmonger format record",
                  Untouched::kRecords);
  }
  SECTION("another column family") {
    RawPut(path, {{"k", "v"}}, "their-family");
    ExpectRefused(path, StatusCode::kCorruption, "not a gossipmonger database");
  }
  SECTION("a format record of another magic") {
    RawPut(path, {{kFormatKey, "something-else\x01\x00\x00\x00"}});
    ExpectRefused(path, StatusCode::kCorruption, "not gossipmonger's",
                  Untouched::kRecords);
  }
}

TEST_CASE("RocksDB Open: an empty RocksDB database is adopted", "[rocksdb][open]") {
  // Nothing to lose, and exactly what a crash between RocksDB creating the
  // database and this storage writing its format record leaves behind.
  ScratchDir dir;
  const std::string path = dir.Sub("empty");
  RawPut(path, {});
  {
    auto storage = OpenOrFail(path);
    CHECK(storage->PeerCount() == 0);
  }
  const auto records = RawScan(path);
  REQUIRE(records.size() == 1);
  CHECK(records[0].first == kFormatKey);
  CHECK(records[0].second == FormatValue(RocksDbStorage::kSchemaVersion));
}

TEST_CASE("RocksDB Open: the leftovers of an interrupted creation are not foreign",
          "[rocksdb][open]") {
  ScratchDir dir;
  const std::string path = dir.Sub("db");
  fs::create_directory(path);
  WriteFile(path + "/LOCK", "");
  WriteFile(path + "/LOG", "a line\n");
  WriteFile(path + "/IDENTITY", "0c7b0a5e\n");
  auto storage = OpenOrFail(path);
  CHECK(storage->PeerCount() == 0);
}

TEST_CASE("RocksDB Open: a newer schema version is kNotSupported", "[rocksdb][open]") {
  ScratchDir dir;
  const std::string path = dir.Sub("db");
  MakeDatabase(path);
  RawPut(path, {{kFormatKey, FormatValue(RocksDbStorage::kSchemaVersion + 1)}});
  const Status status = TryOpen(path);
  INFO(status.ToString());
  CHECK(status.code() == StatusCode::kNotSupported);
  // Both versions, and what to do.
  const std::string newer = std::to_string(RocksDbStorage::kSchemaVersion + 1);
  CHECK(status.message().find("schema version " + newer) != std::string::npos);
  CHECK(status.message().find("this build reads (" +
                              std::to_string(RocksDbStorage::kSchemaVersion) + ")") !=
        std::string::npos);
  CHECK(status.message().find("knows version " + newer) != std::string::npos);
  // Untouched: a newer build still finds its version.
  const auto records = RawScan(path);
  REQUIRE_FALSE(records.empty());
  CHECK(records[0].second == FormatValue(RocksDbStorage::kSchemaVersion + 1));
}

TEST_CASE("RocksDB Open: inconsistent records are kCorruption", "[rocksdb][open]") {
  ScratchDir dir;
  const std::string path = dir.Sub("db");
  MakeDatabase(path);  // peer "a": key-0 v1, key-1 v2, max 2
  std::string mentions;
  SECTION("a record of no known kind") {
    RawPut(path, {{"zzz", "?"}});
    mentions = "unknown record";
  }
  SECTION("data without its peer header") {
    RawPut(path, {{DataKey("b", "k"), DataValue(1, "v")}});
    mentions = "has no peer header";
  }
  SECTION("data above the header's max_version_seen") {
    RawPut(path, {{DataKey("a", "late"), DataValue(9, "v")}});
    mentions = "inconsistent";
  }
  SECTION("two keys with one version") {
    RawPut(path, {{DataKey("a", "twin"), DataValue(2, "v")}});
    mentions = "inconsistent";
  }
  SECTION("a malformed header") {
    RawPut(path, {{HeaderKey("a"), "short"}});
    mentions = "malformed header";
  }
  SECTION("a header whose live flag is neither 0 nor 1") {
    std::string value = HeaderValue(3, 2, true, "host:1");
    value[16] = '\x07';
    RawPut(path, {{HeaderKey("a"), value}});
    mentions = "malformed header";
  }
  SECTION("a malformed data record") {
    RawPut(path, {{DataKey("a", "key-0"), "1234"}});
    mentions = "malformed data record";
  }
  SECTION("a format record too short") {
    RawPut(path, {{kFormatKey, "gossipmonger-rocksdb"}});
    mentions = "not gossipmonger's";
  }
  ExpectRefused(path, StatusCode::kCorruption, mentions, Untouched::kRecords);
}

// --- locks ------------------------------------------------------------------------

TEST_CASE("RocksDB Open: a database open in this process is kBusy", "[rocksdb][open]") {
  ScratchDir dir;
  const std::string path = dir.Sub("db");
  auto first = OpenOrFail(path);
  REQUIRE(first->PutPeer({"a", "x", Generation(1), true}).ok());

  const Status second = TryOpen(path);
  INFO(second.ToString());
  CHECK(second.code() == StatusCode::kBusy);
  CHECK(second.message().find(path) != std::string::npos);
  CHECK(RocksDbStorage::Destroy(path).code() == StatusCode::kBusy);
  // The first one is unharmed and keeps working.
  CHECK(first->PutDeltas("a", std::vector<KeyDelta>{{"k", "v", Version(1)}}, Version(1))
            .ok());
  first.reset();
  auto again = OpenOrFail(path);
  CHECK(again->Get("a")->data.at("k").value == "v");
}

// Child: opens GM_RDB_PATH, reports 'R' and waits to be killed.
TEST_CASE("rocksdb child: hold the database", "[.child]") {
  auto storage = OpenOrFail(ChildEnv("GM_RDB_PATH"));
  Report(EncodeReport('R', storage->PeerCount()));
  std::this_thread::sleep_for(std::chrono::seconds(30));
}

TEST_CASE("RocksDB Open: a database open in another process is kBusy",
          "[rocksdb][open]") {
  ScratchDir dir;
  const std::string path = dir.Sub("db");
  MakeDatabase(path);
  Child child("rocksdb child: hold the database", {{"GM_RDB_PATH", path}});
  std::string reports;
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (reports.size() < 9 && Clock::now() < deadline) {
    if (!child.Read(&reports, deadline)) break;
  }
  INFO(child.output());
  REQUIRE(reports.size() >= 9);
  REQUIRE(reports[0] == 'R');

  const Status status = TryOpen(path);
  INFO(status.ToString());
  CHECK(status.code() == StatusCode::kBusy);
  CHECK(status.message().find(path) != std::string::npos);

  // The lock dies with its process: no stale lock to clean up by hand.
  child.Kill();
  CHECK(child.Wait() == 128 + SIGKILL);
  auto storage = OpenOrFail(path);
  CHECK(storage->Get("a")->max_version_seen == Version(2));
}

// --- paths ------------------------------------------------------------------------

TEST_CASE("RocksDB Open: a missing parent directory is kIOError naming the path",
          "[rocksdb][open]") {
  ScratchDir dir;
  const std::string path = dir.Sub("no/such/parent/db");
  const Status status = TryOpen(path);
  INFO(status.ToString());
  CHECK(status.code() == StatusCode::kIOError);
  CHECK(status.message().find(path) != std::string::npos);
  CHECK_FALSE(fs::exists(dir.Sub("no")));  // nothing created on the way
}

TEST_CASE("RocksDB Open: create_if_missing = false refuses to create",
          "[rocksdb][open]") {
  ScratchDir dir;
  RocksDbStorageOptions options;
  options.create_if_missing = false;
  const std::string path = dir.Sub("db");
  Status status = TryOpen(path, options);
  CHECK(status.code() == StatusCode::kIOError);
  CHECK(status.message().find(path) != std::string::npos);
  CHECK_FALSE(fs::exists(path));
  MakeDatabase(path);
  CHECK(TryOpen(path, options).ok());
}

TEST_CASE("RocksDB Open: an empty path is kInvalidArgument", "[rocksdb][open]") {
  CHECK(TryOpen("").code() == StatusCode::kInvalidArgument);
}

// Child: opens GM_RDB_PATH and reports the Status: 'C' code, then the text.
TEST_CASE("rocksdb child: open and report", "[.child]") {
  const Status status = TryOpen(ChildEnv("GM_RDB_PATH"));
  Report(EncodeReport('C', static_cast<std::uint64_t>(status.code())) +
         status.ToString());
}

namespace {

// Opens `path` as a user who may not write to it (in an unprivileged child
// when the tests run as root, since root ignores permissions).
Status OpenWithoutWriteAccess(const std::string& path) {
  if (::geteuid() != 0) return TryOpen(path);
  Child child("rocksdb child: open and report", {{"GM_RDB_PATH", path}},
              /*unprivileged=*/true);
  std::string bytes;
  child.ReadToEof(&bytes, Clock::now() + std::chrono::seconds(20));
  const int exit_code = child.Wait();
  INFO("child exit " << exit_code << ", output:\n" << child.output());
  REQUIRE(bytes.size() >= 9);
  REQUIRE(bytes[0] == 'C');
  std::string text = bytes.substr(9);
  return Status::Error(static_cast<StatusCode>(static_cast<unsigned char>(bytes[1])),
                       text);
}

}  // namespace

TEST_CASE("RocksDB Open: a read-only parent directory is kIOError naming the path",
          "[rocksdb][open]") {
  ScratchDir dir;
  const std::string parent = dir.Sub("readonly");
  fs::create_directory(parent);
  fs::permissions(parent, fs::perms::owner_read | fs::perms::owner_exec |
                              fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
  const std::string path = parent + "/db";
  const Status status = OpenWithoutWriteAccess(path);
  INFO(status.ToString());
  CHECK(status.code() == StatusCode::kIOError);
  CHECK(status.message().find(path) != std::string::npos);
  CHECK_FALSE(fs::exists(path));
}

TEST_CASE("RocksDB Open: a database in a read-only directory is kIOError, not kBusy",
          "[rocksdb][open]") {
  ScratchDir dir;
  const std::string path = dir.Sub("db");
  MakeDatabase(path);
  for (const auto& entry : fs::directory_iterator(path)) {
    fs::permissions(
        entry.path(),
        fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
        fs::perm_options::remove);
  }
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_exec |
                            fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
  const Status status = OpenWithoutWriteAccess(path);
  INFO(status.ToString());
  CHECK(status.code() == StatusCode::kIOError);
  CHECK(status.message().find(path) != std::string::npos);
}
