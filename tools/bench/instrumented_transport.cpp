#include "instrumented_transport.h"

#include <asio/steady_timer.hpp>
#include <deque>

#include "gossipmonger/wire_size.h"

namespace gossipmonger::bench {

struct InstrumentedTransport::Queue {
  struct Pending {
    Clock::time_point release;
    PeerEndpoint remote;
    Message message;
  };
  explicit Queue(asio::io_context& io) : timer(io) {}
  std::deque<Pending> pending;
  asio::steady_timer timer;
};

InstrumentedTransport::InstrumentedTransport(asio::io_context& io,
                                             std::unique_ptr<Transport> inner,
                                             std::string cluster, std::size_t frame_bytes,
                                             FaultOptions faults)
    : io_(io),
      inner_(std::move(inner)),
      cluster_(std::move(cluster)),
      frame_bytes_(frame_bytes),
      faults_(faults),
      rng_(faults.seed),
      self_(std::make_shared<InstrumentedTransport*>(this)) {}

InstrumentedTransport::~InstrumentedTransport() {
  for (auto& [address, queue] : queues_) queue->timer.cancel();
}

std::size_t InstrumentedTransport::WireBytes(const Message& message) const {
  return wire_size::Envelope(cluster_, message.sender, message.kind) +
         wire_size::Body(message) + frame_bytes_;
}

void InstrumentedTransport::SetHandlers(MessageHandler on_message,
                                        ErrorHandler on_error) {
  // The runtime clears the handlers when it goes away: pass that on as is.
  if (!on_message) return inner_->SetHandlers(nullptr, std::move(on_error));
  inner_->SetHandlers(
      [this, on_message = std::move(on_message)](Message&& message) {
        ++counters_.messages_received;
        counters_.bytes_received += WireBytes(message);
        on_message(std::move(message));
      },
      std::move(on_error));
}

void InstrumentedTransport::SendNow(const PeerEndpoint& remote, const Message& message) {
  ++counters_.messages_sent;
  counters_.bytes_sent += WireBytes(message);
  inner_->Send(remote, message);
}

void InstrumentedTransport::Send(const PeerEndpoint& remote, const Message& message) {
  auto delay = faults_.delay;
  if (faults_.loss > 0 && std::bernoulli_distribution(faults_.loss)(rng_)) {
    ++counters_.messages_lost;
    if (faults_.loss_mode == FaultOptions::LossMode::kDrop) return;
    delay += faults_.retransmit_timeout;
  }
  auto& slot = queues_[remote.address];
  if (!slot) slot = std::make_unique<Queue>(io_);
  Queue& queue = *slot;
  if (delay.count() == 0 && queue.pending.empty()) return SendNow(remote, message);
  // Never before an earlier message to the same peer: a stream keeps order.
  auto release = Clock::now() + delay;
  if (!queue.pending.empty() && queue.pending.back().release > release) {
    release = queue.pending.back().release;
  }
  queue.pending.push_back({release, remote, message});
  if (queue.pending.size() == 1) Arm(remote.address, queue);
}

void InstrumentedTransport::Arm(const std::string& address, Queue& queue) {
  queue.timer.expires_at(queue.pending.front().release);
  std::weak_ptr<InstrumentedTransport*> weak = self_;
  queue.timer.async_wait([weak, address](const std::error_code& error) {
    auto self = weak.lock();
    if (error || !self) return;
    (*self)->Release(address);
  });
}

void InstrumentedTransport::Release(const std::string& address) {
  Queue& queue = *queues_.at(address);
  const auto now = Clock::now();
  while (!queue.pending.empty() && queue.pending.front().release <= now) {
    Queue::Pending next = std::move(queue.pending.front());
    queue.pending.pop_front();
    SendNow(next.remote, next.message);
  }
  if (!queue.pending.empty()) Arm(address, queue);
}

}  // namespace gossipmonger::bench
