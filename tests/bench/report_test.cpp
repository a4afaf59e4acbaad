// The table puts transports side by side with their ratio; --json carries
// the same figures; the command line refuses what it cannot run.
#include "report.h"

#include <catch2/catch.hpp>
#include <cmath>

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

TEST_CASE("the JSON report (--json) is one object with every transport's figures") {
  const std::string json =
      RenderJson(Workload{}, {Result("tcp", 400, 2000), Result("udp", 100, 1000)});
  CHECK(json.find("{\"workload\":{\"nodes\":10,") == 0);
  CHECK(json.find("\"udp\":{\"updates\":300,\"complete\":300,\"to_all_p50_ms\":100.0") !=
        std::string::npos);
  const auto parsed = ParseJsonLine(json);                   // one valid JSON object
  CHECK(NumberField(parsed, "transports") == std::nullopt);  // an object, not a number
  CHECK(parsed.at("transports").at("udp").at("updates") == 300);
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

TEST_CASE("detection rows: figures with a kill, '-' and null without") {
  TransportResult killed = Result("udp", 100, 1000);
  killed.detection.kills = 3;
  killed.detection.false_dead = 0;
  killed.detect_every_max_s = 4.5;
  killed.detect_every_p50_s = 4.25;
  killed.detect_observer_p50_s = 4;
  killed.cpu_s_per_min = 0.3;
  TransportResult quiet = Result("tcp", 400, 2000);
  quiet.detect_every_max_s = quiet.detect_every_p50_s = quiet.detect_observer_p50_s =
      std::nan("");
  Workload w;
  w.kill_after_s = 30;
  const std::string table = RenderTable(w, {quiet, killed});
  CHECK(table.find("SIGKILL of one node 30 s after the updates") != std::string::npos);
  CHECK(LineOf(table, "dead at all, worst (s)").find("-        4.50           -") !=
        std::string::npos);
  CHECK(LineOf(table, "dead, median observer (s)").find("4.00") != std::string::npos);
  CHECK(LineOf(table, "false peer_dead").find("0           0") != std::string::npos);
  CHECK(LineOf(table, "CPU s /node/min (mean)").find("0.300") != std::string::npos);
  const std::string json = RenderJson(w, {quiet, killed});
  CHECK(json.find("\"kill_after_s\":30") != std::string::npos);
  CHECK(json.find("\"detect_every_max_s\":null") != std::string::npos);
  CHECK(json.find("\"detect_every_max_s\":4.50") != std::string::npos);
  CHECK(json.find("\"false_dead\":0") != std::string::npos);
}

TEST_CASE("flags: --kill-after is for run mode") {
  const auto run = ParseBenchFlags({"--kill-after", "45", "--detect-timeout", "20"});
  REQUIRE(run.mode == BenchFlags::Mode::kRun);
  CHECK(run.workload.kill_after_s == 45);
  CHECK(run.workload.detect_timeout_s == 20);
  CHECK(ParseBenchFlags({}).workload.kill_after_s == 0);
  CHECK(ParseBenchFlags({"--kill-after", "-1"}).mode == BenchFlags::Mode::kError);
  CHECK(
      ParseBenchFlags({"nodes", "--transport", "tcp", "--log", "x", "--kill-after", "5"})
          .mode == BenchFlags::Mode::kError);
}

TEST_CASE("flags: --gossip-fanout and --push-fanout reach the workload") {
  const Workload defaults = ParseBenchFlags({}).workload;
  CHECK(defaults.gossip_fanout == 0);  // the nodes' defaults
  CHECK(defaults.push_fanout == -1);
  const Workload set =
      ParseBenchFlags({"--gossip-fanout", "1", "--push-fanout", "0"}).workload;
  CHECK(set.gossip_fanout == 1);
  CHECK(set.push_fanout == 0);
  CHECK(ParseBenchFlags({"--gossip-fanout", "0"}).mode == BenchFlags::Mode::kError);
  CHECK(ParseBenchFlags({"--push-fanout", "-1"}).mode == BenchFlags::Mode::kError);
}

TEST_CASE("flags: --dead-peer-phi reaches the workload, positive only") {
  CHECK(ParseBenchFlags({"--dead-peer-phi", "4"}).workload.dead_peer_phi == 4);
  CHECK(ParseBenchFlags({}).workload.dead_peer_phi == 0);  // the nodes' default
  CHECK(ParseBenchFlags({"--dead-peer-phi", "0"}).mode == BenchFlags::Mode::kError);
}

TEST_CASE("flags: --kill-at is for run mode and excludes --kill-after") {
  const auto run = ParseBenchFlags({"--kill-at", "10"});
  REQUIRE(run.mode == BenchFlags::Mode::kRun);
  CHECK(run.workload.kill_at_s == 10);
  CHECK(run.workload.kill_after_s == 0);
  CHECK(ParseBenchFlags({}).workload.kill_at_s == 0);
  CHECK(ParseBenchFlags({"--kill-at", "-1"}).mode == BenchFlags::Mode::kError);
  CHECK(ParseBenchFlags({"--kill-at", "10", "--kill-after", "5"}).mode ==
        BenchFlags::Mode::kError);
  CHECK(ParseBenchFlags({"nodes", "--transport", "tcp", "--log", "x", "--kill-at", "5"})
            .mode == BenchFlags::Mode::kError);
  Workload w;
  w.kill_at_s = 45;
  CHECK(RenderTable(w, {}).find("SIGKILL of one node 45 s after start") !=
        std::string::npos);
  CHECK(RenderJson(w, {}).find("\"kill_at_s\":45") != std::string::npos);
}
