#include "gossipmonger/udp_transport.h"

#include <algorithm>
#include <cassert>
#include <utility>
#include <vector>

#include <asio/ip/udp.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/steady_timer.hpp>

#include "gossipmonger/wire_size.h"
#include "host_port.h"

namespace gossipmonger {

namespace {

using asio::ip::udp;

// After this many receive errors in a row the loop pauses briefly before
// the next receive, so that a socket stuck in an error state cannot spin.
constexpr int kErrorsBeforePause = 16;
constexpr auto kErrorPause = std::chrono::milliseconds(10);

std::string EndpointText(const udp::endpoint& endpoint) {
  const asio::ip::address address = endpoint.address();
  std::string host = address.to_string();
  if (address.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(endpoint.port());
}

}  // namespace

struct UdpTransport::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io_context, UdpTransportOptions opts)
      : io(io_context),
        options(std::move(opts)),
        socket(io),
        v4_sender(io),
        v6_sender(io),
        resolver(io),
        pause(io) {
    options.max_datagram_bytes =
        std::clamp(options.max_datagram_bytes, kMinDatagramBytes, kMaxDatagramBytes);
    options.max_pending_sends = std::max<std::size_t>(options.max_pending_sends, 1);
    decode_limits = options.decode_limits;
    decode_limits.max_message_bytes =
        std::min(decode_limits.max_message_bytes, options.max_datagram_bytes);
    const Limits& limits = options.decode_limits.limits;
    const PeerEndpoint worst{std::string(limits.max_peer_id_bytes, 'x'),
                             options.advertised_address.empty()
                                 ? std::string(limits.max_address_bytes, 'x')
                                 : options.advertised_address};
    const std::size_t envelope =
        wire_size::Envelope(options.cluster, worst, MessageKind::kDigestReply);
    max_body_bytes =
        options.max_datagram_bytes > envelope ? options.max_datagram_bytes - envelope : 0;
    // One byte more than accepted: a datagram that fills it was larger than
    // max_datagram_bytes (the kernel truncated it silently).
    receive_buffer.resize(options.max_datagram_bytes + 1);
  }

  void Report(StatusCode code, std::string text) {
    // A copy: the handler may replace the handlers (a runtime destroyed
    // from inside it) while it runs.
    if (ErrorHandler handler = on_error) {
      handler(Status::Error(code, "udp transport: " + std::move(text)));
    }
  }

  Status Listen() {
    if (closed) return Status::Error(StatusCode::kInvalidArgument, "udp transport: closed");
    if (socket.is_open()) {
      return Status::Error(StatusCode::kInvalidArgument, "udp transport: already listening");
    }
    const std::string where = options.listen_host + ":" + std::to_string(options.listen_port);
    std::error_code error;
    std::vector<udp::endpoint> endpoints;
    const asio::ip::address literal = asio::ip::make_address(options.listen_host, error);
    if (!error) {
      endpoints.emplace_back(literal, options.listen_port);
    } else {
      udp::resolver sync_resolver(io);
      auto results = sync_resolver.resolve(options.listen_host,
                                           std::to_string(options.listen_port),
                                           udp::resolver::passive, error);
      if (error) {
        return Status::Error(StatusCode::kIOError,
                             "udp transport: cannot resolve " + where + ": " + error.message());
      }
      for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    }
    // No SO_REUSEADDR: on UDP it would let two nodes share one port.
    for (const udp::endpoint& endpoint : endpoints) {
      error.clear();
      socket.open(endpoint.protocol(), error);
      if (!error && endpoint.address().is_v6() && endpoint.address().is_unspecified()) {
        std::error_code ignored;
        socket.set_option(asio::ip::v6_only(false), ignored);
      }
      if (!error) socket.bind(endpoint, error);
      if (!error) break;
      std::error_code ignored;
      socket.close(ignored);
    }
    if (!socket.is_open()) {
      if (!error) error = std::make_error_code(std::errc::address_not_available);
      return Status::Error(StatusCode::kIOError,
                           "udp transport: cannot listen on " + where + ": " + error.message());
    }
    local = socket.local_endpoint(error);
    Receive();
    return Status::Ok();
  }

  void Receive() {
    socket.async_receive_from(
        asio::buffer(receive_buffer), from,
        [self = shared_from_this()](std::error_code error, std::size_t n) {
          self->OnReceive(error, n);
        });
  }

  void OnReceive(std::error_code error, std::size_t n) {
    if (closed || !socket.is_open()) return;
    if (error) {
      ++stats.receive_errors;
      Report(StatusCode::kIOError, "receive failed: " + error.message());
      if (++consecutive_errors >= kErrorsBeforePause) {
        consecutive_errors = 0;
        pause.expires_after(kErrorPause);
        pause.async_wait([self = shared_from_this()](std::error_code e) {
          if (!e && !self->closed && self->socket.is_open()) self->Receive();
        });
        return;
      }
      Receive();
      return;
    }
    consecutive_errors = 0;
    stats.bytes_received += n;
    if (n > options.max_datagram_bytes) {
      ++stats.oversized_datagrams;
      Report(StatusCode::kLimitExceeded,
             "datagram from " + EndpointText(from) + " dropped: larger than max_datagram_bytes (" +
                 std::to_string(options.max_datagram_bytes) + ")");
    } else {
      Deliver(std::string_view(receive_buffer.data(), n));
    }
    if (!closed && socket.is_open()) Receive();
  }

  void Deliver(std::string_view datagram) {
    codec::Decoded decoded;
    const Status status = codec::Decode(datagram, decode_limits, &decoded);
    if (!status.ok()) {
      ++stats.decode_errors;
      Report(status.code(),
             "datagram from " + EndpointText(from) + " dropped: " + status.message());
      return;
    }
    if (decoded.cluster != options.cluster) {
      ++stats.foreign_cluster;
      Report(StatusCode::kProtocolError,
             "message from " + EndpointText(from) + " (peer '" + decoded.message.sender.id +
                 "') of cluster '" + decoded.cluster + "' dropped: this is cluster '" +
                 options.cluster + "'");
      return;
    }
    ++stats.datagrams_received;
    if (MessageHandler handler = on_message) handler(std::move(decoded.message));
  }

  void Send(const PeerEndpoint& remote, const Message& message) {
    if (closed) {
      ++stats.dropped_unsendable;
      return;
    }
    auto datagram = std::make_shared<std::string>();
    codec::Encode(options.cluster, message, *datagram);
    // The codec's contract, on which MaxBodyBytes() rests.
    assert(datagram->size() == wire_size::Envelope(options.cluster, message.sender, message.kind) +
                                   wire_size::Body(message));
    if (datagram->size() > options.max_datagram_bytes) {
      ++stats.dropped_oversized;
      Report(StatusCode::kLimitExceeded,
             "message to " + remote.address + " not sent: its " +
                 std::to_string(datagram->size()) + " bytes exceed max_datagram_bytes (" +
                 std::to_string(options.max_datagram_bytes) +
                 "); the engine should never build one (a bug)");
      return;
    }
    if (pending >= options.max_pending_sends) {
      ++stats.dropped_unsendable;
      return;
    }
    std::string host;
    std::uint16_t port = 0;
    if (!udp_detail::SplitHostPort(remote.address, &host, &port)) {
      ++stats.dropped_unsendable;
      Report(StatusCode::kInvalidArgument, "message to peer '" + remote.id +
                                               "' not sent: address '" + remote.address +
                                               "' is not host:port");
      return;
    }
    std::error_code error;
    const asio::ip::address literal = asio::ip::make_address(host, error);
    if (!error) {
      SendTo(udp::endpoint(literal, port), std::move(datagram), /*retry=*/true);
      return;
    }
    ++pending;
    resolver.async_resolve(
        host, std::to_string(port),
        [self = shared_from_this(), datagram, address = remote.address](
            std::error_code e, const udp::resolver::results_type& results) mutable {
          --self->pending;
          if (self->closed) return;
          if (e || results.empty()) {
            ++self->stats.send_errors;
            self->Report(StatusCode::kUnavailable,
                         "cannot resolve " + address + ": " +
                             (e ? e.message() : std::string("no address")));
            return;
          }
          self->SendTo(results.begin()->endpoint(), std::move(datagram), true);
        });
  }

  // The socket to send to `to` from: the listening one when the family
  // matches, else an unbound one of the right family (opened on first use).
  udp::socket* SenderFor(const udp::endpoint& to) {
    if (socket.is_open() && local.protocol() == to.protocol()) return &socket;
    udp::socket& sender = to.protocol() == udp::v4() ? v4_sender : v6_sender;
    if (!sender.is_open()) {
      std::error_code error;
      sender.open(to.protocol(), error);
      if (error) {
        ++stats.send_errors;
        Report(StatusCode::kIOError, "cannot open a socket to send to " + EndpointText(to) +
                                         ": " + error.message());
        return nullptr;
      }
    }
    return &sender;
  }

  void SendTo(const udp::endpoint& to, std::shared_ptr<std::string> datagram, bool retry) {
    udp::socket* sender = SenderFor(to);
    if (sender == nullptr) return;
    ++pending;
    sender->async_send_to(
        asio::buffer(*datagram), to,
        [self = shared_from_this(), to, datagram, retry](std::error_code error, std::size_t n) {
          --self->pending;
          if (self->closed) return;
          if (error == asio::error::connection_refused && retry) {
            // An ICMP error of an earlier datagram, reported (and cleared)
            // by this send; the datagram itself did not leave: once more.
            self->SendTo(to, datagram, false);
            return;
          }
          if (error) {
            ++self->stats.send_errors;
            self->Report(StatusCode::kIOError,
                         "send to " + EndpointText(to) + " failed: " + error.message());
            return;
          }
          ++self->stats.datagrams_sent;
          self->stats.bytes_sent += n;
        });
  }

  void Close() {
    if (closed) return;
    closed = true;
    std::error_code ignored;
    socket.close(ignored);
    v4_sender.close(ignored);
    v6_sender.close(ignored);
    resolver.cancel();
    pause.cancel();
  }

  asio::io_context& io;
  UdpTransportOptions options;
  codec::DecodeLimits decode_limits;
  std::size_t max_body_bytes = 0;
  udp::socket socket;  // bound by Listen
  udp::endpoint local;
  udp::socket v4_sender;
  udp::socket v6_sender;
  udp::resolver resolver;
  asio::steady_timer pause;
  std::vector<char> receive_buffer;
  udp::endpoint from;
  int consecutive_errors = 0;
  std::size_t pending = 0;
  bool closed = false;
  MessageHandler on_message;
  ErrorHandler on_error;
  UdpTransportStats stats;
};

UdpTransport::UdpTransport(asio::io_context& io, UdpTransportOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

UdpTransport::~UdpTransport() {
  impl_->on_message = nullptr;
  impl_->on_error = nullptr;
  impl_->Close();
}

Status UdpTransport::Listen() {
  // A name our own decoder would refuse would make every node of the
  // cluster drop every message of every other.
  if (impl_->options.cluster.size() > impl_->options.decode_limits.max_cluster_bytes) {
    return Status::Error(StatusCode::kInvalidArgument,
                         "cluster name longer than decode_limits.max_cluster_bytes (" +
                             std::to_string(impl_->options.decode_limits.max_cluster_bytes) +
                             " bytes)");
  }
  return impl_->Listen();
}

std::uint16_t UdpTransport::local_port() const {
  return impl_->socket.is_open() ? impl_->local.port() : 0;
}

void UdpTransport::Close() { impl_->Close(); }

void UdpTransport::SetHandlers(MessageHandler on_message, ErrorHandler on_error) {
  impl_->on_message = std::move(on_message);
  impl_->on_error = std::move(on_error);
}

void UdpTransport::Send(const PeerEndpoint& remote, const Message& message) {
  impl_->Send(remote, message);
}

std::size_t UdpTransport::MaxBodyBytes() const { return impl_->max_body_bytes; }

UdpTransportStats UdpTransport::stats() const { return impl_->stats; }

const UdpTransportOptions& UdpTransport::options() const { return impl_->options; }

}  // namespace gossipmonger
