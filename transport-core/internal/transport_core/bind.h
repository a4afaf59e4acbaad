// Binding a listening socket, the same steps for a TCP acceptor and a UDP
// socket (SocketCore::Listen tries each address of listen_host with it).
#pragma once

#include <asio/ip/v6_only.hpp>
#include <system_error>

namespace gossipmonger::transport_core {

// Opens `socket` (an acceptor or a datagram socket) for the family of
// `endpoint`, lets `configure(socket, error)` set options before the bind,
// and binds. A wildcard IPv6 address also accepts IPv4 where the system
// allows dual-stack sockets. On error the socket is closed again.
template <typename Socket, typename Endpoint, typename Configure>
std::error_code OpenAndBind(Socket& socket, const Endpoint& endpoint,
                            Configure configure) {
  std::error_code error;
  socket.open(endpoint.protocol(), error);
  if (!error) configure(socket, error);
  if (!error && endpoint.address().is_v6() && endpoint.address().is_unspecified()) {
    std::error_code ignored;  // single-stack systems refuse it: fine
    socket.set_option(asio::ip::v6_only(false), ignored);
  }
  if (!error) socket.bind(endpoint, error);
  if (error) {
    std::error_code ignored;
    socket.close(ignored);
  }
  return error;
}

}  // namespace gossipmonger::transport_core
