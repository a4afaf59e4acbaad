// TcpTransport's socket code: the state of its connections and the Impl
// that drives them (on top of transport_core::SocketCore, which does the
// rest). tcp_inbound.cpp accepts and reads frames; tcp_outbound.cpp queues,
// connects and writes; tcp_transport.cpp binds and closes. Private to the
// transport.
#pragma once

#include <array>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "gossipmonger/tcp_transport.h"
#include "transport_core/socket_core.h"

namespace gossipmonger {

namespace tcp_detail {

using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// The length prefix of a frame.
constexpr std::size_t kPrefixBytes = 4;

inline std::uint32_t ReadBigEndian32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) |
         (std::uint32_t{u[2]} << 8) | std::uint32_t{u[3]};
}

inline void WriteBigEndian32(std::uint32_t v, char* p) {
  p[0] = static_cast<char>((v >> 24) & 0xff);
  p[1] = static_cast<char>((v >> 16) & 0xff);
  p[2] = static_cast<char>((v >> 8) & 0xff);
  p[3] = static_cast<char>(v & 0xff);
}

struct Frame {
  MessageKind kind;
  std::string bytes;  // length prefix + envelope
};

// An outgoing connection to one remote address, with its queue. Its
// asynchronous handlers carry `epoch`; any state change bumps it, so a
// handler of a superseded operation returns without touching anything.
struct Outbound {
  enum class State { kIdle, kConnecting, kConnected, kBackoff };

  Outbound(asio::io_context& io, std::string address_, std::string host_,
           std::uint16_t port_, std::chrono::milliseconds backoff_)
      : address(std::move(address_)),
        host(std::move(host_)),
        port(port_),
        socket(io),
        resolver(io),
        timer(io),
        idle_timer(io),
        write_timer(io),
        backoff(backoff_) {}

  std::string address;
  std::string host;
  std::uint16_t port;
  State state = State::kIdle;
  tcp::socket socket;
  tcp::resolver resolver;
  asio::steady_timer timer;        // connect timeout, then backoff
  asio::steady_timer idle_timer;   // while connected
  asio::steady_timer write_timer;  // while a write is in progress
  std::deque<Frame> queue;         // waiting, not yet handed to the socket
  std::vector<Frame> inflight;     // being written
  bool writing = false;
  std::uint64_t writes = 0;  // writes started, to tell the write timer's one
  bool removed = false;      // erased from the transport's map
  std::chrono::milliseconds backoff;
  Clock::time_point connected_at;
  Clock::time_point connect_started;  // of the last attempt
  Clock::time_point last_activity;
  std::uint64_t epoch = 0;
  std::array<char, 512> discard{};
};

// An accepted connection. `frame_started` is true while a frame is partly
// received (and from accept until the first frame): the read timeout runs
// from `frame_start`; otherwise the idle timeout runs from `last_frame`.
struct Inbound {
  explicit Inbound(tcp::socket s) : socket(std::move(s)), timer(socket.get_executor()) {}

  tcp::socket socket;
  asio::steady_timer timer;
  std::string remote;
  std::string buffer;
  std::size_t used = 0;  // bytes of `buffer` holding received data
  bool frame_started = true;
  Clock::time_point frame_start;
  Clock::time_point last_frame;
  Clock::time_point armed_for;  // expiry of the pending timer wait
  bool closed = false;
};

}  // namespace tcp_detail

struct TcpTransport::Impl final : transport_core::SocketCore,
                                  std::enable_shared_from_this<TcpTransport::Impl> {
  using Inbound = tcp_detail::Inbound;
  using Outbound = tcp_detail::Outbound;
  using Clock = tcp_detail::Clock;

  // `opts` already clamped (tcp_transport.cpp).
  Impl(asio::io_context& io, TcpTransportOptions opts);

  // --- SocketCore ---------------------------------------------------------
  std::error_code Bind(const asio::ip::address& address, std::uint16_t port,
                       std::uint16_t* bound_port) override;
  void StartReceiving() override;
  void CloseSockets() override;
  void Send(const PeerEndpoint& remote, const Message& message) override;
  void Arriving(const Message& message) override;  // tcp_inbound.cpp

  // --- inbound (tcp_inbound.cpp) ----------------------------------------------
  void Accept();
  void OnAccept(std::error_code error, tcp_detail::tcp::socket socket);
  Clock::time_point InboundDeadline(const Inbound& in) const;
  void ArmInbound(const std::shared_ptr<Inbound>& in);
  void OnInboundTimer(const std::shared_ptr<Inbound>& in);
  void ReadInbound(const std::shared_ptr<Inbound>& in);
  void OnInboundRead(const std::shared_ptr<Inbound>& in, std::error_code error,
                     std::size_t n);
  void OnReadError(const std::shared_ptr<Inbound>& in, std::error_code error);
  // Delivers every whole frame at the front of the buffer; false when the
  // connection was closed meanwhile.
  bool DeliverFrames(const std::shared_ptr<Inbound>& in, Clock::time_point now);
  void DeliverFrame(const std::shared_ptr<Inbound>& in, std::string_view frame);
  void SenderIsUp(const std::string& address);
  void CloseInbound(const std::shared_ptr<Inbound>& in);

  // --- outbound (tcp_outbound.cpp) --------------------------------------------
  std::shared_ptr<Outbound> OutboundTo(const PeerEndpoint& remote);
  void Enqueue(Outbound& out, tcp_detail::Frame frame);
  void StartConnect(const std::shared_ptr<Outbound>& out);
  void Connected(const std::shared_ptr<Outbound>& out);
  void ReadOutbound(const std::shared_ptr<Outbound>& out, std::uint64_t epoch);
  void ArmIdle(const std::shared_ptr<Outbound>& out, std::uint64_t epoch,
               Clock::time_point at);
  void StartWrite(const std::shared_ptr<Outbound>& out);
  void ArmWriteTimer(const std::shared_ptr<Outbound>& out);
  void Disconnect(const std::shared_ptr<Outbound>& out, const std::string& why);
  void ConnectFailed(const std::shared_ptr<Outbound>& out, const std::string& why);
  void StartBackoff(const std::shared_ptr<Outbound>& out);
  void WaitThenConnect(const std::shared_ptr<Outbound>& out, Clock::time_point at);
  void Forget(const std::shared_ptr<Outbound>& out);
  void CloseOutbound();

  TcpTransportOptions options;
  tcp_detail::tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  TcpTransportStats stats;
  std::unordered_map<std::string, std::shared_ptr<Outbound>> outbound;
  std::unordered_map<Inbound*, std::shared_ptr<Inbound>> inbound;
};

}  // namespace gossipmonger
