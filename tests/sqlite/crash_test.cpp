// Durability under kill -9. Children write and are killed with SIGKILL
// (no Flush, no destructor); the parent reopens the file and checks what a
// restarted node relies on:
//   - every write acknowledged durable is there (kSynchronous: the call
//     returned; kBatched: a later Flush returned);
//   - nothing is half-applied: max_version_seen matches the data exactly;
//   - versions never go backwards from one restart to the next.
#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "gossipmonger/sqlite_storage.h"
#include "sqlite/test_util.h"

using namespace gossipmonger;
using namespace gossipmonger::sqlite_test;

namespace {

// The workload is a pure function of the version, so the parent can tell
// exactly what the file must hold at any max_version_seen. Writes come in
// batches (one PutDeltas each) of 1 to 4 deltas; a batch starting at
// version s has 1 + s % 4 of them, so batch boundaries are fixed too.
std::uint64_t BatchSize(std::uint64_t start) { return 1 + start % 4; }
std::string KeyOf(std::uint64_t version) { return "k" + std::to_string(version * 7 % 97); }
std::string ValueOf(std::uint64_t version) {
  return std::to_string(version) + ":" +
         std::string(version * 37 % 300, static_cast<char>('a' + version % 26));
}

struct Model {
  std::uint64_t max_version = 0;
  std::map<std::string, std::pair<std::string, std::uint64_t>> data;

  // Advances to `target` batch by batch; false if `target` is not a batch
  // boundary (a half-applied batch).
  bool AdvanceTo(std::uint64_t target) {
    while (max_version < target) {
      const std::uint64_t start = max_version + 1;
      const std::uint64_t end = start + BatchSize(start) - 1;
      for (std::uint64_t v = start; v <= end; ++v) data[KeyOf(v)] = {ValueOf(v), v};
      max_version = end;
    }
    return max_version == target;
  }
};

constexpr const char* kSelf = "self";

// The child: resume from what the file holds, write batches forever,
// report every version acknowledged durable. Never returns normally.
[[noreturn]] void Writer(const std::string& path, SqliteStorageOptions options, int ack_fd) {
  std::unique_ptr<SqliteStorage> storage;
  if (!SqliteStorage::Open(path, options, &storage).ok()) ::_exit(2);
  if (storage->Get(kSelf) == nullptr) {
    if (!storage->PutPeer({kSelf, "addr", Generation(1), true}).ok()) ::_exit(3);
  }
  std::uint64_t version = storage->Get(kSelf)->max_version_seen.value();
  const bool batched = options.durability == SqliteDurability::kBatched;
  for (std::uint64_t batch = 1;; ++batch) {
    const std::uint64_t start = version + 1;
    const std::uint64_t end = start + BatchSize(start) - 1;
    std::vector<KeyDelta> deltas;
    for (std::uint64_t v = start; v <= end; ++v) deltas.push_back({KeyOf(v), ValueOf(v), Version(v)});
    if (!storage->PutDeltas(kSelf, deltas, Version(end)).ok()) ::_exit(4);
    version = end;
    if (batch % 25 == 0) {
      // A peer-row write now and then (a liveness or address change).
      if (!storage->PutPeer({kSelf, "addr-" + std::to_string(batch), Generation(1), true}).ok()) {
        ::_exit(5);
      }
    }
    bool acknowledged = !batched;
    if (batched && batch % 16 == 0) {  // a "gossip round"
      if (!storage->Flush().ok()) ::_exit(6);
      acknowledged = true;
    }
    if (acknowledged && ::write(ack_fd, &version, sizeof version) != sizeof version) ::_exit(7);
  }
}

struct KillResult {
  std::uint64_t acknowledged = 0;  // highest version reported durable
  int wait_status = 0;
};

// Forks a writer, lets it run for `run_for` (counted from the fork, or from
// its first acknowledgement if `from_first_ack`, so that the kill lands in
// the write loop however slow the machine is), SIGKILLs it, and collects
// its acknowledgements (read while it runs, so the pipe never fills).
KillResult RunAndKill(const std::string& path, const SqliteStorageOptions& options,
                      std::chrono::microseconds run_for, bool from_first_ack) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(fds[0]);
    Writer(path, options, fds[1]);
  }
  ::close(fds[1]);
  KillResult result;
  std::string pending;
  auto absorb = [&](const char* bytes, std::size_t size) {
    pending.append(bytes, size);
    while (pending.size() >= sizeof(std::uint64_t)) {
      std::uint64_t version = 0;
      std::memcpy(&version, pending.data(), sizeof version);
      result.acknowledged = std::max(result.acknowledged, version);
      pending.erase(0, sizeof version);
    }
  };
  char buffer[4096];
  // Waiting for a first acknowledgement is bounded too: a writer that makes
  // no progress in 20 s is a failure (acknowledged stays 0).
  auto deadline = std::chrono::steady_clock::now() +
                  (from_first_ack ? std::chrono::microseconds(std::chrono::seconds(20)) : run_for);
  bool waiting_for_ack = from_first_ack;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd poll_fd{fds[0], POLLIN, 0};
    if (::poll(&poll_fd, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n <= 0) break;  // the child died on its own: reported below
    absorb(buffer, static_cast<std::size_t>(n));
    if (waiting_for_ack && result.acknowledged > 0) {
      waiting_for_ack = false;
      deadline = std::chrono::steady_clock::now() + run_for;
    }
  }
  ::kill(child, SIGKILL);
  REQUIRE(::waitpid(child, &result.wait_status, 0) == child);
  for (;;) {  // what it acknowledged before dying
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n <= 0) break;
    absorb(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  return result;
}

void CheckMatchesModel(const Storage& storage, const Model& model) {
  const PeerRecord* self = storage.Get(kSelf);
  if (model.max_version == 0 && self == nullptr) return;
  REQUIRE(self != nullptr);
  REQUIRE(self->max_version_seen.value() == model.max_version);
  REQUIRE(self->generation == Generation(1));
  REQUIRE(self->address.rfind("addr", 0) == 0);
  REQUIRE(self->data.size() == model.data.size());
  for (const auto& [key, expected] : model.data) {
    auto it = self->data.find(key);
    REQUIRE(it != self->data.end());
    REQUIRE(it->second.value == expected.first);
    REQUIRE(it->second.version.value() == expected.second);
  }
}

void CrashLoop(SqliteStorageOptions options, int kills, std::uint64_t seed) {
  ScratchDir dir;
  const std::string path = dir.File("crash.db");
  std::mt19937_64 rng(seed);
  Model model;
  std::uint64_t previous = 0;
  for (int i = 0; i < kills; ++i) {
    // One kill in four at a random moment from the fork (it may hit Open,
    // WAL recovery or the first write); the others a random time after the
    // writer's first acknowledged write.
    const bool from_first_ack = i % 4 != 0;
    const auto run_for = std::chrono::microseconds(
        from_first_ack ? rng() % 60000 : 1000 + rng() % 120000);
    INFO("seed " << seed << ", kill " << i << " after " << run_for.count() << " us"
                 << (from_first_ack ? " from the first acknowledgement" : " from the fork"));
    const KillResult result = RunAndKill(path, options, run_for, from_first_ack);
    INFO("child wait status " << result.wait_status << ", acknowledged "
                               << result.acknowledged);
    REQUIRE(WIFSIGNALED(result.wait_status));  // not an error exit
    REQUIRE(WTERMSIG(result.wait_status) == SIGKILL);

    std::unique_ptr<SqliteStorage> storage;
    const Status opened = SqliteStorage::Open(path, options, &storage);
    INFO(opened.ToString());
    REQUIRE(opened.ok());
    const PeerRecord* self = storage->Get(kSelf);
    const std::uint64_t found = self == nullptr ? 0 : self->max_version_seen.value();
    INFO("found max_version_seen " << found << ", previous " << previous);
    REQUIRE(found >= previous);                // never backwards
    REQUIRE(found >= result.acknowledged);     // nothing acknowledged is lost
    REQUIRE(model.AdvanceTo(found));           // a batch boundary: no half batch
    CheckMatchesModel(*storage, model);        // exactly the data of that version
    // The writer resumed from `previous`: what it acknowledged is progress.
    if (from_first_ack) REQUIRE(result.acknowledged > previous);
    previous = found;
  }
}

}  // namespace

TEST_CASE("kSynchronous: a write that returned survives kill -9 without Flush") {
  ScratchDir dir;
  const std::string path = dir.File("sync.db");
  SqliteStorageOptions options;
  options.durability = SqliteDurability::kSynchronous;
  const int code = RunInChild([&] {
    std::unique_ptr<SqliteStorage> storage;
    if (!SqliteStorage::Open(path, options, &storage).ok()) return 1;
    if (!storage->PutPeer({"p", "addr", Generation(3), false}).ok()) return 2;
    if (!storage->PutDeltas("p", std::vector<KeyDelta>{{"k", "v", Version(1)}, {"j", "w", Version(2)}},
                            Version(2))
             .ok()) {
      return 3;
    }
    ::raise(SIGKILL);  // no Flush, no destructor
    return 4;
  });
  REQUIRE(code == 128 + SIGKILL);
  auto storage = OpenOrFail(path, options);
  const PeerRecord* peer = storage->Get("p");
  REQUIRE(peer != nullptr);
  CHECK(peer->generation == Generation(3));
  CHECK_FALSE(peer->live);
  CHECK(peer->max_version_seen == Version(2));
  CHECK(peer->data.at("k").value == "v");
  CHECK(peer->data.at("j").value == "w");
}

TEST_CASE("kBatched: kill -9 keeps what the last Flush committed, and nothing after it") {
  ScratchDir dir;
  const std::string path = dir.File("batched.db");
  SqliteStorageOptions options;  // kBatched by default
  REQUIRE(options.durability == SqliteDurability::kBatched);
  const int code = RunInChild([&] {
    std::unique_ptr<SqliteStorage> storage;
    if (!SqliteStorage::Open(path, options, &storage).ok()) return 1;
    if (!storage->PutPeer({"p", "addr", Generation(1), true}).ok()) return 2;
    for (std::uint64_t v = 1; v <= 10; ++v) {
      if (!storage->PutDeltas("p", std::vector<KeyDelta>{{"k" + std::to_string(v), "v", Version(v)}},
                              Version(v))
               .ok()) {
        return 3;
      }
    }
    if (!storage->Flush().ok()) return 4;
    for (std::uint64_t v = 11; v <= 15; ++v) {
      if (!storage->PutDeltas("p", std::vector<KeyDelta>{{"k" + std::to_string(v), "v", Version(v)}},
                              Version(v))
               .ok()) {
        return 5;
      }
    }
    if (!storage->PutPeer({"q", "later", Generation(1), true}).ok()) return 6;
    ::raise(SIGKILL);
    return 7;
  });
  REQUIRE(code == 128 + SIGKILL);
  auto storage = OpenOrFail(path, options);
  const PeerRecord* peer = storage->Get("p");
  REQUIRE(peer != nullptr);
  CHECK(peer->max_version_seen == Version(10));
  CHECK(peer->data.size() == 10);
  CHECK(peer->data.count("k10") == 1);
  CHECK(peer->data.count("k11") == 0);
  CHECK(storage->Get("q") == nullptr);
}

TEST_CASE("kBatched with synchronous_peer_id: own updates survive kill -9, remote ones wait for Flush") {
  ScratchDir dir;
  const std::string path = dir.File("own.db");
  SqliteStorageOptions options;
  options.synchronous_peer_id = "self";
  const int code = RunInChild([&] {
    std::unique_ptr<SqliteStorage> storage;
    if (!SqliteStorage::Open(path, options, &storage).ok()) return 1;
    if (!storage->PutPeer({"remote", "r", Generation(1), true}).ok()) return 2;
    if (!storage->PutDeltas("remote", std::vector<KeyDelta>{{"a", "1", Version(1)}}, Version(1)).ok()) return 3;
    if (!storage->PutPeer({"self", "s", Generation(1), true}).ok()) return 4;
    if (!storage->PutDeltas("self", std::vector<KeyDelta>{{"mine", "x", Version(1)}}, Version(1)).ok()) return 5;
    // After the last own write: batched, lost with the process.
    if (!storage->PutDeltas("remote", std::vector<KeyDelta>{{"b", "2", Version(2)}}, Version(2)).ok()) return 6;
    ::raise(SIGKILL);
    return 7;
  });
  REQUIRE(code == 128 + SIGKILL);
  auto storage = OpenOrFail(path, options);
  const PeerRecord* self = storage->Get("self");
  REQUIRE(self != nullptr);
  CHECK(self->max_version_seen == Version(1));
  CHECK(self->data.at("mine").value == "x");
  // The own write committed what was batched before it, not what followed.
  const PeerRecord* remote = storage->Get("remote");
  REQUIRE(remote != nullptr);
  CHECK(remote->max_version_seen == Version(1));
  CHECK(remote->data.count("a") == 1);
  CHECK(remote->data.count("b") == 0);
}

TEST_CASE("crash test: kSynchronous writer killed with SIGKILL at random moments") {
  SqliteStorageOptions options;
  options.durability = SqliteDurability::kSynchronous;
  const auto started = std::chrono::steady_clock::now();
  CrashLoop(options, 30, 20240601);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(30));
}

TEST_CASE("crash test: kBatched writer killed with SIGKILL at random moments") {
  SqliteStorageOptions options;
  options.durability = SqliteDurability::kBatched;
  options.max_batch_bytes = GENERATE(std::size_t{0}, std::size_t{16} << 10);
  const auto started = std::chrono::steady_clock::now();
  CrashLoop(options, 30, 777 + options.max_batch_bytes);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(30));
}
