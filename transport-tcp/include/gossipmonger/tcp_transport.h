// TcpTransport: the original's default transport (gossipmonger-tcp-transport)
// in C++. Messages travel as length-prefixed frames over persistent TCP
// connections, one codec envelope per frame (docs/PROTOCOL.md,
// docs/transports.md):
//
//   frame = [4-byte big-endian length N][N bytes: one msgpack envelope]
//
// A SocketTransport (socket_transport.h: Listen, local_address, Close,
// limits, threading and lifetime):
//
//   asio::io_context io;
//   gossipmonger::TcpTransportOptions options;
//   options.listen_host = "10.0.0.5";
//   options.listen_port = 9742;
//   gossipmonger::TcpTransport transport(io, options);
//   gossipmonger::Status s = transport.Listen();
//   if (!s.ok()) { ... }
//   std::unique_ptr<gossipmonger::Gossipmonger> node;
//   s = gossipmonger::Gossipmonger::Create(io, {"id", transport.local_address()}, {},
//                                          storage, transport, &node);
//
// Outgoing: one persistent connection per remote address ("host:port",
// "[v6]:port" or "name:port"; names are resolved asynchronously), opened on
// the first Send to it and reused across rounds. Each connection has a
// bounded queue; a connection that cannot be opened is retried with
// exponential backoff. Outgoing connections only write (replies come back
// over the remote's own connection to our listening address).
//
// Incoming: every frame is decoded. A frame over max_frame_bytes, bytes that
// do not decode, a wrong magic or protocol version: counted, reported through
// the error handler, and the connection is closed (its stream cannot be
// trusted to be in sync any more). A message of another cluster is dropped
// and reported, and the connection stays open; so is a frame encryption
// refuses (docs/SECURITY.md: a node in the middle of a migration step is
// not an attacker).
#pragma once

#include <asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "gossipmonger/socket_transport.h"

namespace gossipmonger {

// listen_host, listen_port, advertised_address and cluster: see
// SocketTransportOptions.
struct TcpTransportOptions : SocketTransportOptions {
  // Largest frame payload (the envelope, not counting the 4-byte length
  // prefix), in either direction. A received frame over it closes the
  // connection; a message that would encode larger is not sent (the engine
  // never builds one: see MaxBodyBytes). At most 2^32 - 1 (the prefix).
  // A value of the default Limits::max_value_bytes (1 MiB) does not fit the
  // default frame with its envelope: Update refuses values that could never
  // fit, so raise max_frame_bytes to carry values that large.
  std::size_t max_frame_bytes = 1 << 20;

  // Messages waiting per remote address (not counting those being written).
  // When full, a queued kDigest is replaced by a newer kDigest (the newer
  // supersedes it); otherwise the oldest queued message is dropped and
  // counted (gossip repairs losses on the next rounds).
  std::size_t send_queue_messages = 64;

  // Resolving plus connecting to a remote must finish within this.
  std::chrono::milliseconds connect_timeout{3000};
  // A connection, either way, that carried no frame for this long is closed
  // (an outgoing one is reopened by the next Send).
  std::chrono::milliseconds idle_timeout{60'000};
  // After a failed connect, the next attempt waits reconnect_backoff_initial,
  // doubled after every further failure up to reconnect_backoff_max; reset
  // by a connection that lived a second. A frame received from a peer
  // (its sender address) ends a backoff towards it at once and resets it:
  // the peer is evidently up. Messages sent meanwhile queue (bounded).
  std::chrono::milliseconds reconnect_backoff_initial{100};
  std::chrono::milliseconds reconnect_backoff_max{5000};
  // A frame must arrive whole within this from its first byte, and a newly
  // accepted connection must deliver its first whole frame within this:
  // a peer trickling one byte a minute, or connecting and saying nothing,
  // is cut instead of holding a slot forever.
  std::chrono::milliseconds read_timeout{10'000};

  // A write to a remote must complete within this: a peer that stops
  // reading (its buffers and ours full) is cut, the messages being written
  // are lost and the next message reconnects.
  std::chrono::milliseconds write_timeout{10'000};

  // Accepted connections beyond this are closed at once (and reported).
  std::size_t max_inbound_connections = 1024;
};

// Counters since construction (decode_errors and foreign_cluster: see
// SocketTransportStats). Cheap to copy.
struct TcpTransportStats : SocketTransportStats {
  std::uint64_t frames_sent = 0;           // whole frames written to a socket
  std::uint64_t frames_received = 0;       // frames decoded and delivered
  std::uint64_t bytes_sent = 0;            // including the length prefixes
  std::uint64_t bytes_received = 0;        // every byte read from inbound sockets
  std::uint64_t oversized_frames = 0;      // length prefix over max_frame_bytes
  std::uint64_t truncated_frames = 0;      // the peer closed in the middle of a frame
  std::uint64_t read_timeouts = 0;         // closed for a frame not completed in time
  std::uint64_t idle_closes = 0;           // closed after idle_timeout (either way)
  std::uint64_t write_timeouts = 0;        // outgoing closed: a write stalled
  std::uint64_t dropped_queue_full = 0;    // oldest queued message dropped
  std::uint64_t digests_replaced = 0;      // a queued kDigest superseded by a newer one
  std::uint64_t dropped_unsendable = 0;    // bad address, oversized, or closed transport
  std::uint64_t dropped_on_error = 0;      // lost with a connection that broke
  std::uint64_t connect_failures = 0;      // resolve / connect error or timeout
  std::uint64_t early_reconnects = 0;      // backoff cut short: that peer spoke
  std::uint64_t connections_opened = 0;    // outgoing connected + inbound accepted
  std::uint64_t connections_closed = 0;    // of those, closed since
  std::uint64_t connections_rejected = 0;  // inbound over max_inbound_connections
  std::uint64_t inbound_connections = 0;   // open now
  std::uint64_t outbound_connections = 0;  // open now
};

class TcpTransport final : public SocketTransport {
 public:
  // Nothing is opened until Listen() or the first Send(). `io` must outlive
  // this object. Out-of-range options are clamped: max_frame_bytes to
  // 2^32 - 1, send_queue_messages to at least 1, the backoffs to at least
  // 1 ms and max >= initial.
  TcpTransport(asio::io_context& io, TcpTransportOptions options);

  // The options in use (after clamping).
  const TcpTransportOptions& options() const;
  TcpTransportStats stats() const;

 private:
  struct Impl;
};

}  // namespace gossipmonger
