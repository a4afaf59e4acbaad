// UdpTransport beyond the conformance suite: the datagram size is never
// exceeded (checked on a raw receiving socket, with a real runtime filling
// messages to the budget), bad datagrams are counted and the receive loop
// goes on, options. Loopback only, ephemeral ports.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <asio/ip/udp.hpp>

#include "gossipmonger/gossipmonger.h"
#include "gossipmonger/memory_storage.h"
#include "gossipmonger/msgpack_codec.h"
#include "gossipmonger/testing/transport_conformance.h"
#include "udp/udp_traits.h"

using namespace gossipmonger;
using namespace std::chrono_literals;
using asio::ip::udp;
using testing::AddressOf;
using testing::Inbox;
using testing::RunFor;
using testing::RunUntil;
using udp_test::UdpTraits;

namespace {

std::unique_ptr<UdpTransport> Listen(asio::io_context& io, UdpTransportOptions options = {}) {
  Status status;
  auto transport = UdpTraits::Listening(io, "127.0.0.1", &status, 0, std::move(options));
  INFO(status.ToString());
  REQUIRE(transport != nullptr);
  return transport;
}

Message Digest(std::uint64_t heartbeat, const PeerEndpoint& sender = {"sender", "127.0.0.1:1"}) {
  Message m;
  m.kind = MessageKind::kDigest;
  m.sender = sender;
  m.digest = {{sender.id, Generation(1), Heartbeat(heartbeat), Version(0)}};
  return m;
}

std::string Encoded(const Message& m, const std::string& cluster = "gossipmonger") {
  std::string out;
  codec::Encode(cluster, m, out);
  return out;
}

// A raw, non-blocking UDP socket on 127.0.0.1:0 that records every datagram.
class RawReceiver {
 public:
  RawReceiver() : socket_(io_, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    socket_.non_blocking(true);
  }
  std::uint16_t port() const { return socket_.local_endpoint().port(); }
  void Drain() {
    std::vector<char> buffer(70'000);
    for (;;) {
      udp::endpoint from;
      std::error_code error;
      const std::size_t n = socket_.receive_from(asio::buffer(buffer), from, 0, error);
      if (error) return;
      datagrams.emplace_back(buffer.data(), n);
    }
  }
  void SendTo(std::uint16_t port, const std::string& bytes) {
    socket_.send_to(asio::buffer(bytes), {asio::ip::make_address("127.0.0.1"), port});
  }
  std::vector<std::string> datagrams;

 private:
  asio::io_context io_;
  udp::socket socket_;
};

}  // namespace

TEST_CASE("a runtime's datagrams never exceed max_datagram_bytes") {
  asio::io_context io;
  RawReceiver raw;
  const std::string raw_address = AddressOf("127.0.0.1", raw.port());
  // 300 peers, all reachable at the raw socket: the full digest (~5 kB) can
  // never fit a datagram, so the node must send partial ones.
  MemoryStorage storage;
  for (int i = 0; i < 300; ++i) {
    REQUIRE(storage.PutPeer({"peer-" + std::to_string(i), raw_address, Generation(1), true}).ok());
  }
  auto transport = Listen(io);
  const PeerEndpoint self{"node", transport->local_address()};
  Options options;
  options.gossip_interval = 20ms;
  options.max_deltas_per_gossip = 100;
  std::unique_ptr<Gossipmonger> created;
  REQUIRE(Gossipmonger::Create(io, self, options, storage, *transport, &created).ok());
  Gossipmonger& node = *created;
  std::vector<Status> errors;
  node.OnError([&](const Status& s) { errors.push_back(s); });
  for (int i = 0; i < 40; ++i) {
    REQUIRE(node.Update("key-" + std::to_string(i), std::string(200, static_cast<char>('a' + i % 26))).ok());
  }
  node.Gossip();
  // "peer-0" (the raw socket) asks for everything: the reply's deltas are
  // filled up to the budget.
  const PeerEndpoint asker{"peer-0", raw_address};
  RunFor(io, 100ms);
  raw.SendTo(transport->local_port(), Encoded(Digest(5, asker)));
  RunUntil(
      io,
      [&] {
        raw.Drain();
        for (const std::string& d : raw.datagrams) {
          codec::Decoded decoded;
          if (codec::Decode(d, {}, &decoded).ok() &&
              decoded.message.kind == MessageKind::kDigestReply)
            return raw.datagrams.size() > 20;
        }
        return false;
      },
      5s);
  raw.Drain();
  REQUIRE(raw.datagrams.size() > 20);
  std::size_t partial_digests = 0, replies_with_deltas = 0, largest = 0;
  for (const std::string& datagram : raw.datagrams) {
    largest = std::max(largest, datagram.size());
    CHECK(datagram.size() <= transport->options().max_datagram_bytes);
    codec::Decoded decoded;
    REQUIRE(codec::Decode(datagram, {}, &decoded).ok());
    if (decoded.message.kind == MessageKind::kDigest && decoded.message.digest_is_partial) {
      ++partial_digests;
    }
    if (decoded.message.kind == MessageKind::kDigestReply && !decoded.message.deltas.empty()) {
      ++replies_with_deltas;
    }
  }
  CHECK(partial_digests > 0);
  CHECK(replies_with_deltas > 0);
  // The budget is used, not wasted: a filled message comes close to it.
  CHECK(largest > transport->options().max_datagram_bytes - 400);
  CHECK(transport->stats().dropped_oversized == 0);
  for (const Status& s : errors) CHECK(s.ToString().find("max_datagram") == std::string::npos);
}

TEST_CASE("oversized, garbage and foreign datagrams are counted and the loop goes on") {
  asio::io_context io;
  auto receiver = Listen(io);
  Inbox inbox;
  inbox.Attach(*receiver);
  const std::uint16_t port = receiver->local_port();
  UdpTraits::SendRaw(port, std::string(2000, 'x'));        // over 1400
  UdpTraits::SendRaw(port, std::string(65'507, '\x93'));   // the largest IPv4 datagram
  UdpTraits::SendRaw(port, std::string(1401, '\0'));       // one byte over
  REQUIRE(RunUntil(io, [&] { return receiver->stats().oversized_datagrams == 3; }, 5s));
  UdpTraits::SendRaw(port, "garbage");
  UdpTraits::SendRaw(port, "");
  std::string wrong_magic = Encoded(Digest(1));
  wrong_magic[2] = 'X';
  UdpTraits::SendRaw(port, wrong_magic);
  std::string truncated = Encoded(Digest(1));
  truncated.pop_back();
  UdpTraits::SendRaw(port, truncated);
  REQUIRE(RunUntil(io, [&] { return receiver->stats().decode_errors == 4; }, 5s));
  UdpTraits::SendRaw(port, Encoded(Digest(2), "another-cluster"));
  REQUIRE(RunUntil(io, [&] { return receiver->stats().foreign_cluster == 1; }, 5s));
  CHECK(inbox.errors.size() == 8);
  CHECK(inbox.messages.empty());
  UdpTraits::SendRaw(port, Encoded(Digest(3)));
  REQUIRE(RunUntil(io, [&] { return inbox.messages.size() == 1; }, 5s));
  CHECK(inbox.messages[0] == Digest(3));
  CHECK(receiver->stats().datagrams_received == 1);
  CHECK(receiver->stats().receive_errors == 0);
}

TEST_CASE("a message over the datagram size is dropped and reported by the sender") {
  asio::io_context io;
  UdpTransportOptions options;
  options.max_datagram_bytes = 600;
  auto sender = Listen(io, options);
  RawReceiver raw;
  Inbox sent_box;
  sent_box.Attach(*sender);
  Message m = Digest(1);
  // Fits the budget: sent.
  m.deltas = {{"x", Generation(1), "", {{"k", std::string(sender->MaxBodyBytes() - 60, 'v'), Version(1)}}}};
  REQUIRE(wire_size::Body(m) <= sender->MaxBodyBytes());
  sender->Send({"r", AddressOf("127.0.0.1", raw.port())}, m);
  // Over the datagram (not merely over the worst-case budget): dropped.
  m.deltas[0].deltas[0].value = std::string(700, 'v');
  sender->Send({"r", AddressOf("127.0.0.1", raw.port())}, m);
  REQUIRE(RunUntil(io, [&] { raw.Drain(); return !raw.datagrams.empty(); }, 5s));
  RunFor(io, 50ms);
  raw.Drain();
  CHECK(raw.datagrams.size() == 1);
  CHECK(raw.datagrams[0].size() <= 600);
  CHECK(sender->stats().dropped_oversized == 1);
  REQUIRE(sent_box.errors.size() == 1);
  CHECK(sent_box.errors[0].code() == StatusCode::kLimitExceeded);
}

TEST_CASE("options, budget and host names") {
  asio::io_context io;
  UdpTransportOptions options;
  options.listen_port = 0;
  UdpTransport transport(io, options);
  CHECK(transport.local_port() == 0);
  // 1400 minus an envelope with a 128-byte id and a 256-byte address.
  CHECK(transport.MaxBodyBytes() < 1400 - 128 - 256);
  CHECK(transport.MaxBodyBytes() > 1400 - 128 - 256 - 40);
  UdpTransportOptions advertised = options;
  advertised.advertised_address = "127.0.0.1:65535";
  CHECK(UdpTransport(io, advertised).MaxBodyBytes() > transport.MaxBodyBytes() + 200);
  UdpTransportOptions huge = options;
  huge.max_datagram_bytes = 1'000'000;
  CHECK(UdpTransport(io, huge).options().max_datagram_bytes == UdpTransport::kMaxDatagramBytes);
  UdpTransportOptions tiny = options;
  tiny.max_datagram_bytes = 10;
  CHECK(UdpTransport(io, tiny).options().max_datagram_bytes == UdpTransport::kMinDatagramBytes);

  REQUIRE(transport.Listen().ok());
  CHECK(transport.local_port() != 0);
  CHECK(transport.Listen().code() == StatusCode::kInvalidArgument);
  UdpTransportOptions same = options;
  same.listen_port = transport.local_port();
  CHECK(UdpTransport(io, same).Listen().code() == StatusCode::kIOError);

  // Host names, listening and sending.
  Status status;
  auto named = UdpTraits::Listening(io, "localhost", &status);
  INFO(status.ToString());
  REQUIRE(named != nullptr);
  Inbox inbox;
  inbox.Attach(*named);
  // A name stays a name in the address to announce.
  REQUIRE(named->local_address() == "localhost:" + std::to_string(named->local_port()));
  transport.Send({"n", named->local_address()}, Digest(4));
  const bool arrived = RunUntil(io, [&] { return inbox.messages.size() == 1; }, 5s);
  if (!arrived) {
    // "localhost" may name ::1 first on this machine: the IPv4 sender then
    // reaches an IPv6 listener only if both resolve the same way.
    WARN("localhost resolved differently for listening and sending");
  }
  transport.Close();
  CHECK(transport.Listen().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("a handler may close the transport; destroying it with work pending is safe") {
  asio::io_context io;
  auto receiver = Listen(io);
  std::size_t delivered = 0;
  receiver->SetHandlers(
      [&](Message&&) {
        ++delivered;
        receiver->Close();
      },
      [](const Status&) {});
  for (std::uint64_t i = 0; i < 3; ++i) UdpTraits::SendRaw(receiver->local_port(), Encoded(Digest(i)));
  REQUIRE(RunUntil(io, [&] { return delivered > 0; }, 5s));
  RunFor(io, 50ms);
  CHECK(delivered == 1);

  auto sender = Listen(io);
  RawReceiver raw;
  for (int i = 0; i < 10; ++i) {
    sender->Send({"r", AddressOf("127.0.0.1", raw.port())}, Digest(1));
    sender->Send({"n", "localhost:" + std::to_string(raw.port())}, Digest(1));
  }
  sender.reset();  // sends and resolves still pending
  RunFor(io, 100ms);
}
