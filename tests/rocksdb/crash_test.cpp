// Kill -9 at random moments. A child process writes under load (PutDeltas
// batches of increasing versions, a small memtable so that table flushes and
// compactions run too) and reports through a pipe each version it was told
// is written and each it was told is durable. The parent kills it with
// SIGKILL at a random moment, reopens the database and checks:
//   - it opens;
//   - every version acknowledged durable is there (in both modes, and for
//     a process crash even every version written, since RocksDB handed it to
//     the kernel before PutDeltas returned);
//   - nothing is half-applied: max_version_seen is the end of a batch and
//     the data is exactly what versions 1..max_version_seen produce;
//   - versions never go backwards from one recovery to the next.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <random>
#include <set>

#include "gossipmonger/rocksdb_storage.h"
#include "rocksdb/rdb_test_util.h"

using namespace gossipmonger;
using namespace gossipmonger::rocksdb_test;

namespace {

using Clock = std::chrono::steady_clock;

// The writer's deterministic workload: the batch starting at version v holds
// versions v .. v + BatchSize(v) - 1; version u sets KeyOf(u) to ValueOf(u).
std::uint64_t BatchSize(std::uint64_t start) { return 1 + start % 5; }
std::string KeyOf(std::uint64_t version) { return "key-" + std::to_string(version * 7919 % 397); }
std::string ValueOf(std::uint64_t version) {
  return "v" + std::to_string(version) + "-" +
         std::string(50 + version % 200, static_cast<char>('a' + version % 26));
}
constexpr std::uint64_t kGeneration = 7;

RocksDbStorageOptions OptionsFor(const std::string& mode) {
  RocksDbStorageOptions options;
  options.durability =
      mode == "sync" ? RocksDbDurability::kSynchronous : RocksDbDurability::kBatched;
  options.write_buffer_bytes = 256 * 1024;
  return options;
}

}  // namespace

// Child: writes until killed. Reports 'R' (version found at open), 'W'
// (PutDeltas returned ok up to this version), 'D' (durable up to this
// version: at once in kSynchronous, after Flush in kBatched).
TEST_CASE("rocksdb child: crash writer", "[.child]") {
  const std::string mode = ChildEnv("GM_RDB_MODE");
  auto storage = OpenOrFail(ChildEnv("GM_RDB_PATH"), OptionsFor(mode));
  const bool sync = mode == "sync";
  if (storage->Get("self") == nullptr) {
    REQUIRE(storage->PutPeer({"self", "self:1", Generation(kGeneration), true}).ok());
    REQUIRE(storage->Flush().ok());
  }
  std::uint64_t version = storage->Get("self")->max_version_seen.value();
  Report(EncodeReport('R', version));
  for (std::uint64_t batches = 1;; ++batches) {
    const std::uint64_t start = version + 1;
    std::vector<KeyDelta> deltas;
    for (std::uint64_t v = start; v < start + BatchSize(start); ++v) {
      deltas.push_back({KeyOf(v), ValueOf(v), Version(v)});
    }
    version = deltas.back().version.value();
    REQUIRE(storage->PutDeltas("self", deltas, Version(version)).ok());
    Report(EncodeReport('W', version));
    if (sync) {
      Report(EncodeReport('D', version));
    } else if (batches % 8 == 0) {  // a gossip round
      REQUIRE(storage->Flush().ok());
      Report(EncodeReport('D', version));
    }
  }
}

namespace {

void CheckRecovered(const Storage& storage, std::uint64_t max_version_seen) {
  // max_version_seen must end a batch of the chain that starts at version 1.
  std::uint64_t end = 0;
  while (end < max_version_seen) end += BatchSize(end + 1);
  REQUIRE(end == max_version_seen);
  std::map<std::string, std::pair<std::string, std::uint64_t>> expected;
  for (std::uint64_t v = 1; v <= max_version_seen; ++v) expected[KeyOf(v)] = {ValueOf(v), v};
  const PeerRecord* self = storage.Get("self");
  REQUIRE(self->data.size() == expected.size());
  for (const auto& [key, value] : expected) {
    auto it = self->data.find(key);
    REQUIRE(it != self->data.end());
    REQUIRE(it->second.version.value() == value.second);
    REQUIRE(it->second.value == value.first);
  }
}

void RunCrashTest(const std::string& mode, int kills, std::uint64_t seed) {
  const auto started = Clock::now();
  ScratchDir dir;
  const std::string path = dir.Sub("db");
  std::mt19937_64 rng(seed);
  std::uint64_t durable_floor = 0;   // highest version ever acknowledged durable
  std::uint64_t last_recovered = 0;  // what the previous recovery found
  int early_kills = 0;

  for (int round = 0; round < kills; ++round) {
    INFO("mode " << mode << ", seed " << seed << ", round " << round);
    Child child("rocksdb child: crash writer", {{"GM_RDB_PATH", path}, {"GM_RDB_MODE", mode}});
    // Most kills land while the writer writes; one in five lands anywhere
    // from exec to the first writes (recovery included).
    const bool early = round % 5 == 4;
    const auto delay = std::chrono::milliseconds(early ? rng() % 40 : 5 + rng() % 80);
    std::string buffer;
    std::optional<std::uint64_t> ready;
    std::uint64_t written = 0;
    std::uint64_t durable = 0;
    auto consume = [&] {
      for (const auto& [kind, value] : DecodeReports(&buffer)) {
        if (kind == 'R') ready = value;
        if (kind == 'W') written = std::max(written, value);
        if (kind == 'D') durable = std::max(durable, value);
      }
    };
    auto kill_at = Clock::now() + delay;
    if (!early) {
      const auto deadline = Clock::now() + std::chrono::seconds(20);
      while (!ready && Clock::now() < deadline) {
        if (!child.Read(&buffer, deadline)) break;
        consume();
      }
      INFO(child.output());
      REQUIRE(ready.has_value());
      kill_at = Clock::now() + delay;
    }
    while (Clock::now() < kill_at) {
      if (!child.Read(&buffer, kill_at)) break;
      consume();
    }
    child.Kill();
    child.ReadToEof(&buffer, Clock::now() + std::chrono::seconds(10));
    consume();
    const int exit_code = child.Wait();
    {
      INFO("the writer must die of SIGKILL, not of a failure:\n" << child.output());
      REQUIRE(exit_code == 128 + SIGKILL);
    }
    if (!ready) ++early_kills;

    auto storage = OpenOrFail(path, OptionsFor(mode));
    if (ready) CHECK(*ready == last_recovered);  // the writer saw what we saw
    const PeerRecord* self = storage->Get("self");
    if (self == nullptr) {
      // Killed before its first write ever returned.
      REQUIRE(last_recovered == 0);
      REQUIRE(durable == 0);
      REQUIRE(written == 0);
      continue;
    }
    CHECK(self->generation == Generation(kGeneration));
    const std::uint64_t recovered = self->max_version_seen.value();
    INFO("recovered " << recovered << ", acknowledged written " << written << ", durable "
                      << durable << ", durable before " << durable_floor);
    REQUIRE(recovered >= durable);
    REQUIRE(recovered >= durable_floor);
    REQUIRE(recovered >= last_recovered);
    REQUIRE(recovered >= written);  // a process crash loses nothing acknowledged
    CheckRecovered(*storage, recovered);
    durable_floor = std::max(durable_floor, durable);
    last_recovered = recovered;
  }
  const auto elapsed = Clock::now() - started;
  INFO("elapsed " << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
                  << " ms");
  CHECK(elapsed < std::chrono::seconds(60));
  // The load was real: the writers got through many batches in total.
  CHECK(last_recovered > 50);
  WARN(mode << ": " << kills << " kills (" << early_kills << " before the writer was ready), "
            << last_recovered << " versions at the end, "
            << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms");
}

}  // namespace

TEST_CASE("RocksDB crash test: kSynchronous survives kill -9 at random moments",
          "[rocksdb][crash]") {
  RunCrashTest("sync", 24, 0x5eed0001);
}

TEST_CASE("RocksDB crash test: kBatched survives kill -9 at random moments", "[rocksdb][crash]") {
  RunCrashTest("batched", 24, 0x5eed0002);
}
