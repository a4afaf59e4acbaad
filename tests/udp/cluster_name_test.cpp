// A cluster name the decoder would refuse is refused at Listen().
#include <catch2/catch.hpp>

#include <asio/io_context.hpp>
#include <string>

#include "gossipmonger/udp_transport.h"

using namespace gossipmonger;

TEST_CASE("udp: a cluster name over the decoder's limit is refused at Listen") {
  asio::io_context io;
  UdpTransportOptions options;
  options.listen_host = "127.0.0.1";
  options.listen_port = 0;
  options.cluster = std::string(options.decode_limits.max_cluster_bytes + 1, 'c');
  UdpTransport too_long(io, options);
  const Status refused = too_long.Listen();
  CHECK(refused.code() == StatusCode::kInvalidArgument);
  CHECK(too_long.local_port() == 0);

  options.cluster = std::string(options.decode_limits.max_cluster_bytes, 'c');
  UdpTransport at_limit(io, options);
  CHECK(at_limit.Listen().ok());
}
