// TcpTransport's accepted connections: accepting, reading frames, the read
// and idle timeouts, delivering (docs/transports.md, "TCP").
#include <algorithm>
#include <cstring>
#include <utility>

#include "tcp_impl.h"
#include "transport_core/host_port.h"

namespace gossipmonger {

namespace {

using tcp_detail::kPrefixBytes;
using tcp_detail::tcp;

// Bytes read per read_some at least; a frame's body is read in one go up to
// kMaxReadChunk, so that memory grows only with bytes actually received.
constexpr std::size_t kMinReadChunk = 16 * 1024;
constexpr std::size_t kMaxReadChunk = 256 * 1024;
// Pause before accepting again after accept() itself failed (EMFILE...).
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);

}  // namespace

void TcpTransport::Impl::Accept() {
  acceptor.async_accept(
      [self = shared_from_this()](std::error_code error, tcp::socket socket) {
        self->OnAccept(error, std::move(socket));
      });
}

void TcpTransport::Impl::OnAccept(std::error_code error, tcp::socket socket) {
  if (closed() || !acceptor.is_open()) return;
  if (error) {
    if (error == asio::error::operation_aborted) return;
    Report(StatusCode::kIOError, "accept failed: " + error.message());
    accept_retry.expires_after(kAcceptRetry);
    accept_retry.async_wait([self = shared_from_this()](std::error_code e) {
      if (!e && !self->closed() && self->acceptor.is_open()) self->Accept();
    });
    return;
  }
  std::error_code ignored;
  const tcp::endpoint from = socket.remote_endpoint(ignored);
  const std::string remote = transport_core::FormatHostPort(from.address(), from.port());
  if (inbound.size() >= options.max_inbound_connections) {
    ++stats.connections_rejected;
    socket.close(ignored);
    Report(StatusCode::kLimitExceeded,
           "connection from " + remote + " refused: max_inbound_connections (" +
               std::to_string(options.max_inbound_connections) + ") reached");
    Accept();
    return;
  }
  auto in = std::make_shared<Inbound>(std::move(socket));
  in->remote = remote;
  in->frame_start = in->last_frame = Clock::now();
  in->socket.set_option(tcp::no_delay(true), ignored);
  inbound.emplace(in.get(), in);
  ++stats.connections_opened;
  ++stats.inbound_connections;
  ArmInbound(in);
  ReadInbound(in);
  Accept();
}

TcpTransport::Impl::Clock::time_point TcpTransport::Impl::InboundDeadline(
    const Inbound& in) const {
  return in.frame_started ? in.frame_start + options.read_timeout
                          : in.last_frame + options.idle_timeout;
}

// Makes sure a timer wait expires no later than the current deadline.
void TcpTransport::Impl::ArmInbound(const std::shared_ptr<Inbound>& in) {
  const Clock::time_point deadline = InboundDeadline(*in);
  if (in->timer.expiry() > Clock::now() && in->armed_for <= deadline)
    return;  // soon enough
  in->armed_for = deadline;
  in->timer.expires_at(deadline);
  in->timer.async_wait([self = shared_from_this(), in](std::error_code error) {
    if (error || in->closed || self->closed()) return;
    self->OnInboundTimer(in);
  });
}

void TcpTransport::Impl::OnInboundTimer(const std::shared_ptr<Inbound>& in) {
  if (Clock::now() < InboundDeadline(*in)) {
    in->armed_for = {};
    ArmInbound(in);
    return;
  }
  if (in->frame_started) {
    ++stats.read_timeouts;
    Report(StatusCode::kProtocolError,
           "connection from " + in->remote + " closed: no whole frame within " +
               std::to_string(options.read_timeout.count()) + " ms");
  } else {
    ++stats.idle_closes;
  }
  CloseInbound(in);
}

void TcpTransport::Impl::ReadInbound(const std::shared_ptr<Inbound>& in) {
  std::size_t space = kMinReadChunk;
  if (in->used >= kPrefixBytes) {
    const std::size_t frame =
        kPrefixBytes + tcp_detail::ReadBigEndian32(in->buffer.data());
    if (frame > in->used)
      space = std::clamp(frame - in->used, kMinReadChunk, kMaxReadChunk);
  }
  in->buffer.resize(in->used + space);
  in->socket.async_read_some(
      asio::buffer(in->buffer.data() + in->used, space),
      [self = shared_from_this(), in](std::error_code error, std::size_t n) {
        self->OnInboundRead(in, error, n);
      });
}

void TcpTransport::Impl::OnInboundRead(const std::shared_ptr<Inbound>& in,
                                       std::error_code error, std::size_t n) {
  if (in->closed || closed()) return;
  if (error) {
    OnReadError(in, error);
    return;
  }
  const Clock::time_point now = Clock::now();
  stats.bytes_received += n;
  in->used += n;
  if (!in->frame_started && n > 0) {
    in->frame_started = true;
    in->frame_start = now;
  }
  if (!DeliverFrames(in, now)) return;
  // Give back what a large frame borrowed.
  if (in->used == 0 && in->buffer.capacity() > 4 * kMaxReadChunk) {
    std::string().swap(in->buffer);
  }
  ArmInbound(in);
  ReadInbound(in);
}

void TcpTransport::Impl::OnReadError(const std::shared_ptr<Inbound>& in,
                                     std::error_code error) {
  if (in->used > 0) {
    // Whatever the error, the frame in progress is lost.
    ++stats.truncated_frames;
    Report(StatusCode::kProtocolError,
           "connection from " + in->remote + " ended inside a frame (" +
               std::to_string(in->used) + " bytes of it received): " + error.message());
  } else if (error != asio::error::eof && error != asio::error::connection_reset &&
             error != asio::error::operation_aborted) {
    // A peer closing or resetting its connection between frames is routine.
    Report(StatusCode::kIOError,
           "read from " + in->remote + " failed: " + error.message());
  }
  CloseInbound(in);
}

bool TcpTransport::Impl::DeliverFrames(const std::shared_ptr<Inbound>& in,
                                       Clock::time_point now) {
  std::size_t offset = 0;
  while (in->used - offset >= kPrefixBytes) {
    const std::uint32_t length = tcp_detail::ReadBigEndian32(in->buffer.data() + offset);
    if (length > options.max_frame_bytes) {
      ++stats.oversized_frames;
      Report(StatusCode::kLimitExceeded,
             "connection from " + in->remote + " closed: frame of " +
                 std::to_string(length) + " bytes exceeds max_frame_bytes (" +
                 std::to_string(options.max_frame_bytes) + ")");
      CloseInbound(in);
      return false;
    }
    if (in->used - offset - kPrefixBytes < length) break;
    const std::string_view frame(in->buffer.data() + offset + kPrefixBytes, length);
    offset += kPrefixBytes + length;
    DeliverFrame(in, frame);
    if (in->closed || closed()) return false;
  }
  if (offset == 0) return true;
  std::memmove(in->buffer.data(), in->buffer.data() + offset, in->used - offset);
  in->used -= offset;
  in->last_frame = now;
  in->frame_started = in->used > 0;
  in->frame_start = now;  // the partial rest arrived in this read
  return true;
}

void TcpTransport::Impl::DeliverFrame(const std::shared_ptr<Inbound>& in,
                                      std::string_view frame) {
  const auto from = [&in] { return in->remote; };
  // A frame of another cluster, or one encryption refuses, was well
  // delimited: the connection stays.
  if (DecodeAndDeliver(frame, from, "connection closed") == Decoding::kUndecodable) {
    // The stream cannot be trusted to be in sync any more.
    CloseInbound(in);
  }
}

void TcpTransport::Impl::Arriving(const Message& message) {
  ++stats.frames_received;
  // Before the handler: the answer it sends goes straight to a fresh
  // connection instead of waiting behind a backoff.
  SenderIsUp(message.sender.address);
}

// A frame from the peer at `address` just arrived: it is up. If our own
// connection to it is waiting out a backoff (the peer was down, e.g.
// restarting, and the backoff grew meanwhile up to reconnect_backoff_max),
// retry now; otherwise a node that restarts hears nothing from us, not
// even the answers to its own messages, for up to that long, and convicts
// us meanwhile. The backoff starts over too. Never sooner than
// reconnect_backoff_initial after the previous attempt, so that frames
// naming an unreachable address cannot turn into a connect storm.
void TcpTransport::Impl::SenderIsUp(const std::string& address) {
  const auto it = outbound.find(address);
  if (it == outbound.end()) return;
  const std::shared_ptr<Outbound> out = it->second;
  out->backoff = options.reconnect_backoff_initial;
  const Clock::time_point earliest =
      out->connect_started + options.reconnect_backoff_initial;
  if (out->state != Outbound::State::kBackoff || out->timer.expiry() <= earliest) return;
  ++stats.early_reconnects;
  WaitThenConnect(out, earliest);
}

void TcpTransport::Impl::CloseInbound(const std::shared_ptr<Inbound>& in) {
  if (in->closed) return;
  in->closed = true;
  std::error_code ignored;
  in->socket.close(ignored);
  in->timer.cancel();
  inbound.erase(in.get());
  ++stats.connections_closed;
  --stats.inbound_connections;
}

}  // namespace gossipmonger
