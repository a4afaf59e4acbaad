// gossipmonger-bench-rocksdb: what persistence through RocksDbStorage costs.
//
// 1. Persisted key updates per second through the plugin (PutDeltas batches
//    of --batch deltas of one peer, Flush every --round batches as the
//    runtime does once per gossip round) against RocksDB's own write loop of
//    the same records (the same keys and values, the same header record per
//    batch, the same WriteOptions, FlushWAL(true) at the same points), in
//    the same run, alternating which goes first. Prints both rates and their
//    ratio (the plugin's time over RocksDB's; the goal is <= 1.5).
// 2. The time to reopen a database of --reopen-keys keys (Open, which loads
//    every record into memory), for one peer holding them all and for 1,000
//    peers sharing them. The goal is < 2 s for 1 million keys.
// 3. Event-loop stalls: p50 / p99 / max duration of single calls (a local
//    update, the per-round Flush, a message's worth of remote deltas), in
//    both durability modes (benchmarks/storage/storage_stalls.h).
//
// Every figure is the median of --runs runs; every run uses a fresh
// database under --dir (default: the system temp dir).
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gossipmonger/rocksdb_storage.h"
#include "record_format.h"  // storage-rocksdb/src: the bench writes its records raw
#include "storage_stalls.h"

namespace {

namespace fs = std::filesystem;
namespace fmt = gossipmonger::rdb_format;
using Clock = std::chrono::steady_clock;
using gossipmonger::Generation;
using gossipmonger::KeyDelta;
using gossipmonger::RocksDbDurability;
using gossipmonger::RocksDbStorage;
using gossipmonger::RocksDbStorageOptions;
using gossipmonger::Status;
using gossipmonger::Version;

struct Config {
  std::string dir = fs::temp_directory_path().string();
  int runs = 5;
  std::uint64_t updates = 200000;     // per durability mode and run (batched)
  std::uint64_t sync_updates = 4000;  // per run in kSynchronous (one fsync per batch)
  std::size_t batch = 5;              // MAX_DELTAS_PER_GOSSIP's default
  std::size_t round = 20;             // batches between two Flush() calls
  std::size_t keyspace = 10000;       // distinct keys the updates cycle over
  std::size_t value_bytes = 64;
  std::uint64_t reopen_keys = 1000000;
  bool write = true;
  bool reopen = true;
};

[[noreturn]] void Usage(const char* argv0) {
  std::fprintf(
      stderr,
      "usage: %s [--dir D] [--runs N] [--updates N] [--sync-updates N] [--batch B]\n"
      "          [--round R] [--keyspace K] [--value-bytes V] [--reopen-keys N]\n"
      "          [--no-write] [--no-reopen]\n",
      argv0);
  std::exit(2);
}

Config Parse(int argc, char** argv) {
  Config config;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Usage(argv[0]);
      return argv[++i];
    };
    if (arg == "--dir") {
      config.dir = next();
    } else if (arg == "--runs") {
      config.runs = std::stoi(next());
    } else if (arg == "--updates") {
      config.updates = std::stoull(next());
    } else if (arg == "--sync-updates") {
      config.sync_updates = std::stoull(next());
    } else if (arg == "--batch") {
      config.batch = std::stoul(next());
    } else if (arg == "--round") {
      config.round = std::stoul(next());
    } else if (arg == "--keyspace") {
      config.keyspace = std::stoul(next());
    } else if (arg == "--value-bytes") {
      config.value_bytes = std::stoul(next());
    } else if (arg == "--reopen-keys") {
      config.reopen_keys = std::stoull(next());
    } else if (arg == "--no-write") {
      config.write = false;
    } else if (arg == "--no-reopen") {
      config.reopen = false;
    } else {
      Usage(argv[0]);
    }
  }
  if (config.runs < 1 || config.batch < 1 || config.round < 1 || config.keyspace < 1) {
    Usage(argv[0]);
  }
  return config;
}

void Check(const Status& status, const char* what) {
  if (!status.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
    std::exit(1);
  }
}

void Check(const rocksdb::Status& status, const char* what) {
  if (!status.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
    std::exit(1);
  }
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// CPU time of the whole process (every thread, RocksDB's included), user +
// system: on a shared machine wall time also counts waiting for a core.
double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// A fresh scratch directory for one database.
std::string FreshPath(const Config& config, const char* name) {
  std::string path =
      config.dir + "/gm-rocksdb-bench-" + std::to_string(::getpid()) + "-" + name;
  fs::remove_all(path);
  return path;
}

// The workload: update u (0-based) sets key (u % keyspace) to a value of
// value_bytes, at version u + 1.
struct Workload {
  explicit Workload(const Config& config) : config(config) {
    keys.reserve(config.keyspace);
    for (std::size_t k = 0; k < config.keyspace; ++k)
      keys.push_back("key-" + std::to_string(k));
    values.reserve(16);
    for (int v = 0; v < 16; ++v)
      values.emplace_back(config.value_bytes, static_cast<char>('a' + v));
  }
  void Batch(std::uint64_t first_update, std::vector<KeyDelta>* out) const {
    out->clear();
    for (std::size_t i = 0; i < config.batch; ++i) {
      const std::uint64_t u = first_update + i;
      out->push_back({keys[u % keys.size()], values[u % values.size()], Version(u + 1)});
    }
  }
  const Config& config;
  std::vector<std::string> keys;
  std::vector<std::string> values;
};

// --- 1. write throughput -------------------------------------------------------

// Updates per second of wall time and per second of process CPU time.
struct Rate {
  double wall = 0;
  double cpu = 0;
};

Rate PluginWrite(const Config& config, const Workload& workload, RocksDbDurability mode,
                 std::uint64_t updates) {
  const std::string path = FreshPath(config, "plugin");
  RocksDbStorageOptions options;
  options.durability = mode;
  std::unique_ptr<RocksDbStorage> storage;
  Check(RocksDbStorage::Open(path, options, &storage), "open");
  Check(storage->PutPeer({"self", "127.0.0.1:9742", Generation(1), true}), "put peer");
  Check(storage->Flush(), "flush");
  std::vector<KeyDelta> deltas;
  const std::uint64_t batches = updates / config.batch;
  const double cpu_start = CpuSeconds();
  const auto start = Clock::now();
  for (std::uint64_t b = 0; b < batches; ++b) {
    workload.Batch(b * config.batch, &deltas);
    Check(storage->PutDeltas("self", deltas, deltas.back().version), "put deltas");
    if ((b + 1) % config.round == 0) Check(storage->Flush(), "flush");
  }
  Check(storage->Flush(), "flush");
  const double seconds = Seconds(Clock::now() - start);
  const double cpu = CpuSeconds() - cpu_start;
  storage.reset();
  fs::remove_all(path);
  const auto done = static_cast<double>(batches * config.batch);
  return {done / seconds, done / cpu};
}

// RocksDB alone, configured as RocksDbStorage configures it.
rocksdb::Options RawOptions() {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.paranoid_checks = true;
  options.write_buffer_size = RocksDbStorageOptions().write_buffer_bytes;
  options.max_background_jobs = RocksDbStorageOptions().max_background_jobs;
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  return options;
}

Rate RawWrite(const Config& config, const Workload& workload, RocksDbDurability mode,
              std::uint64_t updates) {
  const std::string path = FreshPath(config, "raw");
  rocksdb::DB* raw = nullptr;
  Check(rocksdb::DB::Open(RawOptions(), path, &raw), "raw open");
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions write;
  write.sync = mode == RocksDbDurability::kSynchronous;
  const bool batched = mode == RocksDbDurability::kBatched;
  Check(db->Put(write, fmt::kFormatKey, fmt::EncodeFormat(1)), "raw put");
  const std::string header_key = fmt::HeaderKey("self");
  std::vector<KeyDelta> deltas;
  std::string key;
  std::string value;
  const std::uint64_t batches = updates / config.batch;
  const double cpu_start = CpuSeconds();
  const auto start = Clock::now();
  for (std::uint64_t b = 0; b < batches; ++b) {
    workload.Batch(b * config.batch, &deltas);
    rocksdb::WriteBatch batch;
    for (const KeyDelta& delta : deltas) {
      key = fmt::DataKey("self", delta.key);
      value.clear();
      fmt::AppendDataValue(&value, {delta.version.value(), 0, 0, delta.value});
      batch.Put(key, value);
    }
    fmt::HeaderValue header;
    header.generation = 1;
    header.max_version_seen = deltas.back().version.value();
    header.address = "127.0.0.1:9742";
    batch.Put(header_key, fmt::EncodeHeader(header));
    Check(db->Write(write, &batch), "raw write");
    if (batched && (b + 1) % config.round == 0) Check(db->FlushWAL(true), "raw sync");
  }
  if (batched) Check(db->FlushWAL(true), "raw sync");
  const double seconds = Seconds(Clock::now() - start);
  const double cpu = CpuSeconds() - cpu_start;
  Check(db->Close(), "raw close");
  db.reset();
  fs::remove_all(path);
  const auto done = static_cast<double>(batches * config.batch);
  return {done / seconds, done / cpu};
}

void BenchWrites(const Config& config) {
  const Workload workload(config);
  for (RocksDbDurability mode :
       {RocksDbDurability::kBatched, RocksDbDurability::kSynchronous}) {
    const bool batched = mode == RocksDbDurability::kBatched;
    const std::uint64_t updates = batched ? config.updates : config.sync_updates;
    std::vector<double> plugin, raw, ratios, plugin_cpu, raw_cpu, cpu_ratios;
    for (int run = 0; run < config.runs; ++run) {
      Rate p;
      Rate r;
      if (run % 2 == 0) {
        p = PluginWrite(config, workload, mode, updates);
        r = RawWrite(config, workload, mode, updates);
      } else {
        r = RawWrite(config, workload, mode, updates);
        p = PluginWrite(config, workload, mode, updates);
      }
      plugin.push_back(p.wall);
      raw.push_back(r.wall);
      ratios.push_back(r.wall / p.wall);
      plugin_cpu.push_back(p.cpu);
      raw_cpu.push_back(r.cpu);
      cpu_ratios.push_back(r.cpu / p.cpu);
      std::printf(
          "  %-12s run %d: plugin %9.0f updates/s, rocksdb %9.0f updates/s, ratio %.2f"
          " | per cpu-s: plugin %9.0f, rocksdb %9.0f, ratio %.2f\n",
          batched ? "kBatched" : "kSynchronous", run + 1, p.wall, r.wall, r.wall / p.wall,
          p.cpu, r.cpu, r.cpu / p.cpu);
      std::fflush(stdout);
    }
    std::printf(
        "%-12s median: plugin %9.0f updates/s, rocksdb %9.0f updates/s, ratio %.2fx"
        " | per cpu-s: plugin %9.0f, rocksdb %9.0f, ratio %.2fx (goal <= 1.5x)\n",
        batched ? "kBatched" : "kSynchronous", Median(plugin), Median(raw),
        Median(ratios), Median(plugin_cpu), Median(raw_cpu), Median(cpu_ratios));
    std::fflush(stdout);
  }
}

// --- event-loop stalls -----------------------------------------------------------------

void BenchStalls(const Config& config) {
  for (RocksDbDurability mode :
       {RocksDbDurability::kBatched, RocksDbDurability::kSynchronous}) {
    const bool batched = mode == RocksDbDurability::kBatched;
    const std::string path = FreshPath(config, "stalls");
    RocksDbStorageOptions options;
    options.durability = mode;
    std::unique_ptr<RocksDbStorage> storage;
    Check(RocksDbStorage::Open(path, options, &storage), "open");
    gossipmonger::bench::StallWorkload workload;
    workload.value_bytes = config.value_bytes;
    workload.distinct_keys = config.keyspace;
    if (!batched) {
      // Every synchronous update waits for the disk.
      workload.local_updates = std::max<std::uint64_t>(config.sync_updates, 1);
      workload.remote_messages = 50;
    }
    gossipmonger::bench::PrintStalls(
        batched ? "kBatched" : "kSynchronous",
        gossipmonger::bench::MeasureStalls(*storage, workload));
    storage.reset();
    fs::remove_all(path);
  }
}

// --- 2. reopen ---------------------------------------------------------------------

struct ReopenTimes {
  double write = 0;       // writing the keys (wall)
  double first_wall = 0;  // the first Open after the writer closed
  double first_cpu = 0;
  double second_wall = 0;  // an Open right after that one
  double second_cpu = 0;
};

ReopenTimes Reopen(const Config& config, std::size_t peers) {
  ReopenTimes times;
  const std::string path = FreshPath(config, "reopen");
  const std::uint64_t per_peer = config.reopen_keys / peers;
  const std::string value(config.value_bytes, 'v');
  {
    std::unique_ptr<RocksDbStorage> storage;
    Check(RocksDbStorage::Open(path, {}, &storage), "open");
    const auto start = Clock::now();
    std::vector<KeyDelta> deltas;
    for (std::size_t p = 0; p < peers; ++p) {
      const std::string id = "peer-" + std::to_string(p);
      Check(storage->PutPeer({id, "10.0.0.1:9742", Generation(1), true}), "put peer");
      for (std::uint64_t k = 0; k < per_peer;) {
        deltas.clear();
        for (std::size_t i = 0; i < 1000 && k < per_peer; ++i, ++k) {
          deltas.push_back({"key-" + std::to_string(k), value, Version(k + 1)});
        }
        Check(storage->PutDeltas(id, deltas, deltas.back().version), "put deltas");
      }
    }
    Check(storage->Flush(), "flush");
    times.write = Seconds(Clock::now() - start);
  }
  for (int open = 0; open < 2; ++open) {
    const double cpu_start = CpuSeconds();
    const auto start = Clock::now();
    std::unique_ptr<RocksDbStorage> storage;
    Check(RocksDbStorage::Open(path, {}, &storage), "reopen");
    const double wall = Seconds(Clock::now() - start);
    const double cpu = CpuSeconds() - cpu_start;
    std::size_t keys = 0;
    storage->ForEachPeer(
        [&](const gossipmonger::PeerRecord& peer) { keys += peer.data.size(); });
    if (keys != per_peer * peers) {
      std::fprintf(stderr, "reopen found %zu keys, expected %llu\n", keys,
                   static_cast<unsigned long long>(per_peer * peers));
      std::exit(1);
    }
    (open == 0 ? times.first_wall : times.second_wall) = wall;
    (open == 0 ? times.first_cpu : times.second_cpu) = cpu;
  }
  fs::remove_all(path);
  return times;
}

void BenchReopen(const Config& config) {
  for (std::size_t peers : {std::size_t{1}, std::size_t{1000}}) {
    std::vector<double> first_wall, first_cpu, second_wall, second_cpu, writes;
    for (int run = 0; run < config.runs; ++run) {
      const ReopenTimes t = Reopen(config, peers);
      first_wall.push_back(t.first_wall);
      first_cpu.push_back(t.first_cpu);
      second_wall.push_back(t.second_wall);
      second_cpu.push_back(t.second_cpu);
      writes.push_back(t.write);
      std::printf(
          "  reopen %llu keys in %zu peer(s), run %d: first open %.3f s (cpu %.3f s), "
          "second %.3f s (cpu %.3f s); written in %.2f s\n",
          static_cast<unsigned long long>(config.reopen_keys), peers, run + 1,
          t.first_wall, t.first_cpu, t.second_wall, t.second_cpu, t.write);
      std::fflush(stdout);
    }
    std::printf(
        "reopen median, %llu keys in %zu peer(s): first open %.3f s (cpu %.3f s), "
        "second %.3f s (cpu %.3f s) (goal < 2 s); written at %.0f keys/s\n",
        static_cast<unsigned long long>(config.reopen_keys), peers, Median(first_wall),
        Median(first_cpu), Median(second_wall), Median(second_cpu),
        static_cast<double>(config.reopen_keys) / Median(writes));
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Config config = Parse(argc, argv);
  std::printf(
      "gossipmonger-bench-rocksdb: runs %d, batch %zu, flush every %zu batches, "
      "keyspace %zu, values %zu bytes\n",
      config.runs, config.batch, config.round, config.keyspace, config.value_bytes);
  if (config.write) BenchWrites(config);
  if (config.write) BenchStalls(config);
  if (config.reopen) BenchReopen(config);
  return 0;
}
