// gossipmonger-bench-sqlite: what SqliteStorage costs over SQLite itself.
//
// In one run, on the same disk, with the same records (one key update of a
// local peer: key, value, version; the peer's max_version_seen):
//   plugin batched   SqliteStorage, kBatched, Flush every --batch updates
//   raw batched      a plain SQLite loop, same schema and pragmas (WAL,
//                    synchronous=FULL, exclusive lock), BEGIN/COMMIT every
//                    --batch records, upserting the data row only (the
//                    least SQLite work that stores these records)
//   raw + max        the same loop also updating max_version_seen per record
//   plugin sync      SqliteStorage, kSynchronous (one fsync'd commit each)
//   raw sync         the raw loop (row + max_version_seen), one transaction
//                    per record
//   reopen           SqliteStorage::Open of a database of --reopen-keys keys
//   stalls           p50 / p99 / max duration of single calls (update,
//                    round flush, a message's deltas), batched and
//                    synchronous: how long the event loop is held
// Each figure is the median of --runs runs (the modes are interleaved
// within a run); "overhead" is raw / plugin updates per second (1.00 = none,
// 1.50 = the plugin is 1.5x slower).
//
// Usage: gossipmonger-bench-sqlite [--dir DIR] [--runs N] [--updates N]
//          [--keys N] [--batch N] [--value-bytes N] [--sync-updates N]
//          [--reopen-keys N]
#include <sqlite3.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gossipmonger/sqlite_storage.h"
#include "storage_stalls.h"

namespace {

using Clock = std::chrono::steady_clock;
using gossipmonger::Generation;
using gossipmonger::KeyDelta;
using gossipmonger::SqliteDurability;
using gossipmonger::SqliteStorage;
using gossipmonger::SqliteStorageOptions;
using gossipmonger::Status;
using gossipmonger::Version;

struct Config {
  std::string dir;
  int runs = 5;
  std::uint64_t updates = 200000;
  std::uint64_t keys = 10000;
  std::uint64_t batch = 1000;
  std::size_t value_bytes = 100;
  std::uint64_t sync_updates = 2000;
  std::uint64_t reopen_keys = 1000000;
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "gossipmonger-bench-sqlite: %s\n", what.c_str());
  std::exit(1);
}

void Check(const Status& status, const char* what) {
  if (!status.ok()) Die(std::string(what) + ": " + status.ToString());
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// CPU time of the process (user + system), which the other processes of a
// busy machine disturb much less than wall time.
double CpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// Updates per second of wall time and per second of CPU time.
struct Rate {
  double wall = 0;
  double cpu = 0;
};

// Measures the loop `body` of `updates` updates.
template <typename Body>
Rate Measure(std::uint64_t updates, Body&& body) {
  const auto start = Clock::now();
  const double cpu_start = CpuSeconds();
  body();
  const double cpu = CpuSeconds() - cpu_start;
  const double wall = Seconds(Clock::now() - start);
  return Rate{static_cast<double>(updates) / wall, static_cast<double>(updates) / cpu};
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::string KeyOf(std::uint64_t v, const Config& c) {
  return "key-" + std::to_string(v % c.keys);
}
std::string ValueOf(std::uint64_t v, const Config& c) {
  std::string value(c.value_bytes, static_cast<char>('a' + v % 26));
  const std::string tag = std::to_string(v);
  std::memcpy(value.data(), tag.data(), std::min(tag.size(), value.size()));
  return value;
}

std::string FreshPath(const Config& c, const char* name) {
  const std::string path = (std::filesystem::path(c.dir) / name).string();
  Check(SqliteStorage::Destroy(path), "destroy");
  return path;
}

// Updates per second through SqliteStorage.
Rate PluginRate(const Config& c, SqliteDurability durability, std::uint64_t updates) {
  const std::string path = FreshPath(c, "plugin.db");
  SqliteStorageOptions options;
  options.durability = durability;
  std::unique_ptr<SqliteStorage> storage;
  Check(SqliteStorage::Open(path, options, &storage), "open");
  Check(storage->PutPeer({"self", "127.0.0.1:9742", Generation(1), true}), "PutPeer");
  Check(storage->Flush(), "Flush");
  // Values are made before the clock starts, as for the raw loop.
  std::vector<KeyDelta> deltas;
  deltas.reserve(updates);
  for (std::uint64_t v = 1; v <= updates; ++v)
    deltas.push_back({KeyOf(v, c), ValueOf(v, c), Version(v)});
  const Rate rate = Measure(updates, [&] {
    for (std::uint64_t v = 1; v <= updates; ++v) {
      Check(storage->PutDeltas("self", std::span<const KeyDelta>(&deltas[v - 1], 1),
                               Version(v)),
            "PutDeltas");
      if (v % c.batch == 0) Check(storage->Flush(), "Flush");
    }
    Check(storage->Flush(), "Flush");
  });
  storage.reset();
  Check(SqliteStorage::Destroy(path), "destroy");
  return rate;
}

void Exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error ? error : "?";
    sqlite3_free(error);
    Die(std::string(sql) + ": " + message);
  }
}

sqlite3_stmt* Prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr) !=
      SQLITE_OK) {
    Die(std::string(sql) + ": " + sqlite3_errmsg(db));
  }
  return statement;
}

void Step(sqlite3* db, sqlite3_stmt* statement) {
  if (sqlite3_step(statement) != SQLITE_DONE) Die(sqlite3_errmsg(db));
  sqlite3_reset(statement);
}

// Updates per second of a plain SQLite loop writing the same records into
// the same schema with the same pragmas, `per_commit` records per
// transaction.
Rate RawRate(const Config& c, std::uint64_t updates, std::uint64_t per_commit,
             bool write_max_version) {
  const std::string path = FreshPath(c, "raw.db");
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) Die("raw open");
  Exec(db,
       "PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
       "PRAGMA cache_size=-8192;"
       "CREATE TABLE peers (id BLOB PRIMARY KEY NOT NULL, address BLOB NOT NULL,"
       " generation INTEGER NOT NULL, max_version_seen INTEGER NOT NULL,"
       " live INTEGER NOT NULL) WITHOUT ROWID;"
       "CREATE TABLE data (peer BLOB NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,"
       " version INTEGER NOT NULL, PRIMARY KEY (peer, key)) WITHOUT ROWID;"
       "INSERT INTO peers VALUES (CAST('self' AS BLOB), CAST('127.0.0.1:9742' AS BLOB), "
       "1, 0, 1);");
  sqlite3_stmt* upsert =
      Prepare(db,
              "INSERT INTO data (peer, key, value, version) VALUES (?1, ?2, ?3, ?4)"
              " ON CONFLICT (peer, key) DO UPDATE SET value = excluded.value,"
              " version = excluded.version");
  sqlite3_stmt* max_version =
      Prepare(db, "UPDATE peers SET max_version_seen = ?2 WHERE id = ?1");
  sqlite3_stmt* begin = Prepare(db, "BEGIN");
  sqlite3_stmt* commit = Prepare(db, "COMMIT");
  std::vector<std::pair<std::string, std::string>> records;
  records.reserve(updates);
  for (std::uint64_t v = 1; v <= updates; ++v)
    records.emplace_back(KeyOf(v, c), ValueOf(v, c));
  const std::string self = "self";
  const Rate rate = Measure(updates, [&] {
    for (std::uint64_t v = 1; v <= updates; ++v) {
      if ((v - 1) % per_commit == 0) Step(db, begin);
      const auto& [key, value] = records[v - 1];
      sqlite3_bind_blob(upsert, 1, self.data(), static_cast<int>(self.size()),
                        SQLITE_STATIC);
      sqlite3_bind_blob(upsert, 2, key.data(), static_cast<int>(key.size()),
                        SQLITE_STATIC);
      sqlite3_bind_blob(upsert, 3, value.data(), static_cast<int>(value.size()),
                        SQLITE_STATIC);
      sqlite3_bind_int64(upsert, 4, static_cast<sqlite3_int64>(v));
      Step(db, upsert);
      if (write_max_version) {
        sqlite3_bind_blob(max_version, 1, self.data(), static_cast<int>(self.size()),
                          SQLITE_STATIC);
        sqlite3_bind_int64(max_version, 2, static_cast<sqlite3_int64>(v));
        Step(db, max_version);
      }
      if (v % per_commit == 0 || v == updates) Step(db, commit);
    }
  });
  for (sqlite3_stmt* s : {upsert, max_version, begin, commit}) sqlite3_finalize(s);
  sqlite3_close(db);
  Check(SqliteStorage::Destroy(path), "destroy");
  return rate;
}

// Builds a database of `keys` keys (10 peers) once; returns its path.
std::string BuildReopenDatabase(const Config& c) {
  const std::string path = FreshPath(c, "reopen.db");
  std::unique_ptr<SqliteStorage> storage;
  Check(SqliteStorage::Open(path, {}, &storage), "open");
  const std::uint64_t peers = 10;
  const std::uint64_t per_peer = (c.reopen_keys + peers - 1) / peers;
  std::vector<KeyDelta> deltas;
  for (std::uint64_t p = 0; p < peers; ++p) {
    const std::string id = "peer-" + std::to_string(p);
    Check(storage->PutPeer(
              {id, "10.0.0." + std::to_string(p) + ":9742", Generation(1), true}),
          "PutPeer");
    for (std::uint64_t first = 1; first <= per_peer; first += 1000) {
      deltas.clear();
      for (std::uint64_t v = first; v < first + 1000 && v <= per_peer; ++v) {
        deltas.push_back({"key-" + std::to_string(v), ValueOf(v, c), Version(v)});
      }
      Check(storage->PutDeltas(id, deltas, deltas.back().version), "PutDeltas");
    }
    Check(storage->Flush(), "Flush");
  }
  return path;
}

// Event-loop stalls of SqliteStorage in one durability mode (see
// benchmarks/storage/storage_stalls.h); synchronous mode runs a smaller workload
// since every update there waits for the disk.
void PrintStalls(const Config& c, SqliteDurability durability) {
  const bool batched = durability == SqliteDurability::kBatched;
  const std::string path = FreshPath(c, "stalls.db");
  SqliteStorageOptions options;
  options.durability = durability;
  std::unique_ptr<SqliteStorage> storage;
  Check(SqliteStorage::Open(path, options, &storage), "open");
  gossipmonger::bench::StallWorkload workload;
  workload.value_bytes = c.value_bytes;
  workload.distinct_keys = c.keys;
  workload.updates_per_round = c.batch;
  if (!batched) {
    workload.local_updates = std::max<std::uint64_t>(c.sync_updates, 1);
    workload.remote_messages = 50;
  }
  const auto profile = gossipmonger::bench::MeasureStalls(*storage, workload);
  gossipmonger::bench::PrintStalls(batched ? "batched" : "synchronous", profile);
  storage.reset();
  Check(SqliteStorage::Destroy(path), "destroy");
}

double ReopenSeconds(const std::string& path, std::size_t* keys, double* cpu_seconds) {
  const auto start = Clock::now();
  const double cpu_start = CpuSeconds();
  std::unique_ptr<SqliteStorage> storage;
  Check(SqliteStorage::Open(path, {}, &storage), "reopen");
  *cpu_seconds = CpuSeconds() - cpu_start;
  const double seconds = Seconds(Clock::now() - start);
  *keys = 0;
  storage->ForEachPeer(
      [&](const gossipmonger::PeerRecord& peer) { *keys += peer.data.size(); });
  return seconds;
}

std::uint64_t ParseNumber(const char* text) {
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0') Die(std::string("not a number: ") + text);
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  c.dir = std::filesystem::temp_directory_path().string();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::printf(
          "usage: %s [--dir DIR] [--runs N] [--updates N] [--keys N] [--batch N]\n"
          "          [--value-bytes N] [--sync-updates N] [--reopen-keys N]\n",
          argv[0]);
      return 0;
    }
    if (i + 1 >= argc) Die("missing value after " + arg);
    const char* value = argv[++i];
    if (arg == "--dir")
      c.dir = value;
    else if (arg == "--runs")
      c.runs = static_cast<int>(ParseNumber(value));
    else if (arg == "--updates")
      c.updates = ParseNumber(value);
    else if (arg == "--keys")
      c.keys = ParseNumber(value);
    else if (arg == "--batch")
      c.batch = ParseNumber(value);
    else if (arg == "--value-bytes")
      c.value_bytes = ParseNumber(value);
    else if (arg == "--sync-updates")
      c.sync_updates = ParseNumber(value);
    else if (arg == "--reopen-keys")
      c.reopen_keys = ParseNumber(value);
    else
      Die("unknown option " + arg);
  }
  if (c.runs < 1 || c.updates < 1 || c.keys < 1 || c.batch < 1)
    Die("counts must be positive");

  std::printf("gossipmonger-bench-sqlite: SQLite %s, dir %s\n", sqlite3_libversion(),
              c.dir.c_str());
  std::printf(
      "%d runs; %llu updates of %llu keys, %zu-byte values, batch %llu; %llu sync "
      "updates\n",
      c.runs, static_cast<unsigned long long>(c.updates),
      static_cast<unsigned long long>(c.keys), c.value_bytes,
      static_cast<unsigned long long>(c.batch),
      static_cast<unsigned long long>(c.sync_updates));

  // Per mode, the rates of every run; "overhead" pairs each plugin run with
  // the raw run next to it.
  struct Series {
    std::vector<double> wall, cpu;
    void Add(const Rate& r) {
      wall.push_back(r.wall);
      cpu.push_back(r.cpu);
    }
  };
  Series plugin, raw, raw_max, plugin_sync, raw_sync;
  std::vector<double> overhead_wall, overhead_cpu, overhead_sync_wall, overhead_sync_cpu;
  for (int run = 0; run < c.runs; ++run) {
    // Interleaved, and in alternating order, so that drift of a busy
    // machine hits both sides alike.
    const bool plugin_first = run % 2 == 0;
    Rate p, r;
    if (plugin_first) p = PluginRate(c, SqliteDurability::kBatched, c.updates);
    r = RawRate(c, c.updates, c.batch, false);
    if (!plugin_first) p = PluginRate(c, SqliteDurability::kBatched, c.updates);
    plugin.Add(p);
    raw.Add(r);
    raw_max.Add(RawRate(c, c.updates, c.batch, true));
    overhead_wall.push_back(r.wall / p.wall);
    overhead_cpu.push_back(r.cpu / p.cpu);
    std::printf(
        "run %d: batched plugin %.0f/s (cpu %.0f/s), raw %.0f/s (cpu %.0f/s), raw + max "
        "%.0f/s",
        run + 1, p.wall, p.cpu, r.wall, r.cpu, raw_max.wall.back());
    if (c.sync_updates > 0) {
      Rate ps, rs;
      if (plugin_first)
        ps = PluginRate(c, SqliteDurability::kSynchronous, c.sync_updates);
      rs = RawRate(c, c.sync_updates, 1, true);
      if (!plugin_first)
        ps = PluginRate(c, SqliteDurability::kSynchronous, c.sync_updates);
      plugin_sync.Add(ps);
      raw_sync.Add(rs);
      overhead_sync_wall.push_back(rs.wall / ps.wall);
      overhead_sync_cpu.push_back(rs.cpu / ps.cpu);
      std::printf("; sync plugin %.0f/s (cpu %.0f/s), raw %.0f/s (cpu %.0f/s)", ps.wall,
                  ps.cpu, rs.wall, rs.cpu);
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  std::printf("\nmedians of %d runs, updates/s (overhead = raw / plugin, 1.00 = none):\n",
              c.runs);
  std::printf(
      "  batched      wall: plugin %8.0f  raw %8.0f  overhead %.2f   (raw + max %.0f)\n",
      Median(plugin.wall), Median(raw.wall), Median(overhead_wall), Median(raw_max.wall));
  std::printf(
      "               cpu:  plugin %8.0f  raw %8.0f  overhead %.2f   (raw + max %.0f)\n",
      Median(plugin.cpu), Median(raw.cpu), Median(overhead_cpu), Median(raw_max.cpu));
  if (c.sync_updates > 0) {
    std::printf("  synchronous  wall: plugin %8.0f  raw %8.0f  overhead %.2f\n",
                Median(plugin_sync.wall), Median(raw_sync.wall),
                Median(overhead_sync_wall));
    std::printf("               cpu:  plugin %8.0f  raw %8.0f  overhead %.2f\n",
                Median(plugin_sync.cpu), Median(raw_sync.cpu), Median(overhead_sync_cpu));
    std::printf("  plugin batched / synchronous (wall): %.0fx\n",
                Median(plugin.wall) / Median(plugin_sync.wall));
  }

  std::printf("\n");
  PrintStalls(c, SqliteDurability::kBatched);
  PrintStalls(c, SqliteDurability::kSynchronous);

  if (c.reopen_keys > 0) {
    const auto build_start = Clock::now();
    const std::string path = BuildReopenDatabase(c);
    const double build_seconds = Seconds(Clock::now() - build_start);
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(path, ec);
    std::vector<double> reopen, reopen_cpu;
    std::size_t keys = 0;
    for (int run = 0; run < c.runs; ++run) {
      double cpu = 0;
      reopen.push_back(ReopenSeconds(path, &keys, &cpu));
      reopen_cpu.push_back(cpu);
    }
    std::printf("\nreopen: %zu keys in 10 peers, file %.1f MiB (built in %.1f s)\n", keys,
                static_cast<double>(bytes) / (1 << 20), build_seconds);
    std::printf(
        "  Open median %.3f s wall (min %.3f, max %.3f), %.3f s cpu, over %d runs\n",
        Median(reopen), *std::min_element(reopen.begin(), reopen.end()),
        *std::max_element(reopen.begin(), reopen.end()), Median(reopen_cpu), c.runs);
    Check(SqliteStorage::Destroy(path), "destroy");
  }
  return 0;
}
