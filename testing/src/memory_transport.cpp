#include "gossipmonger/testing/memory_transport.h"

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <unordered_map>

#include "gossipmonger/wire_size.h"

namespace gossipmonger::testing {

struct MemoryNetwork::State {
  State(asio::io_context& io_context, std::uint64_t rng_seed, LinkConditions conditions)
      : io(io_context), faults(rng_seed, conditions) {}
  asio::io_context& io;
  FaultModel faults;
  std::unordered_map<std::string, MemoryTransport*> endpoints;
};

MemoryNetwork::MemoryNetwork(asio::io_context& io, std::uint64_t rng_seed,
                             LinkConditions conditions)
    : state_(std::make_shared<State>(io, rng_seed, conditions)) {}

MemoryNetwork::~MemoryNetwork() { state_->endpoints.clear(); }

FaultModel& MemoryNetwork::faults() { return state_->faults; }

MemoryTransport::MemoryTransport(MemoryNetwork& network, std::string address,
                                 std::size_t max_body_bytes)
    : network_(network.state_),
      address_(std::move(address)),
      max_body_bytes_(max_body_bytes) {
  network_->endpoints[address_] = this;
}

MemoryTransport::~MemoryTransport() {
  auto it = network_->endpoints.find(address_);
  if (it != network_->endpoints.end() && it->second == this)
    network_->endpoints.erase(it);
}

void MemoryTransport::SetHandlers(MessageHandler on_message, ErrorHandler on_error) {
  on_message_ = std::move(on_message);
  on_error_ = std::move(on_error);
}

void MemoryTransport::Close() { open_ = false; }
void MemoryTransport::Open() { open_ = true; }

void MemoryTransport::Send(const PeerEndpoint& remote, const Message& message) {
  if (!open_) return;
  const std::size_t bytes =
      wire_size::Body(message) + wire_size::Envelope("", message.sender, message.kind);
  std::vector<Duration> copies = network_->faults.Route(address_, remote.address, bytes);
  std::weak_ptr<MemoryNetwork::State> network = network_;
  for (Duration delay : copies) {
    auto deliver = [network, to = remote.address, copy = message]() mutable {
      auto state = network.lock();
      if (!state) return;
      auto it = state->endpoints.find(to);
      if (it != state->endpoints.end()) it->second->Deliver(std::move(copy));
    };
    if (delay.count() <= 0) {
      asio::post(network_->io, std::move(deliver));
    } else {
      auto timer = std::make_shared<asio::steady_timer>(network_->io, delay);
      timer->async_wait(
          [timer, deliver = std::move(deliver)](const std::error_code& error) mutable {
            if (!error) deliver();
          });
    }
  }
}

void MemoryTransport::Deliver(Message&& message) {
  if (open_ && on_message_) on_message_(std::move(message));
}

}  // namespace gossipmonger::testing
