// UdpTransport: one codec envelope (docs/PROTOCOL.md) per UDP datagram,
// never larger than max_datagram_bytes. No connections, no queues, no
// retransmission: gossip repairs a lost message on a later round.
//
// Like TcpTransport, it must be started explicitly with Listen() (the original's
// listen()); until then it sends but receives nothing.
//
//   gossipmonger::UdpTransportOptions options;
//   options.listen_host = "10.0.0.5";
//   gossipmonger::UdpTransport transport(io, options);
//   if (auto s = transport.Listen(); !s.ok()) { ... }
//
// Size: MaxBodyBytes() is max_datagram_bytes minus the largest envelope this
// node may write, so the engine never builds a message that would not fit
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
//
// Threading, ownership and lifetime: as TcpTransport. All work happens on
// the io_context, run by one thread; every call is made on that thread;
// handlers may call Send, Close or SetHandlers but must not destroy the
// transport; the io_context must outlive the transport; destroying the
// transport closes its sockets at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <asio/io_context.hpp>

#include "gossipmonger/msgpack_codec.h"
#include "gossipmonger/status.h"
#include "gossipmonger/transport.h"

namespace gossipmonger {

struct UdpTransportOptions {
  // Where Listen() binds: an IPv4 / IPv6 literal or a host name (resolved
  // once, in Listen). Default loopback, as TcpTransportOptions.
  std::string listen_host = "127.0.0.1";
  // 0 picks an ephemeral port; local_port() tells which.
  std::uint16_t listen_port = 9742;

  // The address this node announces; only its length matters: see
  // TcpTransportOptions::advertised_address. Empty: room for
  // Limits::max_address_bytes.
  std::string advertised_address;

  // Nodes of different clusters ignore each other's messages.
  std::string cluster = "gossipmonger";

  // Largest datagram payload sent or accepted. 1400 fits a typical Ethernet
  // MTU (1500) after the IPv4/IPv6 and UDP headers with room for a tunnel
  // or VPN header, so datagrams are never fragmented by IP (a lost fragment
  // loses the whole datagram, and many networks drop fragments). Raise it
  // on loopback or jumbo-frame networks, up to kMaxDatagramBytes (65,507:
  // the IPv4 limit of 65,535 minus 20 bytes of IP and 8 of UDP header).
  // Values outside [kMinDatagramBytes, kMaxDatagramBytes] are clamped.
  std::size_t max_datagram_bytes = 1400;

  // Bounds of the decoder. Its max_message_bytes is further capped by
  // max_datagram_bytes.
  codec::DecodeLimits decode_limits;

  // Sends handed to the kernel and not yet completed, at most. Over it a
  // message is dropped and counted (the socket buffer is full).
  std::size_t max_pending_sends = 1024;
};

// Counters since construction.
struct UdpTransportStats {
  std::uint64_t datagrams_sent = 0;
  std::uint64_t datagrams_received = 0;  // decoded and delivered
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;      // every datagram read, good or bad
  std::uint64_t decode_errors = 0;       // undecodable, wrong magic / version
  std::uint64_t oversized_datagrams = 0;  // over max_datagram_bytes (truncated): dropped
  std::uint64_t foreign_cluster = 0;      // well-formed, other cluster: dropped
  std::uint64_t receive_errors = 0;       // the socket reported an error on receive
  std::uint64_t send_errors = 0;          // resolve or send failed
  std::uint64_t dropped_oversized = 0;    // a message that would exceed the datagram
  std::uint64_t dropped_unsendable = 0;   // bad address, too many pending, closed
};

class UdpTransport final : public Transport {
 public:
  static constexpr std::size_t kMaxDatagramBytes = 65'507;
  // The smallest value accepted: below it a message of the longest sender
  // id and address leaves hardly any room for a body.
  static constexpr std::size_t kMinDatagramBytes = 512;

  // Nothing is opened until Listen() or the first Send(). `io` must outlive
  // this object.
  UdpTransport(asio::io_context& io, UdpTransportOptions options);
  ~UdpTransport() override;

  UdpTransport(const UdpTransport&) = delete;
  UdpTransport& operator=(const UdpTransport&) = delete;

  // The original's listen(): resolves listen_host, binds and starts receiving.
  // kIOError if nothing could be bound; kInvalidArgument if already
  // listening or closed.
  Status Listen();
  // The bound port after a successful Listen(), else 0.
  std::uint16_t local_port() const;
  // Closes every socket; final (later sends are dropped). Idempotent.
  void Close();

  // --- Transport ------------------------------------------------------
  void SetHandlers(MessageHandler on_message, ErrorHandler on_error) override;
  // Encodes at once and hands one datagram to the kernel. A message whose
  // encoding would exceed max_datagram_bytes is dropped and reported: the
  // engine never builds one, so that signals a bug.
  void Send(const PeerEndpoint& remote, const Message& message) override;
  // max_datagram_bytes minus the largest envelope this node may write.
  std::size_t MaxBodyBytes() const override;

  UdpTransportStats stats() const;
  const UdpTransportOptions& options() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace gossipmonger
