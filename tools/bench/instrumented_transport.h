// InstrumentedTransport: a Transport decorator that counts what goes through
// it and, as a test knob, injects message loss and delay. gossipmonger-node
// wraps its transport in one (hidden flags --inject-loss P and
// --inject-delay-ms D; the `stats` command prints the counters) so that
// gossipmonger-bench can compare transports under the same faults on
// loopback, where the network never loses anything.
//
// Faults apply to sends only (a message lost on the way out is lost for the
// receiver too). How a lost message behaves depends on the transport it
// models:
//   kDrop        (UDP) the datagram is gone; gossip repairs it later.
//   kRetransmit  (TCP) a stream never loses a message: a lost segment is
//                resent after a retransmission timeout, and every later
//                message to the same peer waits behind it (head-of-line
//                blocking). The message is delayed by `retransmit_timeout`
//                instead (Linux's minimum RTO is 200 ms).
// Delay is added to every send; messages to one peer keep their order.
//
// Bytes are the exact encoded size of each message (wire_size.h: envelope
// and body) plus the transport's framing (4 bytes per TCP frame); IP, UDP
// and TCP headers, acknowledgements and handshakes are not counted.
//
// Threading: as any Transport, everything runs on the io_context's thread.
#pragma once

#include <asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "gossipmonger/transport.h"

namespace gossipmonger::bench {

struct FaultOptions {
  enum class LossMode { kDrop, kRetransmit };
  double loss = 0;  // probability that one send is lost, in [0, 1]
  LossMode loss_mode = LossMode::kDrop;
  std::chrono::milliseconds delay{0};
  std::chrono::milliseconds retransmit_timeout{200};
  std::uint64_t seed = 1;
};

// Counters since construction.
struct TransportCounters {
  std::uint64_t messages_sent = 0;  // handed to the wrapped transport
  std::uint64_t bytes_sent = 0;
  std::uint64_t messages_received = 0;  // delivered to the node
  std::uint64_t bytes_received = 0;
  std::uint64_t messages_lost = 0;  // injected losses (dropped or retransmitted)
};

class InstrumentedTransport final : public Transport {
 public:
  // `frame_bytes`: the transport's framing per message (TCP 4, UDP 0).
  InstrumentedTransport(asio::io_context& io, std::unique_ptr<Transport> inner,
                        std::string cluster, std::size_t frame_bytes,
                        FaultOptions faults);
  ~InstrumentedTransport() override;

  void SetHandlers(MessageHandler on_message, ErrorHandler on_error) override;
  void SetLimits(const Limits& limits) override { inner_->SetLimits(limits); }
  void Send(const PeerEndpoint& remote, const Message& message) override;
  std::size_t MaxBodyBytes() const override { return inner_->MaxBodyBytes(); }

  const TransportCounters& counters() const { return counters_; }

 private:
  struct Queue;  // delayed messages to one address, in order
  using Clock = std::chrono::steady_clock;

  std::size_t WireBytes(const Message& message) const;
  void SendNow(const PeerEndpoint& remote, const Message& message);
  void Arm(const std::string& address, Queue& queue);
  void Release(const std::string& address);

  asio::io_context& io_;
  std::unique_ptr<Transport> inner_;
  std::string cluster_;
  std::size_t frame_bytes_;
  FaultOptions faults_;
  std::mt19937_64 rng_;
  TransportCounters counters_;
  std::map<std::string, std::unique_ptr<Queue>> queues_;
  // Timer handlers hold a weak copy: they do nothing once this is gone.
  std::shared_ptr<InstrumentedTransport*> self_;
};

}  // namespace gossipmonger::bench
