// TcpTransport with keyrings over loopback (docs/SECURITY.md): the shared
// encryption scenarios, and what is TCP's own: a refused frame is dropped
// and its connection kept.
#include <catch2/catch.hpp>

#include "tcp/tcp_traits.h"
#include "transport_encryption_scenario.h"

using namespace gossipmonger;
using namespace std::chrono_literals;
using encryption_scenario::Node;
using encryption_scenario::RingOf;
using tcp_test::TcpTraits;
using testing::RunUntil;

TEST_CASE("tcp encryption: every pair of modes, delivered or refused") {
  encryption_scenario::ModePairs<TcpTraits>();
}

TEST_CASE("tcp encryption: a key the receiver lacks is refused") {
  encryption_scenario::WrongKey<TcpTraits>();
}

TEST_CASE("tcp encryption: key rotation while messages flow loses none") {
  encryption_scenario::RotationWhileFlowing<TcpTraits>();
}

TEST_CASE("tcp encryption: SetEncryption off to require and back, at runtime") {
  encryption_scenario::RuntimeMigration<TcpTraits>();
}

TEST_CASE("tcp encryption: a full-budget message sealed fits max_frame_bytes") {
  CHECK(encryption_scenario::FullBudgetSealed<TcpTraits>() <=
        TcpTransportOptions{}.max_frame_bytes + 4);
}

TEST_CASE("tcp encryption: a refused frame is dropped, its connection kept") {
  asio::io_context io;
  const SecretKey key = Keyring::GenerateKey();
  Node<TcpTraits> sender(io, "sender", RingOf({key}), Encryption::kAccept);
  Node<TcpTraits> receiver(io, "receiver", RingOf({key}), Encryption::kRequire);
  sender.SendTo(receiver, 2);  // plaintext: refused
  REQUIRE(RunUntil(
      io, [&] { return receiver.refused() == 2; }, 5s));
  REQUIRE(sender.transport->SetEncryption(Encryption::kSend).ok());
  sender.SendTo(receiver, 2);  // sealed: delivered on the same connection
  REQUIRE(RunUntil(
      io, [&] { return receiver.inbox.messages.size() == 2; }, 5s));
  const TcpTransportStats stats = receiver.transport->stats();
  CHECK(stats.plaintext_refused == 2);
  CHECK(stats.connections_opened == 1);
  CHECK(stats.connections_closed == 0);
  CHECK(stats.decode_errors == 0);
  CHECK(sender.transport->stats().connections_opened == 1);
}
