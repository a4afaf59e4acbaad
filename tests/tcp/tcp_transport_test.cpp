// TcpTransport beyond the conformance suite: bad input on the wire, read
// and idle timeouts, the inbound connection cap, reconnecting, the bounded
// send queue. Loopback only, ephemeral ports, small timeouts.
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gossipmonger/msgpack_codec.h"
#include "gossipmonger/testing/transport_conformance.h"
#include "tcp/tcp_traits.h"

using namespace gossipmonger;
using namespace std::chrono_literals;
using tcp_test::Frame;
using tcp_test::RawClient;
using tcp_test::TcpTraits;
using testing::AddressOf;
using testing::Inbox;
using testing::RunFor;
using testing::RunUntil;

namespace {

std::unique_ptr<TcpTransport> Listen(asio::io_context& io, TcpTransportOptions options = {},
                                     std::uint16_t port = 0) {
  Status status;
  auto transport = TcpTraits::Listening(io, "127.0.0.1", &status, port, std::move(options));
  INFO(status.ToString());
  REQUIRE(transport != nullptr);
  return transport;
}

Message Digest(std::uint64_t heartbeat) {
  Message m;
  m.kind = MessageKind::kDigest;
  m.sender = {"sender", "127.0.0.1:1"};
  m.digest = {{"sender", Generation(1), Heartbeat(heartbeat), Version(0)}};
  return m;
}

Message Deltas(const std::string& value) {
  Message m;
  m.kind = MessageKind::kDeltas;
  m.sender = {"sender", "127.0.0.1:1"};
  m.deltas = {{"sender", Generation(1), "", {{"k", value, Version(1)}}}};
  return m;
}

std::string Encoded(const Message& m, const std::string& cluster = "gossipmonger") {
  std::string out;
  codec::Encode(cluster, m, out);
  return out;
}

}  // namespace

TEST_CASE("a frame cut short by the peer closing is reported, the rest goes on") {
  asio::io_context io;
  auto receiver = Listen(io);
  Inbox inbox;
  inbox.Attach(*receiver);
  {
    RawClient raw(receiver->local_port());
    raw.Write(Frame(Encoded(Digest(1))).substr(0, 12));
    REQUIRE(RunUntil(io, [&] { return receiver->stats().bytes_received == 12; }, 5s));
  }  // closed mid-frame
  REQUIRE(RunUntil(io, [&] { return receiver->stats().inbound_connections == 0; }, 5s));
  CHECK(receiver->stats().truncated_frames == 1);
  CHECK(inbox.errors.size() == 1);
  CHECK(inbox.messages.empty());
  // A whole frame still goes through on a new connection.
  RawClient raw(receiver->local_port());
  raw.Write(Frame(Encoded(Digest(2))));
  REQUIRE(RunUntil(io, [&] { return inbox.messages.size() == 1; }, 5s));
  CHECK(inbox.messages[0] == Digest(2));
}

TEST_CASE("an absurd length prefix closes the connection at once") {
  asio::io_context io;
  auto receiver = Listen(io);
  Inbox inbox;
  inbox.Attach(*receiver);
  RawClient raw(receiver->local_port());
  raw.Write(std::string("\xff\xff\xff\xf0", 4));
  REQUIRE(RunUntil(io, [&] { return raw.PeerClosed(); }, 5s));
  RunFor(io, 10ms);
  CHECK(receiver->stats().oversized_frames == 1);
  CHECK(receiver->stats().inbound_connections == 0);
  REQUIRE(inbox.errors.size() == 1);
  CHECK(inbox.errors[0].code() == StatusCode::kLimitExceeded);

  // Just over max_frame_bytes is refused the same way.
  TcpTransportOptions small;
  small.max_frame_bytes = 1000;
  auto strict = Listen(io, small);
  RawClient raw2(strict->local_port());
  raw2.Write(std::string("\x00\x00\x03\xe9", 4));  // 1001
  REQUIRE(RunUntil(io, [&] { return raw2.PeerClosed(); }, 5s));
  CHECK(strict->stats().oversized_frames == 1);
}

TEST_CASE("garbage, wrong magic and wrong version are reported and close the connection") {
  asio::io_context io;
  auto receiver = Listen(io);
  Inbox inbox;
  inbox.Attach(*receiver);
  const std::string good = Encoded(Digest(7));
  // The envelope starts with a 7-element array, then the magic "gm" as a
  // 2-byte string, then the protocol version.
  REQUIRE(good.substr(0, 5) == std::string("\x97\xa2gm\x01", 5));
  std::string wrong_magic = good;
  wrong_magic[2] = 'x';
  std::string wrong_version = good;
  wrong_version[4] = 0x7f;
  const std::vector<std::string> payloads = {"hello", std::string(50, '\xc1'), wrong_magic,
                                             wrong_version, ""};
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    CAPTURE(i);
    RawClient raw(receiver->local_port());
    raw.Write(Frame(payloads[i]) + Frame(good));  // the good frame is never read
    REQUIRE(RunUntil(io, [&] { return raw.PeerClosed(); }, 5s));
    RunFor(io, 5ms);
    CHECK(receiver->stats().decode_errors == i + 1);
    CHECK(inbox.errors.size() == i + 1);
  }
  CHECK(inbox.messages.empty());
  CHECK(receiver->stats().inbound_connections == 0);
  RawClient raw(receiver->local_port());
  raw.Write(Frame(good));
  REQUIRE(RunUntil(io, [&] { return inbox.messages.size() == 1; }, 5s));
}

TEST_CASE("a message of another cluster is dropped and reported, the connection stays") {
  asio::io_context io;
  auto receiver = Listen(io);
  Inbox inbox;
  inbox.Attach(*receiver);
  RawClient raw(receiver->local_port());
  raw.Write(Frame(Encoded(Digest(1), "other-cluster")) + Frame(Encoded(Digest(2))));
  REQUIRE(RunUntil(io, [&] { return inbox.messages.size() == 1; }, 5s));
  CHECK(inbox.messages[0] == Digest(2));
  CHECK(receiver->stats().foreign_cluster == 1);
  CHECK(inbox.errors.size() == 1);
  CHECK_FALSE(raw.PeerClosed());
  CHECK(receiver->stats().inbound_connections == 1);

  // The same through a transport configured for another cluster.
  TcpTransportOptions other;
  other.cluster = "other-cluster";
  auto foreign = Listen(io, other);
  foreign->Send({"r", receiver->local_address()}, Digest(3));
  REQUIRE(RunUntil(io, [&] { return receiver->stats().foreign_cluster == 2; }, 5s));
  CHECK(inbox.messages.size() == 1);
}

TEST_CASE("silent and trickling connections are cut after the read timeout") {
  asio::io_context io;
  TcpTransportOptions options;
  options.read_timeout = 300ms;
  options.idle_timeout = 10s;
  auto receiver = Listen(io, options);
  Inbox inbox;
  inbox.Attach(*receiver);

  const auto start = std::chrono::steady_clock::now();
  RawClient silent(receiver->local_port());
  RawClient trickle(receiver->local_port());
  const std::string frame = Frame(Encoded(Digest(1)));
  std::size_t sent = 0;
  // One byte every 50 ms: the frame would take over a second.
  const bool cut = RunUntil(
      io,
      [&] {
        if (!trickle.PeerClosed() && sent < frame.size()) {
          trickle.Write(frame.substr(sent++, 1));
          RunFor(io, 50ms);
        }
        return silent.PeerClosed() && trickle.PeerClosed();
      },
      5s);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE(cut);
  CHECK(elapsed >= 250ms);
  CHECK(elapsed < 2s);
  CHECK(sent < frame.size());
  RunFor(io, 10ms);
  CHECK(receiver->stats().read_timeouts == 2);
  CHECK(receiver->stats().inbound_connections == 0);
  CHECK(inbox.messages.empty());
  CHECK(inbox.errors.size() == 2);
}

TEST_CASE("connections idle for idle_timeout are closed, both ways") {
  asio::io_context io;
  TcpTransportOptions options;
  options.read_timeout = 200ms;
  options.idle_timeout = 600ms;
  auto receiver = Listen(io, options);
  auto sender = Listen(io, options);
  Inbox inbox;
  inbox.Attach(*receiver);
  RawClient raw(receiver->local_port());
  raw.Write(Frame(Encoded(Digest(1))));
  sender->Send({"r", receiver->local_address()}, Digest(2));
  REQUIRE(RunUntil(io, [&] { return inbox.messages.size() == 2; }, 5s));
  CHECK(sender->stats().outbound_connections == 1);
  // Past the read timeout, but whole frames were received: still open.
  RunFor(io, 400ms);
  CHECK_FALSE(raw.PeerClosed());
  CHECK(receiver->stats().inbound_connections == 2);
  REQUIRE(RunUntil(io, [&] { return raw.PeerClosed(); }, 3s));
  REQUIRE(RunUntil(io, [&] { return sender->stats().outbound_connections == 0; }, 3s));
  RunFor(io, 20ms);
  CHECK(receiver->stats().inbound_connections == 0);
  CHECK(receiver->stats().idle_closes >= 1);
  CHECK(inbox.errors.empty());
  // The sender reconnects on the next message.
  sender->Send({"r", receiver->local_address()}, Digest(3));
  REQUIRE(RunUntil(io, [&] { return inbox.messages.size() == 3; }, 5s));
}

TEST_CASE("idle connections are accepted up to max_inbound_connections") {
  asio::io_context io;
  TcpTransportOptions options;
  options.max_inbound_connections = 64;
  options.read_timeout = 20s;
  auto receiver = Listen(io, options);
  Inbox inbox;
  inbox.Attach(*receiver);
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 64; ++i) clients.push_back(std::make_unique<RawClient>(receiver->local_port()));
  REQUIRE(RunUntil(io, [&] { return receiver->stats().inbound_connections == 64; }, 5s));
  RawClient extra(receiver->local_port());
  REQUIRE(RunUntil(io, [&] { return extra.PeerClosed(); }, 5s));
  CHECK(receiver->stats().connections_rejected == 1);
  REQUIRE(inbox.errors.size() == 1);
  CHECK(inbox.errors[0].code() == StatusCode::kLimitExceeded);
  for (auto& client : clients) CHECK_FALSE(client->PeerClosed());
  // A slot freed is a slot taken.
  clients.pop_back();
  REQUIRE(RunUntil(io, [&] { return receiver->stats().inbound_connections == 63; }, 5s));
  RawClient next(receiver->local_port());
  next.Write(Frame(Encoded(Digest(1))));
  REQUIRE(RunUntil(io, [&] { return inbox.messages.size() == 1; }, 5s));
  CHECK(receiver->stats().connections_rejected == 1);
}

TEST_CASE("the sender reconnects after the remote restarts, with backoff meanwhile") {
  asio::io_context io;
  TcpTransportOptions options;
  options.reconnect_backoff_initial = 50ms;
  options.reconnect_backoff_max = 200ms;
  auto sender = Listen(io, options);
  Inbox sent_box;
  sent_box.Attach(*sender);
  auto receiver = Listen(io);
  const std::uint16_t port = receiver->local_port();
  const PeerEndpoint to{"r", AddressOf("127.0.0.1", port)};
  auto inbox = std::make_unique<Inbox>();
  inbox->Attach(*receiver);
  sender->Send(to, Digest(1));
  REQUIRE(RunUntil(io, [&] { return inbox->messages.size() == 1; }, 5s));
  CHECK(sender->stats().connections_opened == 1);

  receiver.reset();  // the remote goes away; the sender sees its connection close
  REQUIRE(RunUntil(io, [&] { return sender->stats().outbound_connections == 0; }, 5s));
  // While it is down, attempts fail, are reported, and back off: over
  // 600 ms with a 50..200 ms backoff, a handful of attempts, not hundreds.
  sender->Send(to, Digest(2));
  RunFor(io, 600ms);
  const auto failures = sender->stats().connect_failures;
  CHECK(failures >= 2);
  CHECK(failures <= 8);
  CHECK(sent_box.errors.size() == failures);

  receiver = Listen(io, {}, port);
  inbox = std::make_unique<Inbox>();
  inbox->Attach(*receiver);
  // The queued message goes out once a retry connects.
  REQUIRE(RunUntil(io, [&] { return inbox->messages.size() == 1; }, 5s));
  CHECK(inbox->messages[0] == Digest(2));
  sender->Send(to, Digest(3));
  REQUIRE(RunUntil(io, [&] { return inbox->messages.size() == 2; }, 5s));
  CHECK(sender->stats().connections_opened == 2);
}

TEST_CASE("a frame from a peer ends the backoff towards it at once") {
  // A node restarted after a few seconds down: its peers' backoff towards it
  // has grown, and until it ends they would not even answer it.
  asio::io_context io;
  std::uint16_t port = 0;
  {
    auto placeholder = Listen(io);
    port = placeholder->local_port();
  }
  TcpTransportOptions options;
  options.reconnect_backoff_initial = 300ms;
  options.reconnect_backoff_max = 30s;
  auto sender = Listen(io, options);
  Inbox sent_box;
  sent_box.Attach(*sender);
  const PeerEndpoint to{"r", AddressOf("127.0.0.1", port)};
  sender->Send(to, Deltas("queued"));
  // Attempts at 0, 0.3, 0.9 and 2.1 s fail; the next one waits 2.4 s.
  REQUIRE(RunUntil(
      io, [&] { return sender->stats().connect_failures == 4; }, 10s));
  const auto fourth_failure = std::chrono::steady_clock::now();

  auto receiver = Listen(io, {}, port);
  Inbox inbox;
  inbox.Attach(*receiver);
  Message hello = Digest(1);
  hello.sender = to;  // the restarted peer speaks first
  receiver->Send({"s", sender->local_address()}, hello);
  REQUIRE(RunUntil(
      io, [&] { return inbox.messages.size() == 1; }, 10s));
  const auto waited = std::chrono::steady_clock::now() - fourth_failure;
  CHECK(inbox.messages[0] == Deltas("queued"));
  // Delivered by an early attempt, at the earliest reconnect_backoff_initial
  // after the failed one, not by the attempt due 2.4 s after it.
  CHECK(sender->stats().early_reconnects == 1);
  CHECK(sender->stats().connect_failures == 4);
  CHECK(waited > 200ms);
  CHECK(waited < 1500ms);
  CHECK(sender->stats().outbound_connections == 1);
}

TEST_CASE("a full send queue replaces stale digests, then drops the oldest") {
  asio::io_context io;
  std::uint16_t port = 0;
  {
    auto placeholder = Listen(io);
    port = placeholder->local_port();
  }
  TcpTransportOptions options;
  options.send_queue_messages = 4;
  options.reconnect_backoff_initial = 300ms;
  options.reconnect_backoff_max = 300ms;
  auto sender = Listen(io, options);
  Inbox sent_box;
  sent_box.Attach(*sender);
  const PeerEndpoint to{"r", AddressOf("127.0.0.1", port)};
  // Nobody listens yet: everything queues.
  sender->Send(to, Deltas("d1"));
  sender->Send(to, Deltas("d2"));
  for (std::uint64_t i = 1; i <= 5; ++i) sender->Send(to, Digest(i));
  // [d1 d2 g1 g2] + g3 + g4 + g5: each newer digest replaces the oldest queued one.
  CHECK(sender->stats().digests_replaced == 3);
  sender->Send(to, Deltas("d3"));  // no digest exemption: d1 is dropped
  CHECK(sender->stats().dropped_queue_full == 1);
  REQUIRE(RunUntil(io, [&] { return sender->stats().connect_failures == 1; }, 5s));

  auto receiver = Listen(io, {}, port);
  Inbox inbox;
  inbox.Attach(*receiver);
  REQUIRE(RunUntil(io, [&] { return inbox.messages.size() == 4; }, 5s));
  RunFor(io, 50ms);
  REQUIRE(inbox.messages.size() == 4);
  CHECK(inbox.messages[0] == Deltas("d2"));
  CHECK(inbox.messages[1] == Digest(4));
  CHECK(inbox.messages[2] == Digest(5));
  CHECK(inbox.messages[3] == Deltas("d3"));
}

TEST_CASE("host names are resolved for listening and sending") {
  asio::io_context io;
  Status status;
  auto receiver = TcpTraits::Listening(io, "localhost", &status);
  INFO(status.ToString());
  REQUIRE(receiver != nullptr);
  auto sender = Listen(io);
  Inbox inbox;
  inbox.Attach(*receiver);
  // A name stays a name in the address to announce.
  REQUIRE(receiver->local_address() ==
          "localhost:" + std::to_string(receiver->local_port()));
  sender->Send({"r", receiver->local_address()}, Digest(9));
  REQUIRE(RunUntil(io, [&] { return inbox.messages.size() == 1; }, 5s));
  CHECK(inbox.messages[0] == Digest(9));
}

TEST_CASE("options and counters") {
  asio::io_context io;
  TcpTransportOptions options;
  options.listen_port = 0;
  TcpTransport transport(io, options);
  // Before Listen: no port; the budget reserves a worst-case envelope.
  CHECK(transport.local_port() == 0);
  CHECK(transport.MaxBodyBytes() < options.max_frame_bytes);
  CHECK(transport.MaxBodyBytes() > options.max_frame_bytes - 500);
  TcpTransportOptions advertised = options;
  advertised.advertised_address = "127.0.0.1:65535";
  CHECK(TcpTransport(io, advertised).MaxBodyBytes() > transport.MaxBodyBytes());
  REQUIRE(transport.Listen().ok());
  CHECK(transport.local_port() != 0);
  CHECK(transport.Listen().code() == StatusCode::kInvalidArgument);
  // A port in use cannot be bound twice.
  TcpTransportOptions same = options;
  same.listen_port = transport.local_port();
  TcpTransport second(io, same);
  CHECK(second.Listen().code() == StatusCode::kIOError);
  transport.Close();
  CHECK(transport.Listen().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("a connect that hangs is abandoned after connect_timeout") {
  asio::io_context io;
  // A listener that never accepts, with a backlog of one: once a connection
  // fills its queue, the kernel drops further SYNs and connects hang.
  asio::io_context raw_io;
  asio::ip::tcp::acceptor stuck(raw_io, asio::ip::tcp::v4());
  stuck.bind({asio::ip::make_address("127.0.0.1"), 0});
  stuck.listen(0);
  const std::uint16_t port = stuck.local_endpoint().port();
  RawClient occupant(port);
  TcpTransportOptions options;
  options.connect_timeout = 300ms;
  options.reconnect_backoff_initial = 10s;  // one attempt in this test
  auto sender = Listen(io, options);
  Inbox sent_box;
  sent_box.Attach(*sender);
  const auto start = std::chrono::steady_clock::now();
  sender->Send({"stuck", AddressOf("127.0.0.1", port)}, Digest(1));
  REQUIRE(RunUntil(io, [&] { return sender->stats().connect_failures == 1; }, 5s));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed >= 250ms);
  CHECK(elapsed < 3s);
  REQUIRE(sent_box.errors.size() == 1);
  CHECK(sent_box.errors[0].code() == StatusCode::kUnavailable);
  CHECK(sent_box.errors[0].message().find("timed out") != std::string::npos);
  CHECK(sender->stats().outbound_connections == 0);
}

TEST_CASE("a peer that stops reading is cut after write_timeout") {
  asio::io_context io;
  // Accepts, never reads: once both sides' socket buffers are full, the
  // sender's write stalls.
  asio::io_context raw_io;
  asio::ip::tcp::acceptor deaf(raw_io, {asio::ip::make_address("127.0.0.1"), 0});
  const std::uint16_t port = deaf.local_endpoint().port();
  TcpTransportOptions options;
  options.write_timeout = 300ms;
  options.send_queue_messages = 8;
  options.reconnect_backoff_initial = 10s;
  auto sender = Listen(io, options);
  Inbox sent_box;
  sent_box.Attach(*sender);
  const PeerEndpoint to{"deaf", AddressOf("127.0.0.1", port)};
  Message big = Deltas(std::string(sender->MaxBodyBytes() - 200, 'x'));
  for (int i = 0; i < 64; ++i) sender->Send(to, big);  // ~64 MiB, far over any buffer
  asio::ip::tcp::socket accepted(raw_io);
  REQUIRE(RunUntil(io, [&] { return sender->stats().outbound_connections == 1; }, 5s));
  deaf.accept(accepted);
  REQUIRE(RunUntil(io, [&] { return sender->stats().write_timeouts == 1; }, 5s));
  CHECK(sender->stats().outbound_connections == 0);
  CHECK(sender->stats().dropped_on_error >= 1);
  CHECK(sender->stats().dropped_queue_full >= 1);
  REQUIRE_FALSE(sent_box.errors.empty());
  CHECK(sent_box.errors[0].message().find("write stalled") != std::string::npos);
}

TEST_CASE("a handler may close the transport; destroying it with work pending is safe") {
  asio::io_context io;
  auto receiver = Listen(io);
  std::size_t delivered = 0;
  receiver->SetHandlers(
      [&](Message&&) {
        ++delivered;
        receiver->Close();  // from inside the handler, with more frames buffered
      },
      [](const Status&) {});
  RawClient raw(receiver->local_port());
  raw.Write(Frame(Encoded(Digest(1))) + Frame(Encoded(Digest(2))) + Frame(Encoded(Digest(3))));
  REQUIRE(RunUntil(io, [&] { return delivered > 0; }, 5s));
  RunFor(io, 50ms);
  CHECK(delivered == 1);
  CHECK(receiver->stats().inbound_connections == 0);

  // Pending: an accept, a connection being read, a connect with its timer,
  // a backoff timer. The io_context keeps running after the transports go.
  auto listening = Listen(io);
  RawClient idle(listening->local_port());
  std::uint16_t closed_port = 0;
  {
    auto gone = Listen(io);
    closed_port = gone->local_port();
  }
  auto sender = Listen(io);
  sender->Send({"a", listening->local_address()}, Digest(1));
  sender->Send({"b", AddressOf("127.0.0.1", closed_port)}, Digest(1));
  sender->Send({"c", "localhost:" + std::to_string(closed_port)}, Digest(1));
  RunFor(io, 20ms);
  sender.reset();
  listening.reset();
  RunFor(io, 100ms);
  CHECK(idle.PeerClosed());
}
