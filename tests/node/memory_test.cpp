// What a gossipmonger-node process costs in memory (issue 12): librocksdb is
// mapped only by a node on RocksDB storage (the storage comes from
// gossipmonger-node-rocksdb.so, loaded on demand), and a node on memory
// storage peaks under 6 MiB resident in a small working cluster.
#include <sys/types.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "node/cluster.h"

namespace gossipmonger::node_test {
namespace {

constexpr int kNodes = 3;

// A "Name:   1234 kB" field of /proc/PID/status, in KiB.
std::uint64_t StatusKib(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0)
      return std::stoull(line.substr(field.size() + 1));
  }
  FAIL("no " << field << " in /proc/" << pid << "/status");
  return 0;
}

// Whether the process maps a file whose path contains `name`.
bool MapsFile(pid_t pid, const std::string& name) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  REQUIRE(maps);
  std::string line;
  while (std::getline(maps, line)) {
    if (line.find(name) != std::string::npos) return true;
  }
  return false;
}

std::vector<std::string> Storages() {
  std::vector<std::string> storages = {"memory", "sqlite"};
#ifdef GOSSIPMONGER_NODE_TEST_HAVE_ROCKSDB
  storages.push_back("rocksdb");
#endif
  return storages;
}

}  // namespace

TEST_CASE("only a node on RocksDB storage maps librocksdb") {
  const std::string storage = GENERATE(from_range(Storages()));
  CAPTURE(storage);
  TempDir dir;
  // The storage is open once the node reports `listening`.
  NodeProcess node(NodeArgs({"tcp", storage, dir.path()}, "a", "127.0.0.1:0", ""));
  node.Port();
  CHECK(MapsFile(node.pid(), "librocksdb") == (storage == "rocksdb"));
  CHECK(MapsFile(node.pid(), "gossipmonger-node-rocksdb") == (storage == "rocksdb"));
}

TEST_CASE("a node on memory storage peaks under 6 MiB resident") {
#if defined(GOSSIPMONGER_NODE_TEST_SANITIZED) || !defined(__OPTIMIZE__)
  // Sanitizer shadow memory and unoptimised code are not what is measured.
  WARN("skipped: a sanitized or unoptimised build");
  return;
#endif
  Cluster cluster({"tcp", "memory", ""}, kNodes);
  for (int i = 0; i < kNodes; ++i)
    cluster.node(i).Send("set k" + std::to_string(i) + " v");
  for (int i = 0; i < kNodes; ++i) {
    for (int j = 0; j < kNodes; ++j) {
      if (i == j) continue;
      INFO(Cluster::Id(i) << " hears of k" << j);
      REQUIRE(cluster.node(i).WaitForEvent(
          "update", {{"peer", Cluster::Id(j)}, {"key", "k" + std::to_string(j)}}));
    }
  }
  // About 20 more gossip rounds of 100 ms, with a `stats` and `peers` request
  // from every node, so that the peak includes a node at work.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  for (int i = 0; i < kNodes; ++i) {
    REQUIRE(cluster.node(i).Request("stats", "stats"));
    REQUIRE(cluster.node(i).Request("peers", "peers"));
  }
  for (int i = 0; i < kNodes; ++i) {
    const std::uint64_t peak_kib = StatusKib(cluster.node(i).pid(), "VmHWM");
    INFO(Cluster::Id(i) << " VmHWM " << peak_kib << " KiB");
    CHECK(peak_kib <= 6u * 1024);
  }
}

}  // namespace gossipmonger::node_test
