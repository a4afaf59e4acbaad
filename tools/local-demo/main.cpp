// gossipmonger-local-demo: the original's `npm run localtest` in C++. Five
// nodes in one process gossip over the in-process network; each sets a
// random key every couple of seconds and every event is printed as it
// happens. Stop with Ctrl-C, or give --seconds.
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gossipmonger/gossipmonger.h"
#include "gossipmonger/memory_storage.h"
#include "gossipmonger/memory_transport.h"

namespace {

using namespace gossipmonger;

const char kUsage[] =
    "usage: gossipmonger-local-demo [--nodes N] [--seconds S] [--interval-ms MS]\n"
    "                               [--loss P] [--seed S]\n"
    "A cluster of N (default 5) in-process nodes; each updates a random key\n"
    "every couple of seconds. Runs until Ctrl-C or for S seconds.\n";

struct DemoOptions {
  int nodes = 5;
  double seconds = 0;  // 0: until interrupted
  int interval_ms = 1000;
  double loss = 0;
  unsigned seed = 1;
};

[[noreturn]] void Usage(const std::string& error) {
  std::cerr << "gossipmonger-local-demo: " << error << "\n" << kUsage;
  std::exit(2);
}

DemoOptions Parse(int argc, char** argv) {
  DemoOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (i + 1 >= argc) Usage("missing value for " + flag);
    const std::string value = argv[++i];
    try {
      if (flag == "--nodes") {
        options.nodes = std::stoi(value);
        if (options.nodes < 2 || options.nodes > 100) Usage("--nodes must be 2..100");
      } else if (flag == "--seconds") {
        options.seconds = std::stod(value);
      } else if (flag == "--interval-ms") {
        options.interval_ms = std::stoi(value);
        if (options.interval_ms < 10) Usage("--interval-ms must be at least 10");
      } else if (flag == "--loss") {
        options.loss = std::stod(value);
        if (options.loss < 0 || options.loss > 1) Usage("--loss must be within 0..1");
      } else if (flag == "--seed") {
        options.seed = static_cast<unsigned>(std::stoul(value));
      } else {
        Usage("unknown flag " + flag);
      }
    } catch (const std::logic_error&) {
      Usage("invalid value for " + flag + ": " + value);
    }
  }
  return options;
}

double Elapsed(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const DemoOptions demo = Parse(argc, argv);
  asio::io_context io;
  MemoryNetwork network(io, demo.seed, LinkConditions{demo.loss, 0, {}, {}});
  const auto start = std::chrono::steady_clock::now();

  struct Node {
    MemoryStorage storage;
    std::unique_ptr<MemoryTransport> transport;
    std::unique_ptr<Gossipmonger> gossipmonger;
  };
  std::vector<std::unique_ptr<Node>> nodes;
  Options options;
  options.gossip_interval = std::chrono::milliseconds(demo.interval_ms);
  options.seeds.push_back({"node0", "mem:0"});
  for (int i = 0; i < demo.nodes; ++i) {
    auto node = std::make_unique<Node>();
    const PeerEndpoint self{"node" + std::to_string(i), "mem:" + std::to_string(i)};
    node->transport = std::make_unique<MemoryTransport>(network, self.address);
    node->gossipmonger =
        std::make_unique<Gossipmonger>(io, self, options, node->storage, *node->transport);
    Gossipmonger& g = *node->gossipmonger;
    const std::string name = self.id;
    auto log = [start, name](const std::string& what) {
      std::printf("%8.3fs %-7s %s\n", Elapsed(start), name.c_str(), what.c_str());
      std::fflush(stdout);
    };
    g.OnError([log](const Status& s) { log("error: " + s.ToString()); });
    g.OnNewPeer([log](const PeerEndpoint& p) { log("new peer " + p.id + " at " + p.address); });
    g.OnPeerDead([log](const PeerEndpoint& p) {
      log("peer " + p.id + " is now assumed unreachable");
    });
    g.OnPeerLive([log](const PeerEndpoint& p) { log("peer " + p.id + " is live again"); });
    g.OnUpdate([log](const UpdateEvent& e) {
      log("peer " + e.peer + " updated key " + e.key + " with " + e.value + " (version " +
          std::to_string(e.version.value()) + ")");
    });
    g.Gossip();
    nodes.push_back(std::move(node));
  }

  // Every couple of seconds (in gossip intervals), a random node sets a
  // random key.
  std::mt19937 rng(demo.seed);
  asio::steady_timer updates(io);
  std::function<void()> schedule_update = [&] {
    updates.expires_after(options.gossip_interval * 2);
    updates.async_wait([&](const std::error_code& error) {
      if (error) return;
      const int who = std::uniform_int_distribution<int>(0, demo.nodes - 1)(rng);
      const std::string key = "key" + std::to_string(std::uniform_int_distribution<int>(0, 4)(rng));
      const std::string value = std::to_string(std::uniform_int_distribution<int>(0, 999)(rng));
      std::printf("%8.3fs %-7s sets %s = %s\n", Elapsed(start),
                  ("node" + std::to_string(who)).c_str(), key.c_str(), value.c_str());
      nodes[static_cast<std::size_t>(who)]->gossipmonger->Update(key, value);
      schedule_update();
    });
  };
  schedule_update();

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const std::error_code&, int) { io.stop(); });
  if (demo.seconds > 0) {
    io.run_for(std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::duration<double>(demo.seconds)));
  } else {
    io.run();
  }
  for (auto& node : nodes) node->gossipmonger->Stop();
  std::printf("%8.3fs stopped\n", Elapsed(start));
  return 0;
}
