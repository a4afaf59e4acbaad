// The one parser and formatter of "host:port" addresses.
#include "transport_core/host_port.h"

#include <catch2/catch.hpp>
#include <string>

using gossipmonger::transport_core::FormatHostPort;
using gossipmonger::transport_core::SplitHostPort;

TEST_CASE("host:port: the accepted forms") {
  std::string host;
  std::uint16_t port = 0;
  REQUIRE(SplitHostPort("127.0.0.1:9742", &host, &port));
  CHECK(host == "127.0.0.1");
  CHECK(port == 9742);
  REQUIRE(SplitHostPort("[::1]:1", &host, &port));
  CHECK(host == "::1");
  CHECK(port == 1);
  REQUIRE(SplitHostPort("node-3.example:65535", &host, &port));
  CHECK(host == "node-3.example");
  CHECK(port == 65535);
}

TEST_CASE("host:port: what is refused") {
  std::string host;
  std::uint16_t port = 0;
  for (const char* bad :
       {"", "9742", ":9742", "host:", "host:0", "host:65536", "host:123456", "host:97a2",
        "::1:9742", "[::1]9742", "[]:9742", "[::1:9742", "host]:9742"}) {
    CAPTURE(bad);
    CHECK_FALSE(SplitHostPort(bad, &host, &port));
  }
}

TEST_CASE("host:port: formatting brackets IPv6 and parses back") {
  CHECK(FormatHostPort("10.0.0.5", 9742) == "10.0.0.5:9742");
  CHECK(FormatHostPort("::1", 9742) == "[::1]:9742");
  CHECK(FormatHostPort("node-3.example", 1) == "node-3.example:1");
  CHECK(FormatHostPort(asio::ip::make_address("fe80::1"), 80) == "[fe80::1]:80");
  std::string host;
  std::uint16_t port = 0;
  for (const char* h : {"10.0.0.5", "::1", "node-3.example"}) {
    REQUIRE(SplitHostPort(FormatHostPort(h, 4242), &host, &port));
    CHECK(host == h);
    CHECK(port == 4242);
  }
}
