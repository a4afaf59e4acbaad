// Failure detection from synthetic kill and peer_dead records: the time
// until every observer knew, the median observer, the observers that never
// knew, and convictions of nodes that were up.
#include "detection.h"

#include <catch2/catch.hpp>
#include <cmath>

#include "analysis.h"
#include "records.h"

using namespace gossipmonger::bench;

namespace {

const std::set<std::string> kNodes = {"a", "b", "c", "d"};

// Run 0: d killed at 10 s; a, b, c report it 3, 4 and 5.5 s later (a twice).
// Run 1 (same ids): d killed at 100 s; c never reports it.
RunLog TwoKills() {
  RunLog log;
  log.transport = "udp";
  log.kills = {{"d", 0, 10000}, {"d", 1, 100000}};
  log.deaths = {{"a", "d", 0, 13000},  {"b", "d", 0, 14000}, {"c", "d", 0, 15500},
                {"a", "d", 0, 16000},  // a later repeat: the first one counts
                {"a", "d", 1, 102000}, {"b", "d", 1, 107000}};
  for (const auto& id : kNodes)
    log.nodes.push_back(NodeRecord{id, 60, 0, 0, 0, 0, 0, 1, 1});
  return log;
}

}  // namespace

TEST_CASE("detection: per kill, the last observer; per observer, its first report") {
  const Detection d = AnalyzeDetection(TwoKills(), kNodes);
  CHECK(d.kills == 2);
  REQUIRE(d.every_observer_s.size() == 1);  // run 1 missed an observer
  CHECK(d.every_observer_s[0] == Approx(5.5));
  REQUIRE(d.observer_s.size() == 5);
  CHECK(d.observer_s[0] == Approx(3));
  CHECK(d.observer_s[4] == Approx(7));
  CHECK(d.missed == 1);
  CHECK(d.false_dead == 0);
}

TEST_CASE("detection: a peer_dead about a node that was up is false") {
  RunLog log = TwoKills();
  log.deaths.push_back({"b", "c", 0, 5000});   // c was never killed
  log.deaths.push_back({"a", "d", 0, 9000});   // before d's kill in run 0
  log.deaths.push_back({"c", "d", 1, 50000});  // before d's kill in run 1
  log.deaths.push_back({"d", "a", 0, 9500});   // the victim, before dying
  const Detection d = AnalyzeDetection(log, kNodes);
  CHECK(d.false_dead == 4);
  // Reports before the kill do not count as detections either.
  CHECK(d.every_observer_s[0] == Approx(5.5));
  CHECK(d.missed == 1);
}

TEST_CASE("detection: a kill in one run is no excuse in another") {
  RunLog log;
  log.kills = {{"d", 0, 10000}};
  log.deaths = {{"a", "d", 1, 20000}};  // run 1: d was up
  const Detection d = AnalyzeDetection(log, kNodes);
  CHECK(d.false_dead == 1);
  CHECK(d.missed == 3);
  CHECK(d.every_observer_s.empty());
}

TEST_CASE("analysis: worst and median kill, median observer; none without a kill") {
  const TransportResult r = Analyze(TwoKills());
  CHECK(r.detect_every_max_s == Approx(5.5));
  CHECK(r.detect_every_p50_s == Approx(5.5));
  CHECK(r.detect_observer_p50_s == Approx(4));  // of 3, 4, 5.5, 2, 7
  CHECK(r.detection.false_dead == 0);
  CHECK(r.cpu_s_per_min == Approx(1));  // 1 CPU s over a 60 s window

  RunLog quiet = TwoKills();
  quiet.kills.clear();
  quiet.deaths.clear();
  const TransportResult q = Analyze(quiet);
  CHECK(q.detection.kills == 0);
  CHECK(std::isnan(q.detect_every_max_s));
  CHECK(std::isnan(q.detect_observer_p50_s));
}

TEST_CASE("kill and dead records survive their JSON-line form") {
  const RunLog original = TwoKills();
  std::vector<RunLog> logs;
  for (const auto& r : original.kills) REQUIRE(ParseRecord(FormatRecord("udp", r), logs));
  for (const auto& r : original.deaths)
    REQUIRE(ParseRecord(FormatRecord("udp", r), logs));
  for (const auto& r : original.nodes) REQUIRE(ParseRecord(FormatRecord("udp", r), logs));
  CHECK_FALSE(ParseRecord(R"({"record":"dead","transport":"udp","node":"a","t_ms":1})",
                          logs));  // no peer
  REQUIRE(logs.size() == 1);
  CHECK(logs[0].kills.size() == 2);
  CHECK(logs[0].kills[1].run == 1);
  CHECK(logs[0].deaths.size() == 6);
  CHECK(logs[0].deaths[2].peer == "d");
  const Detection d = AnalyzeDetection(logs[0], kNodes);
  CHECK(d.every_observer_s[0] == Approx(5.5));
  CHECK(d.missed == 1);
}
