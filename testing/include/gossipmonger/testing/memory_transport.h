// An in-process network for tests, demos and examples: MemoryTransports
// attached to one MemoryNetwork exchange messages through a FaultModel, on
// asio timers of the network's io_context. No sockets; messages are copied,
// never encoded. Part of the testing kit (gossipmonger::testing): it runs
// real Gossipmonger runtimes in real time; VirtualCluster (virtual_cluster.h)
// runs engines in virtual time instead.
#pragma once

#include <asio/io_context.hpp>
#include <cstddef>
#include <memory>
#include <string>

#include "gossipmonger/testing/fault_model.h"
#include "gossipmonger/transport.h"

namespace gossipmonger::testing {

class MemoryTransport;

class MemoryNetwork {
 public:
  // `rng_seed` drives the network's FaultModel (losses, delays).
  MemoryNetwork(asio::io_context& io, std::uint64_t rng_seed,
                LinkConditions conditions = {});
  ~MemoryNetwork();
  MemoryNetwork(const MemoryNetwork&) = delete;
  MemoryNetwork& operator=(const MemoryNetwork&) = delete;

  FaultModel& faults();

 private:
  friend class MemoryTransport;
  struct State;
  // Shared with pending deliveries, so that a delivery scheduled before the
  // network (or a transport) went away finds nobody and is dropped.
  std::shared_ptr<State> state_;
};

class MemoryTransport final : public Transport {
 public:
  static constexpr std::size_t kDefaultMaxBodyBytes = 64 * 1024;

  // Attaches `address` to `network`, which must outlive this transport.
  MemoryTransport(MemoryNetwork& network, std::string address,
                  std::size_t max_body_bytes = kDefaultMaxBodyBytes);
  ~MemoryTransport() override;

  void SetHandlers(MessageHandler on_message, ErrorHandler on_error) override;
  void Send(const PeerEndpoint& remote, const Message& message) override;
  std::size_t MaxBodyBytes() const override { return max_body_bytes_; }

  // A closed transport sends nothing and receives nothing: a crashed node.
  void Close();
  void Open();
  const std::string& address() const { return address_; }

 private:
  friend class MemoryNetwork;
  void Deliver(Message&& message);

  std::shared_ptr<MemoryNetwork::State> network_;
  std::string address_;
  std::size_t max_body_bytes_;
  bool open_ = true;
  MessageHandler on_message_;
  ErrorHandler on_error_;
};

}  // namespace gossipmonger::testing
