#include "transport_core/socket_core.h"

#include <asio/ip/tcp.hpp>
#include <cassert>
#include <utility>
#include <vector>

#include "gossipmonger/msgpack_codec.h"
#include "gossipmonger/wire_size.h"
#include "transport_core/host_port.h"

namespace gossipmonger::transport_core {

namespace {

// The addresses `host` names: itself when it is a literal, else what the
// resolver returns for a passive (listening) socket. The addresses of a name
// do not depend on the socket type asked for, so TCP's resolver serves UDP.
Status ResolveListenHost(asio::io_context& io, const std::string& host,
                         std::uint16_t port, std::vector<asio::ip::address>* out) {
  std::error_code error;
  const asio::ip::address literal = asio::ip::make_address(host, error);
  if (!error) {
    out->push_back(literal);
    return Status::Ok();
  }
  asio::ip::tcp::resolver resolver(io);
  const auto results = resolver.resolve(host, std::to_string(port),
                                        asio::ip::tcp::resolver::passive, error);
  if (error)
    return Status::Error(StatusCode::kIOError, "cannot resolve: " + error.message());
  for (const auto& entry : results) out->push_back(entry.endpoint().address());
  return Status::Ok();
}

}  // namespace

SocketCore::SocketCore(asio::io_context& io, std::string name,
                       const SocketTransportOptions& options, PayloadLimit payload)
    : payload_(payload), io_(io), name_(std::move(name)), options_(options) {
  SetLimits(Limits{});
}

SocketCore::~SocketCore() = default;

// --- listening -------------------------------------------------------------

Status SocketCore::CheckCanListen() const {
  // A name our own decoder would refuse would make every node of the
  // cluster drop every message of every other.
  if (options_.cluster.size() > SocketTransport::kMaxClusterBytes) {
    return Status::Error(StatusCode::kInvalidArgument,
                         name_ + ": cluster name longer than kMaxClusterBytes (" +
                             std::to_string(SocketTransport::kMaxClusterBytes) +
                             " bytes)");
  }
  if (closed_) return Status::Error(StatusCode::kInvalidArgument, name_ + ": closed");
  if (bound_port_ != 0) {
    return Status::Error(StatusCode::kInvalidArgument, name_ + ": already listening");
  }
  return Status::Ok();
}

Status SocketCore::Listen() {
  if (Status s = CheckCanListen(); !s.ok()) return s;
  const std::string where = FormatHostPort(options_.listen_host, options_.listen_port);
  std::vector<asio::ip::address> addresses;
  if (Status s =
          ResolveListenHost(io_, options_.listen_host, options_.listen_port, &addresses);
      !s.ok()) {
    return Status::Error(s.code(), name_ + ": " + where + ": " + s.message());
  }
  std::error_code error = std::make_error_code(std::errc::address_not_available);
  for (const asio::ip::address& address : addresses) {
    std::uint16_t port = 0;
    error = Bind(address, options_.listen_port, &port);
    if (error) continue;
    bound_address_ = address;
    bound_port_ = port;
    StartReceiving();
    return Status::Ok();
  }
  return Status::Error(StatusCode::kIOError,
                       name_ + ": cannot listen on " + where + ": " + error.message());
}

std::string SocketCore::local_address() const {
  // A wildcard address reaches no one in particular: the caller decides.
  if (!listening() || bound_address_.is_unspecified()) return std::string();
  // As given: a name stays a name (the others resolve it, as any address).
  return FormatHostPort(options_.listen_host, bound_port_);
}

void SocketCore::Close() {
  if (closed_) return;
  closed_ = true;
  CloseSockets();
}

// --- handlers and limits -------------------------------------------------------

void SocketCore::SetHandlers(Transport::MessageHandler on_message,
                             Transport::ErrorHandler on_error) {
  on_message_ = std::move(on_message);
  on_error_ = std::move(on_error);
}

void SocketCore::SetLimits(const Limits& limits) {
  limits_ = limits;
  const PeerEndpoint worst{std::string(limits.max_peer_id_bytes, 'x'),
                           options_.advertised_address.empty()
                               ? std::string(limits.max_address_bytes, 'x')
                               : options_.advertised_address};
  const std::size_t envelope =
      wire_size::Envelope(options_.cluster, worst, MessageKind::kDigestReply);
  max_body_bytes_ = payload_.bytes > envelope ? payload_.bytes - envelope : 0;
}

Status SocketCore::SetEncryption(Encryption) {
  return Status::Error(StatusCode::kNotSupported, name_ + ": encryption: not yet");
}

Encryption SocketCore::encryption() const { return Encryption::kOff; }

void SocketCore::Report(StatusCode code, std::string text) const {
  // A copy: the handler may replace the handlers (a runtime destroyed from
  // inside it) while it runs.
  if (Transport::ErrorHandler handler = on_error_) {
    handler(Status::Error(code, name_ + ": " + std::move(text)));
  }
}

// --- the wire ----------------------------------------------------------------------

bool SocketCore::ParseAddress(const PeerEndpoint& remote, std::string* host,
                              std::uint16_t* port) const {
  if (SplitHostPort(remote.address, host, port)) return true;
  Report(StatusCode::kInvalidArgument, "message to peer '" + remote.id +
                                           "' not sent: address '" + remote.address +
                                           "' is not host:port");
  return false;
}

bool SocketCore::EncodeWithin(const PeerEndpoint& remote, const Message& message,
                              std::string& out) const {
  const std::size_t start = out.size();
  codec::Encode(options_.cluster, message, out);
  const std::size_t size = out.size() - start;
  // The codec's contract, on which MaxBodyBytes() rests.
  assert(size == wire_size::Envelope(options_.cluster, message.sender, message.kind) +
                     wire_size::Body(message));
  if (size <= payload_.bytes) return true;
  Report(StatusCode::kLimitExceeded,
         "message to " + remote.address + " not sent: its " + std::to_string(size) +
             " bytes exceed " + payload_.option + " (" + std::to_string(payload_.bytes) +
             "); the engine never builds one (a bug)");
  return false;
}

SocketCore::Decoding SocketCore::DecodeAndDeliver(std::string_view bytes,
                                                  const SourceText& from,
                                                  std::string_view consequence) {
  // The frame / datagram bounds the message; Limits bound its fields.
  codec::DecodeLimits limits;
  limits.max_message_bytes = payload_.bytes;
  limits.max_cluster_bytes = SocketTransport::kMaxClusterBytes;
  limits.limits = limits_;
  codec::Decoded decoded;
  const Status status = codec::Decode(bytes, limits, &decoded);
  if (!status.ok()) {
    ++shared_stats_.decode_errors;
    Report(status.code(), "undecodable message from " + from() + " (" +
                              std::string(consequence) + "): " + status.message());
    return Decoding::kUndecodable;
  }
  if (decoded.cluster != options_.cluster) {
    ++shared_stats_.foreign_cluster;
    Report(StatusCode::kProtocolError,
           "message from " + from() + " (peer '" + decoded.message.sender.id +
               "') of cluster '" + decoded.cluster + "' dropped: this is cluster '" +
               options_.cluster + "'");
    return Decoding::kForeignCluster;
  }
  Arriving(decoded.message);
  // A copy: the handler may replace the handlers while it runs.
  if (Transport::MessageHandler handler = on_message_)
    handler(std::move(decoded.message));
  return Decoding::kMessage;
}

}  // namespace gossipmonger::transport_core
