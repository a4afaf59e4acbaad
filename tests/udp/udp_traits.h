// UdpTransport's traits for the conformance suite. Loopback only.
#pragma once

#include <memory>
#include <string>

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>

#include "gossipmonger/udp_transport.h"

namespace gossipmonger::udp_test {

struct UdpTraits {
  using Type = UdpTransport;
  using Options = UdpTransportOptions;
  // Datagrams sent back to back before the receiver catches up: kept well
  // under what a default socket receive buffer holds, since UDP drops the
  // rest (gossip tolerates loss; this test checks delivery, not loss).
  static constexpr std::size_t kBulkBurst = 50;

  static std::unique_ptr<UdpTransport> Listening(asio::io_context& io, const std::string& host,
                                                 Status* status, std::uint16_t port = 0,
                                                 UdpTransportOptions options = {}) {
    options.listen_host = host;
    options.listen_port = port;
    auto transport = std::make_unique<UdpTransport>(io, std::move(options));
    *status = transport->Listen();
    if (!status->ok()) return nullptr;
    return transport;
  }
  static void Close(UdpTransport& transport) { transport.Close(); }
  static void SendRaw(std::uint16_t port, const std::string& bytes) {
    asio::io_context io;
    asio::ip::udp::socket socket(io, asio::ip::udp::v4());
    socket.send_to(asio::buffer(bytes), {asio::ip::make_address("127.0.0.1"), port});
  }
};

}  // namespace gossipmonger::udp_test
