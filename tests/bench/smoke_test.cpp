// The real program end to end: 3 nodes per transport, a few seconds of
// updates, on loopback. Asserts what the table and the JSON must hold, not
// how fast anything was.
#include <sys/wait.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "json_fields.h"

namespace {

using gossipmonger::bench::NumberField;

// Runs `command`, returns its stdout; `status` gets the exit status.
std::string Run(const std::string& command, int* status) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr)
    output += buffer.data();
  *status = pclose(pipe);
  return output;
}

// The figures of `transport` in the --json report, which must be one valid
// JSON object.
nlohmann::json Transport(const std::string& json, const char* transport) {
  const nlohmann::json report = gossipmonger::bench::ParseJsonLine(json);
  REQUIRE(report.is_object());
  REQUIRE(report.contains("transports"));
  REQUIRE(report.at("transports").contains(transport));
  return report.at("transports").at(transport);
}

}  // namespace

TEST_CASE("3 nodes over TCP and UDP: every update reaches every node") {
  int status = 0;
  const std::string json =
      Run(std::string(GOSSIPMONGER_BENCH_BINARY) +
              " --nodes 3 --duration 3 --update-rate 2"
              " --gossip-interval-ms 100 --drain 5 --json 2>/dev/null",
          &status);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  INFO(json);
  for (const char* transport : {"tcp", "udp"}) {
    const nlohmann::json object = Transport(json, transport);
    CHECK(NumberField(object, "updates") == 18);
    CHECK(NumberField(object, "complete") == 18);
    CHECK(NumberField(object, "messages_per_node_s") > 0);
    CHECK(NumberField(object, "bytes_per_node_s") > 0);
    CHECK(NumberField(object, "peak_rss_mib_max") > 0);
  }
}

TEST_CASE("injected loss is counted and UDP loses messages, not updates") {
  int status = 0;
  const std::string json = Run(std::string(GOSSIPMONGER_BENCH_BINARY) +
                                   " --nodes 3 --duration 3 --update-rate 2 --loss 0.2"
                                   " --transports udp --gossip-interval-ms 100 --drain 10"
                                   " --json 2>/dev/null",
                               &status);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  INFO(json);
  const nlohmann::json object = Transport(json, "udp");
  CHECK(NumberField(object, "complete") == 18);
  CHECK(NumberField(object, "lost_percent") > 0);
}

TEST_CASE("a SIGKILLed node is reported dead by every other node, nobody else") {
  int status = 0;
  // 100 ms rounds: the detector convicts after about 3 s of silence.
  const std::string json =
      Run(std::string(GOSSIPMONGER_BENCH_BINARY) +
              " --nodes 3 --duration 1 --update-rate 2"
              " --transports udp --gossip-interval-ms 100"
              " --kill-after 1 --detect-timeout 30 --json 2>/dev/null",
          &status);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  INFO(json);
  const nlohmann::json object = Transport(json, "udp");
  CHECK(NumberField(object, "kills") == 1);
  CHECK(NumberField(object, "detect_missed") == 0);
  CHECK(NumberField(object, "false_dead") == 0);
  CHECK(NumberField(object, "detect_every_max_s") > 0);
  CHECK(NumberField(object, "detect_every_max_s") >=
        NumberField(object, "detect_median_observer_s"));
}
