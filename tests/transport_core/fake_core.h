// FakeCore: a SocketCore whose Bind pretends and which records what it
// delivers and reports, so that Listen, the limits, the decode path and
// encryption are checked without sockets (tests bind only to loopback).
// Shared by the transport core's tests.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <system_error>
#include <vector>

#include "gossipmonger/msgpack_codec.h"
#include "transport_core/socket_core.h"

namespace gossipmonger::testing_core {

inline constexpr std::size_t kPayload = 1000;
inline constexpr std::uint16_t kBoundPort = 4242;

class FakeCore final : public transport_core::SocketCore {
 public:
  FakeCore(asio::io_context& io, const SocketTransportOptions& options)
      : SocketCore(io, "fake transport", options, {"max_fake_bytes", kPayload}) {
    SetHandlers([this](Message&& m) { messages.push_back(std::move(m)); },
                [this](const Status& s) { errors.push_back(s); });
  }

  using SocketCore::DecodeAndDeliver;
  using SocketCore::Decoding;
  using SocketCore::EncodeWithin;
  using SocketCore::ParseAddress;
  using SocketCore::set_wall_clock;
  using SocketCore::SourceText;

  std::error_code Bind(const asio::ip::address& address, std::uint16_t,
                       std::uint16_t* bound_port) override {
    tried.push_back(address);
    if (refuse_bind) return std::make_error_code(std::errc::address_in_use);
    *bound_port = kBoundPort;
    return {};
  }
  void StartReceiving() override { ++receiving; }
  void CloseSockets() override { ++sockets_closed; }
  void Arriving(const Message& message) override {
    // Before the handler, which has not seen it yet.
    arrived_before_handler.push_back(messages.size() == arrivals++);
    CHECK(message.kind == MessageKind::kDeltas);
  }
  void Send(const PeerEndpoint&, const Message&) override {}

  bool refuse_bind = false;
  std::vector<asio::ip::address> tried;
  int receiving = 0;
  int sockets_closed = 0;
  std::size_t arrivals = 0;
  std::vector<bool> arrived_before_handler;
  std::vector<Message> messages;
  std::vector<Status> errors;
};

// The text of a source, as SocketCore::Decode asks it.
inline FakeCore::SourceText From(const std::string& text) {
  return [text] { return text; };
}

// A deltas message carrying one value of `bytes` bytes, and its encoding.
struct Sample {
  Message message;
  std::string encoded;
};

inline Sample WithValue(std::size_t bytes, const std::string& cluster = "gossipmonger") {
  Sample sample;
  sample.message.kind = MessageKind::kDeltas;
  sample.message.sender = {"peer", "127.0.0.1:1"};
  sample.message.deltas = {
      {"peer", Generation(1), "", {{"k", std::string(bytes, 'v'), Version(1)}}}};
  codec::Encode(cluster, sample.message, sample.encoded);
  return sample;
}

}  // namespace gossipmonger::testing_core
