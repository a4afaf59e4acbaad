// UdpTransport runs the transport conformance suite and the cluster test.
#include "gossipmonger/testing/transport_cluster_scenario.h"
#include "gossipmonger/testing/transport_conformance.h"
#include "udp/udp_traits.h"

using gossipmonger::udp_test::UdpTraits;

GOSSIPMONGER_TRANSPORT_CONFORMANCE(UdpTraits, "udp")

TEST_CASE("cluster: 5 nodes converge, convict a stopped node and see it return",
          "[cluster][udp]") {
  gossipmonger::testing::ClusterScenario<UdpTraits>();
}
