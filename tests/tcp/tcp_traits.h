// TcpTransport's traits for the conformance suite, and raw-socket helpers
// for the TCP-specific tests. Loopback only.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>

#include "gossipmonger/tcp_transport.h"

namespace gossipmonger::tcp_test {

struct TcpTraits {
  using Type = TcpTransport;
  using Options = TcpTransportOptions;
  // The default send queue bound: more sent before the connection drains
  // them would drop the oldest, by design.
  static constexpr std::size_t kBulkBurst = 64;

  static std::unique_ptr<TcpTransport> Listening(asio::io_context& io, const std::string& host,
                                                 Status* status, std::uint16_t port = 0,
                                                 TcpTransportOptions options = {}) {
    options.listen_host = host;
    options.listen_port = port;
    auto transport = std::make_unique<TcpTransport>(io, std::move(options));
    *status = transport->Listen();
    if (!status->ok()) return nullptr;
    return transport;
  }
  static void Close(TcpTransport& transport) { transport.Close(); }
  static void SendRaw(std::uint16_t port, const std::string& bytes) {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    asio::write(socket, asio::buffer(bytes));
  }
};

// A raw client connection to 127.0.0.1:port, non-blocking, so that a test
// can poll it while the transport runs on the same thread.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : socket_(io_) {
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
    socket_.non_blocking(true);
  }
  // Writes everything (small writes on loopback never block for long).
  void Write(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      std::error_code error;
      done += socket_.write_some(asio::buffer(bytes.data() + done, bytes.size() - done), error);
      if (error && error != asio::error::would_block) return;  // closed by the peer
    }
  }
  // True once the transport closed its side (EOF or reset).
  bool PeerClosed() {
    if (closed_) return true;
    char buffer[256];
    std::error_code error;
    socket_.read_some(asio::buffer(buffer), error);
    if (error && error != asio::error::would_block) closed_ = true;
    return closed_;
  }
  void Close() {
    std::error_code ignored;
    socket_.close(ignored);
  }

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  bool closed_ = false;
};

inline std::string Frame(const std::string& payload) {
  const auto n = static_cast<std::uint32_t>(payload.size());
  std::string frame{static_cast<char>(n >> 24), static_cast<char>((n >> 16) & 0xff),
                    static_cast<char>((n >> 8) & 0xff), static_cast<char>(n & 0xff)};
  return frame + payload;
}

}  // namespace gossipmonger::tcp_test
