// SocketCore: the implementation a socket transport shares with every
// other (docs/transports.md). A transport's Impl derives from it and adds
// its sockets: it implements Bind, StartReceiving, CloseSockets, Arriving
// and Send, and calls the protected helpers below to encode, decode, report and
// deliver. The SocketTransport facade calls the public part.
//
// What lives here and only here: the handlers and how they are called
// (Report, DecodeAndDeliver), the Limits the runtime hands over and what follows
// from them (the decoder's bounds, MaxBodyBytes), encoding with the size
// check, decoding with the cluster check, encryption (sealing, the mode
// table, opening, replay checks: docs/SECURITY.md, with FrameCipher) and
// its rate-limited reports, address parsing, and Listen (checks,
// resolution, trying each address, the bound port and address).
//
// Ownership: the Impl is held by a shared_ptr (the facade's) and by the
// handlers of its pending asynchronous operations, which check closed()
// first. Threading: everything on the io_context's thread.
#pragma once

#include <array>
#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>

#include "gossipmonger/socket_transport.h"
#include "transport_core/frame_cipher.h"
#include "transport_core/report_throttle.h"

namespace gossipmonger::codec {
struct Decoded;
}  // namespace gossipmonger::codec

namespace gossipmonger::transport_core {

// The largest envelope a transport carries and the option that sets it,
// named in reports ("max_frame_bytes", "max_datagram_bytes").
struct PayloadLimit {
  const char* option;
  std::size_t bytes;
};

class SocketCore {
 public:
  // `name` starts every report ("tcp transport"). Uses the default Limits
  // until SetLimits.
  SocketCore(asio::io_context& io, std::string name,
             const SocketTransportOptions& options, PayloadLimit payload);
  virtual ~SocketCore();

  SocketCore(const SocketCore&) = delete;
  SocketCore& operator=(const SocketCore&) = delete;

  // --- what SocketTransport calls ---------------------------------------
  Status Listen();
  std::uint16_t local_port() const { return listening() ? bound_port_ : 0; }
  std::string local_address() const;
  // Marks the transport closed and calls CloseSockets, once.
  void Close();
  void SetHandlers(Transport::MessageHandler on_message,
                   Transport::ErrorHandler on_error);
  void SetLimits(const Limits& limits);
  // docs/SECURITY.md, "Modes": kInvalidArgument without a keyring, or for
  // kSend / kRequire with no primary key.
  Status SetEncryption(Encryption mode);
  // kOff without a keyring.
  Encryption encryption() const;
  std::size_t max_body_bytes() const { return max_body_bytes_; }
  const SocketTransportStats& shared_stats() const { return shared_stats_; }
  virtual void Send(const PeerEndpoint& remote, const Message& message) = 0;

 protected:
  // The outcome of decoding received bytes. kRefused: refused by
  // encryption (wrong mode, key, tag; stale; replayed), counted, reported
  // and dropped; the bytes were well delimited, so TCP keeps the
  // connection (kUndecodable closes it).
  enum class Decoding { kMessage, kUndecodable, kForeignCluster, kRefused };
  // Where received bytes came from (host:port), as text. Called only when
  // a report needs it: formatting an endpoint costs more than decoding a
  // small message.
  using SourceText = std::function<std::string()>;

  // Opens a socket on `address`:`port`, binds it (and for a stream socket
  // listens), setting *bound_port. On error leaves nothing open.
  virtual std::error_code Bind(const asio::ip::address& address, std::uint16_t port,
                               std::uint16_t* bound_port) = 0;
  // After a successful Bind: the first asynchronous accept / receive.
  virtual void StartReceiving() = 0;
  // Closes every socket and timer (closed() is already true).
  virtual void CloseSockets() = 0;
  // A message of this cluster arrived; the message handler gets it next.
  // The transport counts it (TCP also ends a backoff towards its sender).
  virtual void Arriving(const Message& message) = 0;

  bool closed() const { return closed_; }
  bool listening() const { return bound_port_ != 0 && !closed_; }
  asio::io_context& io() const { return io_; }

  // Sends `text` (prefixed with the transport's name) to the error handler.
  void Report(StatusCode code, std::string text) const;
  // Splits remote.address into host and port; false (reported) when it is
  // not host:port.
  bool ParseAddress(const PeerEndpoint& remote, std::string* host,
                    std::uint16_t* port) const;
  // Appends the encoding of `message` to `out`, sealed in modes kSend and
  // kRequire; false (reported) when the result exceeds the payload limit
  // (the engine never builds such a message: a bug) or there is no key to
  // seal with. `out` may hold a prefix already; it is not counted.
  bool EncodeWithin(const PeerEndpoint& remote, const Message& message, std::string& out);
  // Decodes one envelope (or sealed frame) received from `from`; a message
  // of this cluster that encryption accepts goes to Arriving, then to the
  // message handler. An undecodable one is counted and reported, saying
  // `consequence` (what the transport does about it: "dropped",
  // "connection closed"); one of another cluster is counted, reported and
  // dropped; one encryption refuses is counted, reported (rate-limited)
  // and dropped.
  Decoding DecodeAndDeliver(std::string_view bytes, const SourceText& from,
                            std::string_view consequence);
  // Tests move the wall clock (seal times, the freshness check).
  void set_wall_clock(FrameCipher::WallClock clock) {
    cipher_.set_wall_clock(std::move(clock));
  }

  const PayloadLimit payload_;

 private:
  Status CheckCanListen() const;
  // Decodes `envelope` with the limits and checks its cluster.
  Decoding Decode(std::string_view envelope, const SourceText& from,
                  std::string_view consequence, codec::Decoded* decoded);
  // Counts a refused frame and reports it, at most once a second per
  // counter. `peer`: the sender id when the envelope was decoded, else empty.
  void Refuse(Refusal refusal, const SourceText& from, std::string_view peer,
              const std::string& detail);
  std::uint64_t& CounterOf(Refusal refusal);

  asio::io_context& io_;
  const std::string name_;
  const SocketTransportOptions options_;
  Limits limits_;
  std::size_t max_body_bytes_ = 0;
  Transport::MessageHandler on_message_;
  Transport::ErrorHandler on_error_;
  SocketTransportStats shared_stats_;
  FrameCipher cipher_;
  std::string envelope_scratch_;  // the envelope being sealed
  std::array<ReportThrottle, kRefusalKinds> refusal_reports_;
  asio::ip::address bound_address_;
  std::uint16_t bound_port_ = 0;
  bool closed_ = false;
};

}  // namespace gossipmonger::transport_core
