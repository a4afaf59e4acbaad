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
    : payload_(payload),
      io_(io),
      name_(std::move(name)),
      options_(options),
      cipher_(options) {
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
  // A node that cannot seal what its mode says it sends must not start.
  if (cipher_.has_keyring()) {
    if (Status s = cipher_.CheckUsable(cipher_.mode()); !s.ok())
      return Status::Error(s.code(), name_ + ": " + s.message());
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
  // With a keyring, room for the largest seal too, in every mode: a
  // running cluster may turn encryption on.
  const std::size_t reserved =
      wire_size::Envelope(options_.cluster, worst, MessageKind::kDigestReply) +
      cipher_.Reserve(payload_.bytes);
  max_body_bytes_ = payload_.bytes > reserved ? payload_.bytes - reserved : 0;
  cipher_.SetMaxSenders(2 * limits.max_peers);
}

Status SocketCore::SetEncryption(Encryption mode) {
  Status s = cipher_.SetMode(mode);
  if (s.ok()) return s;
  return Status::Error(s.code(), name_ + ": " + s.message());
}

Encryption SocketCore::encryption() const { return cipher_.mode(); }

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
                              std::string& out) {
  const bool seal = cipher_.seals();
  std::string& envelope = seal ? envelope_scratch_ : out;
  if (seal) envelope.clear();
  const std::size_t start = out.size();
  [[maybe_unused]] const std::size_t envelope_start = envelope.size();
  codec::Encode(options_.cluster, message, envelope);
  // The codec's contract, on which MaxBodyBytes() rests.
  assert(envelope.size() - envelope_start ==
         wire_size::Envelope(options_.cluster, message.sender, message.kind) +
             wire_size::Body(message));
  if (seal && !cipher_.Seal(options_.cluster, envelope, out)) {
    Report(StatusCode::kInvalidArgument,
           "message to " + remote.address + " not sent: encryption '" +
               EncryptionName(cipher_.mode()) + "' seals with the primary key, and " +
               "the keyring is empty");
    return false;
  }
  const std::size_t size = out.size() - start;
  if (size <= payload_.bytes) return true;
  Report(StatusCode::kLimitExceeded,
         "message to " + remote.address + " not sent: its " + std::to_string(size) +
             (seal ? " bytes (sealed)" : " bytes") + " exceed " + payload_.option + " (" +
             std::to_string(payload_.bytes) + "); the engine never builds one (a bug)");
  return false;
}

SocketCore::Decoding SocketCore::Decode(std::string_view envelope, const SourceText& from,
                                        std::string_view consequence,
                                        codec::Decoded* decoded) {
  // The frame / datagram bounds the message; Limits bound its fields.
  codec::DecodeLimits limits;
  limits.max_message_bytes = payload_.bytes;
  limits.max_cluster_bytes = SocketTransport::kMaxClusterBytes;
  limits.limits = limits_;
  const Status status = codec::Decode(envelope, limits, decoded);
  if (!status.ok()) {
    ++shared_stats_.decode_errors;
    Report(status.code(), "undecodable message from " + from() + " (" +
                              std::string(consequence) + "): " + status.message());
    return Decoding::kUndecodable;
  }
  if (decoded->cluster != options_.cluster) {
    ++shared_stats_.foreign_cluster;
    Report(StatusCode::kProtocolError,
           "message from " + from() + " (peer '" + decoded->message.sender.id +
               "') of cluster '" + decoded->cluster + "' dropped: this is cluster '" +
               options_.cluster + "'");
    return Decoding::kForeignCluster;
  }
  return Decoding::kMessage;
}

SocketCore::Decoding SocketCore::DecodeAndDeliver(std::string_view bytes,
                                                  const SourceText& from,
                                                  std::string_view consequence) {
  using Kind = FrameCipher::Unwrapped::Kind;
  FrameCipher::Unwrapped frame = cipher_.Unwrap(options_.cluster, bytes);
  switch (frame.kind) {
    case Kind::kRefused:
      Refuse(frame.refusal, from, {}, frame.detail);
      return Decoding::kRefused;
    case Kind::kMalformed:
      ++shared_stats_.decode_errors;
      Report(StatusCode::kProtocolError, "undecodable message from " + from() + " (" +
                                             std::string(consequence) +
                                             "): not laid out as a sealed frame");
      return Decoding::kUndecodable;
    case Kind::kPlaintext:
    case Kind::kOpened:
      break;
  }
  const bool opened = frame.kind == Kind::kOpened;
  codec::Decoded decoded;
  const Decoding decoding = Decode(opened ? std::string_view(frame.envelope) : bytes,
                                   from, consequence, &decoded);
  if (decoding != Decoding::kMessage) return decoding;
  // Replay protection needs the sender id, which is inside the envelope.
  Refusal refusal{};
  std::string detail;
  if (opened &&
      !cipher_.CheckFresh(decoded.message.sender.id, frame.header, &refusal, &detail)) {
    Refuse(refusal, from, decoded.message.sender.id, detail);
    return Decoding::kRefused;
  }
  Arriving(decoded.message);
  // A copy: the handler may replace the handlers while it runs.
  if (Transport::MessageHandler handler = on_message_)
    handler(std::move(decoded.message));
  return Decoding::kMessage;
}

// --- refused frames ------------------------------------------------------------

std::uint64_t& SocketCore::CounterOf(Refusal refusal) {
  switch (refusal) {
    case Refusal::kUnknownKey:
      return shared_stats_.unknown_key;
    case Refusal::kUnauthentic:
      return shared_stats_.unauthentic;
    case Refusal::kStale:
      return shared_stats_.stale;
    case Refusal::kReplayed:
      return shared_stats_.replayed;
    case Refusal::kPlaintextRefused:
      return shared_stats_.plaintext_refused;
    case Refusal::kSealedRefused:
      break;
  }
  return shared_stats_.sealed_refused;
}

void SocketCore::Refuse(Refusal refusal, const SourceText& from, std::string_view peer,
                        const std::string& detail) {
  ++CounterOf(refusal);
  // A flood of forged or replayed frames must not become a flood of
  // reports (nor of endpoint formatting).
  const std::optional<std::uint64_t> suppressed =
      refusal_reports_[static_cast<std::size_t>(refusal)].Admit(
          ReportThrottle::Clock::now());
  if (!suppressed) return;
  std::string text = "frame from " + from();
  if (!peer.empty()) text += " (peer '" + std::string(peer) + "')";
  text += " dropped: " + detail;
  if (*suppressed > 0) {
    text += " (and " + std::to_string(*suppressed) +
            " more like it suppressed since the last report)";
  }
  Report(StatusCode::kUnauthenticated, std::move(text));
}

}  // namespace gossipmonger::transport_core
