// Latency and resource figures computed from records, and the records'
// JSON-line form that carries them between hosts.
#include "analysis.h"

#include <catch2/catch.hpp>

#include "percentile.h"
#include "records.h"

using namespace gossipmonger::bench;
using gossipmonger::tools::Percentile;

TEST_CASE("nearest-rank percentiles") {
  CHECK(Percentile({}, 0.5) == 0);
  CHECK(Percentile({5}, 0.99) == 5);
  CHECK(Percentile({4, 1, 3, 2}, 0.5) == 2);
  CHECK(Percentile({4, 1, 3, 2}, 0.75) == 3);
  CHECK(Percentile({4, 1, 3, 2}, 1.0) == 4);
  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  CHECK(Percentile(hundred, 0.99) == 99);
  CHECK(Percentile(hundred, 0.0) == 1);
}

namespace {

// Three nodes; a's key reaches b after 10 ms and c after 30 ms; b's key
// reaches only a.
RunLog ThreeNodes() {
  RunLog log;
  log.transport = "udp";
  log.sets = {{"a", "a/0", 1000}, {"b", "b/0", 2000}};
  log.updates = {{"b", "a/0", 1010},
                 {"c", "a/0", 1030},
                 {"a", "b/0", 2005},
                 {"c", "a/0", 1500}};  // a duplicate arrival is ignored
  for (const char* id : {"a", "b", "c"}) {
    NodeRecord r;
    r.node = id;
    r.window_s = 10;
    r.messages_sent = 95;
    r.messages_lost = 5;
    r.bytes_sent = 1000;
    r.cpu_s = id[0] == 'c' ? 0.4 : 0.1;
    r.peak_rss_kib = 2048;
    log.nodes.push_back(r);
  }
  return log;
}

}  // namespace

TEST_CASE("latency to every node counts only updates that reached all") {
  const TransportResult r = Analyze(ThreeNodes());
  CHECK(r.nodes == 3);
  CHECK(r.updates == 2);
  CHECK(r.complete == 1);
  REQUIRE(r.to_all_ms.size() == 1);
  CHECK(r.to_all_ms[0] == Approx(30));
  CHECK(r.delivery_ms.size() == 3);
  CHECK(r.delivery_p50 == Approx(10));
  CHECK(r.delivery_p99 == Approx(30));
}

TEST_CASE("resources are per node and second of the window") {
  const TransportResult r = Analyze(ThreeNodes());
  CHECK(r.messages_per_s == Approx(9.5));
  CHECK(r.bytes_per_s == Approx(100));
  CHECK(r.lost_fraction == Approx(0.05));
  CHECK(r.cpu_s_mean == Approx(0.2));
  CHECK(r.cpu_s_max == Approx(0.4));
  CHECK(r.peak_rss_mib_max == Approx(2));
}

TEST_CASE("records survive their JSON-line form, grouped by transport") {
  const RunLog original = ThreeNodes();
  std::vector<RunLog> logs;
  for (const auto& r : original.sets) REQUIRE(ParseRecord(FormatRecord("udp", r), logs));
  for (const auto& r : original.updates)
    REQUIRE(ParseRecord(FormatRecord("udp", r), logs));
  for (const auto& r : original.nodes) REQUIRE(ParseRecord(FormatRecord("udp", r), logs));
  REQUIRE(ParseRecord(FormatRecord("tcp", original.sets[0]), logs));
  CHECK_FALSE(ParseRecord(R"({"event":"update"})", logs));
  REQUIRE(logs.size() == 2);
  CHECK(logs[0].transport == "udp");
  CHECK(logs[1].sets.size() == 1);
  const TransportResult r = Analyze(logs[0]);
  CHECK(r.complete == 1);
  CHECK(r.to_all_ms[0] == Approx(30));
  CHECK(r.messages_per_s == Approx(9.5));
  CHECK(r.cpu_s_max == Approx(0.4));
}
