// The table puts transports side by side with their ratio; --json carries
// the same figures; the command line refuses what it cannot run.
#include "report.h"

#include <catch2/catch.hpp>

#include "bench_flags.h"
#include "json_fields.h"

using namespace gossipmonger::bench;

namespace {

TransportResult Result(const char* transport, double p50, double bytes) {
  TransportResult r;
  r.transport = transport;
  r.nodes = 10;
  r.updates = 300;
  r.complete = 300;
  r.to_all_p50 = p50;
  r.bytes_per_s = bytes;
  return r;
}

std::string LineOf(const std::string& table, const std::string& label) {
  const auto start = table.find(label);
  return start == std::string::npos
             ? ""
             : table.substr(start, table.find('\n', start) - start);
}

}  // namespace

TEST_CASE("the table has one column per transport and the ratio") {
  const std::string table =
      RenderTable(Workload{}, {Result("tcp", 400, 2000), Result("udp", 100, 1000)});
  CHECK(table.find("10 nodes") == 0);
  CHECK(LineOf(table, "    ").find("tcp") != std::string::npos);
  CHECK(LineOf(table, "latency to all p50 (ms)").find("400.0       100.0        0.25") !=
        std::string::npos);
  CHECK(LineOf(table, "bytes sent /node/s").find("2000        1000        0.50") !=
        std::string::npos);
  CHECK(LineOf(table, "injected losses (%)").find("-") != std::string::npos);
}

TEST_CASE("--json is one object with every transport's figures") {
  const std::string json =
      RenderJson(Workload{}, {Result("tcp", 400, 2000), Result("udp", 100, 1000)});
  CHECK(json.find("{\"workload\":{\"nodes\":10,") == 0);
  CHECK(json.find("\"udp\":{\"updates\":300,\"complete\":300,\"to_all_p50_ms\":100.0") !=
        std::string::npos);
  CHECK(JsonNumber(json, "transports") == std::nullopt);  // an object, skipped whole
}

TEST_CASE("flags: modes, values and errors") {
  auto run = ParseBenchFlags({"--nodes", "4", "--loss", "0.05", "--transports", "udp"});
  REQUIRE(run.mode == BenchFlags::Mode::kRun);
  CHECK(run.workload.nodes == 4);
  CHECK(run.workload.loss == 0.05);
  CHECK(run.transports == std::vector<std::string>{"udp"});
  CHECK(run.cluster_size == 4);
  CHECK(run.workload.repeat == 1);
  CHECK(ParseBenchFlags({"--repeat", "3"}).workload.repeat == 3);

  auto nodes = ParseBenchFlags({"nodes", "--transport", "tcp", "--log", "x.jsonl",
                                "--seed", "a0@10.0.0.1:7000", "--cluster-size", "20"});
  REQUIRE(nodes.mode == BenchFlags::Mode::kNodes);
  CHECK(nodes.seeds.size() == 1);
  CHECK(nodes.cluster_size == 20);

  auto analyze = ParseBenchFlags({"analyze", "a.jsonl", "--json", "b.jsonl"});
  REQUIRE(analyze.mode == BenchFlags::Mode::kAnalyze);
  CHECK(analyze.logs.size() == 2);
  CHECK(analyze.json);

  CHECK(ParseBenchFlags({"--loss", "1.5"}).mode == BenchFlags::Mode::kError);
  CHECK(ParseBenchFlags({"--transports", "tcp,sctp"}).mode == BenchFlags::Mode::kError);
  CHECK(ParseBenchFlags({"--nodes"}).error == "--nodes: missing value");
  CHECK(ParseBenchFlags({"nodes", "--transport", "tcp"}).mode ==
        BenchFlags::Mode::kError);
  CHECK(ParseBenchFlags({"analyze"}).mode == BenchFlags::Mode::kError);
  CHECK(ParseBenchFlags({"--advertise-host", "10.0.0.1"}).mode ==
        BenchFlags::Mode::kError);
  CHECK(ParseBenchFlags({"--advertise-host", "10.0.0.1", "--base-port", "7000"}).mode ==
        BenchFlags::Mode::kRun);
  CHECK(ParseBenchFlags({"nodes", "--transport", "tcp", "--log", "x", "--repeat", "2"})
            .mode == BenchFlags::Mode::kError);
  CHECK(ParseBenchFlags({"frobnicate"}).mode == BenchFlags::Mode::kError);
}
