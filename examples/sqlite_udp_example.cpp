// The usage example of the original's README (gossipmonger-js) in C++,
// built against an installed gossipmonger: a node with SQLite storage and
// UDP transport on 127.0.0.1.
//
// To do something observable in one process, it runs two such nodes on one
// io_context: "seed1" sets foo=bar, "localId" bootstraps from it and learns
// the pair by gossip, prints it and the program exits 0. If that has not
// happened within kDeadline it exits 1, so CI can run it unattended.
//
// The SQLite files live in a fresh temporary directory, removed at exit.
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "gossipmonger/gossipmonger.h"
#include "gossipmonger/sqlite_storage.h"
#include "gossipmonger/udp_transport.h"

namespace gm = gossipmonger;

namespace {

constexpr std::chrono::seconds kDeadline{10};

// One node's plugins. Declared before the Gossipmonger that uses them, so
// that they outlive it (the node holds references).
struct Plugins {
  std::unique_ptr<gm::SqliteStorage> storage;
  std::unique_ptr<gm::UdpTransport> transport;
  std::string address;  // "127.0.0.1:<port>", known once listening
};

// Opens `db_path` and starts a UDP transport on an ephemeral loopback port
// (the original's transport.listen()). Exits the program on failure: this
// is an example, there is nothing to recover.
Plugins Open(asio::io_context& io, const std::filesystem::path& db_path) {
  Plugins plugins;
  if (auto s = gm::SqliteStorage::Open(db_path.string(), {}, &plugins.storage); !s.ok()) {
    std::cerr << "open " << db_path << ": " << s.ToString() << "\n";
    std::exit(1);
  }
  gm::UdpTransportOptions options;
  options.listen_host = "127.0.0.1";
  options.listen_port = 0;
  plugins.transport = std::make_unique<gm::UdpTransport>(io, options);
  if (auto s = plugins.transport->Listen(); !s.ok()) {
    std::cerr << "listen: " << s.ToString() << "\n";
    std::exit(1);
  }
  plugins.address = plugins.transport->local_address();  // "127.0.0.1:<port>"
  return plugins;
}

// The original's event handlers, printing as its README does.
void PrintEvents(gm::Gossipmonger& node) {
  const std::string me = node.self().id;
  node.OnError([me](const gm::Status& s) {
    std::cerr << me << ": error " << s.ToString() << "\n";
  });
  node.OnNewPeer([me](const gm::PeerEndpoint& p) {
    std::cout << me << ": found new peer " << p.id << " at " << p.address << "\n";
  });
  node.OnPeerDead([me](const gm::PeerEndpoint& p) {
    std::cout << me << ": peer " << p.id << " is now assumed unreachable\n";
  });
  node.OnPeerLive([me](const gm::PeerEndpoint& p) {
    std::cout << me << ": peer " << p.id << " is live again\n";
  });
}

}  // namespace

int main() {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("gossipmonger-example-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  int exit_code = 1;
  {
    asio::io_context io;
    Plugins seed_plugins = Open(io, dir / "seed1.db");
    Plugins local_plugins = Open(io, dir / "localId.db");

    // As the original behaves (one exchange per round, no pushes), but with
    // rounds every 100 ms.
    gm::Options options = gm::Options::Original();
    options.gossip_interval = std::chrono::milliseconds(100);

    // Create returns a Status, as SqliteStorage::Open does: invalid options
    // or a storage that cannot record the start.
    std::unique_ptr<gm::Gossipmonger> seed_node;
    std::unique_ptr<gm::Gossipmonger> local_node;
    gm::Status created = gm::Gossipmonger::Create(io, {"seed1", seed_plugins.address},
                                                  options, *seed_plugins.storage,
                                                  *seed_plugins.transport, &seed_node);
    options.seeds = {{"seed1", seed_plugins.address}};  // localId bootstraps from seed1
    if (created.ok()) {
      created = gm::Gossipmonger::Create(io, {"localId", local_plugins.address}, options,
                                         *local_plugins.storage, *local_plugins.transport,
                                         &local_node);
    }
    if (!created.ok()) {
      std::cerr << "create: " << created.ToString() << "\n";
      return 1;
    }
    gm::Gossipmonger& seed = *seed_node;
    gm::Gossipmonger& local = *local_node;
    PrintEvents(seed);
    PrintEvents(local);

    // Stop() flushes each node's storage; the transports keep receiving,
    // so the loop is stopped too.
    auto finish = [&] {
      seed.Stop();
      local.Stop();
      io.stop();
    };
    asio::steady_timer deadline(io, kDeadline);
    local.OnUpdate([&](const gm::UpdateEvent& e) {
      std::cout << "localId: peer " << e.peer << " updated key " << e.key << " with "
                << e.value << "\n";
      if (e.peer == "seed1" && e.key == "foo" && e.value == "bar") {
        exit_code = 0;
        finish();
      }
    });
    deadline.async_wait([&](const asio::error_code& ec) {
      if (ec) return;
      std::cerr << "localId did not learn seed1's foo within " << kDeadline.count()
                << " s\n";
      finish();
    });

    seed.Gossip();
    local.Gossip();
    if (auto s = seed.Update("foo", "bar"); !s.ok()) {
      std::cerr << "update: " << s.ToString() << "\n";
      return 1;
    }
    io.run();
  }
  std::filesystem::remove_all(dir);
  return exit_code;
}
