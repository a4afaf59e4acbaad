// gossipmonger-bench-transport: loopback throughput of TcpTransport and
// UdpTransport side by side, in one run, through the whole stack (encode,
// socket, decode, handler).
//
// One io_context, one thread: a sender and a receiver transport on
// 127.0.0.1 ephemeral ports. The sender keeps `window` messages in flight;
// each delivery triggers the next send (self-clocked, so neither the TCP
// send queue nor the UDP socket buffer overflows). Each measurement lasts
// --seconds; the median of --repeats is printed.
//
//   gossipmonger-bench-transport [--seconds S] [--repeats R] [--window W]
#include <algorithm>
#include <asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gossipmonger/msgpack_codec.h"
#include "gossipmonger/tcp_transport.h"
#include "gossipmonger/udp_transport.h"
#include "gossipmonger/wire_size.h"

using namespace gossipmonger;
using Clock = std::chrono::steady_clock;

namespace {

struct Config {
  double seconds = 1.0;
  int repeats = 5;
  std::size_t window = 64;
};

struct Result {
  double messages_per_second = 0;
  double megabytes_per_second = 0;
  std::uint64_t lost = 0;
};

// A kDeltas message of one key whose body is about `body` bytes.
Message MessageOfBody(std::size_t body) {
  Message m;
  m.kind = MessageKind::kDeltas;
  m.sender = {"bench-sender", "127.0.0.1:1"};
  m.deltas = {{"bench-sender", Generation(1'700'000'000), "", {{"key", "", Version(1)}}}};
  const std::size_t empty = wire_size::Body(m);
  const std::size_t value = body > empty + 3 ? body - empty - 3 : 0;
  m.deltas[0].deltas[0].value.assign(value, 'v');
  return m;
}

// Sends and receives for cfg.seconds; `make` returns {sender, receiver,
// receiver's port}.
template <typename T>
Result Measure(const Config& cfg, const Message& message, std::size_t wire_bytes,
               const std::function<std::unique_ptr<T>(asio::io_context&)>& make) {
  asio::io_context io;
  auto sender = make(io);
  auto receiver = make(io);
  const PeerEndpoint to{"receiver", receiver->local_address()};
  std::uint64_t sent = 0, received = 0;
  bool sending = true;
  receiver->SetHandlers(
      [&](Message&&) {
        ++received;
        if (sending) {
          sender->Send(to, message);
          ++sent;
        }
      },
      [](const Status& s) {
        std::fprintf(stderr, "receiver error: %s\n", s.ToString().c_str());
      });
  sender->SetHandlers([](Message&&) {},
                      [](const Status& s) {
                        std::fprintf(stderr, "sender error: %s\n", s.ToString().c_str());
                      });
  // Warm up: connection set up, caches, allocator.
  for (std::size_t i = 0; i < cfg.window; ++i, ++sent) sender->Send(to, message);
  io.run_for(std::chrono::milliseconds(100));
  const std::uint64_t start_received = received;
  const auto start = Clock::now();
  io.run_for(std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(cfg.seconds)));
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const std::uint64_t count = received - start_received;
  sending = false;
  io.run_for(std::chrono::milliseconds(100));  // drain what is in flight
  Result result;
  result.messages_per_second = static_cast<double>(count) / elapsed;
  result.megabytes_per_second =
      result.messages_per_second * static_cast<double>(wire_bytes) / 1e6;
  result.lost = sent - received;
  return result;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

template <typename T>
void Report(const char* name, const Config& cfg, const Message& message,
            std::size_t wire_bytes,
            const std::function<std::unique_ptr<T>(asio::io_context&)>& make) {
  std::vector<double> rates, throughputs;
  std::uint64_t lost = 0;
  for (int i = 0; i < cfg.repeats; ++i) {
    const Result r = Measure<T>(cfg, message, wire_bytes, make);
    rates.push_back(r.messages_per_second);
    throughputs.push_back(r.megabytes_per_second);
    lost += r.lost;
  }
  std::printf("%-5s %10zu %12zu %14.0f %10.1f %10llu\n", name, wire_size::Body(message),
              wire_bytes, Median(rates), Median(throughputs),
              static_cast<unsigned long long>(lost));
  std::fflush(stdout);
}

int Usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s [--seconds S] [--repeats R] [--window W]\n", argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (std::strcmp(argv[i], "--seconds") == 0 && has_value) {
      cfg.seconds = std::atof(argv[++i]);
    } else if (std::strcmp(argv[i], "--repeats") == 0 && has_value) {
      cfg.repeats = std::max(1, std::atoi(argv[++i]));
    } else if (std::strcmp(argv[i], "--window") == 0 && has_value) {
      cfg.window = static_cast<std::size_t>(std::max(1, std::atoi(argv[++i])));
    } else {
      return Usage(argv[0]);
    }
  }
  if (!(cfg.seconds > 0)) return Usage(argv[0]);

  auto make_tcp = [&](asio::io_context& io) {
    TcpTransportOptions options;
    options.listen_port = 0;
    options.send_queue_messages = std::max<std::size_t>(cfg.window, 64);
    auto t = std::make_unique<TcpTransport>(io, options);
    if (Status s = t->Listen(); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      std::exit(1);
    }
    return t;
  };
  auto make_udp = [](asio::io_context& io) {
    UdpTransportOptions options;
    options.listen_port = 0;
    auto t = std::make_unique<UdpTransport>(io, options);
    if (Status s = t->Listen(); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      std::exit(1);
    }
    return t;
  };
  const std::function<std::unique_ptr<TcpTransport>(asio::io_context&)> tcp = make_tcp;
  const std::function<std::unique_ptr<UdpTransport>(asio::io_context&)> udp = make_udp;

  // A small message (a few deltas' worth) and one filled to UDP's default
  // budget, the largest both transports carry.
  asio::io_context probe_io;
  const std::size_t udp_budget = UdpTransport(probe_io, {}).MaxBodyBytes();
  std::printf("loopback, one thread, window %zu, median of %d x %.1f s\n", cfg.window,
              cfg.repeats, cfg.seconds);
  std::printf("%-5s %10s %12s %14s %10s %10s\n", "", "body B", "wire B/msg", "messages/s",
              "MB/s", "lost");
  for (std::size_t body : {std::size_t{100}, udp_budget}) {
    const Message message = MessageOfBody(body);
    std::string encoded;
    codec::Encode("gossipmonger", message, encoded);
    Report<TcpTransport>("tcp", cfg, message, encoded.size() + 4, tcp);
    Report<UdpTransport>("udp", cfg, message, encoded.size(), udp);
  }
  return 0;
}
