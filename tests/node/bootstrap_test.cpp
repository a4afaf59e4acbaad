// A cluster of real gossipmonger-node processes started all at once, the
// way a script or an orchestrator with parallel start does it, while the
// host is busy: every node must know every other within 15 s, over UDP and
// over TCP, every time, and nobody may be convicted on the way. With the
// original's rule alone (a seed is called only while no peer is live) such
// starts ended as two clusters for good.
//
// Timing is the point of these tests, so they are left out of the
// sanitizer passes, which run 5-20x slower (docs/sanitizers.md); their
// names start with "load:" for that.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "node/cluster.h"
#include "node/node_process.h"

namespace gossipmonger::node_test {
namespace {

constexpr int kNodes = 50;
constexpr int kSeeds = 3;
constexpr auto kBusyFor = 5s;
constexpr auto kDeadline = 15s;
constexpr auto kSettle = 5s;

// A CPU-bound child process for `duration`: the host is busy while the
// nodes start. Killed at the latest by the destructor.
class BusyProcess {
 public:
  explicit BusyProcess(std::chrono::seconds duration) {
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      const auto end = std::chrono::steady_clock::now() + duration;
      volatile std::uint64_t spin = 0;
      while (std::chrono::steady_clock::now() < end) spin = spin + 1;
      ::_exit(0);
    }
  }
  ~BusyProcess() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  BusyProcess(const BusyProcess&) = delete;
  BusyProcess& operator=(const BusyProcess&) = delete;

 private:
  pid_t pid_ = -1;
};

// Whether `port` on 127.0.0.1 can be bound now for `type` (SOCK_STREAM or
// SOCK_DGRAM).
bool Bindable(std::uint16_t port, int type) {
  const int fd = ::socket(AF_INET, type, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

// Ports for the seeds, which every node must know before any is up. Taken
// below the kernel's ephemeral range (32768 and up), where the other tests'
// port-0 sockets never land, from a start that differs per process.
std::vector<std::uint16_t> SeedPorts(int count, int type) {
  std::vector<std::uint16_t> ports;
  std::uint16_t port = static_cast<std::uint16_t>(20000 + (::getpid() * 37) % 10000);
  for (int tries = 0; static_cast<int>(ports.size()) < count && tries < 2000; ++tries) {
    port = static_cast<std::uint16_t>(port >= 30000 ? 20000 : port + 1);
    if (Bindable(port, type)) ports.push_back(port);
  }
  REQUIRE(static_cast<int>(ports.size()) == count);
  return ports;
}

std::string Id(int i) { return "n" + std::to_string(i); }

// How many other nodes `node` has announced as new peers so far.
std::size_t KnownPeers(NodeProcess& node) {
  // Reads what the node printed since the last call without waiting long.
  node.WaitFor([](const JsonValue&) { return false; }, node.events().size(), 5ms);
  std::set<std::string> peers;
  for (const JsonValue& event : node.events()) {
    if (event.Str("event") == "new_peer") peers.insert(event.Str("peer"));
  }
  return peers.size();
}

// Starts kNodes nodes in random order, as fast as processes start, with
// two CPU-bound processes beside them; returns how long until every node
// knew every other, or nullopt if that did not happen within kDeadline.
std::optional<std::chrono::milliseconds> StartAllAtOnce(const std::string& transport,
                                                        std::uint64_t order_seed) {
  const std::vector<std::uint16_t> seed_ports =
      SeedPorts(kSeeds, transport == "udp" ? SOCK_DGRAM : SOCK_STREAM);
  NodeConfig config;
  config.transport = transport;
  config.gossip_interval_ms = "1000";  // the default, as users start it
  std::vector<int> order(kNodes);
  for (int i = 0; i < kNodes; ++i) order[static_cast<std::size_t>(i)] = i;
  std::mt19937_64 rng(order_seed);
  std::shuffle(order.begin(), order.end(), rng);

  BusyProcess busy1(kBusyFor);
  BusyProcess busy2(kBusyFor);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<NodeProcess>> nodes(kNodes);
  for (int i : order) {
    const std::string listen =
        "127.0.0.1:" +
        (i < kSeeds ? std::to_string(seed_ports[static_cast<std::size_t>(i)]) : "0");
    std::vector<std::string> args = NodeArgs(config, Id(i), listen, "");
    for (int s = 0; s < kSeeds; ++s) {
      args.push_back("--seed");
      args.push_back(Id(s) + "@127.0.0.1:" +
                     std::to_string(seed_ports[static_cast<std::size_t>(s)]));
    }
    nodes[static_cast<std::size_t>(i)] = std::make_unique<NodeProcess>(args);
  }
  std::vector<bool> done(kNodes, false);
  int remaining = kNodes;
  while (remaining > 0 && std::chrono::steady_clock::now() - start < kDeadline) {
    for (int i = 0; i < kNodes; ++i) {
      const auto index = static_cast<std::size_t>(i);
      if (!done[index] && KnownPeers(*nodes[index]) == kNodes - 1) {
        done[index] = true;
        --remaining;
      }
    }
  }
  if (remaining > 0) {
    for (int i = 0; i < kNodes; ++i) {
      const auto index = static_cast<std::size_t>(i);
      if (!done[index]) {
        UNSCOPED_INFO(Id(i) << " knows " << KnownPeers(*nodes[index]) << " of "
                            << kNodes - 1 << "; stderr: " << nodes[index]->Stderr());
      }
    }
    return std::nullopt;
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  // A few more rounds: nobody is down, so nobody may be convicted, neither
  // while the cluster formed on the busy host nor right after.
  const auto settle_until = std::chrono::steady_clock::now() + kSettle;
  while (std::chrono::steady_clock::now() < settle_until) {
    for (auto& node : nodes) KnownPeers(*node);
  }
  for (int i = 0; i < kNodes; ++i) {
    for (const JsonValue& event : nodes[static_cast<std::size_t>(i)]->events()) {
      INFO(Id(i) << " " << event.Str("event") << " " << event.Str("peer"));
      CHECK(event.Str("event") != "peer_dead");
    }
  }
  return took;
}

// Five runs per transport, each with another start order; one test per
// transport so that CTest can run them side by side.
void StartAllAtOnceFiveTimes(const std::string& transport) {
  for (std::uint64_t run = 1; run <= 5; ++run) {
    INFO(transport << " run " << run);
    const auto took = StartAllAtOnce(transport, run);
    CHECK(took.has_value());
    if (took)
      WARN(transport << " run " << run << ": one cluster after " << took->count()
                     << " ms");
  }
}

}  // namespace

TEST_CASE(
    "load: 50 nodes started at once on a busy host are one cluster within 15 s (UDP)") {
  StartAllAtOnceFiveTimes("udp");
}

TEST_CASE(
    "load: 50 nodes started at once on a busy host are one cluster within 15 s (TCP)") {
  StartAllAtOnceFiveTimes("tcp");
}

}  // namespace gossipmonger::node_test
