// TcpTransport's outgoing connections: the bounded queue per address,
// connecting with timeout and backoff, gather writes with a timeout, the
// idle close (docs/transports.md, "TCP").
#include <algorithm>
#include <asio/connect.hpp>
#include <asio/write.hpp>
#include <utility>

#include "tcp_impl.h"

namespace gossipmonger {

namespace {

using tcp_detail::Frame;
using tcp_detail::kPrefixBytes;
using tcp_detail::Outbound;
using tcp_detail::tcp;

// Frames handed to one gather-write at most (bounds the iovec count).
constexpr std::size_t kMaxFramesPerWrite = 64;
// A healthy connection: one that lived this long resets the backoff.
constexpr auto kHealthyConnection = std::chrono::seconds(1);

bool Current(const Outbound& out, std::uint64_t epoch) {
  return !out.removed && out.epoch == epoch;
}

}  // namespace

void TcpTransport::Impl::Send(const PeerEndpoint& remote, const Message& message) {
  if (closed()) {
    ++stats.dropped_unsendable;
    return;
  }
  Frame frame{message.kind, std::string(kPrefixBytes, '\0')};
  if (!EncodeWithin(remote, message, frame.bytes)) {
    ++stats.dropped_unsendable;
    return;
  }
  const std::size_t length = frame.bytes.size() - kPrefixBytes;
  tcp_detail::WriteBigEndian32(static_cast<std::uint32_t>(length), frame.bytes.data());
  const std::shared_ptr<Outbound> out = OutboundTo(remote);
  if (out == nullptr) {
    ++stats.dropped_unsendable;
    return;
  }
  Enqueue(*out, std::move(frame));
  switch (out->state) {
    case Outbound::State::kIdle:
      StartConnect(out);
      break;
    case Outbound::State::kConnected:
      StartWrite(out);
      break;
    case Outbound::State::kConnecting:
    case Outbound::State::kBackoff:
      break;
  }
}

// The connection to remote.address, made on first use; nullptr (reported)
// for an address that is not host:port.
std::shared_ptr<Outbound> TcpTransport::Impl::OutboundTo(const PeerEndpoint& remote) {
  auto it = outbound.find(remote.address);
  if (it != outbound.end()) return it->second;
  std::string host;
  std::uint16_t port = 0;
  if (!ParseAddress(remote, &host, &port)) return nullptr;
  auto out = std::make_shared<Outbound>(io(), remote.address, std::move(host), port,
                                        options.reconnect_backoff_initial);
  outbound.emplace(remote.address, out);
  return out;
}

void TcpTransport::Impl::Enqueue(Outbound& out, Frame frame) {
  if (out.queue.size() >= options.send_queue_messages) {
    auto stale = out.queue.end();
    if (frame.kind == MessageKind::kDigest) {
      stale = std::find_if(out.queue.begin(), out.queue.end(),
                           [](const Frame& f) { return f.kind == MessageKind::kDigest; });
    }
    if (stale != out.queue.end()) {
      out.queue.erase(stale);
      ++stats.digests_replaced;
    } else {
      out.queue.pop_front();
      ++stats.dropped_queue_full;
    }
  }
  out.queue.push_back(std::move(frame));
}

void TcpTransport::Impl::StartConnect(const std::shared_ptr<Outbound>& out) {
  out->state = Outbound::State::kConnecting;
  out->connect_started = Clock::now();
  const std::uint64_t epoch = ++out->epoch;
  out->timer.expires_after(options.connect_timeout);
  out->timer.async_wait([self = shared_from_this(), out, epoch](std::error_code error) {
    if (error || self->closed() || !Current(*out, epoch)) return;
    self->ConnectFailed(out, "timed out after " +
                                 std::to_string(self->options.connect_timeout.count()) +
                                 " ms");
  });
  auto on_connect = [self = shared_from_this(), out, epoch](std::error_code error) {
    if (self->closed() || !Current(*out, epoch)) return;
    if (error) {
      self->ConnectFailed(out, error.message());
    } else {
      self->Connected(out);
    }
  };
  std::error_code error;
  const asio::ip::address literal = asio::ip::make_address(out->host, error);
  if (!error) {
    out->socket.async_connect(tcp::endpoint(literal, out->port), on_connect);
    return;
  }
  out->resolver.async_resolve(
      out->host, std::to_string(out->port),
      [self = shared_from_this(), out, epoch, on_connect](
          std::error_code error, const tcp::resolver::results_type& results) {
        if (self->closed() || !Current(*out, epoch)) return;
        if (error) {
          self->ConnectFailed(out, "cannot resolve: " + error.message());
          return;
        }
        asio::async_connect(
            out->socket, results,
            [on_connect](std::error_code e, const tcp::endpoint&) { on_connect(e); });
      });
}

void TcpTransport::Impl::Connected(const std::shared_ptr<Outbound>& out) {
  out->timer.cancel();
  out->state = Outbound::State::kConnected;
  out->connected_at = out->last_activity = Clock::now();
  std::error_code ignored;
  out->socket.set_option(tcp::no_delay(true), ignored);
  ++stats.connections_opened;
  ++stats.outbound_connections;
  const std::uint64_t epoch = out->epoch;
  // Outgoing connections only write; reading notices the remote closing.
  ReadOutbound(out, epoch);
  ArmIdle(out, epoch, out->last_activity + options.idle_timeout);
  StartWrite(out);
}

void TcpTransport::Impl::ReadOutbound(const std::shared_ptr<Outbound>& out,
                                      std::uint64_t epoch) {
  out->socket.async_read_some(asio::buffer(out->discard), [self = shared_from_this(), out,
                                                           epoch](std::error_code error,
                                                                  std::size_t) {
    if (self->closed() || !Current(*out, epoch)) return;
    if (error) {
      const bool routine = error == asio::error::eof ||
                           error == asio::error::connection_reset ||
                           error == asio::error::operation_aborted;
      self->Disconnect(out, routine ? std::string() : "read failed: " + error.message());
      return;
    }
    self->ReadOutbound(out, epoch);  // the protocol sends nothing this way: ignored
  });
}

void TcpTransport::Impl::ArmIdle(const std::shared_ptr<Outbound>& out,
                                 std::uint64_t epoch, Clock::time_point at) {
  out->idle_timer.expires_at(at);
  out->idle_timer.async_wait(
      [self = shared_from_this(), out, epoch](std::error_code error) {
        if (error || self->closed() || !Current(*out, epoch)) return;
        const Clock::time_point due = out->last_activity + self->options.idle_timeout;
        if (out->writing || !out->queue.empty() || Clock::now() < due) {
          self->ArmIdle(out, epoch,
                        std::max(due, Clock::now() + std::chrono::milliseconds(1)));
          return;
        }
        ++self->stats.idle_closes;
        self->Disconnect(out, std::string());
      });
}

void TcpTransport::Impl::StartWrite(const std::shared_ptr<Outbound>& out) {
  if (out->writing || out->state != Outbound::State::kConnected || out->queue.empty())
    return;
  const std::size_t count = std::min(out->queue.size(), kMaxFramesPerWrite);
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    out->inflight.push_back(std::move(out->queue.front()));
    out->queue.pop_front();
  }
  for (const Frame& frame : out->inflight) buffers.push_back(asio::buffer(frame.bytes));
  out->writing = true;
  ArmWriteTimer(out);
  asio::async_write(out->socket, buffers,
                    [self = shared_from_this(), out, epoch = out->epoch](
                        std::error_code error, std::size_t n) {
                      if (self->closed() || !Current(*out, epoch)) return;
                      out->writing = false;
                      if (error) {
                        self->Disconnect(out, "write failed: " + error.message());
                        return;
                      }
                      self->stats.frames_sent += out->inflight.size();
                      self->stats.bytes_sent += n;
                      out->inflight.clear();
                      out->last_activity = Clock::now();
                      self->StartWrite(out);
                    });
}

// The write just started must complete within write_timeout.
void TcpTransport::Impl::ArmWriteTimer(const std::shared_ptr<Outbound>& out) {
  const std::uint64_t epoch = out->epoch;
  const std::uint64_t write = ++out->writes;
  out->write_timer.expires_after(options.write_timeout);
  out->write_timer.async_wait(
      [self = shared_from_this(), out, epoch, write](std::error_code e) {
        if (e || self->closed() || !Current(*out, epoch) || !out->writing ||
            out->writes != write) {
          return;
        }
        ++self->stats.write_timeouts;
        self->Disconnect(out, "write stalled for " +
                                  std::to_string(self->options.write_timeout.count()) +
                                  " ms (the remote does not read)");
      });
}

// Closes the connection of `out` (reporting `why` unless empty). With
// messages still queued it reconnects, after a backoff if the connection
// was short-lived; otherwise the entry is forgotten.
void TcpTransport::Impl::Disconnect(const std::shared_ptr<Outbound>& out,
                                    const std::string& why) {
  const Clock::time_point now = Clock::now();
  std::error_code ignored;
  out->socket.close(ignored);
  out->timer.cancel();
  out->idle_timer.cancel();
  out->write_timer.cancel();
  ++out->epoch;
  ++stats.connections_closed;
  --stats.outbound_connections;
  stats.dropped_on_error += out->inflight.size();
  out->inflight.clear();
  out->writing = false;
  out->state = Outbound::State::kIdle;
  if (!why.empty())
    Report(StatusCode::kUnavailable, "connection to " + out->address + ": " + why);
  const bool healthy = now - out->connected_at >= kHealthyConnection;
  if (healthy) out->backoff = options.reconnect_backoff_initial;
  if (out->queue.empty()) {
    Forget(out);
  } else if (healthy) {
    StartConnect(out);
  } else {
    StartBackoff(out);
  }
}

void TcpTransport::Impl::ConnectFailed(const std::shared_ptr<Outbound>& out,
                                       const std::string& why) {
  std::error_code ignored;
  out->socket.close(ignored);
  out->resolver.cancel();
  ++stats.connect_failures;
  Report(StatusCode::kUnavailable, "cannot connect to " + out->address + ": " + why);
  StartBackoff(out);
}

void TcpTransport::Impl::StartBackoff(const std::shared_ptr<Outbound>& out) {
  out->state = Outbound::State::kBackoff;
  WaitThenConnect(out, Clock::now() + out->backoff);
  out->backoff = std::min(out->backoff * 2, options.reconnect_backoff_max);
}

// In kBackoff: connects at `at` if messages are queued by then.
void TcpTransport::Impl::WaitThenConnect(const std::shared_ptr<Outbound>& out,
                                         Clock::time_point at) {
  const std::uint64_t epoch = ++out->epoch;
  out->timer.expires_at(at);
  out->timer.async_wait([self = shared_from_this(), out, epoch](std::error_code error) {
    if (error || self->closed() || !Current(*out, epoch)) return;
    if (out->queue.empty()) {
      out->state = Outbound::State::kIdle;  // keeps its backoff for the next failure
    } else {
      self->StartConnect(out);
    }
  });
}

void TcpTransport::Impl::Forget(const std::shared_ptr<Outbound>& out) {
  auto it = outbound.find(out->address);
  if (it != outbound.end() && it->second == out) outbound.erase(it);
  out->removed = true;
}

// Part of closing the transport: every connection and queued message goes.
void TcpTransport::Impl::CloseOutbound() {
  std::error_code ignored;
  for (auto& [address, out] : outbound) {
    if (out->state == Outbound::State::kConnected) {
      ++stats.connections_closed;
      --stats.outbound_connections;
    }
    out->socket.close(ignored);
    out->resolver.cancel();
    out->timer.cancel();
    out->idle_timer.cancel();
    out->write_timer.cancel();
    out->removed = true;
    out->queue.clear();
    out->inflight.clear();
  }
  outbound.clear();
}

}  // namespace gossipmonger
