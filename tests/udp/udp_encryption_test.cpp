// UdpTransport with keyrings over loopback (docs/SECURITY.md): the shared
// encryption scenarios, and the datagram budget: a full-budget message
// sealed still fits max_datagram_bytes.
#include <catch2/catch.hpp>

#include "transport_encryption_scenario.h"
#include "udp/udp_traits.h"

using namespace gossipmonger;
using udp_test::UdpTraits;

TEST_CASE("udp encryption: every pair of modes, delivered or refused") {
  encryption_scenario::ModePairs<UdpTraits>();
}

TEST_CASE("udp encryption: a key the receiver lacks is refused") {
  encryption_scenario::WrongKey<UdpTraits>();
}

TEST_CASE("udp encryption: key rotation while messages flow loses none") {
  encryption_scenario::RotationWhileFlowing<UdpTraits>();
}

TEST_CASE("udp encryption: SetEncryption off to require and back, at runtime") {
  encryption_scenario::RuntimeMigration<UdpTraits>();
}

TEST_CASE("udp encryption: a full-budget message sealed fits max_datagram_bytes") {
  const std::size_t max = UdpTransportOptions{}.max_datagram_bytes;
  const std::uint64_t datagram = encryption_scenario::FullBudgetSealed<UdpTraits>();
  CHECK(datagram <= max);
  // The budget is used, not wasted: within a few bytes of the datagram.
  CHECK(datagram + 8 >= max);
}
