#include "gossipmonger/tcp_transport.h"

#include <algorithm>
#include <utility>

#include "tcp_impl.h"
#include "transport_core/bind.h"

namespace gossipmonger {

namespace {

TcpTransportOptions Clamped(TcpTransportOptions options) {
  // The length prefix has 32 bits.
  options.max_frame_bytes = std::min<std::size_t>(options.max_frame_bytes, 0xffffffffu);
  options.send_queue_messages = std::max<std::size_t>(options.send_queue_messages, 1);
  options.reconnect_backoff_initial =
      std::max(options.reconnect_backoff_initial, std::chrono::milliseconds(1));
  options.reconnect_backoff_max =
      std::max(options.reconnect_backoff_max, options.reconnect_backoff_initial);
  return options;
}

}  // namespace

TcpTransport::Impl::Impl(asio::io_context& io, TcpTransportOptions opts)
    : SocketCore(io, "tcp transport", opts, {"max_frame_bytes", opts.max_frame_bytes}),
      options(std::move(opts)),
      acceptor(io),
      accept_retry(io) {}

std::error_code TcpTransport::Impl::Bind(const asio::ip::address& address,
                                         std::uint16_t port, std::uint16_t* bound_port) {
  using tcp_detail::tcp;
  // SO_REUSEADDR: a restarted node gets its port back while its old
  // connections sit in TIME_WAIT; two live listeners still cannot share it.
  std::error_code error = transport_core::OpenAndBind(
      acceptor, tcp::endpoint(address, port), [](tcp::acceptor& a, std::error_code& e) {
        a.set_option(tcp::acceptor::reuse_address(true), e);
      });
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (!error) *bound_port = acceptor.local_endpoint(error).port();
  if (error) {
    std::error_code ignored;
    acceptor.close(ignored);
  }
  return error;
}

void TcpTransport::Impl::StartReceiving() { Accept(); }

void TcpTransport::Impl::CloseSockets() {
  std::error_code ignored;
  acceptor.close(ignored);
  accept_retry.cancel();
  auto accepted = inbound;
  for (auto& [key, in] : accepted) CloseInbound(in);
  CloseOutbound();
}

// --- TcpTransport --------------------------------------------------------------

TcpTransport::TcpTransport(asio::io_context& io, TcpTransportOptions options)
    : SocketTransport(std::make_shared<Impl>(io, Clamped(std::move(options)))) {}

TcpTransportStats TcpTransport::stats() const {
  TcpTransportStats stats = static_cast<const Impl&>(core()).stats;
  static_cast<SocketTransportStats&>(stats) = shared_stats();
  return stats;
}

const TcpTransportOptions& TcpTransport::options() const {
  return static_cast<const Impl&>(core()).options;
}

}  // namespace gossipmonger
