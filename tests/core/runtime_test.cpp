// The runtime (Gossipmonger): three nodes on one asio::io_context over the
// in-process MemoryNetwork, with a 20 ms gossip interval, run for bounded
// real time. Checks that updates spread, that the original's events reach their
// callbacks on the executor, that calls from another thread are posted, and
// that Stop is idempotent.
//
// These run in real time, so they assert only what holds however the
// machine schedules the loop (a late timer is a local pause, reported through
// the error event, so no test here expects zero errors).
#include <sys/wait.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gossipmonger/gossipmonger.h"
#include "gossipmonger/memory_storage.h"
#include "gossipmonger/testing/memory_transport.h"

using namespace gossipmonger;
using gossipmonger::testing::MemoryNetwork;
using gossipmonger::testing::MemoryTransport;
using namespace std::chrono_literals;

namespace {

// What a node's callbacks saw.
struct Seen {
  std::vector<UpdateEvent> updates;
  std::vector<PeerEndpoint> new_peers;
  std::vector<PeerEndpoint> dead;
  std::vector<PeerEndpoint> live;
  std::vector<Status> errors;
  int digests_sent = 0;
  int digests_received = 0;
  int deltas_sent = 0;
  int deltas_received = 0;
  bool off_executor = false;  // a callback ran on a thread not running io
};

// Gossipmonger::Create, for a node the test expects to be created.
std::unique_ptr<Gossipmonger> MustCreate(asio::io_context& io, PeerEndpoint self,
                                         Options options, Storage& storage,
                                         Transport& transport) {
  std::unique_ptr<Gossipmonger> node;
  const Status created = Gossipmonger::Create(io, std::move(self), std::move(options),
                                              storage, transport, &node);
  INFO(created.ToString());
  REQUIRE(created.ok());
  REQUIRE(node != nullptr);
  return node;
}

class Cluster {
 public:
  explicit Cluster(Options options, std::size_t n = 3) : network_(io_, 99) {
    options.seeds = {{"r0", "mem:r0"}};
    options_ = options;
    for (std::size_t i = 0; i < n; ++i) {
      storages_.push_back(std::make_unique<MemoryStorage>());
      transports_.push_back(nullptr);
      nodes_.push_back(nullptr);
      seen_.push_back(std::make_unique<Seen>());
      Start(i);
    }
  }
  ~Cluster() {
    for (auto& node : nodes_) node.reset();
  }

  // (Re)creates node i on its storage, with a fresh transport.
  void Start(std::size_t i) {
    nodes_[i].reset();
    transports_[i].reset();
    transports_[i] = std::make_unique<MemoryTransport>(network_, Address(i));
    nodes_[i] = MustCreate(io_, PeerEndpoint{Id(i), Address(i)}, options_, *storages_[i],
                           *transports_[i]);
    Seen& seen = *seen_[i];
    const std::thread::id io_thread = std::this_thread::get_id();
    auto check_thread = [&seen, io_thread] {
      if (std::this_thread::get_id() != io_thread) seen.off_executor = true;
    };
    Gossipmonger& node = *nodes_[i];
    node.OnUpdate([&seen, check_thread](const UpdateEvent& e) {
      check_thread();
      seen.updates.push_back(e);
    });
    node.OnNewPeer([&seen, check_thread](const PeerEndpoint& p) {
      check_thread();
      seen.new_peers.push_back(p);
    });
    node.OnPeerDead([&seen](const PeerEndpoint& p) { seen.dead.push_back(p); });
    node.OnPeerLive([&seen](const PeerEndpoint& p) { seen.live.push_back(p); });
    node.OnError([&seen](const Status& s) { seen.errors.push_back(s); });
    node.OnDigestSend([&seen](const PeerEndpoint&, const std::vector<DigestEntry>&) {
      ++seen.digests_sent;
    });
    node.OnDigestReceive([&seen](const PeerEndpoint&, const std::vector<DigestEntry>&) {
      ++seen.digests_received;
    });
    node.OnDeltasSend([&seen](const PeerEndpoint&, const std::vector<PeerDeltas>&) {
      ++seen.deltas_sent;
    });
    node.OnDeltasReceive(
        [&seen, check_thread](const PeerEndpoint&, const std::vector<PeerDeltas>&) {
          check_thread();
          ++seen.deltas_received;
        });
  }

  static std::string Id(std::size_t i) { return "r" + std::to_string(i); }
  static std::string Address(std::size_t i) { return "mem:r" + std::to_string(i); }

  asio::io_context& io() { return io_; }
  MemoryNetwork& network() { return network_; }
  Gossipmonger& node(std::size_t i) { return *nodes_[i]; }
  Seen& seen(std::size_t i) { return *seen_[i]; }
  std::size_t size() const { return nodes_.size(); }
  void GossipAll() {
    for (auto& node : nodes_) node->Gossip();
  }

  // Runs the io_context in short slices until `done()` or `limit` elapsed.
  bool RunUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io_.run_for(10ms);
      if (io_.stopped()) io_.restart();  // ran out of work; keep polling
    }
    return true;
  }
  void RunFor(std::chrono::milliseconds d) {
    RunUntil([] { return false; }, d);
  }

  bool Holds(std::size_t i, const std::string& owner, const std::string& key,
             const std::string& value) {
    auto v = nodes_[i]->Get(owner, key);
    return v && v->value == value;
  }

 private:
  asio::io_context io_;
  MemoryNetwork network_;
  Options options_;
  std::vector<std::unique_ptr<MemoryStorage>> storages_;
  std::vector<std::unique_ptr<MemoryTransport>> transports_;
  std::vector<std::unique_ptr<Gossipmonger>> nodes_;
  std::vector<std::unique_ptr<Seen>> seen_;
};

Options Fast() {
  Options options;
  options.gossip_interval = 20ms;
  return options;
}

}  // namespace

TEST_CASE("Three runtime nodes spread updates and raise the original's events",
          "[runtime]") {
  Cluster cluster(Fast());
  cluster.GossipAll();
  REQUIRE(cluster.node(0).Update("color", "red").ok());
  REQUIRE(cluster.node(2).Update("size", "xl").ok());

  const bool spread = cluster.RunUntil([&] {
    return cluster.Holds(1, "r0", "color", "red") &&
           cluster.Holds(2, "r0", "color", "red") &&
           cluster.Holds(0, "r2", "size", "xl") && cluster.Holds(1, "r2", "size", "xl");
  });
  REQUIRE(spread);
  // Membership converges too: r1 and r2 learn of each other through r0.
  REQUIRE(cluster.RunUntil([&] {
    for (std::size_t i = 0; i < cluster.size(); ++i) {
      if (cluster.node(i).storage().PeerCount() != cluster.size()) return false;
    }
    return true;
  }));
  // Only round digests raise 'digest receive', and a node that has just
  // been learnt of may not have been any round's partner yet: give it a
  // few intervals.
  CHECK(cluster.RunUntil([&] {
    for (std::size_t i = 0; i < cluster.size(); ++i) {
      if (cluster.seen(i).digests_received == 0) return false;
    }
    return true;
  }));

  const Seen& r1 = cluster.seen(1);
  bool got_color = false;
  for (const UpdateEvent& e : r1.updates) {
    if (e.peer == "r0" && e.key == "color") {
      CHECK(e.value == "red");
      CHECK(e.version == Version(1));
      got_color = true;
    }
  }
  CHECK(got_color);
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    INFO("node r" << i);
    const Seen& s = cluster.seen(i);
    CHECK(s.new_peers.size() == cluster.size() - 1);  // each peer announced once
    CHECK(s.digests_sent > 0);
    CHECK(s.digests_received > 0);
    CHECK(s.deltas_received > 0);
    CHECK_FALSE(s.off_executor);
    for (const Status& error : s.errors) {
      // Only a late timer (a local pause) may be reported.
      CHECK(error.code() == StatusCode::kUnavailable);
    }
    CHECK(cluster.node(i).engine().stats().rounds > 0);
  }
  CHECK(cluster.seen(0).deltas_sent + cluster.seen(2).deltas_sent > 0);
  const PeerRecord* r0_at_r2 = cluster.node(2).GetPeer("r0");
  REQUIRE(r0_at_r2 != nullptr);
  CHECK(r0_at_r2->address == "mem:r0");
  CHECK(cluster.node(1).Get("r0", "missing") == std::nullopt);
  CHECK(cluster.node(1).Get("nobody", "color") == std::nullopt);
}

TEST_CASE("Three runtime nodes with Options::Original() converge, without pushes",
          "[runtime][options]") {
  Options options = Options::Original();
  options.gossip_interval = 20ms;  // the rest as the original
  Cluster cluster(options);
  cluster.GossipAll();
  REQUIRE(cluster.node(0).Update("color", "red").ok());
  REQUIRE(cluster.node(2).Update("size", "xl").ok());
  CHECK(cluster.RunUntil([&] {
    for (std::size_t i = 0; i < cluster.size(); ++i) {
      if (cluster.node(i).storage().PeerCount() != cluster.size()) return false;
    }
    return cluster.Holds(1, "r0", "color", "red") &&
           cluster.Holds(2, "r0", "color", "red") &&
           cluster.Holds(0, "r2", "size", "xl") && cluster.Holds(1, "r2", "size", "xl");
  }));
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    INFO("node r" << i);
    const EngineStats& stats = cluster.node(i).engine().stats();
    CHECK(stats.pushes_started == 0);
    CHECK(stats.push_messages_sent == 0);
    CHECK(cluster.seen(i).deltas_received > 0);  // anti-entropy carried it all
  }
}

TEST_CASE("Update from another thread is posted to the executor", "[runtime]") {
  Cluster cluster(Fast());
  cluster.GossipAll();
  std::atomic<bool> called{false};
  Status from_thread;
  Status invalid_from_thread;
  std::thread writer([&] {
    std::this_thread::sleep_for(30ms);
    from_thread = cluster.node(1).Update("from-thread", "yes");
    invalid_from_thread = cluster.node(1).Update("", "refused at once");
    called = true;
  });
  const bool spread = cluster.RunUntil([&] {
    return called && cluster.Holds(0, "r1", "from-thread", "yes") &&
           cluster.Holds(2, "r1", "from-thread", "yes");
  });
  writer.join();
  CHECK(spread);
  CHECK(from_thread.ok());
  CHECK(invalid_from_thread.code() == StatusCode::kInvalidArgument);
  CHECK(cluster.node(1).engine().version() == Version(1));
  for (std::size_t i = 0; i < cluster.size(); ++i)
    CHECK_FALSE(cluster.seen(i).off_executor);
}

TEST_CASE("Stop is idempotent and silences the node", "[runtime]") {
  Cluster cluster(Fast());
  cluster.GossipAll();
  REQUIRE(cluster.RunUntil([&] {
    return cluster.node(2).storage().PeerCount() == 3 &&
           cluster.node(0).storage().PeerCount() == 3;
  }));

  Gossipmonger& stopped = cluster.node(2);
  stopped.Stop();
  stopped.Stop();
  const std::uint64_t rounds = stopped.engine().stats().rounds;
  const std::uint64_t received = stopped.engine().stats().messages_received;
  // Calls after Stop are refused and change nothing.
  CHECK(stopped.Update("late", "x").code() == StatusCode::kStopped);
  CHECK(stopped.Gossip().code() == StatusCode::kStopped);
  // Arguments are still checked first: a bad call is a bad call.
  CHECK(stopped.Update("", "x").code() == StatusCode::kInvalidArgument);
  cluster.RunFor(200ms);
  CHECK(stopped.engine().stats().rounds == rounds);
  CHECK(stopped.engine().stats().messages_received == received);
  CHECK(stopped.engine().version() == Version(0));
  CHECK_FALSE(stopped.Get("r2", "late").has_value());
  // The others go on.
  const std::uint64_t others = cluster.node(0).engine().stats().rounds;
  cluster.RunFor(100ms);
  CHECK(cluster.node(0).engine().stats().rounds > others);

  SECTION("Stop from another thread is posted") {
    std::thread stopper([&] {
      cluster.node(1).Stop();
      cluster.node(1).Stop();
    });
    stopper.join();
    // Refused from the moment Stop returned, before the posted stop ran.
    CHECK(cluster.node(1).Update("after", "x").code() == StatusCode::kStopped);
    cluster.RunFor(50ms);  // the posted stop runs
    const std::uint64_t r1_rounds = cluster.node(1).engine().stats().rounds;
    cluster.RunFor(150ms);
    CHECK(cluster.node(1).engine().stats().rounds == r1_rounds);
  }
}

TEST_CASE("A stopped runtime node is convicted, and seen live when it comes back",
          "[runtime]") {
  Options options = Fast();
  // Convict within a fraction of a second of silence, so that the test is
  // short; the default floor (500 ms) would take seconds.
  options.min_std_dev = 20ms;
  Cluster cluster(options);
  cluster.GossipAll();
  REQUIRE(cluster.RunUntil([&] {
    return cluster.node(0).storage().PeerCount() == 3 &&
           cluster.node(1).storage().PeerCount() == 3;
  }));
  cluster.RunFor(300ms);  // let the detectors learn the cadence
  REQUIRE(cluster.node(2).Update("before", "1").ok());
  REQUIRE(cluster.RunUntil([&] { return cluster.Holds(0, "r2", "before", "1"); }));
  const Generation generation = cluster.node(2).engine().generation();

  // Only what follows the stop counts (a loaded machine may have made a
  // node look dead for a moment before).
  for (std::size_t i = 0; i < 2; ++i) {
    cluster.seen(i).dead.clear();
    cluster.seen(i).live.clear();
  }
  cluster.node(2).Stop();
  auto convicted_r2 = [&](std::size_t observer) {
    for (const PeerEndpoint& p : cluster.seen(observer).dead) {
      if (p.id == "r2") return true;
    }
    return false;
  };
  CHECK(cluster.RunUntil([&] { return convicted_r2(0) && convicted_r2(1); }));
  CHECK_FALSE(cluster.node(0).GetPeer("r2")->live);
  // Peers() lists the dead peer too, as dead.
  const std::vector<PeerSummary> peers = cluster.node(0).Peers();
  REQUIRE(peers.size() == 2);
  CHECK(peers[1].id == "r2");
  CHECK_FALSE(peers[1].live);
  CHECK(peers[1].max_version_seen == Version(1));
  CHECK(cluster.node(0).storage().DeadPeers("r0").size() +
            cluster.node(0).storage().LivePeers("r0").size() ==
        2);

  // A new runtime on the same storage resumes r2's lineage.
  for (std::size_t i = 0; i < 2; ++i) cluster.seen(i).live.clear();
  cluster.Start(2);
  CHECK(cluster.node(2).engine().generation() == generation);
  CHECK(cluster.node(2).engine().version() == Version(1));
  cluster.node(2).Gossip();
  auto revived_r2 = [&](std::size_t observer) {
    for (const PeerEndpoint& p : cluster.seen(observer).live) {
      if (p.id == "r2") return true;
    }
    return false;
  };
  CHECK(cluster.RunUntil([&] { return revived_r2(0) && revived_r2(1); }));
  CHECK(cluster.node(0).GetPeer("r2")->live);
}

TEST_CASE("A malformed message reaches the error callback", "[runtime]") {
  Cluster cluster(Fast());
  MemoryTransport rogue(cluster.network(), "mem:rogue");
  Message bad;
  bad.kind = MessageKind::kDeltas;
  bad.sender = {"rogue", "mem:rogue"};
  bad.deltas = {PeerDeltas{"x", Generation(1), "mem:x", {KeyDelta{"", "v", Version(1)}}}};
  rogue.Send({"r0", "mem:r0"}, bad);
  const bool reported = cluster.RunUntil([&] {
    for (const Status& s : cluster.seen(0).errors) {
      if (s.code() == StatusCode::kProtocolError) return true;
    }
    return false;
  });
  CHECK(reported);
  CHECK(cluster.node(0).engine().stats().messages_dropped == 1);
  CHECK(cluster.node(0).GetPeer("x") == nullptr);

  // Well-formed deltas of a peer nobody introduced: the 'unknown peer' event.
  std::vector<PeerId> unknown;
  cluster.node(0).OnUnknownPeer([&](const PeerId& id) { unknown.push_back(id); });
  Message orphan;
  orphan.kind = MessageKind::kDeltas;
  orphan.sender = {"rogue", "mem:rogue"};
  orphan.deltas = {
      PeerDeltas{"ghost", Generation(1), "", {KeyDelta{"k", "v", Version(1)}}}};
  rogue.Send({"r0", "mem:r0"}, orphan);
  CHECK(cluster.RunUntil([&] { return !unknown.empty(); }));
  CHECK(unknown == std::vector<PeerId>{"ghost"});
  CHECK(cluster.node(0).GetPeer("ghost") == nullptr);
}

TEST_CASE("The runtime gossips once per GOSSIP_INTERVAL", "[runtime]") {
  Cluster cluster(Fast());
  const auto start = std::chrono::steady_clock::now();
  cluster.GossipAll();
  cluster.node(0).Gossip();  // a second call does not start a second loop
  cluster.RunFor(300ms);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const auto intervals = elapsed / std::chrono::milliseconds(20);
  const std::uint64_t rounds = cluster.node(0).engine().stats().rounds;
  INFO(rounds << " rounds in " << intervals << " intervals");
  // One round now, then one per interval at most (timers are never early;
  // they may be late on a loaded machine, hence the loose lower bound).
  CHECK(rounds <= static_cast<std::uint64_t>(intervals) + 1);
  CHECK(rounds >= 3);
}

TEST_CASE("The runtime refuses invalid options and invalid updates at once",
          "[runtime]") {
  asio::io_context io;
  MemoryNetwork network(io, 1);
  MemoryTransport transport(network, "mem:a");
  MemoryStorage storage;
  Options bad;
  bad.gossip_interval = 0ms;
  const PeerEndpoint a{"a", "mem:a"};
  auto refusal = [&](const PeerEndpoint& self, const Options& options, Transport& t) {
    std::unique_ptr<Gossipmonger> node;
    const Status created = Gossipmonger::Create(io, self, options, storage, t, &node);
    CHECK(node == nullptr);  // checked here: every call below is refused
    return created.code();
  };
  CHECK(refusal(a, bad, transport) == StatusCode::kInvalidArgument);
  CHECK(refusal({"", "mem:a"}, Options{}, transport) == StatusCode::kInvalidArgument);
  CHECK(refusal({std::string(129, 'i'), "mem:a"}, Options{}, transport) ==
        StatusCode::kInvalidArgument);
  // Peers drop messages of a sender without an address or with a long one.
  CHECK(refusal({"a", ""}, Options{}, transport) == StatusCode::kInvalidArgument);
  CHECK(refusal({"a", std::string(257, 'x')}, Options{}, transport) ==
        StatusCode::kInvalidArgument);
  // A transport whose budget is below the engine's minimum.
  MemoryTransport tiny(network, "mem:tiny", 100);
  CHECK(refusal({"t", "mem:tiny"}, Options{}, tiny) == StatusCode::kInvalidArgument);
  CHECK(storage.PeerCount() == 0);  // nothing written by a refused node

  auto owned = MustCreate(io, a, Options{}, storage, transport);
  Gossipmonger& node = *owned;
  CHECK(node.Update("", "v").code() == StatusCode::kInvalidArgument);
  CHECK(node.Update(std::string(2000, 'k'), "v").code() == StatusCode::kLimitExceeded);
  CHECK(node.Update("k", std::string(70 * 1024, 'v')).code() ==
        StatusCode::kLimitExceeded);
  // A valid one is posted and applied when the loop runs.
  CHECK(node.Update("k", "v").ok());
  io.run_for(20ms);
  REQUIRE(node.Get("a", "k").has_value());
  CHECK(node.Get("a", "k")->value == "v");
}

TEST_CASE("Gossipmonger::Create and Engine::Create refuse alike", "[runtime]") {
  asio::io_context io;
  MemoryNetwork network(io, 1);
  MemoryTransport transport(network, "mem:a");
  MemoryStorage storage;
  Options bad;
  bad.gossip_interval = 0ms;
  struct Case {
    PeerEndpoint self;
    Options options;
    std::string message;
  };
  const std::string bad_id =
      "invalid local peer id: empty or longer than max_peer_id_bytes (128)";
  const std::string bad_address =
      "invalid local address: empty or longer than max_address_bytes (256)";
  const std::vector<Case> cases = {
      {{"a", "mem:a"}, bad, "gossip_interval must be positive"},
      {{"", "mem:a"}, Options{}, bad_id},
      {{std::string(129, 'i'), "mem:a"}, Options{}, bad_id},
      {{"a", ""}, Options{}, bad_address},
      {{"a", std::string(257, 'x')}, Options{}, bad_address},
  };
  for (const Case& c : cases) {
    INFO(c.message);
    std::unique_ptr<Gossipmonger> node;
    const Status by_node =
        Gossipmonger::Create(io, c.self, c.options, storage, transport, &node);
    std::unique_ptr<Engine> engine;
    const Status by_engine =
        Engine::Create(c.self, c.options, storage,
                       {.max_body_bytes = transport.MaxBodyBytes()}, &engine);
    CHECK(node == nullptr);
    CHECK(engine == nullptr);
    CHECK(by_node.code() == StatusCode::kInvalidArgument);
    CHECK(by_node.message() == c.message);
    CHECK(by_engine.code() == by_node.code());
    CHECK(by_engine.message() == by_node.message());
  }
  CHECK(storage.PeerCount() == 0);
}

TEST_CASE("Create refuses null plugins and a null out, without throwing", "[runtime]") {
  asio::io_context io;
  MemoryNetwork network(io, 1);
  std::unique_ptr<Gossipmonger> node;
  CHECK(Gossipmonger::Create(io, {"a", "mem:a"}, Options{}, nullptr,
                             std::make_unique<MemoryTransport>(network, "mem:a"), &node)
            .code() == StatusCode::kInvalidArgument);
  CHECK(node == nullptr);
  CHECK(Gossipmonger::Create(io, {"a", "mem:a"}, Options{},
                             std::make_unique<MemoryStorage>(), nullptr, &node)
            .code() == StatusCode::kInvalidArgument);
  CHECK(node == nullptr);
  MemoryStorage storage;
  MemoryTransport transport(network, "mem:a");
  CHECK(Gossipmonger::Create(io, {"a", "mem:a"}, Options{}, storage, transport, nullptr)
            .code() == StatusCode::kInvalidArgument);
  CHECK(storage.PeerCount() == 0);
}

// Runs `body` in a forked child and returns whether it exited with status 0:
// for a check that may crash, so that a crash fails one test instead of
// killing the whole test binary.
bool ExitsCleanlyInChild(const std::function<bool()>& body) {
  std::fflush(nullptr);
  const pid_t child = fork();
  if (child == 0) {
    // Catch's handler would report the crash as the child's own test run.
    std::signal(SIGSEGV, SIG_DFL);
    std::signal(SIGBUS, SIG_DFL);
    std::signal(SIGABRT, SIG_DFL);
    _exit(body() ? 0 : 1);
  }
  REQUIRE(child > 0);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  INFO("child " << (WIFSIGNALED(status) ? "killed by signal " : "exited with status ")
                << (WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status)));
  CHECK(WIFEXITED(status));
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Regression: the owning constructor once delegated with `*storage,
// *transport, std::move(storage), std::move(transport)` into by-value
// unique_ptr parameters; GCC initialized those first and then dereferenced
// the moved-from (null) pointers, and the node crashed on its first use of
// the transport. Run in a child so that such a crash fails only this test.
TEST_CASE("A runtime owning its storage and transport works the same", "[runtime]") {
  const bool works = ExitsCleanlyInChild([] {
    asio::io_context io;
    MemoryNetwork network(io, 5);
    Options options = Fast();
    options.seeds = {{"o0", "mem:o0"}};
    auto make = [&](const std::string& id) {
      std::unique_ptr<Gossipmonger> node;
      const Status created = Gossipmonger::Create(
          io, PeerEndpoint{id, "mem:" + id}, options, std::make_unique<MemoryStorage>(),
          std::make_unique<MemoryTransport>(network, "mem:" + id), &node);
      return created.ok() ? std::move(node) : nullptr;
    };
    auto a = make("o0");
    auto b = make("o1");
    if (a == nullptr || b == nullptr) return false;
    a->Gossip();
    b->Gossip();
    if (!b->Update("k", "v").ok()) return false;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!(a->Get("o1", "k") && a->Get("o1", "k")->value == "v") &&
           std::chrono::steady_clock::now() < deadline) {
      io.run_for(10ms);
    }
    const bool spread = a->Get("o1", "k").has_value() && a->Get("o1", "k")->value == "v";
    b.reset();  // destroyed while the io_context is not running
    a->Stop();
    return spread;
  });
  CHECK(works);
}

TEST_CASE("Peers lists every other peer with its address, liveness and version",
          "[runtime]") {
  Cluster cluster(Fast());
  cluster.GossipAll();
  REQUIRE(cluster.node(1).Update("a", "1").ok());
  REQUIRE(cluster.node(1).Update("b", "2").ok());
  REQUIRE(cluster.node(2).Update("c", "3").ok());
  REQUIRE(cluster.RunUntil([&] {
    return cluster.Holds(0, "r1", "b", "2") && cluster.Holds(0, "r2", "c", "3");
  }));

  const std::vector<PeerSummary> peers = cluster.node(0).Peers();
  // Never the local node; sorted by id.
  REQUIRE(peers.size() == 2);
  CHECK(peers[0].id == "r1");
  CHECK(peers[0].address == "mem:r1");
  CHECK(peers[0].max_version_seen == Version(2));
  CHECK(peers[1].id == "r2");
  CHECK(peers[1].address == "mem:r2");
  CHECK(peers[1].max_version_seen == Version(1));
  // The same view as the storage's, without the local node: the storage
  // holds r0's own record, but LivePeers / DeadPeers leave it out when told
  // which id is local.
  const Storage& storage = cluster.node(0).storage();
  CHECK(storage.PeerCount() == 3);
  std::size_t listed = 0;
  for (const PeerRecord* peer : storage.LivePeers("r0")) {
    CHECK(peer->id != "r0");
    ++listed;
  }
  for (const PeerRecord* peer : storage.DeadPeers("r0")) {
    CHECK(peer->id != "r0");
    ++listed;
  }
  CHECK(listed == 2);
  for (const PeerSummary& peer : peers) {
    CHECK(peer.live == cluster.node(0).GetPeer(peer.id)->live);
  }
}

namespace {

// Counts, by kind, what a node sends and receives, between the runtime and
// a MemoryTransport.
class CountingTransport final : public Transport {
 public:
  CountingTransport(MemoryNetwork& network, const std::string& address)
      : inner_(network, address) {}
  void SetHandlers(MessageHandler on_message, ErrorHandler on_error) override {
    if (!on_message) return inner_.SetHandlers(nullptr, std::move(on_error));
    inner_.SetHandlers(
        [this, on_message = std::move(on_message)](Message&& message) {
          ++received[message.kind];
          on_message(std::move(message));
        },
        std::move(on_error));
  }
  void Send(const PeerEndpoint& remote, const Message& message) override {
    ++sent[message.kind];
    inner_.Send(remote, message);
  }
  std::size_t MaxBodyBytes() const override { return inner_.MaxBodyBytes(); }

  std::map<MessageKind, int> sent;
  std::map<MessageKind, int> received;

 private:
  MemoryTransport inner_;
};

}  // namespace

TEST_CASE("Digest events are raised for a round's digests only", "[runtime]") {
  asio::io_context io;
  MemoryNetwork network(io, 7);
  Options options = Fast();
  options.seeds = {{"d0", "mem:d0"}};
  struct Node {
    std::unique_ptr<MemoryStorage> storage = std::make_unique<MemoryStorage>();
    std::unique_ptr<CountingTransport> transport;
    std::unique_ptr<Gossipmonger> node;
    int digest_sends = 0;
    int digest_receives = 0;
    int deltas_sends = 0;
    int deltas_receives = 0;
  };
  std::vector<std::unique_ptr<Node>> nodes;
  for (int i = 0; i < 3; ++i) {
    auto n = std::make_unique<Node>();
    const std::string id = "d" + std::to_string(i);
    n->transport = std::make_unique<CountingTransport>(network, "mem:" + id);
    n->node = MustCreate(io, PeerEndpoint{id, "mem:" + id}, options, *n->storage,
                         *n->transport);
    Node* raw = n.get();
    raw->node->OnDigestSend(
        [raw, id](const PeerEndpoint&, const std::vector<DigestEntry>& digest) {
          ++raw->digest_sends;
          // A round's digest always holds the sender's own entry, first.
          CHECK_FALSE(digest.empty());
          if (!digest.empty()) CHECK(digest.front().id == id);
        });
    raw->node->OnDigestReceive(
        [raw](const PeerEndpoint& remote, const std::vector<DigestEntry>& digest) {
          ++raw->digest_receives;
          CHECK_FALSE(digest.empty());
          if (!digest.empty()) CHECK(digest.front().id == remote.id);
        });
    raw->node->OnDeltasSend([raw](const PeerEndpoint&, const std::vector<PeerDeltas>&) {
      ++raw->deltas_sends;
    });
    raw->node->OnDeltasReceive(
        [raw](const PeerEndpoint&, const std::vector<PeerDeltas>&) {
          ++raw->deltas_receives;
        });
    nodes.push_back(std::move(n));
  }
  for (auto& n : nodes) REQUIRE(n->node->Gossip().ok());

  // Membership first, then updates, so that pushes travel too.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  auto everyone_knows_everyone = [&] {
    for (auto& n : nodes) {
      if (n->node->Peers().size() != 2) return false;
    }
    return true;
  };
  while (!everyone_knows_everyone() && std::chrono::steady_clock::now() < deadline) {
    io.run_for(10ms);
  }
  REQUIRE(everyone_knows_everyone());
  for (int i = 0; i < 5; ++i) {
    REQUIRE(nodes[0]->node->Update("k" + std::to_string(i), "v").ok());
    io.run_for(15ms);
  }
  io.run_for(200ms);
  for (auto& n : nodes) n->node->Stop();
  io.run_for(20ms);  // messages already in flight arrive and are ignored

  int pushes = 0;
  int replies = 0;
  for (auto& n : nodes) {
    INFO("node " << n->node->self().id);
    CHECK(n->digest_sends == n->transport->sent[MessageKind::kDigest]);
    CHECK(n->digest_sends > 0);
    pushes += n->transport->sent[MessageKind::kPush];
    replies += n->transport->sent[MessageKind::kDigestReply];
  }
  // The other kinds were sent, so the counts above say something: they are
  // not digest events.
  CHECK(pushes > 0);
  CHECK(replies > 0);
  // Receiving is symmetric, counted up to the stop (a stopped node raises
  // nothing for what still arrives, so the transport may count more).
  for (auto& n : nodes) {
    INFO("node " << n->node->self().id);
    CHECK(n->digest_receives > 0);
    CHECK(n->digest_receives <= n->transport->received[MessageKind::kDigest]);
  }
}

TEST_CASE("An update accepted before Stop is applied, one refused after is not",
          "[runtime]") {
  asio::io_context io;
  MemoryNetwork network(io, 3);
  MemoryStorage storage;
  MemoryTransport transport(network, "mem:a");

  SECTION("Stop on the executor applies what other threads queued") {
    auto created = MustCreate(io, {"a", "mem:a"}, Fast(), storage, transport);
    Gossipmonger& node = *created;
    // The executor will run Stop before the queued update's own turn: the
    // stop must apply it first rather than drop it.
    asio::post(io, [&] { node.Stop(); });
    Status from_thread;
    std::thread writer([&] { from_thread = node.Update("k", "queued"); });
    writer.join();
    REQUIRE(from_thread.ok());
    io.run_for(20ms);
    REQUIRE(node.Get("a", "k").has_value());
    CHECK(node.Get("a", "k")->value == "queued");
    CHECK(node.engine().version() == Version(1));
    CHECK(node.Update("k", "late").code() == StatusCode::kStopped);
    io.run_for(20ms);
    CHECK(node.Get("a", "k")->value == "queued");
  }

  SECTION("destroying the node applies what was queued") {
    {
      auto created = MustCreate(io, {"a", "mem:a"}, Fast(), storage, transport);
      Gossipmonger& node = *created;
      // The io_context never runs: the update waits in the queue.
      REQUIRE(node.Update("k", "queued").ok());
      REQUIRE(node.Gossip().ok());
    }
    const PeerRecord* a = storage.Get("a");
    REQUIRE(a != nullptr);
    REQUIRE(a->data.count("k") == 1);
    CHECK(a->data.at("k").value == "queued");
  }

  SECTION("racing Stop from another thread: every ok is applied") {
    auto created = MustCreate(io, {"a", "mem:a"}, Fast(), storage, transport);
    Gossipmonger& node = *created;
    std::atomic<int> accepted{0};
    std::atomic<bool> refused{false};
    std::thread writer([&] {
      for (int i = 0;; ++i) {
        const Status s = node.Update("k" + std::to_string(i), "v");
        if (!s.ok()) {
          refused = s.code() == StatusCode::kStopped;
          return;
        }
        ++accepted;
      }
    });
    std::thread stopper([&] {
      while (accepted < 50) std::this_thread::yield();
      node.Stop();
    });
    // The executor runs meanwhile, applying some updates at their turn.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!refused && std::chrono::steady_clock::now() < deadline) {
      io.run_for(5ms);
      if (io.stopped()) io.restart();  // ran out of work; more may come
    }
    writer.join();
    stopper.join();
    // Until nothing is left: the queued updates' own turns and the posted
    // stop (the node does not gossip, so nothing else keeps io busy).
    io.restart();
    io.run();
    REQUIRE(refused);
    const int n = accepted;
    CHECK(n >= 50);
    CHECK(node.engine().version() == Version(static_cast<std::uint64_t>(n)));
    const PeerRecord* a = storage.Get("a");
    REQUIRE(a != nullptr);
    CHECK(a->data.size() == static_cast<std::size_t>(n));
  }
}
