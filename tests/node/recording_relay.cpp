#include "node/recording_relay.h"

#include <array>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/post.hpp>
#include <asio/write.hpp>
#include <atomic>
#include <list>
#include <mutex>
#include <thread>

namespace gossipmonger::node_test {
namespace {

using asio::ip::tcp;
using asio::ip::udp;

const asio::ip::address kLoopback = asio::ip::make_address("127.0.0.1");

}  // namespace

// Everything runs on `thread`; `mutex` guards what the test reads.
struct RecordingRelay::Impl : std::enable_shared_from_this<Impl> {
  // One relayed TCP connection: the peer's, and the relay's own to the node.
  struct Pipe {
    explicit Pipe(asio::io_context& io) : from(io), to(io) {}
    tcp::socket from, to;
    std::array<char, 64 * 1024> buffer;
    std::size_t stream = 0;  // index into `recorded`
  };

  explicit Impl(bool is_tcp) : tcp_mode(is_tcp) {}

  void Start() {
    if (tcp_mode) {
      acceptor.open(tcp::v4());
      acceptor.bind({kLoopback, 0});
      acceptor.listen();
      port = acceptor.local_endpoint().port();
      Accept();
    } else {
      socket.open(udp::v4());
      socket.bind({kLoopback, 0});
      port = socket.local_endpoint().port();
      ReceiveDatagram();
    }
    thread = std::thread([self = shared_from_this()] { self->io.run(); });
  }

  void ReceiveDatagram() {
    socket.async_receive_from(asio::buffer(datagram), sender,
                              [this](std::error_code error, std::size_t n) {
                                if (error) return;
                                if (target != 0) {
                                  Record(std::string(datagram.data(), n), nullptr);
                                  std::error_code ignored;
                                  socket.send_to(asio::buffer(datagram.data(), n),
                                                 {kLoopback, target}, 0, ignored);
                                }
                                ReceiveDatagram();
                              });
  }

  void Accept() {
    auto pipe = std::make_shared<Pipe>(io);
    acceptor.async_accept(pipe->from, [this, pipe](std::error_code error) {
      if (error) return;
      std::error_code connect_error;
      pipe->to.connect({kLoopback, target}, connect_error);
      if (!connect_error) {
        std::lock_guard lock(mutex);
        pipe->stream = recorded.size();
        recorded.emplace_back();
        pipes.push_back(pipe);
        Read(pipe);
      }
      Accept();
    });
  }

  void Read(const std::shared_ptr<Pipe>& pipe) {
    pipe->from.async_read_some(
        asio::buffer(pipe->buffer), [this, pipe](std::error_code error, std::size_t n) {
          std::error_code write_error;
          if (!error) {
            Record(std::string(pipe->buffer.data(), n), pipe.get());
            asio::write(pipe->to, asio::buffer(pipe->buffer.data(), n), write_error);
          }
          if (error || write_error) {
            std::error_code ignored;
            pipe->from.close(ignored);
            pipe->to.close(ignored);
            return;
          }
          Read(pipe);
        });
  }

  // `pipe`: the TCP connection the bytes came on; nullptr for a datagram.
  void Record(std::string bytes, Pipe* pipe) {
    std::lock_guard lock(mutex);
    if (!recording) return;
    if (pipe == nullptr) {
      recorded.push_back(std::move(bytes));
    } else {
      recorded[pipe->stream] += bytes;
    }
  }

  void Stop() {
    asio::post(io, [self = shared_from_this()] {
      std::error_code ignored;
      self->acceptor.close(ignored);
      self->socket.close(ignored);
      for (auto& pipe : self->pipes) {
        pipe->from.close(ignored);
        pipe->to.close(ignored);
      }
      self->io.stop();
    });
    thread.join();
  }

  bool tcp_mode;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  udp::socket socket{io};
  udp::endpoint sender;
  std::array<char, 64 * 1024> datagram;
  std::list<std::shared_ptr<Pipe>> pipes;
  std::atomic<std::uint16_t> target{0};
  std::uint16_t port = 0;
  std::thread thread;

  mutable std::mutex mutex;
  bool recording = true;
  std::vector<std::string> recorded;
};

RecordingRelay::RecordingRelay(const std::string& transport)
    : impl_(std::make_shared<Impl>(transport == "tcp")) {
  impl_->Start();
}

RecordingRelay::~RecordingRelay() { impl_->Stop(); }

std::uint16_t RecordingRelay::port() const { return impl_->port; }

void RecordingRelay::SetTarget(std::uint16_t port) { impl_->target = port; }

void RecordingRelay::StopRecording() {
  std::lock_guard lock(impl_->mutex);
  impl_->recording = false;
}

std::vector<std::string> RecordingRelay::Recorded() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->recorded;
}

}  // namespace gossipmonger::node_test
