// The demo binary end to end, in plain mode (its stdout is a pipe here):
// every node's updates reach the others, it exits 0 when its duration is
// up, and on SQLite (or RocksDB) a second run resumes every node at the
// version the first run stopped at.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <string>

namespace {

struct RunResult {
  int exit_code = -1;
  std::string output;
};

// Runs the demo with `args` (stderr folded into the output).
RunResult RunDemo(const std::string& args) {
  const std::string command =
      std::string(GOSSIPMONGER_DEMO_BINARY) + " " + args + " 2>&1";
  RunResult result;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
    result.output.append(buffer, n);
  const int status = pclose(pipe);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

// "<node> <phrase> <number>" for every node in `output`.
std::map<std::string, unsigned long> VersionsAfter(const std::string& output,
                                                   const std::string& phrase) {
  std::map<std::string, unsigned long> versions;
  const std::regex line("(node[0-9]+) +" + phrase + " ([0-9]+)");
  for (std::sregex_iterator it(output.begin(), output.end(), line), end; it != end; ++it)
    versions[(*it)[1]] = std::stoul((*it)[2]);
  return versions;
}

std::string TempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "gossipmonger-demo-XXXXXX").string();
  REQUIRE(mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

const char kQuick[] = "--plain --base-port 0 --interval-ms 200 ";

void CheckEveryUpdateArrives(const std::string& transport) {
  const RunResult run =
      RunDemo(kQuick + std::string("--duration 3 --transport ") + transport);
  INFO(run.output);
  CHECK(run.exit_code == 0);
  for (int i = 0; i < 5; ++i) {
    const std::string node = "node" + std::to_string(i);
    CHECK(run.output.find("got update " + node + ".") != std::string::npos);
  }
  CHECK(run.output.find("\nstopped\n") != std::string::npos);
}

// Unused in a build without SQLite and RocksDB.
[[maybe_unused]] void CheckResume(const std::string& kind) {
  const std::string dir = TempDir();
  const std::string args =
      kQuick + std::string("--duration 2 --storage ") + kind + ":" + dir;
  const RunResult first = RunDemo(args);
  const RunResult second = RunDemo(args);
  std::filesystem::remove_all(dir);
  INFO(first.output);
  INFO(second.output);
  REQUIRE(first.exit_code == 0);
  REQUIRE(second.exit_code == 0);
  CHECK(first.output.find("node0  started fresh") != std::string::npos);
  const auto stopped = VersionsAfter(first.output, "stopped at version");
  const auto resumed = VersionsAfter(second.output, "resumed at version");
  REQUIRE(stopped.size() == 5);
  CHECK(resumed == stopped);
  for (const auto& [node, version] : resumed) {
    INFO(node);
    CHECK(version > 0);
  }
}

}  // namespace

TEST_CASE("demo over TCP: every node's updates reach the cluster, exit 0") {
#ifdef GOSSIPMONGER_DEMO_HAVE_TCP
  CheckEveryUpdateArrives("tcp");
#else
  CheckEveryUpdateArrives("memory");
#endif
}

#ifdef GOSSIPMONGER_DEMO_HAVE_UDP
TEST_CASE("demo over UDP: every node's updates reach the cluster, exit 0") {
  CheckEveryUpdateArrives("udp");
}
#endif

TEST_CASE("demo refuses an unknown transport with exit 2") {
  const RunResult run = RunDemo("--transport carrier-pigeon");
  CHECK(run.exit_code == 2);
  CHECK(run.output.find("--transport must be") != std::string::npos);
}

#ifdef GOSSIPMONGER_DEMO_HAVE_SQLITE
TEST_CASE("demo on SQLite: a second run resumes every node where it stopped") {
  CheckResume("sqlite");
}
#endif

#ifdef GOSSIPMONGER_DEMO_HAVE_ROCKSDB
TEST_CASE("demo on RocksDB: a second run resumes every node where it stopped") {
  CheckResume("rocksdb");
}
#endif
