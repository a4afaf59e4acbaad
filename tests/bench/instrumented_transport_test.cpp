// The transport decorator of gossipmonger-node: counts exact wire sizes,
// drops (UDP) or holds back (TCP) injected losses, and keeps the order of
// messages to one peer under delay and retransmission.
#include "instrumented_transport.h"

#include <asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <memory>
#include <vector>

#include "gossipmonger/wire_size.h"

using namespace gossipmonger;
using gossipmonger::bench::FaultOptions;
using gossipmonger::bench::InstrumentedTransport;

namespace {

// Records what reaches it, in order; lets the test play the network.
class RecordingTransport final : public Transport {
 public:
  void SetHandlers(MessageHandler on_message, ErrorHandler) override {
    on_message_ = std::move(on_message);
  }
  void Send(const PeerEndpoint& remote, const Message& message) override {
    sent.push_back({remote, message});
  }
  std::size_t MaxBodyBytes() const override { return 1000; }
  void SetLimits(const Limits& given) override { limits = given; }
  void Receive(Message message) { on_message_(std::move(message)); }
  bool has_handler() const { return static_cast<bool>(on_message_); }

  struct Sent {
    PeerEndpoint remote;
    Message message;
  };
  std::vector<Sent> sent;
  Limits limits;

 private:
  MessageHandler on_message_;
};

// A digest whose one entry's heartbeat numbers the message.
Message Numbered(std::uint64_t n) {
  Message message;
  message.kind = MessageKind::kDigest;
  message.sender = {"a", "127.0.0.1:1"};
  message.digest.push_back({"a", Generation(1), Heartbeat(n), Version(0)});
  return message;
}

struct Fixture {
  explicit Fixture(FaultOptions faults, std::size_t frame_bytes = 0) {
    auto owned = std::make_unique<RecordingTransport>();
    inner = owned.get();
    transport = std::make_unique<InstrumentedTransport>(io, std::move(owned), "c",
                                                        frame_bytes, faults);
    transport->SetHandlers([this](Message&&) { ++delivered; }, nullptr);
  }
  std::vector<std::uint64_t> SentNumbers(const std::string& address) const {
    std::vector<std::uint64_t> numbers;
    for (const auto& s : inner->sent) {
      if (s.remote.address == address)
        numbers.push_back(s.message.digest[0].heartbeat.value());
    }
    return numbers;
  }
  asio::io_context io;
  RecordingTransport* inner = nullptr;
  std::unique_ptr<InstrumentedTransport> transport;
  int delivered = 0;
};

const PeerEndpoint kB{"b", "127.0.0.1:2"};
const PeerEndpoint kC{"c", "127.0.0.1:3"};

}  // namespace

TEST_CASE("counts messages and their exact encoded bytes both ways") {
  Fixture f(FaultOptions{}, /*frame_bytes=*/4);
  const Message message = Numbered(7);
  const std::size_t bytes = wire_size::Envelope("c", message.sender, message.kind) +
                            wire_size::Body(message) + 4;
  f.transport->Send(kB, message);
  f.transport->Send(kC, message);
  REQUIRE(f.inner->sent.size() == 2);  // no fault: handed on at once
  f.inner->Receive(message);
  CHECK(f.delivered == 1);
  CHECK(f.transport->counters().messages_sent == 2);
  CHECK(f.transport->counters().bytes_sent == 2 * bytes);
  CHECK(f.transport->counters().messages_received == 1);
  CHECK(f.transport->counters().bytes_received == bytes);
  CHECK(f.transport->counters().messages_lost == 0);
}

TEST_CASE("UDP-style loss drops the message and counts it") {
  FaultOptions faults;
  faults.loss = 1;
  Fixture f(faults);
  for (std::uint64_t n = 0; n < 5; ++n) f.transport->Send(kB, Numbered(n));
  f.io.run();
  CHECK(f.inner->sent.empty());
  CHECK(f.transport->counters().messages_lost == 5);
  CHECK(f.transport->counters().messages_sent == 0);
}

TEST_CASE("TCP-style loss delivers late, and later messages wait behind it") {
  FaultOptions faults;
  faults.loss = 0.3;
  faults.loss_mode = FaultOptions::LossMode::kRetransmit;
  faults.retransmit_timeout = std::chrono::milliseconds(3);
  faults.seed = 42;
  Fixture f(faults);
  std::vector<std::uint64_t> expected;
  for (std::uint64_t n = 0; n < 200; ++n) {
    f.transport->Send(n % 2 ? kB : kC, Numbered(n));
    if (n % 2) expected.push_back(n);
  }
  f.io.run();
  const auto lost = f.transport->counters().messages_lost;
  CHECK(lost > 20);  // 30% of 200, with a fixed seed
  CHECK(lost < 100);
  CHECK(f.inner->sent.size() == 200);
  CHECK(f.SentNumbers(kB.address) == expected);
  CHECK(f.SentNumbers(kC.address).size() == 100);
}

TEST_CASE("delay keeps every message and their order per peer") {
  FaultOptions faults;
  faults.delay = std::chrono::milliseconds(2);
  Fixture f(faults);
  for (std::uint64_t n = 0; n < 50; ++n) f.transport->Send(kB, Numbered(n));
  CHECK(f.inner->sent.empty());  // held until the delay passed
  f.io.run();
  std::vector<std::uint64_t> expected;
  for (std::uint64_t n = 0; n < 50; ++n) expected.push_back(n);
  CHECK(f.SentNumbers(kB.address) == expected);
  CHECK(f.transport->counters().messages_sent == 50);
}

TEST_CASE("cleared handlers are passed on, not wrapped") {
  Fixture f(FaultOptions{});
  REQUIRE(f.inner->has_handler());
  // The runtime clears its handlers when it goes away; a wrapper around an
  // empty handler would make the transport call into nothing.
  f.transport->SetHandlers(nullptr, nullptr);
  CHECK_FALSE(f.inner->has_handler());
}

TEST_CASE("hands the node's limits to the transport it wraps") {
  // The node's Options::limits reach the socket transport's decoder only
  // through the decorator.
  Fixture f(FaultOptions{});
  Limits limits;
  limits.max_value_bytes = 77;
  f.transport->SetLimits(limits);
  CHECK(f.inner->limits.max_value_bytes == 77);
}
