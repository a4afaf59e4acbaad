// Encryption over real loopback sockets (docs/SECURITY.md), written once
// for every socket transport: tests/tcp and tests/udp run each scenario
// with their traits (the conformance suite's: Type, Options, Listening).
//   - ModePairs: every pair of modes; the pairs that must work deliver
//     every message, the others refuse every one, counted;
//   - WrongKey: a frame under a key the receiver lacks is refused;
//   - RotationWhileFlowing: install, use on one then the other, remove the
//     old key, with messages flowing both ways: none lost, none refused;
//   - RuntimeMigration: SetEncryption from kOff to kRequire and back, one
//     node at a time, messages flowing: none lost, none refused;
//   - FullBudgetSealed: a message of MaxBodyBytes sealed is delivered.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gossipmonger/keyring.h"
#include "gossipmonger/socket_transport.h"
#include "gossipmonger/testing/transport_conformance.h"

namespace gossipmonger::encryption_scenario {

using namespace std::chrono_literals;
using testing::Inbox;
using testing::RunUntil;

inline const Encryption kModes[] = {Encryption::kOff, Encryption::kAccept,
                                    Encryption::kSend, Encryption::kRequire};

// True when what a `sender` in its mode sends, a `receiver` accepts.
inline bool Understands(Encryption receiver, Encryption sender) {
  const bool sealed = sender == Encryption::kSend || sender == Encryption::kRequire;
  return sealed ? receiver != Encryption::kOff : receiver != Encryption::kRequire;
}

inline std::shared_ptr<Keyring> RingOf(const std::vector<SecretKey>& keys) {
  auto ring = std::make_shared<Keyring>();
  for (const SecretKey& key : keys) REQUIRE(ring->Install(key).ok());
  return ring;
}

// A digest from `id` numbered `n`: distinct messages, each sender its own
// id (replay protection is per sender id).
inline Message Numbered(const std::string& id, std::uint64_t n) {
  Message m;
  m.kind = MessageKind::kDigest;
  m.sender = {id, "127.0.0.1:1"};
  m.digest = {{id, Generation(1), Heartbeat(n), Version(0)}};
  return m;
}

// One node: a listening transport with its own keyring and what it got.
template <typename Traits>
struct Node {
  Node(asio::io_context& io, const std::string& id_, std::shared_ptr<Keyring> ring_,
       Encryption mode)
      : id(id_), ring(std::move(ring_)) {
    typename Traits::Options options;
    options.keyring = ring;
    options.encryption = mode;
    Status status;
    transport = Traits::Listening(io, "127.0.0.1", &status, 0, std::move(options));
    INFO(status.ToString());
    REQUIRE(transport != nullptr);
    inbox.Attach(*transport);
  }
  PeerEndpoint endpoint() const { return {id, transport->local_address()}; }
  // Sends `count` numbered messages to `to`, continuing the numbering.
  void SendTo(const Node& to, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i)
      transport->Send(to.endpoint(), Numbered(id, sent++));
  }
  std::uint64_t refused() const {
    const auto s = transport->stats();
    return s.unknown_key + s.unauthentic + s.stale + s.replayed + s.plaintext_refused +
           s.sealed_refused;
  }

  std::string id;
  std::shared_ptr<Keyring> ring;
  std::unique_ptr<typename Traits::Type> transport;
  Inbox inbox;
  std::uint64_t sent = 0;
};

// Both nodes got every message the other sent, in order per sender (checked
// by number: nothing lost, nothing twice), and refused nothing.
template <typename Traits>
void ExpectAllDelivered(asio::io_context& io, const Node<Traits>& a,
                        const Node<Traits>& b) {
  REQUIRE(RunUntil(
      io,
      [&] {
        return a.inbox.messages.size() >= b.sent && b.inbox.messages.size() >= a.sent;
      },
      5s));
  CHECK(a.inbox.messages.size() == b.sent);
  CHECK(b.inbox.messages.size() == a.sent);
  CHECK(a.refused() == 0);
  CHECK(b.refused() == 0);
  CHECK(a.inbox.errors.empty());
  CHECK(b.inbox.errors.empty());
}

template <typename Traits>
void ModePairs() {
  const SecretKey key = Keyring::GenerateKey();
  for (Encryption sender_mode : kModes) {
    for (Encryption receiver_mode : kModes) {
      CAPTURE(static_cast<int>(sender_mode), static_cast<int>(receiver_mode));
      asio::io_context io;
      Node<Traits> sender(io, "sender", RingOf({key}), sender_mode);
      Node<Traits> receiver(io, "receiver", RingOf({key}), receiver_mode);
      sender.SendTo(receiver, 3);
      if (Understands(receiver_mode, sender_mode)) {
        ExpectAllDelivered(io, sender, receiver);
        continue;
      }
      REQUIRE(RunUntil(
          io, [&] { return receiver.refused() == 3; }, 5s));
      const auto stats = receiver.transport->stats();
      CHECK((receiver_mode == Encryption::kOff ? stats.sealed_refused
                                               : stats.plaintext_refused) == 3);
      CHECK(receiver.inbox.messages.empty());
      REQUIRE_FALSE(receiver.inbox.errors.empty());
      CHECK(receiver.inbox.errors[0].code() == StatusCode::kUnauthenticated);
    }
  }
}

template <typename Traits>
void WrongKey() {
  asio::io_context io;
  Node<Traits> sender(io, "sender", RingOf({Keyring::GenerateKey()}),
                      Encryption::kRequire);
  Node<Traits> receiver(io, "receiver", RingOf({Keyring::GenerateKey()}),
                        Encryption::kRequire);
  sender.SendTo(receiver, 3);
  REQUIRE(RunUntil(
      io, [&] { return receiver.refused() == 3; }, 5s));
  CHECK(receiver.transport->stats().unknown_key == 3);
  CHECK(receiver.inbox.messages.empty());
  REQUIRE(receiver.inbox.errors.size() == 1);  // rate-limited
  CHECK(receiver.inbox.errors[0].code() == StatusCode::kUnauthenticated);
  CHECK(receiver.inbox.errors[0].message().find("unknown key id") != std::string::npos);
}

// Sends a few messages each way without waiting for them.
template <typename Traits>
void Exchange(Node<Traits>& a, Node<Traits>& b) {
  a.SendTo(b, 4);
  b.SendTo(a, 4);
}

template <typename Traits>
void RotationWhileFlowing() {
  asio::io_context io;
  const SecretKey old_key = Keyring::GenerateKey();
  const SecretKey new_key = Keyring::GenerateKey();
  const std::string new_id = Keyring::FormatId(Keyring::IdOf(new_key));
  const std::string old_id = Keyring::FormatId(Keyring::IdOf(old_key));
  Node<Traits> a(io, "a", RingOf({old_key}), Encryption::kRequire);
  Node<Traits> b(io, "b", RingOf({old_key}), Encryption::kRequire);
  Exchange(a, b);
  // Each step while the previous messages are still on their way.
  REQUIRE(a.ring->Install(new_key).ok());
  Exchange(a, b);
  REQUIRE(b.ring->Install(new_key).ok());
  Exchange(a, b);
  REQUIRE(a.ring->Use(new_id).ok());
  Exchange(a, b);
  REQUIRE(b.ring->Use(new_id).ok());
  Exchange(a, b);
  // "When all have": what was sealed with the old key has arrived.
  ExpectAllDelivered(io, a, b);
  REQUIRE(a.ring->Remove(old_id).ok());
  Exchange(a, b);
  REQUIRE(b.ring->Remove(old_id).ok());
  Exchange(a, b);
  ExpectAllDelivered(io, a, b);
  CHECK(a.sent == 28);
}

template <typename Traits>
void RuntimeMigration() {
  asio::io_context io;
  const SecretKey key = Keyring::GenerateKey();
  Node<Traits> a(io, "a", RingOf({key}), Encryption::kOff);
  Node<Traits> b(io, "b", RingOf({key}), Encryption::kOff);
  const std::vector<Encryption> steps = {Encryption::kAccept,  Encryption::kSend,
                                         Encryption::kRequire, Encryption::kSend,
                                         Encryption::kAccept,  Encryption::kOff};
  for (Encryption step : steps) {
    Exchange(a, b);
    REQUIRE(a.transport->SetEncryption(step).ok());
    CHECK(a.transport->encryption() == step);
    Exchange(a, b);
    REQUIRE(b.transport->SetEncryption(step).ok());
    Exchange(a, b);
    ExpectAllDelivered(io, a, b);
  }
  CHECK(a.sent == 4 * 3 * steps.size());
}

// A message whose body is MaxBodyBytes, from a sender with the longest id
// and address the default Limits allow: sealed, it fits the transport's
// frame / datagram and is delivered. Returns the receiver's bytes_received.
template <typename Traits>
std::uint64_t FullBudgetSealed() {
  asio::io_context io;
  const SecretKey key = Keyring::GenerateKey();
  Node<Traits> sender(io, "sender", RingOf({key}), Encryption::kRequire);
  Node<Traits> receiver(io, "receiver", RingOf({key}), Encryption::kRequire);
  Message message = testing::MessageOfBody(sender.transport->MaxBodyBytes());
  message.sender.address =
      "127.0.0.1:" + std::string(Limits{}.max_address_bytes - 10, '1');
  sender.transport->Send(receiver.endpoint(), message);
  REQUIRE(RunUntil(
      io, [&] { return receiver.inbox.messages.size() == 1; }, 5s));
  CHECK(receiver.inbox.messages[0] == message);
  CHECK(sender.inbox.errors.empty());
  CHECK(receiver.inbox.errors.empty());
  return receiver.transport->stats().bytes_received;
}

}  // namespace gossipmonger::encryption_scenario
