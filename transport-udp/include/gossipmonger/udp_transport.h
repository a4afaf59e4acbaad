// UdpTransport: one codec envelope (docs/PROTOCOL.md) per UDP datagram,
// never larger than max_datagram_bytes. No connections, no queues, no
// retransmission: gossip repairs a lost message on a later round.
//
// A SocketTransport (socket_transport.h: Listen, local_address, Close,
// limits, threading and lifetime); like TcpTransport it must be started
// explicitly with Listen():
//
//   gossipmonger::UdpTransportOptions options;
//   options.listen_host = "10.0.0.5";
//   gossipmonger::UdpTransport transport(io, options);
//   if (auto s = transport.Listen(); !s.ok()) { ... }
//   const gossipmonger::PeerEndpoint self{"id", transport.local_address()};
//
// Size: MaxBodyBytes() is max_datagram_bytes minus the largest envelope this
// node may write (and, with a keyring, the largest seal: docs/SECURITY.md),
// so the engine never builds a message that would not fit
// (when its full digest does not fit it sends a partial one, flagged so;
// docs/transports.md). Every node of a cluster should use the same
// max_datagram_bytes: a receiver drops datagrams larger than its own.
//
// Sending: datagrams leave from the listening socket (so that they come
// from the advertised address); before Listen(), or to the other IP family,
// from an unbound socket of the right family. Host names are resolved
// asynchronously, on every send (the system resolver caches).
//
// Receiving: each datagram is decoded. Undecodable, oversized (truncated)
// or foreign-cluster datagrams are dropped, counted and reported through
// the error handler. Receive errors (ECONNREFUSED from an ICMP port
// unreachable caused by an earlier send, ENOBUFS, ...) are counted and
// reported too; the receive loop always goes on.
#pragma once

#include <asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "gossipmonger/socket_transport.h"

namespace gossipmonger {

// listen_host, listen_port, advertised_address and cluster: see
// SocketTransportOptions.
struct UdpTransportOptions : SocketTransportOptions {
  // Largest datagram payload sent or accepted. 1400 fits a typical Ethernet
  // MTU (1500) after the IPv4/IPv6 and UDP headers with room for a tunnel
  // or VPN header, so datagrams are never fragmented by IP (a lost fragment
  // loses the whole datagram, and many networks drop fragments). Raise it
  // on loopback or jumbo-frame networks, up to kMaxDatagramBytes (65,507:
  // the IPv4 limit of 65,535 minus 20 bytes of IP and 8 of UDP header).
  // Values outside [kMinDatagramBytes, kMaxDatagramBytes] are clamped.
  std::size_t max_datagram_bytes = 1400;

  // Sends handed to the kernel and not yet completed, at most. Over it a
  // message is dropped and counted (the socket buffer is full).
  std::size_t max_pending_sends = 1024;
};

// Counters since construction (decode_errors and foreign_cluster: see
// SocketTransportStats).
struct UdpTransportStats : SocketTransportStats {
  std::uint64_t datagrams_sent = 0;
  std::uint64_t datagrams_received = 0;  // decoded and delivered
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;       // every datagram read, good or bad
  std::uint64_t oversized_datagrams = 0;  // over max_datagram_bytes (truncated): dropped
  std::uint64_t receive_errors = 0;       // the socket reported an error on receive
  std::uint64_t send_errors = 0;          // resolve or send failed
  std::uint64_t dropped_oversized = 0;    // a message that would exceed the datagram
  std::uint64_t dropped_unsendable = 0;   // bad address, too many pending, closed
};

class UdpTransport final : public SocketTransport {
 public:
  static constexpr std::size_t kMaxDatagramBytes = 65'507;
  // The smallest value accepted: below it a message of the longest sender
  // id and address leaves hardly any room for a body.
  static constexpr std::size_t kMinDatagramBytes = 512;

  // Nothing is opened until Listen() or the first Send(). `io` must outlive
  // this object. max_datagram_bytes is clamped to [kMinDatagramBytes,
  // kMaxDatagramBytes], max_pending_sends to at least 1.
  UdpTransport(asio::io_context& io, UdpTransportOptions options);

  UdpTransportStats stats() const;
  // The options in use (after clamping).
  const UdpTransportOptions& options() const;

 private:
  struct Impl;
};

}  // namespace gossipmonger
