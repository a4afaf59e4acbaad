#include "gossipmonger/udp_transport.h"

#include <algorithm>
#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>
#include <utility>
#include <vector>

#include "transport_core/bind.h"
#include "transport_core/host_port.h"
#include "transport_core/socket_core.h"

namespace gossipmonger {

namespace {

using asio::ip::udp;

// After this many receive errors in a row the loop pauses briefly before
// the next receive, so that a socket stuck in an error state cannot spin.
constexpr int kErrorsBeforePause = 16;
constexpr auto kErrorPause = std::chrono::milliseconds(10);

std::string EndpointText(const udp::endpoint& endpoint) {
  return transport_core::FormatHostPort(endpoint.address(), endpoint.port());
}

}  // namespace

// The datagram socket code; SocketCore does the rest.
struct UdpTransport::Impl final : transport_core::SocketCore,
                                  std::enable_shared_from_this<UdpTransport::Impl> {
  Impl(asio::io_context& io_context, UdpTransportOptions opts)
      : SocketCore(io_context, "udp transport", opts,
                   {"max_datagram_bytes", opts.max_datagram_bytes}),
        options(std::move(opts)),
        socket(io_context),
        v4_sender(io_context),
        v6_sender(io_context),
        resolver(io_context),
        pause(io_context),
        // One byte more than accepted: a datagram that fills it was larger
        // than max_datagram_bytes (the kernel truncated it silently).
        receive_buffer(options.max_datagram_bytes + 1) {}

  std::error_code Bind(const asio::ip::address& address, std::uint16_t port,
                       std::uint16_t* bound_port) override {
    // No SO_REUSEADDR: on UDP it would let two nodes share one port.
    std::error_code error = transport_core::OpenAndBind(
        socket, udp::endpoint(address, port), [](udp::socket&, std::error_code&) {});
    if (!error) local = socket.local_endpoint(error);
    if (error) {
      std::error_code ignored;
      socket.close(ignored);
      return error;
    }
    *bound_port = local.port();
    return error;
  }

  void StartReceiving() override { Receive(); }

  void Receive() {
    socket.async_receive_from(
        asio::buffer(receive_buffer), from,
        [self = shared_from_this()](std::error_code error, std::size_t n) {
          self->OnReceive(error, n);
        });
  }

  void OnReceive(std::error_code error, std::size_t n) {
    if (closed() || !socket.is_open()) return;
    if (error) {
      OnReceiveError(error);
      return;
    }
    consecutive_errors = 0;
    stats.bytes_received += n;
    if (n > options.max_datagram_bytes) {
      ++stats.oversized_datagrams;
      Report(StatusCode::kLimitExceeded,
             "datagram from " + EndpointText(from) +
                 " dropped: larger than max_datagram_bytes (" +
                 std::to_string(options.max_datagram_bytes) + ")");
    } else {
      const auto sender = [this] { return EndpointText(from); };
      DecodeAndDeliver(std::string_view(receive_buffer.data(), n), sender, "dropped");
    }
    if (!closed() && socket.is_open()) Receive();
  }

  void Arriving(const Message&) override { ++stats.datagrams_received; }

  void OnReceiveError(std::error_code error) {
    ++stats.receive_errors;
    Report(StatusCode::kIOError, "receive failed: " + error.message());
    if (++consecutive_errors < kErrorsBeforePause) {
      Receive();
      return;
    }
    consecutive_errors = 0;
    pause.expires_after(kErrorPause);
    pause.async_wait([self = shared_from_this()](std::error_code e) {
      if (!e && !self->closed() && self->socket.is_open()) self->Receive();
    });
  }

  void Send(const PeerEndpoint& remote, const Message& message) override {
    if (closed() || pending >= options.max_pending_sends) {
      ++stats.dropped_unsendable;
      return;
    }
    auto datagram = std::make_shared<std::string>();
    if (!EncodeWithin(remote, message, *datagram)) {
      ++stats.dropped_oversized;
      return;
    }
    std::string host;
    std::uint16_t port = 0;
    if (!ParseAddress(remote, &host, &port)) {
      ++stats.dropped_unsendable;
      return;
    }
    std::error_code error;
    const asio::ip::address literal = asio::ip::make_address(host, error);
    if (error) {
      Resolve(host, port, std::move(datagram), remote.address);
    } else {
      SendTo(udp::endpoint(literal, port), std::move(datagram), /*retry=*/true);
    }
  }

  // Sends `datagram` to the first address `host` resolves to.
  void Resolve(const std::string& host, std::uint16_t port,
               std::shared_ptr<std::string> datagram, const std::string& address) {
    ++pending;
    resolver.async_resolve(
        host, std::to_string(port),
        [self = shared_from_this(), datagram, address](
            std::error_code e, const udp::resolver::results_type& results) mutable {
          --self->pending;
          if (self->closed()) return;
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
        Report(StatusCode::kIOError, "cannot open a socket to send to " +
                                         EndpointText(to) + ": " + error.message());
        return nullptr;
      }
    }
    return &sender;
  }

  void SendTo(const udp::endpoint& to, std::shared_ptr<std::string> datagram,
              bool retry) {
    udp::socket* sender = SenderFor(to);
    if (sender == nullptr) return;
    ++pending;
    sender->async_send_to(
        asio::buffer(*datagram), to,
        [self = shared_from_this(), to, datagram, retry](std::error_code error,
                                                         std::size_t n) {
          --self->pending;
          if (self->closed()) return;
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

  void CloseSockets() override {
    std::error_code ignored;
    socket.close(ignored);
    v4_sender.close(ignored);
    v6_sender.close(ignored);
    resolver.cancel();
    pause.cancel();
  }

  UdpTransportOptions options;
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
  UdpTransportStats stats;
};

namespace {

UdpTransportOptions Normalized(UdpTransportOptions options) {
  options.max_datagram_bytes =
      std::clamp(options.max_datagram_bytes, UdpTransport::kMinDatagramBytes,
                 UdpTransport::kMaxDatagramBytes);
  options.max_pending_sends = std::max<std::size_t>(options.max_pending_sends, 1);
  return options;
}

}  // namespace

UdpTransport::UdpTransport(asio::io_context& io, UdpTransportOptions options)
    : SocketTransport(std::make_shared<Impl>(io, Normalized(std::move(options)))) {}

UdpTransportStats UdpTransport::stats() const {
  const auto& impl = static_cast<const Impl&>(core());
  UdpTransportStats counters = impl.stats;
  static_cast<SocketTransportStats&>(counters) = shared_stats();
  return counters;
}

const UdpTransportOptions& UdpTransport::options() const {
  return static_cast<const Impl&>(core()).options;
}

}  // namespace gossipmonger
