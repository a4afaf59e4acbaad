#include "gossipmonger/tcp_transport.h"

#include <algorithm>
#include <cassert>
#include <array>
#include <cstring>
#include <deque>
#include <unordered_map>
#include <utility>
#include <vector>

#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include "gossipmonger/wire_size.h"
#include "host_port.h"

namespace gossipmonger {

namespace {

using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kPrefixBytes = 4;
// Frames handed to one gather-write at most (bounds the iovec count).
constexpr std::size_t kMaxFramesPerWrite = 64;
// Bytes read per read_some at least; a frame's body is read in one go up to
// kMaxReadChunk, so that memory grows only with bytes actually received.
constexpr std::size_t kMinReadChunk = 16 * 1024;
constexpr std::size_t kMaxReadChunk = 256 * 1024;
// A healthy connection: one that lived this long resets the backoff.
constexpr auto kHealthyConnection = std::chrono::seconds(1);
// Pause before accepting again after accept() itself failed (EMFILE...).
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);

std::uint32_t ReadBigEndian32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) |
         (std::uint32_t{u[2]} << 8) | std::uint32_t{u[3]};
}

void WriteBigEndian32(std::uint32_t v, char* p) {
  p[0] = static_cast<char>((v >> 24) & 0xff);
  p[1] = static_cast<char>((v >> 16) & 0xff);
  p[2] = static_cast<char>((v >> 8) & 0xff);
  p[3] = static_cast<char>(v & 0xff);
}

std::string EndpointText(const tcp::endpoint& endpoint) {
  const asio::ip::address address = endpoint.address();
  std::string host = address.to_string();
  if (address.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(endpoint.port());
}

struct Frame {
  MessageKind kind;
  std::string bytes;  // length prefix + envelope
};

}  // namespace

// --- connections -------------------------------------------------------------

namespace {

// An outgoing connection to one remote address, with its queue. Its
// asynchronous handlers carry `epoch`; any state change bumps it, so a
// handler of a superseded operation returns without touching anything.
struct Outbound {
  enum class State { kIdle, kConnecting, kConnected, kBackoff };

  Outbound(asio::io_context& io, std::string address_, std::string host_, std::uint16_t port_,
           std::chrono::milliseconds backoff_)
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
  asio::steady_timer timer;       // connect timeout, then backoff
  asio::steady_timer idle_timer;  // while connected
  asio::steady_timer write_timer;  // while a write is in progress
  std::deque<Frame> queue;        // waiting, not yet handed to the socket
  std::vector<Frame> inflight;    // being written
  bool writing = false;
  std::uint64_t writes = 0;  // writes started, to tell the write timer's one
  bool removed = false;  // erased from the transport's map
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

}  // namespace

struct TcpTransport::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io_context, TcpTransportOptions opts)
      : io(io_context), options(std::move(opts)), acceptor(io), accept_retry(io) {
    // The length prefix has 32 bits.
    options.max_frame_bytes = std::min<std::size_t>(options.max_frame_bytes, 0xffffffffu);
    options.send_queue_messages = std::max<std::size_t>(options.send_queue_messages, 1);
    options.reconnect_backoff_initial =
        std::max(options.reconnect_backoff_initial, std::chrono::milliseconds(1));
    options.reconnect_backoff_max =
        std::max(options.reconnect_backoff_max, options.reconnect_backoff_initial);
    decode_limits = options.decode_limits;
    decode_limits.max_message_bytes =
        std::min(decode_limits.max_message_bytes, options.max_frame_bytes);
    const Limits& limits = options.decode_limits.limits;
    const PeerEndpoint worst{std::string(limits.max_peer_id_bytes, 'x'),
                             options.advertised_address.empty()
                                 ? std::string(limits.max_address_bytes, 'x')
                                 : options.advertised_address};
    const std::size_t envelope =
        wire_size::Envelope(options.cluster, worst, MessageKind::kDigestReply);
    max_body_bytes = options.max_frame_bytes > envelope ? options.max_frame_bytes - envelope : 0;
  }

  void Report(StatusCode code, std::string text) {
    // A copy: the handler may replace the handlers (a runtime destroyed
    // from inside it) while it runs.
    if (ErrorHandler handler = on_error) {
      handler(Status::Error(code, "tcp transport: " + std::move(text)));
    }
  }

  // --- listening ---------------------------------------------------------

  Status Listen() {
    if (closed) return Status::Error(StatusCode::kInvalidArgument, "tcp transport: closed");
    if (acceptor.is_open()) {
      return Status::Error(StatusCode::kInvalidArgument, "tcp transport: already listening");
    }
    const std::string where = options.listen_host + ":" + std::to_string(options.listen_port);
    std::error_code error;
    std::vector<tcp::endpoint> endpoints;
    const asio::ip::address literal = asio::ip::make_address(options.listen_host, error);
    if (!error) {
      endpoints.emplace_back(literal, options.listen_port);
    } else {
      tcp::resolver resolver(io);
      auto results = resolver.resolve(options.listen_host, std::to_string(options.listen_port),
                                      tcp::resolver::passive, error);
      if (error) {
        return Status::Error(StatusCode::kIOError,
                             "tcp transport: cannot resolve " + where + ": " + error.message());
      }
      for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    }
    for (const tcp::endpoint& endpoint : endpoints) {
      error.clear();
      acceptor.open(endpoint.protocol(), error);
      if (!error) acceptor.set_option(tcp::acceptor::reuse_address(true), error);
      if (!error && endpoint.address().is_v6() && endpoint.address().is_unspecified()) {
        std::error_code ignored;  // dual-stack where the system allows it
        acceptor.set_option(asio::ip::v6_only(false), ignored);
      }
      if (!error) acceptor.bind(endpoint, error);
      if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
      if (!error) break;
      std::error_code ignored;
      acceptor.close(ignored);
    }
    if (!acceptor.is_open()) {
      if (!error) error = std::make_error_code(std::errc::address_not_available);
      return Status::Error(StatusCode::kIOError,
                           "tcp transport: cannot listen on " + where + ": " + error.message());
    }
    port = acceptor.local_endpoint(error).port();
    Accept();
    return Status::Ok();
  }

  void Accept() {
    acceptor.async_accept([self = shared_from_this()](std::error_code error, tcp::socket socket) {
      self->OnAccept(error, std::move(socket));
    });
  }

  void OnAccept(std::error_code error, tcp::socket socket) {
    if (closed || !acceptor.is_open()) return;
    if (error) {
      if (error == asio::error::operation_aborted) return;
      Report(StatusCode::kIOError, "accept failed: " + error.message());
      accept_retry.expires_after(kAcceptRetry);
      accept_retry.async_wait([self = shared_from_this()](std::error_code e) {
        if (!e && !self->closed && self->acceptor.is_open()) self->Accept();
      });
      return;
    }
    std::error_code ignored;
    const std::string remote = EndpointText(socket.remote_endpoint(ignored));
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

  // --- inbound -----------------------------------------------------------

  Clock::time_point InboundDeadline(const Inbound& in) const {
    return in.frame_started ? in.frame_start + options.read_timeout
                            : in.last_frame + options.idle_timeout;
  }

  // Makes sure a timer wait expires no later than the current deadline.
  void ArmInbound(const std::shared_ptr<Inbound>& in) {
    const Clock::time_point deadline = InboundDeadline(*in);
    if (in->timer.expiry() > Clock::now() && in->armed_for <= deadline) return;  // pending, soon enough
    in->armed_for = deadline;
    in->timer.expires_at(deadline);
    in->timer.async_wait([self = shared_from_this(), in](std::error_code error) {
      if (error || in->closed || self->closed) return;
      const Clock::time_point now = Clock::now();
      if (now < self->InboundDeadline(*in)) {
        in->armed_for = {};
        self->ArmInbound(in);
        return;
      }
      if (in->frame_started) {
        ++self->stats.read_timeouts;
        self->Report(StatusCode::kProtocolError,
                     "connection from " + in->remote + " closed: no whole frame within " +
                         std::to_string(self->options.read_timeout.count()) + " ms");
      } else {
        ++self->stats.idle_closes;
      }
      self->CloseInbound(in);
    });
  }

  void ReadInbound(const std::shared_ptr<Inbound>& in) {
    std::size_t space = kMinReadChunk;
    if (in->used >= kPrefixBytes) {
      const std::size_t frame = kPrefixBytes + ReadBigEndian32(in->buffer.data());
      if (frame > in->used) space = std::clamp(frame - in->used, kMinReadChunk, kMaxReadChunk);
    }
    in->buffer.resize(in->used + space);
    in->socket.async_read_some(
        asio::buffer(in->buffer.data() + in->used, space),
        [self = shared_from_this(), in](std::error_code error, std::size_t n) {
          self->OnInboundRead(in, error, n);
        });
  }

  void OnInboundRead(const std::shared_ptr<Inbound>& in, std::error_code error, std::size_t n) {
    if (in->closed || closed) return;
    if (error) {
      if (in->used > 0) {
        // Whatever the error, the frame in progress is lost.
        ++stats.truncated_frames;
        Report(StatusCode::kProtocolError,
               "connection from " + in->remote + " ended inside a frame (" +
                   std::to_string(in->used) + " bytes of it received): " + error.message());
      } else if (error != asio::error::eof && error != asio::error::connection_reset &&
                 error != asio::error::operation_aborted) {
        // A peer closing or resetting its connection between frames is routine.
        Report(StatusCode::kIOError, "read from " + in->remote + " failed: " + error.message());
      }
      CloseInbound(in);
      return;
    }
    const Clock::time_point now = Clock::now();
    stats.bytes_received += n;
    in->used += n;
    if (!in->frame_started && n > 0) {
      in->frame_started = true;
      in->frame_start = now;
    }
    std::size_t offset = 0;
    bool delivered = false;
    while (in->used - offset >= kPrefixBytes) {
      const std::uint32_t length = ReadBigEndian32(in->buffer.data() + offset);
      if (length > options.max_frame_bytes) {
        ++stats.oversized_frames;
        Report(StatusCode::kLimitExceeded,
               "connection from " + in->remote + " closed: frame of " + std::to_string(length) +
                   " bytes exceeds max_frame_bytes (" + std::to_string(options.max_frame_bytes) +
                   ")");
        CloseInbound(in);
        return;
      }
      if (in->used - offset - kPrefixBytes < length) break;
      const std::string_view frame(in->buffer.data() + offset + kPrefixBytes, length);
      offset += kPrefixBytes + length;
      delivered = true;
      Deliver(in, frame);
      if (in->closed || closed) return;
    }
    if (offset > 0) {
      std::memmove(in->buffer.data(), in->buffer.data() + offset, in->used - offset);
      in->used -= offset;
    }
    if (delivered) {
      in->last_frame = now;
      in->frame_started = in->used > 0;
      in->frame_start = now;  // the partial rest arrived in this read
    }
    // Give back what a large frame borrowed.
    if (in->used == 0 && in->buffer.capacity() > 4 * kMaxReadChunk) {
      std::string().swap(in->buffer);
    }
    ArmInbound(in);
    ReadInbound(in);
  }

  void Deliver(const std::shared_ptr<Inbound>& in, std::string_view frame) {
    codec::Decoded decoded;
    const Status status = codec::Decode(frame, decode_limits, &decoded);
    if (!status.ok()) {
      ++stats.decode_errors;
      Report(status.code(), "connection from " + in->remote +
                                " closed: undecodable frame: " + status.message());
      CloseInbound(in);
      return;
    }
    if (decoded.cluster != options.cluster) {
      ++stats.foreign_cluster;
      Report(StatusCode::kProtocolError,
             "message from " + in->remote + " (peer '" + decoded.message.sender.id +
                 "') of cluster '" + decoded.cluster + "' dropped: this is cluster '" +
                 options.cluster + "'");
      return;
    }
    ++stats.frames_received;
    // Before the handler: the answer it sends goes straight to a fresh
    // connection instead of waiting behind a backoff.
    SenderIsUp(decoded.message.sender.address);
    if (MessageHandler handler = on_message) handler(std::move(decoded.message));
  }

  // A frame from the peer at `address` just arrived: it is up. If our own
  // connection to it is waiting out a backoff (the peer was down, e.g.
  // restarting, and the backoff grew meanwhile up to reconnect_backoff_max),
  // retry now; otherwise a node that restarts hears nothing from us, not
  // even the answers to its own messages, for up to that long, and convicts
  // us meanwhile. The backoff starts over too. Never sooner than
  // reconnect_backoff_initial after the previous attempt, so that frames
  // naming an unreachable address cannot turn into a connect storm.
  void SenderIsUp(const std::string& address) {
    const auto it = outbound.find(address);
    if (it == outbound.end()) return;
    const std::shared_ptr<Outbound> out = it->second;
    out->backoff = options.reconnect_backoff_initial;
    const Clock::time_point earliest =
        out->connect_started + options.reconnect_backoff_initial;
    if (out->state != Outbound::State::kBackoff || out->timer.expiry() <= earliest)
      return;
    ++stats.early_reconnects;
    WaitThenConnect(out, earliest);
  }

  void CloseInbound(const std::shared_ptr<Inbound>& in) {
    if (in->closed) return;
    in->closed = true;
    std::error_code ignored;
    in->socket.close(ignored);
    in->timer.cancel();
    inbound.erase(in.get());
    ++stats.connections_closed;
    --stats.inbound_connections;
  }

  // --- outbound ----------------------------------------------------------

  void Send(const PeerEndpoint& remote, const Message& message) {
    if (closed) {
      ++stats.dropped_unsendable;
      return;
    }
    Frame frame{message.kind, std::string(kPrefixBytes, '\0')};
    codec::Encode(options.cluster, message, frame.bytes);
    const std::size_t length = frame.bytes.size() - kPrefixBytes;
    // The codec's contract, on which MaxBodyBytes() rests.
    assert(length == wire_size::Envelope(options.cluster, message.sender, message.kind) +
                         wire_size::Body(message));
    if (length > options.max_frame_bytes) {
      ++stats.dropped_unsendable;
      Report(StatusCode::kLimitExceeded,
             "message to " + remote.address + " not sent: its " + std::to_string(length) +
                 " bytes exceed max_frame_bytes (" + std::to_string(options.max_frame_bytes) +
                 "); the engine should never build one");
      return;
    }
    WriteBigEndian32(static_cast<std::uint32_t>(length), frame.bytes.data());

    auto it = outbound.find(remote.address);
    if (it == outbound.end()) {
      std::string host;
      std::uint16_t port = 0;
      if (!tcp_detail::SplitHostPort(remote.address, &host, &port)) {
        ++stats.dropped_unsendable;
        Report(StatusCode::kInvalidArgument, "message to peer '" + remote.id +
                                                 "' not sent: address '" + remote.address +
                                                 "' is not host:port");
        return;
      }
      it = outbound
               .emplace(remote.address,
                        std::make_shared<Outbound>(io, remote.address, std::move(host), port,
                                                   options.reconnect_backoff_initial))
               .first;
    }
    const std::shared_ptr<Outbound> out = it->second;
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

  void Enqueue(Outbound& out, Frame frame) {
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

  static bool Current(const Outbound& out, std::uint64_t epoch) {
    return !out.removed && out.epoch == epoch;
  }

  void StartConnect(const std::shared_ptr<Outbound>& out) {
    out->state = Outbound::State::kConnecting;
    out->connect_started = Clock::now();
    const std::uint64_t epoch = ++out->epoch;
    out->timer.expires_after(options.connect_timeout);
    out->timer.async_wait([self = shared_from_this(), out, epoch](std::error_code error) {
      if (error || self->closed || !Current(*out, epoch)) return;
      self->ConnectFailed(out, "timed out after " +
                                   std::to_string(self->options.connect_timeout.count()) + " ms");
    });
    auto on_connect = [self = shared_from_this(), out, epoch](std::error_code error) {
      if (self->closed || !Current(*out, epoch)) return;
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
          if (self->closed || !Current(*out, epoch)) return;
          if (error) {
            self->ConnectFailed(out, "cannot resolve: " + error.message());
            return;
          }
          asio::async_connect(out->socket, results,
                              [on_connect](std::error_code e, const tcp::endpoint&) {
                                on_connect(e);
                              });
        });
  }

  void Connected(const std::shared_ptr<Outbound>& out) {
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

  void ReadOutbound(const std::shared_ptr<Outbound>& out, std::uint64_t epoch) {
    out->socket.async_read_some(
        asio::buffer(out->discard),
        [self = shared_from_this(), out, epoch](std::error_code error, std::size_t) {
          if (self->closed || !Current(*out, epoch)) return;
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

  void ArmIdle(const std::shared_ptr<Outbound>& out, std::uint64_t epoch, Clock::time_point at) {
    out->idle_timer.expires_at(at);
    out->idle_timer.async_wait([self = shared_from_this(), out, epoch](std::error_code error) {
      if (error || self->closed || !Current(*out, epoch)) return;
      const Clock::time_point due = out->last_activity + self->options.idle_timeout;
      if (out->writing || !out->queue.empty() || Clock::now() < due) {
        self->ArmIdle(out, epoch, std::max(due, Clock::now() + std::chrono::milliseconds(1)));
        return;
      }
      ++self->stats.idle_closes;
      self->Disconnect(out, std::string());
    });
  }

  void StartWrite(const std::shared_ptr<Outbound>& out) {
    if (out->writing || out->state != Outbound::State::kConnected || out->queue.empty()) return;
    const std::size_t count = std::min(out->queue.size(), kMaxFramesPerWrite);
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      out->inflight.push_back(std::move(out->queue.front()));
      out->queue.pop_front();
    }
    for (const Frame& frame : out->inflight) buffers.push_back(asio::buffer(frame.bytes));
    out->writing = true;
    const std::uint64_t epoch = out->epoch;
    const std::uint64_t write = ++out->writes;
    out->write_timer.expires_after(options.write_timeout);
    out->write_timer.async_wait([self = shared_from_this(), out, epoch, write](std::error_code e) {
      if (e || self->closed || !Current(*out, epoch) || !out->writing || out->writes != write) {
        return;
      }
      ++self->stats.write_timeouts;
      self->Disconnect(out, "write stalled for " +
                                std::to_string(self->options.write_timeout.count()) +
                                " ms (the remote does not read)");
    });
    asio::async_write(out->socket, buffers,
                      [self = shared_from_this(), out, epoch](std::error_code error,
                                                              std::size_t n) {
                        if (self->closed || !Current(*out, epoch)) return;
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

  // Closes the connection of `out` (reporting `why` unless empty). With
  // messages still queued it reconnects, after a backoff if the connection
  // was short-lived; otherwise the entry is forgotten.
  void Disconnect(const std::shared_ptr<Outbound>& out, const std::string& why) {
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
    if (!why.empty()) Report(StatusCode::kUnavailable, "connection to " + out->address + ": " + why);
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

  void ConnectFailed(const std::shared_ptr<Outbound>& out, const std::string& why) {
    std::error_code ignored;
    out->socket.close(ignored);
    out->resolver.cancel();
    ++stats.connect_failures;
    Report(StatusCode::kUnavailable, "cannot connect to " + out->address + ": " + why);
    StartBackoff(out);
  }

  void StartBackoff(const std::shared_ptr<Outbound>& out) {
    out->state = Outbound::State::kBackoff;
    WaitThenConnect(out, Clock::now() + out->backoff);
    out->backoff = std::min(out->backoff * 2, options.reconnect_backoff_max);
  }

  // In kBackoff: connects at `at` if messages are queued by then.
  void WaitThenConnect(const std::shared_ptr<Outbound>& out, Clock::time_point at) {
    const std::uint64_t epoch = ++out->epoch;
    out->timer.expires_at(at);
    out->timer.async_wait([self = shared_from_this(), out, epoch](std::error_code error) {
      if (error || self->closed || !Current(*out, epoch)) return;
      if (out->queue.empty()) {
        out->state = Outbound::State::kIdle;  // keeps its backoff for the next failure
      } else {
        self->StartConnect(out);
      }
    });
  }

  void Forget(const std::shared_ptr<Outbound>& out) {
    auto it = outbound.find(out->address);
    if (it != outbound.end() && it->second == out) outbound.erase(it);
    out->removed = true;
  }

  // --- closing -----------------------------------------------------------

  void Close() {
    if (closed) return;
    closed = true;
    std::error_code ignored;
    acceptor.close(ignored);
    accept_retry.cancel();
    auto accepted = inbound;
    for (auto& [key, in] : accepted) CloseInbound(in);
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

  asio::io_context& io;
  TcpTransportOptions options;
  codec::DecodeLimits decode_limits;
  std::size_t max_body_bytes = 0;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  std::uint16_t port = 0;
  bool closed = false;
  MessageHandler on_message;
  ErrorHandler on_error;
  TcpTransportStats stats;
  std::unordered_map<std::string, std::shared_ptr<Outbound>> outbound;
  std::unordered_map<Inbound*, std::shared_ptr<Inbound>> inbound;
};

// --- TcpTransport ----------------------------------------------------------------

TcpTransport::TcpTransport(asio::io_context& io, TcpTransportOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

TcpTransport::~TcpTransport() {
  impl_->on_message = nullptr;
  impl_->on_error = nullptr;
  impl_->Close();
}

Status TcpTransport::Listen() {
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

std::uint16_t TcpTransport::local_port() const {
  return impl_->acceptor.is_open() ? impl_->port : 0;
}

void TcpTransport::Close() { impl_->Close(); }

void TcpTransport::SetHandlers(MessageHandler on_message, ErrorHandler on_error) {
  impl_->on_message = std::move(on_message);
  impl_->on_error = std::move(on_error);
}

void TcpTransport::Send(const PeerEndpoint& remote, const Message& message) {
  impl_->Send(remote, message);
}

std::size_t TcpTransport::MaxBodyBytes() const { return impl_->max_body_bytes; }

TcpTransportStats TcpTransport::stats() const { return impl_->stats; }

const TcpTransportOptions& TcpTransport::options() const { return impl_->options; }

}  // namespace gossipmonger
