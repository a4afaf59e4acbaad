// SocketTransport: what TcpTransport and UdpTransport share, as a user sees
// it (docs/transports.md). Each is a SocketTransport with its own socket
// code and options; this base holds where to listen, the cluster, the
// address to announce, Listen / Close and the Transport interface, all
// implemented once in the transport core (gossipmonger::transport_core).
//
// Like the original's transports, a socket transport must be started with
// Listen() (the original's listen()); until then it sends but receives nothing,
// and other nodes soon believe this node dead:
//
//   gossipmonger::UdpTransport transport(io, options);  // or TcpTransport
//   gossipmonger::Status s = transport.Listen();
//   if (!s.ok()) { ... }
//   std::unique_ptr<gossipmonger::Gossipmonger> node;
//   s = gossipmonger::Gossipmonger::Create(io, {"id", transport.local_address()}, {},
//                                          storage, transport, &node);
//
// Errors: nothing here throws (but std::bad_alloc); Listen returns a Status,
// failures after it go to the error handler.
//
// Limits: the Gossipmonger runtime hands its Options::limits to the
// transport once (Transport::SetLimits, in Gossipmonger::Create), before it
// asks MaxBodyBytes or sends; the decoder and the message budget follow
// them. A transport used without a runtime keeps the default Limits.
//
// Threading: all work happens on the io_context, which must be run by one
// thread (as the Gossipmonger runtime requires). Every call is made on that
// thread (or while the io_context is not running). The handlers are called
// on it; they may call Send, Close or SetHandlers, but must not destroy the
// transport.
//
// Ownership and lifetime: the io_context must outlive the transport. The
// transport owns its sockets and timers; destroying it closes them at once,
// and handlers of operations still pending inside the io_context find it
// gone and do nothing.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "gossipmonger/keyring.h"
#include "gossipmonger/options.h"
#include "gossipmonger/status.h"
#include "gossipmonger/transport.h"

namespace gossipmonger {

namespace transport_core {
class SocketCore;
}  // namespace transport_core

// What a transport with a keyring sends and accepts (docs/SECURITY.md,
// "Modes"). Moving a running cluster from kOff to kRequire, or back, goes
// through kAccept and kSend, one step on every node at a time.
enum class Encryption {
  kOff,      // sends plaintext; accepts plaintext only
  kAccept,   // sends plaintext; accepts plaintext and sealed
  kSend,     // sends sealed with the primary key; accepts both
  kRequire,  // sends sealed with the primary key; accepts sealed only
};

// The options every socket transport has; TcpTransportOptions and
// UdpTransportOptions add their own.
struct SocketTransportOptions {
  // Where Listen() binds: an IPv4 or IPv6 literal or a host name (resolved
  // once, in Listen; the first address that binds wins). "0.0.0.0" or "::"
  // listen on every interface ("::" also accepts IPv4 where the system
  // allows dual-stack sockets). Default loopback: a node reachable from
  // other machines has to say so.
  std::string listen_host = "127.0.0.1";
  // 0 picks an ephemeral port; local_port() tells which. The original's default.
  std::uint16_t listen_port = 9742;

  // The address this node announces to others (its PeerEndpoint::address).
  // Only its length matters here: MaxBodyBytes() reserves room for it in
  // the envelope. Empty (default): room for Limits::max_address_bytes, the
  // longest address a peer may have.
  std::string advertised_address;

  // Nodes of different clusters ignore each other's messages. At most
  // SocketTransport::kMaxClusterBytes, or Listen() refuses it.
  std::string cluster = "gossipmonger";

  // The keys that seal and open messages (docs/SECURITY.md), shared with
  // whoever changes them at runtime. Null (default): the transport is
  // plaintext for its whole life, whatever `encryption` says.
  std::shared_ptr<Keyring> keyring;
  // With a keyring: what to send and accept. kSend and kRequire need a
  // primary key (Listen refuses them with an empty keyring).
  // Default: kRequire.
  Encryption encryption = Encryption::kRequire;
  // Sealed frames sent longer ago than this (by the receiver's wall clock)
  // are refused as stale; see docs/SECURITY.md, "Replay protection".
  // Default: 30 s.
  std::chrono::milliseconds replay_window{30'000};
};

// Counters kept by the shared receive path, since construction.
struct SocketTransportStats {
  std::uint64_t decode_errors = 0;    // undecodable, wrong magic / version, over Limits
  std::uint64_t foreign_cluster = 0;  // well-formed, other cluster: dropped
  // Refused by encryption (docs/SECURITY.md, "Errors"): dropped.
  std::uint64_t unknown_key = 0;        // sealed with a key id not in the keyring
  std::uint64_t unauthentic = 0;        // sealed, does not open (bad tag)
  std::uint64_t stale = 0;              // sent outside the replay window
  std::uint64_t replayed = 0;           // seen before
  std::uint64_t plaintext_refused = 0;  // plaintext while kRequire
  std::uint64_t sealed_refused = 0;     // sealed while kOff or without a keyring
};

class SocketTransport : public Transport {
 public:
  // The longest cluster name: every decoder of the cluster refuses a longer
  // one, so a node using it would hear nothing and be heard by nobody.
  static constexpr std::size_t kMaxClusterBytes = 256;

  // Closes every socket (see Close).
  ~SocketTransport() override;

  SocketTransport(const SocketTransport&) = delete;
  SocketTransport& operator=(const SocketTransport&) = delete;

  // The original's listen(): resolves listen_host, binds and starts receiving.
  // kIOError if nothing could be bound; kInvalidArgument if the cluster name
  // is longer than kMaxClusterBytes, or already listening, or closed.
  Status Listen();
  // The bound port after a successful Listen(), else 0.
  std::uint16_t local_port() const;
  // The address to give this node's PeerEndpoint: "host:port" with the
  // bound port and the listen_host as given ("127.0.0.1:9742",
  // "[::1]:9742", "node-3.example:9742"). Empty before Listen(), after
  // Close(), and when bound to a wildcard address ("0.0.0.0", "::"): then
  // no single address reaches this node, and the caller must say which one
  // the others use (and put it in advertised_address).
  std::string local_address() const;
  // Stops listening and closes every socket. Final: afterwards Send drops
  // everything and nothing is received. Idempotent.
  void Close();

  // Changes the encryption mode at once (docs/SECURITY.md, "Modes").
  // kInvalidArgument without a keyring, or for kSend / kRequire while the
  // keyring has no primary key.
  Status SetEncryption(Encryption mode);
  // The mode in use: kOff without a keyring, whatever the options say.
  Encryption encryption() const;

  // --- Transport ------------------------------------------------------
  void SetHandlers(MessageHandler on_message, ErrorHandler on_error) final;
  // Bounds the decoder (ids, addresses, keys, values, peers) and sizes
  // MaxBodyBytes for the longest sender id they allow.
  void SetLimits(const Limits& limits) final;
  // Encodes at once (the message may be destroyed on return) and hands it
  // to the socket code. A malformed address, or an encoding over the
  // transport's frame / datagram size, is dropped and reported.
  void Send(const PeerEndpoint& remote, const Message& message) final;
  // The frame / datagram size minus the largest envelope this node may
  // write (a sender id of Limits::max_peer_id_bytes and the advertised
  // address) and, with a keyring, the largest sealed-frame overhead.
  std::size_t MaxBodyBytes() const final;

 protected:
  // `core`: the transport's implementation, shared with the handlers of
  // its pending asynchronous operations.
  explicit SocketTransport(std::shared_ptr<transport_core::SocketCore> core);
  transport_core::SocketCore& core() const { return *core_; }
  SocketTransportStats shared_stats() const;

 private:
  std::shared_ptr<transport_core::SocketCore> core_;
};

}  // namespace gossipmonger
