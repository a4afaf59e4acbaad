// Initial data (the original's peerInfo.data): a node created with key /
// value pairs starts with them; on a restart from its storage an unchanged
// value takes no new version (peers are not sent it again) and a changed one
// is a normal update. Invalid pairs, and a storage that fails at the start,
// make Create fail. (The restart from SQLite is in tests/sqlite.)
#include <asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gossipmonger/gossipmonger.h"
#include "gossipmonger/memory_storage.h"
#include "gossipmonger/testing/forwarding_storage.h"
#include "gossipmonger/testing/memory_transport.h"

using namespace gossipmonger;
using gossipmonger::testing::MemoryNetwork;
using gossipmonger::testing::MemoryTransport;
using namespace std::chrono_literals;

namespace {

Options Fast() {
  Options options;
  options.gossip_interval = 20ms;
  options.seeds = {{"b", "mem:b"}};
  return options;
}

// Node "a", restarted at will on one MemoryStorage, and node "b", which
// counts the `update` events it raises for a's keys.
class TwoNodes {
 public:
  TwoNodes() : network_(io_, 11), transport_b_(network_, "mem:b") {
    REQUIRE(
        Gossipmonger::Create(io_, {"b", "mem:b"}, Fast(), storage_b_, transport_b_, &b_)
            .ok());
    b_->OnUpdate([this](const UpdateEvent& e) {
      if (e.peer == "a") updates_of_a.push_back(e);
    });
    REQUIRE(b_->Gossip().ok());
  }
  ~TwoNodes() {
    a_.reset();
    b_.reset();
  }

  // Destroys a (if running) and creates it again on its storage.
  Status StartA(const Gossipmonger::InitialData& initial_data) {
    a_.reset();
    transport_a_ = std::make_unique<MemoryTransport>(network_, "mem:a");
    Status created = Gossipmonger::Create(io_, {"a", "mem:a"}, Fast(), storage_a_,
                                          *transport_a_, initial_data, &a_);
    if (created.ok()) REQUIRE(a_->Gossip().ok());
    return created;
  }

  bool RunUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io_.run_for(10ms);
      if (io_.stopped()) io_.restart();
    }
    return true;
  }
  void RunFor(std::chrono::milliseconds d) {
    RunUntil([] { return false; }, d);
  }
  // Whether b holds a's `key` at `value` and `version`.
  bool BHolds(const std::string& key, const std::string& value, Version version) const {
    auto held = b_->Get("a", key);
    return held && held->value == value && held->version == version;
  }

  Gossipmonger& a() { return *a_; }
  MemoryStorage& storage_a() { return storage_a_; }
  std::vector<UpdateEvent> updates_of_a;

 private:
  asio::io_context io_;
  MemoryNetwork network_;
  MemoryStorage storage_a_;
  MemoryStorage storage_b_;
  MemoryTransport transport_b_;
  std::unique_ptr<MemoryTransport> transport_a_;
  std::unique_ptr<Gossipmonger> b_;
  std::unique_ptr<Gossipmonger> a_;
};

// Node "a" alone, on a storage of the test's.
struct LoneNode {
  Status Create(Storage& storage, const Options& options,
                const Gossipmonger::InitialData& initial_data,
                std::unique_ptr<Gossipmonger>* out) {
    return Gossipmonger::Create(io, {"a", "mem:a"}, options, storage, transport,
                                initial_data, out);
  }

  asio::io_context io;
  MemoryNetwork network{io, 1};
  MemoryTransport transport{network, "mem:a"};
};

// A MemoryStorage whose writes fail on demand.
class FailingStorage final : public gossipmonger::testing::ForwardingStorage {
 public:
  FailingStorage() : ForwardingStorage(inner_) {}
  Status PutPeer(const PeerHeader& header) override {
    Status stored = inner_.PutPeer(header);
    return fail_put_peer ? Status::Error(StatusCode::kIOError, "disk full") : stored;
  }
  Status PutDeltas(std::string_view id, std::span<const KeyDelta> deltas,
                   Version max_version_seen) override {
    Status stored = inner_.PutDeltas(id, deltas, max_version_seen);
    return fail_put_deltas ? Status::Error(StatusCode::kIOError, "disk full") : stored;
  }

  bool fail_put_peer = false;
  bool fail_put_deltas = false;

 private:
  MemoryStorage inner_;
};

}  // namespace

TEST_CASE("A node starts with its initial data and gossips it", "[runtime][initial]") {
  TwoNodes nodes;
  REQUIRE(nodes.StartA({{"role", "db"}, {"port", "5432"}}).ok());
  // Applied in key order, as Updates: port takes version 1, role 2.
  CHECK(nodes.a().engine().version() == Version(2));
  REQUIRE(nodes.a().Get("a", "port").has_value());
  CHECK(nodes.a().Get("a", "port")->version == Version(1));
  CHECK(nodes.a().Get("a", "role")->value == "db");
  CHECK(nodes.a().Get("a", "role")->version == Version(2));
  CHECK(nodes.RunUntil([&] {
    return nodes.BHolds("port", "5432", Version(1)) &&
           nodes.BHolds("role", "db", Version(2));
  }));
}

TEST_CASE("A restart with unchanged initial data takes no version, a changed value does",
          "[runtime][initial]") {
  TwoNodes nodes;
  REQUIRE(nodes.StartA({{"role", "db"}, {"port", "5432"}}).ok());
  REQUIRE(nodes.a().Update("state", "warm").ok());  // set while running: v3
  REQUIRE(nodes.RunUntil([&] { return nodes.BHolds("state", "warm", Version(3)); }));
  REQUIRE(nodes.updates_of_a.size() == 3);

  SECTION("unchanged: nothing new, nothing gossiped again") {
    REQUIRE(nodes.StartA({{"role", "db"}, {"port", "5432"}}).ok());
    CHECK(nodes.a().engine().version() == Version(3));
    CHECK(nodes.a().Get("a", "role")->version == Version(2));
    CHECK(nodes.a().Get("a", "state")->value == "warm");  // not named: kept
    nodes.RunFor(300ms);                                  // about 15 rounds
    CHECK(nodes.a().engine().version() == Version(3));
    CHECK(nodes.updates_of_a.size() == 3);
  }
  SECTION("changed: the next version, spread like any update") {
    REQUIRE(nodes.StartA({{"role", "replica"}, {"port", "5432"}}).ok());
    CHECK(nodes.a().engine().version() == Version(4));
    CHECK(nodes.a().Get("a", "port")->version == Version(1));
    CHECK(nodes.a().Get("a", "role")->version == Version(4));
    REQUIRE(nodes.RunUntil([&] { return nodes.BHolds("role", "replica", Version(4)); }));
    CHECK(nodes.updates_of_a.size() == 4);
    CHECK(nodes.updates_of_a.back().key == "role");
  }
  SECTION("a value set while running is replaced by the initial one") {
    REQUIRE(nodes.StartA({{"state", "cold"}}).ok());
    CHECK(nodes.a().Get("a", "state")->value == "cold");
    CHECK(nodes.a().Get("a", "state")->version == Version(4));
    CHECK(nodes.a().Get("a", "role")->value == "db");
  }
}

TEST_CASE("Invalid initial data refuses the node and writes nothing",
          "[runtime][initial]") {
  LoneNode lone;
  MemoryStorage storage;
  Options options;
  options.limits.max_keys_per_peer = 2;
  auto refusal = [&](const Gossipmonger::InitialData& initial_data) {
    std::unique_ptr<Gossipmonger> node;
    const Status created = lone.Create(storage, options, initial_data, &node);
    CHECK(node == nullptr);
    return created.code();
  };
  CHECK(refusal({{"", "v"}}) == StatusCode::kInvalidArgument);
  CHECK(refusal({{std::string(2000, 'k'), "v"}}) == StatusCode::kLimitExceeded);
  CHECK(refusal({{"k", std::string(70 * 1024, 'v')}}) == StatusCode::kLimitExceeded);
  CHECK(refusal({{"k1", "v"}, {"k2", "v"}, {"k3", "v"}}) == StatusCode::kLimitExceeded);
  CHECK(storage.PeerCount() == 0);

  // Within the limit alone, over it with what the storage holds already.
  {
    std::unique_ptr<Gossipmonger> node;
    REQUIRE(lone.Create(storage, options, {{"k1", "v"}}, &node).ok());
    REQUIRE(node->Update("k2", "v").ok());
  }
  CHECK(refusal({{"k1", "v"}, {"k3", "v"}}) == StatusCode::kLimitExceeded);
  CHECK(storage.Get("a")->data.count("k3") == 0);
}

TEST_CASE("A storage that fails at the start fails Create", "[runtime][initial]") {
  LoneNode lone;
  FailingStorage storage;
  std::unique_ptr<Gossipmonger> node;

  storage.fail_put_peer = true;  // the local peer's record
  CHECK(lone.Create(storage, Options{}, {}, &node).code() == StatusCode::kIOError);
  CHECK(node == nullptr);

  storage.fail_put_peer = false;
  storage.fail_put_deltas = true;  // the initial data
  CHECK(lone.Create(storage, Options{}, {{"k", "v"}}, &node).code() ==
        StatusCode::kIOError);
  CHECK(node == nullptr);

  storage.fail_put_deltas = false;
  CHECK(lone.Create(storage, Options{}, {{"k", "v"}}, &node).ok());
  CHECK(node != nullptr);
}
