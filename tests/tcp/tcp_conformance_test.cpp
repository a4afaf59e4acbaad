// TcpTransport runs the transport conformance suite and the cluster test.
#include "gossipmonger/testing/transport_cluster_scenario.h"
#include "gossipmonger/testing/transport_conformance.h"
#include "tcp/tcp_traits.h"

using gossipmonger::tcp_test::TcpTraits;

GOSSIPMONGER_TRANSPORT_CONFORMANCE(TcpTraits, "tcp")

TEST_CASE("cluster: 5 nodes converge, convict a stopped node and see it return",
          "[cluster][tcp]") {
  gossipmonger::testing::ClusterScenario<TcpTraits>();
}
