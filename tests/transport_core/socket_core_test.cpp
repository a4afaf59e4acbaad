// The transport core without sockets: a SocketCore whose Bind pretends,
// so that Listen, local_address (wildcards included: tests bind only to
// loopback), the limits and the decode path are checked on their own.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "gossipmonger/wire_size.h"
#include "transport_core/fake_core.h"

using namespace gossipmonger;
using gossipmonger::testing_core::FakeCore;
using gossipmonger::testing_core::From;
using gossipmonger::testing_core::kBoundPort;
using gossipmonger::testing_core::kPayload;
using gossipmonger::testing_core::Sample;
using gossipmonger::testing_core::WithValue;

namespace {

SocketTransportOptions ListeningOn(const std::string& host) {
  SocketTransportOptions options;
  options.listen_host = host;
  options.listen_port = 0;
  return options;
}

std::string AddressWhenListeningOn(const std::string& host) {
  asio::io_context io;
  FakeCore core(io, ListeningOn(host));
  REQUIRE(core.Listen().ok());
  return core.local_address();
}

}  // namespace

TEST_CASE("local_address: the listen host as given with the bound port") {
  CHECK(AddressWhenListeningOn("127.0.0.1") == "127.0.0.1:4242");
  CHECK(AddressWhenListeningOn("::1") == "[::1]:4242");
  CHECK(AddressWhenListeningOn("localhost") == "localhost:4242");
}

TEST_CASE("local_address: empty for a wildcard, before Listen and after Close") {
  CHECK(AddressWhenListeningOn("0.0.0.0").empty());
  CHECK(AddressWhenListeningOn("::").empty());
  asio::io_context io;
  FakeCore core(io, ListeningOn("10.1.2.3"));
  CHECK(core.local_address().empty());
  CHECK(core.local_port() == 0);
  REQUIRE(core.Listen().ok());
  CHECK(core.local_address() == "10.1.2.3:4242");
  CHECK(core.local_port() == kBoundPort);
  core.Close();
  CHECK(core.local_address().empty());
  CHECK(core.local_port() == 0);
}

TEST_CASE("Listen: once, not after Close, every address tried, failures said") {
  asio::io_context io;
  FakeCore core(io, ListeningOn("127.0.0.1"));
  REQUIRE(core.Listen().ok());
  CHECK(core.receiving == 1);
  CHECK(core.Listen().code() == StatusCode::kInvalidArgument);
  core.Close();
  core.Close();
  CHECK(core.sockets_closed == 1);
  CHECK(core.Listen().code() == StatusCode::kInvalidArgument);

  FakeCore refused(io, ListeningOn("::1"));
  refused.refuse_bind = true;
  const Status s = refused.Listen();
  CHECK(s.code() == StatusCode::kIOError);
  CHECK(s.message().find("fake transport: cannot listen on [::1]:0") !=
        std::string::npos);
  CHECK(refused.tried.size() == 1);
  CHECK(refused.local_port() == 0);
  CHECK(refused.receiving == 0);
}

TEST_CASE("SetLimits: MaxBodyBytes reserves the longest id and address they allow") {
  asio::io_context io;
  SocketTransportOptions options;
  FakeCore core(io, options);
  auto budget = [&](const Limits& limits, const std::string& address) {
    const PeerEndpoint worst{std::string(limits.max_peer_id_bytes, 'x'), address};
    return kPayload -
           wire_size::Envelope(options.cluster, worst, MessageKind::kDigestReply);
  };
  CHECK(core.max_body_bytes() ==
        budget(Limits{}, std::string(Limits{}.max_address_bytes, 'x')));
  Limits small;
  small.max_peer_id_bytes = 10;
  small.max_address_bytes = 20;
  core.SetLimits(small);
  CHECK(core.max_body_bytes() == budget(small, std::string(20, 'x')));
  options.advertised_address = "10.0.0.5:9742";
  FakeCore advertised(io, options);
  advertised.SetLimits(small);
  CHECK(advertised.max_body_bytes() == budget(small, "10.0.0.5:9742"));
}

TEST_CASE("DecodeAndDeliver: the limits handed over, the payload and the cluster") {
  asio::io_context io;
  FakeCore core(io, SocketTransportOptions{});
  using Decoding = FakeCore::Decoding;
  const Sample fits = WithValue(50);
  REQUIRE(core.DecodeAndDeliver(fits.encoded, From("10.0.0.9:1"), "dropped") ==
          Decoding::kMessage);
  REQUIRE(core.messages.size() == 1);
  CHECK(core.messages[0] == fits.message);
  CHECK(core.arrived_before_handler == std::vector<bool>{true});
  Limits small;
  small.max_value_bytes = 49;
  core.SetLimits(small);
  CHECK(core.DecodeAndDeliver(fits.encoded, From("10.0.0.9:1"), "dropped") ==
        Decoding::kUndecodable);
  REQUIRE(core.errors.size() == 1);
  CHECK(core.errors[0].code() == StatusCode::kLimitExceeded);
  CHECK(core.errors[0].message().find(
            "fake transport: undecodable message from 10.0.0.9:1 (dropped)") == 0);
  // The payload limit bounds the message, whatever the Limits.
  core.SetLimits(Limits{});
  CHECK(core.DecodeAndDeliver(WithValue(kPayload).encoded, From("x:1"), "dropped") ==
        Decoding::kUndecodable);
  CHECK(core.DecodeAndDeliver(WithValue(50, "other").encoded, From("x:1"), "dropped") ==
        Decoding::kForeignCluster);
  CHECK(core.shared_stats().decode_errors == 2);
  CHECK(core.shared_stats().foreign_cluster == 1);
  CHECK(core.errors.size() == 3);
  CHECK(core.messages.size() == 1);
  CHECK(core.arrivals == 1);
}

TEST_CASE("EncodeWithin and ParseAddress refuse and report") {
  asio::io_context io;
  FakeCore core(io, SocketTransportOptions{});
  std::string out = "pre";
  const Sample small = WithValue(1);
  REQUIRE(core.EncodeWithin({"r", "127.0.0.1:1"}, small.message, out));
  CHECK(out.substr(3) == small.encoded);
  std::string big;
  CHECK_FALSE(core.EncodeWithin({"r", "127.0.0.1:1"}, WithValue(kPayload).message, big));
  REQUIRE(core.errors.size() == 1);
  CHECK(core.errors[0].code() == StatusCode::kLimitExceeded);
  CHECK(core.errors[0].message().find("max_fake_bytes") != std::string::npos);
  std::string host;
  std::uint16_t port = 0;
  CHECK_FALSE(core.ParseAddress({"r", "no-port-here"}, &host, &port));
  CHECK(core.errors.size() == 2);
  CHECK(core.errors[1].code() == StatusCode::kInvalidArgument);
}
