// The transport core without sockets: a SocketCore whose Bind pretends,
// so that Listen, local_address (wildcards included: tests bind only to
// loopback), the limits and the decode path are checked on their own.
#include "transport_core/socket_core.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "gossipmonger/msgpack_codec.h"
#include "gossipmonger/wire_size.h"

using namespace gossipmonger;

namespace {

constexpr std::size_t kPayload = 1000;
constexpr std::uint16_t kBoundPort = 4242;

class FakeCore final : public transport_core::SocketCore {
 public:
  FakeCore(asio::io_context& io, const SocketTransportOptions& options)
      : SocketCore(io, "fake transport", options, {"max_fake_bytes", kPayload}) {
    SetHandlers([this](Message&& m) { messages.push_back(std::move(m)); },
                [this](const Status& s) { errors.push_back(s); });
  }

  using SocketCore::DecodeAndDeliver;
  using SocketCore::Decoding;
  using SocketCore::EncodeWithin;
  using SocketCore::ParseAddress;
  using SocketCore::SourceText;

  std::error_code Bind(const asio::ip::address& address, std::uint16_t,
                       std::uint16_t* bound_port) override {
    tried.push_back(address);
    if (refuse_bind) return std::make_error_code(std::errc::address_in_use);
    *bound_port = kBoundPort;
    return {};
  }
  void StartReceiving() override { ++receiving; }
  void CloseSockets() override { ++sockets_closed; }
  void Arriving(const Message& message) override {
    // Before the handler, which has not seen it yet.
    arrived_before_handler.push_back(messages.size() == arrivals++);
    CHECK(message.kind == MessageKind::kDeltas);
  }
  void Send(const PeerEndpoint&, const Message&) override {}

  bool refuse_bind = false;
  std::vector<asio::ip::address> tried;
  int receiving = 0;
  int sockets_closed = 0;
  std::size_t arrivals = 0;
  std::vector<bool> arrived_before_handler;
  std::vector<Message> messages;
  std::vector<Status> errors;
};

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

// The text of a source, as SocketCore::Decode asks it.
FakeCore::SourceText From(const std::string& text) {
  return [text] { return text; };
}

// A deltas message carrying one value of `bytes` bytes, and its encoding.
struct Sample {
  Message message;
  std::string encoded;
};

Sample WithValue(std::size_t bytes, const std::string& cluster = "gossipmonger") {
  Sample sample;
  sample.message.kind = MessageKind::kDeltas;
  sample.message.sender = {"peer", "127.0.0.1:1"};
  sample.message.deltas = {
      {"peer", Generation(1), "", {{"k", std::string(bytes, 'v'), Version(1)}}}};
  codec::Encode(cluster, sample.message, sample.encoded);
  return sample;
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
