// The transport conformance suite: what every Transport must do, checked
// over real loopback sockets (127.0.0.1 / ::1, ephemeral ports only).
// Installed with the testing kit; needs Catch2 v2 (<catch2/catch.hpp>),
// which the kit does not link: link it yourself.
//
// A transport's test file defines a traits type and instantiates the suite:
//
//   struct TcpTraits {
//     using Type = gossipmonger::TcpTransport;
//     // A transport listening on `host`:`port` (0: ephemeral), or nullptr
//     // (setting *status) when it cannot listen there (e.g. no IPv6 here).
//     static std::unique_ptr<Type> Listening(asio::io_context&, const std::string& host,
//                                            gossipmonger::Status* status,
//                                            std::uint16_t port = 0);
//     using Options = gossipmonger::TcpTransportOptions;
//     static void Close(Type&);
//     // Puts `bytes` on the wire to 127.0.0.1:`port` as a raw peer would:
//     // TCP writes them on a fresh connection, UDP sends one datagram.
//     static void SendRaw(std::uint16_t port, const std::string& bytes);
//     // Messages sent back to back in the bulk test before the receiver
//     // must have caught up (UDP: what a socket buffer holds).
//     static constexpr std::size_t kBulkBurst = 500;
//   };
//   GOSSIPMONGER_TRANSPORT_CONFORMANCE(TcpTraits, "tcp")
//
// transport_cluster_scenario.h adds ClusterScenario<Traits>(): five
// Gossipmonger runtimes over the transport.
//
// Every test runs the io_context for a bounded time (RunUntil).
#pragma once

#include <algorithm>
#include <asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gossipmonger/gossipmonger.h"
#include "gossipmonger/memory_storage.h"
#include "gossipmonger/message.h"
#include "gossipmonger/options.h"
#include "gossipmonger/status.h"
#include "gossipmonger/transport.h"
#include "gossipmonger/wire_size.h"

namespace Catch {
template <>
struct StringMaker<gossipmonger::Message> {
  static std::string convert(const gossipmonger::Message& m) {
    std::ostringstream out;
    out << "Message{kind " << static_cast<int>(m.kind) << ", sender " << m.sender.id
        << "@" << m.sender.address << ", partial " << m.digest_is_partial << ", "
        << m.digest.size() << " entries, " << m.deltas.size() << " groups, body "
        << gossipmonger::wire_size::Body(m) << " B}";
    return out.str();
  }
};
}  // namespace Catch

namespace gossipmonger::testing {

using namespace std::chrono_literals;

// Runs `io` until `done()` or `timeout`; returns done().
template <typename Done>
bool RunUntil(asio::io_context& io, Done done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (io.stopped()) io.restart();
    io.run_for(5ms);
  }
  return true;
}

inline void RunFor(asio::io_context& io, std::chrono::milliseconds duration) {
  RunUntil(
      io, [] { return false; }, duration);
}

// Collects what a transport delivers and reports.
struct Inbox {
  std::vector<Message> messages;
  std::vector<Status> errors;

  void Attach(Transport& transport) {
    transport.SetHandlers([this](Message&& m) { messages.push_back(std::move(m)); },
                          [this](const Status& s) { errors.push_back(s); });
  }
};

inline std::string AddressOf(const std::string& host, std::uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

inline PeerEndpoint Sender() { return {"sender-node", "127.0.0.1:1"}; }

// A byte string that is not UTF-8 and holds every byte value.
inline std::string BinaryValue(std::size_t size) {
  std::string value(size, '\0');
  for (std::size_t i = 0; i < size; ++i)
    value[i] = static_cast<char>((i * 131 + 7) & 0xff);
  return value;
}

// `max_body`: the transport's MaxBodyBytes(); the largest value is sized to
// fit it.
inline std::vector<Message> OneOfEachKind(std::size_t max_body = 1 << 20) {
  Message digest;
  digest.kind = MessageKind::kDigest;
  digest.sender = Sender();
  digest.digest = {
      {"sender-node", Generation(1'700'000'000), Heartbeat(42), Version(7)},
      {"peer-b", Generation(1), Heartbeat(0), Version(0)},
      {"peer-c", Generation(~0ULL), Heartbeat(1ULL << 40), Version((1ULL << 63) + 5)},
  };

  Message reply;
  reply.kind = MessageKind::kDigestReply;
  reply.sender = Sender();
  reply.digest_is_partial = true;
  reply.digest = {{"peer-d", Generation(0), Heartbeat(0), Version(0)}};
  reply.deltas = {
      {"peer-b",
       Generation(1),
       "10.0.0.2:9742",
       {{"k1", "plain", Version(1)}, {"k2", std::string("\0\xff\x80z", 4), Version(2)}}}};

  Message deltas;
  deltas.kind = MessageKind::kDeltas;
  deltas.sender = Sender();
  deltas.deltas = {
      {"sender-node",
       Generation(1'700'000'000),
       "",
       {{"empty", "", Version(3)},
        {"bin300", BinaryValue(300), Version(4)},
        {"\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87",
         BinaryValue(std::min<std::size_t>(70'000, max_body / 3)), Version(5)}}},
      {"peer-b", Generation(1), "", {}},
  };
  return {digest, reply, deltas};
}

// A kDeltas message whose wire_size::Body is exactly `body`, from a sender
// with the longest id the limits allow.
inline Message MessageOfBody(std::size_t body) {
  Message m;
  m.kind = MessageKind::kDeltas;
  m.sender = {std::string(Limits{}.max_peer_id_bytes, 's'), "127.0.0.1:1"};
  m.deltas = {
      {"owner", Generation(9), "", {{"big", "", Version(1)}, {"fill", "", Version(2)}}}};
  const std::size_t empty = wire_size::Body(m);
  REQUIRE(body >= empty + 300);
  // The big value takes all but ~100 bytes; the small one (constant 2-byte
  // header below 256 bytes) makes up the exact rest.
  m.deltas[0].deltas[0].value = BinaryValue(body - empty - 100);
  const std::size_t base = wire_size::Body(m);
  REQUIRE(base <= body);
  REQUIRE(body - base < 256);
  m.deltas[0].deltas[1].value = BinaryValue(body - base);
  REQUIRE(wire_size::Body(m) == body);
  return m;
}

template <typename Traits>
std::unique_ptr<typename Traits::Type> MustListen(asio::io_context& io,
                                                  const std::string& host = "127.0.0.1") {
  Status status;
  auto transport = Traits::Listening(io, host, &status);
  INFO(status.ToString());
  REQUIRE(transport != nullptr);
  REQUIRE(transport->local_port() != 0);
  return transport;
}

// A sender and a receiver listening on 127.0.0.1 (ephemeral ports) on one
// io_context, each with an Inbox of what it delivers and reports; `to` is
// the receiver's endpoint.
template <typename Traits>
struct LoopbackPair {
  asio::io_context io;
  std::unique_ptr<typename Traits::Type> sender = MustListen<Traits>(io);
  std::unique_ptr<typename Traits::Type> receiver = MustListen<Traits>(io);
  Inbox sent_box;
  Inbox inbox;
  PeerEndpoint to{"receiver", receiver->local_address()};

  LoopbackPair() {
    sent_box.Attach(*sender);
    inbox.Attach(*receiver);
  }
};

// --- the tests ---------------------------------------------------------------

template <typename Traits>
void EachKindArrivesUnaltered() {
  LoopbackPair<Traits> pair;
  const std::vector<Message> messages = OneOfEachKind(pair.sender->MaxBodyBytes());
  for (const Message& m : messages) {
    REQUIRE(wire_size::Body(m) <= pair.sender->MaxBodyBytes());
    pair.sender->Send(pair.to, m);
  }
  REQUIRE(RunUntil(
      pair.io, [&] { return pair.inbox.messages.size() >= messages.size(); }, 5s));
  RunFor(pair.io, 50ms);  // nothing else arrives
  REQUIRE(pair.inbox.messages.size() == messages.size());
  for (const Message& expected : messages) {
    bool found = false;
    for (const Message& got : pair.inbox.messages) found = found || got == expected;
    CAPTURE(expected);
    CHECK(found);
  }
  CHECK(pair.inbox.errors.empty());
  CHECK(pair.sent_box.errors.empty());
}

template <typename Traits>
void BulkArrives() {
  LoopbackPair<Traits> pair;
  constexpr std::size_t kTotal = 1000;
  std::size_t sent = 0;
  while (sent < kTotal) {
    const std::size_t burst_end = std::min(kTotal, sent + Traits::kBulkBurst);
    for (; sent < burst_end; ++sent) {
      Message m;
      m.kind = sent % 2 ? MessageKind::kDigest : MessageKind::kDeltas;
      m.sender = Sender();
      m.digest = {{"n", Generation(1), Heartbeat(sent), Version(sent)}};
      if (m.kind == MessageKind::kDeltas) {
        m.deltas = {
            {"n", Generation(1), "", {{"k", std::to_string(sent), Version(sent + 1)}}}};
      }
      pair.sender->Send(pair.to, m);
    }
    REQUIRE(RunUntil(
        pair.io, [&] { return pair.inbox.messages.size() >= sent; }, 10s));
  }
  std::set<std::uint64_t> seen;
  for (const Message& m : pair.inbox.messages) {
    REQUIRE(m.digest.size() == 1);
    seen.insert(m.digest[0].heartbeat.value());
    if (m.kind == MessageKind::kDeltas) {
      REQUIRE(m.deltas.size() == 1);
      CHECK(m.deltas[0].deltas.at(0).value ==
            std::to_string(m.digest[0].heartbeat.value()));
    }
  }
  CHECK(seen.size() == kTotal);
  CHECK(pair.inbox.errors.empty());
}

template <typename Traits>
void ClosedPortDoesNotStopTheSender() {
  LoopbackPair<Traits> pair;
  std::uint16_t closed_port = 0;
  {
    auto gone = MustListen<Traits>(pair.io);
    closed_port = gone->local_port();
    Traits::Close(*gone);
  }
  const Message m = OneOfEachKind()[0];
  for (int i = 0; i < 5; ++i)
    pair.sender->Send({"nobody", AddressOf("127.0.0.1", closed_port)}, m);
  RunFor(pair.io, 200ms);
  pair.sender->Send(pair.to, m);
  REQUIRE(RunUntil(
      pair.io, [&] { return pair.inbox.messages.size() == 1; }, 5s));
  CHECK(pair.inbox.messages[0] == m);
  // An unparsable address is reported, not thrown.
  pair.sender->Send({"bad", "no-port-here"}, m);
  RunFor(pair.io, 20ms);
  CHECK_FALSE(pair.sent_box.errors.empty());
}

template <typename Traits>
void GarbageIsReported() {
  LoopbackPair<Traits> pair;
  const std::uint16_t port = pair.receiver->local_port();
  Traits::SendRaw(port, std::string("\x00\x00\x00\x0cnot msgpack!", 16));
  REQUIRE(RunUntil(
      pair.io, [&] { return !pair.inbox.errors.empty(); }, 5s));
  Traits::SendRaw(port, std::string("\x00\x00\x00\x03\x93\xc1\xc1", 7));
  REQUIRE(RunUntil(
      pair.io, [&] { return pair.inbox.errors.size() >= 2; }, 5s));
  CHECK(pair.inbox.messages.empty());
  // Still receiving.
  const Message m = OneOfEachKind()[1];
  pair.sender->Send(pair.to, m);
  REQUIRE(RunUntil(
      pair.io, [&] { return pair.inbox.messages.size() == 1; }, 5s));
  CHECK(pair.inbox.messages[0] == m);
}

template <typename Traits>
void WorksOverIpv6() {
  asio::io_context io;
  Status status;
  auto receiver = Traits::Listening(io, "::1", &status);
  if (receiver == nullptr) {
    WARN("IPv6 loopback unavailable, test skipped: " << status.ToString());
    return;
  }
  auto sender = MustListen<Traits>(io);
  auto sender6 = Traits::Listening(io, "::1", &status);
  REQUIRE(sender6 != nullptr);
  Inbox inbox;
  inbox.Attach(*receiver);
  const Message m = OneOfEachKind()[1];
  const PeerEndpoint to{"receiver", receiver->local_address()};
  CHECK(to.address == AddressOf("::1", receiver->local_port()));  // bracketed
  sender->Send(to, m);                                            // from IPv4 to IPv6
  sender6->Send(to, m);                                           // IPv6 to IPv6
  REQUIRE(RunUntil(
      io, [&] { return inbox.messages.size() == 2; }, 5s));
  CHECK(inbox.messages[0] == m);
  CHECK(inbox.messages[1] == m);
  CHECK(inbox.errors.empty());
}

template <typename Traits>
void MaxBodyBytesFits() {
  LoopbackPair<Traits> pair;
  const Message largest = MessageOfBody(pair.sender->MaxBodyBytes());
  pair.sender->Send(pair.to, largest);
  REQUIRE(RunUntil(
      pair.io, [&] { return pair.inbox.messages.size() == 1; }, 10s));
  CHECK(pair.inbox.messages[0] == largest);
  CHECK(pair.sent_box.errors.empty());
  // Far over the budget (beyond any envelope slack): refused by the sender
  // and reported; it never reaches the wire.
  const Message too_big = MessageOfBody(pair.sender->MaxBodyBytes() + 2000);
  pair.sender->Send(pair.to, too_big);
  RunFor(pair.io, 200ms);
  CHECK(pair.inbox.messages.size() == 1);
  CHECK(pair.sent_box.errors.size() == 1);
  CHECK(pair.inbox.errors.empty());
}

template <typename Traits>
void CloseStopsReceiving() {
  LoopbackPair<Traits> pair;
  const Message m = OneOfEachKind()[0];
  pair.sender->Send(pair.to, m);
  REQUIRE(RunUntil(
      pair.io, [&] { return pair.inbox.messages.size() == 1; }, 5s));
  Traits::Close(*pair.receiver);
  CHECK(pair.receiver->local_port() == 0);
  for (int i = 0; i < 3; ++i) pair.sender->Send(pair.to, m);
  RunFor(pair.io, 300ms);
  CHECK(pair.inbox.messages.size() == 1);
  // Close is idempotent; a closed transport drops what it is asked to send.
  Traits::Close(*pair.receiver);
  pair.receiver->Send({"sender", pair.sender->local_address()}, m);
  RunFor(pair.io, 50ms);
}

template <typename Traits>
void ClusterNameOverTheLimitIsRefused() {
  // A name every decoder refuses would cut the node off: Listen says so.
  asio::io_context io;
  typename Traits::Options options;
  options.listen_port = 0;
  options.cluster = std::string(Traits::Type::kMaxClusterBytes + 1, 'c');
  typename Traits::Type too_long(io, options);
  CHECK(too_long.Listen().code() == StatusCode::kInvalidArgument);
  CHECK(too_long.local_port() == 0);
  options.cluster = std::string(Traits::Type::kMaxClusterBytes, 'c');
  typename Traits::Type at_limit(io, options);
  CHECK(at_limit.Listen().ok());
}

// local_address() is what a PeerEndpoint needs: "host:port" once
// listening, nothing before or after (the wildcard case is a unit test of
// the transport core: tests bind only to loopback).
template <typename Traits>
void ReportsTheAddressToAnnounce() {
  asio::io_context io;
  typename Traits::Options options;
  options.listen_port = 0;
  typename Traits::Type idle(io, options);
  CHECK(idle.local_address().empty());
  auto receiver = MustListen<Traits>(io);
  CHECK(receiver->local_address() ==
        "127.0.0.1:" + std::to_string(receiver->local_port()));
  auto sender = MustListen<Traits>(io);
  Inbox inbox;
  inbox.Attach(*receiver);
  const Message m = OneOfEachKind()[0];
  sender->Send({"receiver", receiver->local_address()}, m);
  REQUIRE(RunUntil(
      io, [&] { return inbox.messages.size() == 1; }, 5s));
  Traits::Close(*receiver);
  CHECK(receiver->local_address().empty());
}

// The one place limits are set is Options::limits: the runtime hands them
// to the transport (Transport::SetLimits), whose decoder then refuses what
// they refuse and whose MaxBodyBytes follows the longest id they allow.
template <typename Traits>
void RuntimeHandsOverItsLimits() {
  asio::io_context io;
  auto transport = MustListen<Traits>(io);
  auto sender = MustListen<Traits>(io);
  const std::size_t by_default = transport->MaxBodyBytes();
  Options options;
  options.limits.max_peer_id_bytes = 16;
  options.limits.max_value_bytes = 100;
  MemoryStorage storage;
  std::unique_ptr<Gossipmonger> node;
  REQUIRE(Gossipmonger::Create(io, {"node", transport->local_address()}, options, storage,
                               *transport, &node)
              .ok());
  std::vector<Status> errors;
  node->OnError([&](const Status& s) { errors.push_back(s); });
  const PeerEndpoint longest{std::string(Limits{}.max_peer_id_bytes, 'x'),
                             std::string(Limits{}.max_address_bytes, 'x')};
  const PeerEndpoint shorter{std::string(16, 'x'), longest.address};
  const std::string cluster = "gossipmonger";
  CHECK(transport->MaxBodyBytes() - by_default ==
        wire_size::Envelope(cluster, longest, MessageKind::kDigestReply) -
            wire_size::Envelope(cluster, shorter, MessageKind::kDigestReply));
  // A value over the node's max_value_bytes is refused by the decoder.
  Message big;
  big.kind = MessageKind::kDeltas;
  big.sender = {"peer", sender->local_address()};
  big.deltas = {{"peer", Generation(1), "", {{"k", std::string(101, 'v'), Version(1)}}}};
  sender->Send({"node", transport->local_address()}, big);
  REQUIRE(RunUntil(
      io, [&] { return transport->stats().decode_errors == 1; }, 5s));
  REQUIRE_FALSE(errors.empty());
  CHECK(errors[0].code() == StatusCode::kLimitExceeded);
  CHECK_FALSE(node->Get("peer", "k").has_value());
}

}  // namespace gossipmonger::testing

#define GOSSIPMONGER_CONFORMANCE_CASE(Traits, name, title, fn)  \
  TEST_CASE("conformance: " title, "[conformance][" name "]") { \
    ::gossipmonger::testing::fn<Traits>();                      \
  }

// Defines the suite's test cases for `Traits`; `name` is a string literal.
#define GOSSIPMONGER_TRANSPORT_CONFORMANCE(Traits, name)                                \
  GOSSIPMONGER_CONFORMANCE_CASE(Traits, name,                                           \
                                "a message of each kind arrives unaltered",             \
                                EachKindArrivesUnaltered)                               \
  GOSSIPMONGER_CONFORMANCE_CASE(Traits, name, "many messages arrive, in any order",     \
                                BulkArrives)                                            \
  GOSSIPMONGER_CONFORMANCE_CASE(Traits, name,                                           \
                                "a message to a closed port does not stop the sender",  \
                                ClosedPortDoesNotStopTheSender)                         \
  GOSSIPMONGER_CONFORMANCE_CASE(                                                        \
      Traits, name, "garbage is reported and the transport goes on", GarbageIsReported) \
  GOSSIPMONGER_CONFORMANCE_CASE(Traits, name, "IPv6 loopback works", WorksOverIpv6)     \
  GOSSIPMONGER_CONFORMANCE_CASE(                                                        \
      Traits, name, "a MaxBodyBytes message goes through, a larger one is refused",     \
      MaxBodyBytesFits)                                                                 \
  GOSSIPMONGER_CONFORMANCE_CASE(Traits, name, "Close stops receiving",                  \
                                CloseStopsReceiving)                                    \
  GOSSIPMONGER_CONFORMANCE_CASE(Traits, name,                                           \
                                "a cluster name over the limit is refused",             \
                                ClusterNameOverTheLimitIsRefused)                       \
  GOSSIPMONGER_CONFORMANCE_CASE(Traits, name,                                           \
                                "local_address is the address to announce",             \
                                ReportsTheAddressToAnnounce)                            \
  GOSSIPMONGER_CONFORMANCE_CASE(Traits, name, "the runtime hands over Options::limits", \
                                RuntimeHandsOverItsLimits)
