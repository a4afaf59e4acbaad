// gossipmonger-node's command line: bad flags exit 2 with one line on
// stderr naming the flag; --help and --version succeed.
#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "node/node_process.h"

namespace gossipmonger::node_test {
namespace {

// The node exits 1 with one line on stderr naming --storage and each of
// `parts`.
void ExpectStorageError(NodeProcess& node, const std::vector<std::string>& parts) {
  auto status = node.Wait();
  REQUIRE(status.has_value());
  CHECK(status->exited);
  CHECK(status->code == 1);
  const std::string error = node.Stderr();
  INFO("stderr: " << error);
  CHECK(error.find("--storage") != std::string::npos);
  for (const std::string& part : parts) CHECK(error.find(part) != std::string::npos);
  CHECK(error.find('\n') == error.size() - 1);
}

struct BadFlags {
  std::vector<std::string> args;
  std::string flag;  // must be named in the message
};

// Each exits 2 with one line on stderr naming its flag, nothing on stdout.
void ExpectEachRefused(const std::vector<BadFlags>& cases) {
  for (const BadFlags& c : cases) {
    std::string command;
    for (const auto& arg : c.args) command += arg + " ";
    INFO("gossipmonger-node " << command);
    NodeProcess node(c.args);
    auto status = node.Wait();
    REQUIRE(status.has_value());
    CHECK(status->exited);
    CHECK(status->code == 2);
    CHECK(node.events().empty());  // nothing on stdout
    const std::string error = node.Stderr();
    INFO("stderr: " << error);
    CHECK(error.find(c.flag) != std::string::npos);
    CHECK(error.find('\n') == error.size() - 1);  // exactly one line
  }
}

// Flags that start a node, followed by `extra`.
std::vector<std::string> with(std::vector<std::string> extra) {
  std::vector<std::string> args = {"--id", "a", "--listen", "127.0.0.1:0"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

}  // namespace

TEST_CASE("bad flags exit 2 with a one-line error naming the flag") {
  const std::vector<BadFlags> cases = {
      {with({"--bogus"}), "--bogus"},
      {with({"--bogus=1"}), "--bogus"},
      {{"--id", "a", "--listen", "nowhere"}, "--listen"},
      {{"--id", "a", "--listen", "127.0.0.1:70000"}, "--listen"},
      {{"--id", "a"}, "--listen"},
      {{"--listen", "127.0.0.1:0"}, "--id"},
      {with({"--transport", "sctp"}), "--transport"},
      {with({"--storage", "floppy:/x"}), "--storage"},
      {with({"--storage", "sqlite:"}), "--storage"},
      {with({"--gossip-interval-ms", "0"}), "--gossip-interval-ms"},
      {with({"--gossip-interval-ms", "fast"}), "--gossip-interval-ms"},
      {with({"--dead-peer-phi", "-1"}), "--dead-peer-phi"},
      {with({"--max-deltas", "x"}), "--max-deltas"},
      {with({"--min-live-peers", "-1"}), "--min-live-peers"},
      {with({"--gossip-fanout", "0"}), "--gossip-fanout"},
      {with({"--push-fanout", "-1"}), "--push-fanout"},
      {with({"--seed", "127.0.0.1:9"}), "--seed"},
      {with({"--set", "novalue"}), "--set"},
      {with({"--set", "=v"}), "--set"},
      {with({"--advertise", "host"}), "--advertise"},
      {with({"--cluster"}), "--cluster"},  // missing value
      {with({"--tombstone-grace-ms", "0"}), "--tombstone-grace-ms"},
      {with({"--reap-dead-after-ms", "a day"}), "--reap-dead-after-ms"},
      {with({"--reap-left-after-ms", "-1"}), "--reap-left-after-ms"},
      {with({"--remember-forgotten-ms"}), "--remember-forgotten-ms"},
      {with({"--leave-on-sigterm=yes"}), "--leave-on-sigterm"},
  };
  ExpectEachRefused(cases);
}

TEST_CASE("bad encryption flags exit 2 with a one-line error naming the flag") {
  ExpectEachRefused({
      {with({"--encryption", "sometimes"}), "--encryption"},
      {with({"--encryption"}), "--encryption"},
      {with({"--encryption", "require"}), "--encryption"},  // no key to seal with
      {with({"--encryption=send"}), "--encryption"},
      {with({"--replay-window-ms", "0"}), "--replay-window-ms"},
      {with({"--replay-window-ms", "soon"}), "--replay-window-ms"},
      {with({"--keyring="}), "--keyring"},
      {with({"--keyring"}), "--keyring"},
      {{"keygen", "--id", "a"}, "keygen"},
  });
}

TEST_CASE("the help flag prints the usage and exits 0") {
  NodeProcess node({"--help"}, /*json_stdout=*/false);
  auto status = node.Wait();
  REQUIRE(status.has_value());
  CHECK(status->exited);
  CHECK(status->code == 0);
  CHECK(node.raw_stdout().find("usage: gossipmonger-node") == 0);
  const std::vector<std::string> expected = {
      "--id", "--listen", "--advertise", "--seed", "--transport", "--storage",
      "--gossip-interval-ms", "--dead-peer-phi", "--max-deltas", "--min-live-peers",
      "--gossip-fanout", "--push-fanout", "--cluster", "--no-stdin", "--version",
      // The lifecycle's flags and commands (docs/LIFECYCLE.md).
      "--tombstone-grace-ms", "--reap-dead-after-ms", "--reap-left-after-ms",
      "--remember-forgotten-ms", "--leave-on-sigterm", "setex KEY TTL_MS VALUE",
      "del KEY", "leave",
      // Encryption (docs/SECURITY.md).
      "--keyring", "--encryption", "--replay-window-ms", "keygen", "key install BASE64",
      "key use ID", "key remove ID", "key list", "encryption MODE"};
  for (const std::string& flag : expected) {
    INFO(flag);
    CHECK(node.raw_stdout().find(flag) != std::string::npos);
  }
  CHECK(node.Stderr().empty());
}

TEST_CASE("keygen prints a new key and exits 0") {
  std::vector<std::string> keys;
  for (int i = 0; i < 2; ++i) {
    NodeProcess keygen({"keygen"}, /*json_stdout=*/false);
    auto status = keygen.Wait();
    REQUIRE(status.has_value());
    CHECK(status->exited);
    CHECK(status->code == 0);
    CHECK(keygen.Stderr().empty());
    const std::string& key = keygen.raw_stdout();
    INFO(key);
    REQUIRE(key.size() == 45u);  // 32 bytes in base64 with padding, a newline
    CHECK(key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                "0123456789+/") == 43u);
    CHECK(key.substr(43) == "=\n");
    keys.push_back(key);
  }
  CHECK(keys[0] != keys[1]);
}

TEST_CASE("the version flag prints the project version and exits 0") {
  NodeProcess node({"--version"}, /*json_stdout=*/false);
  auto status = node.Wait();
  REQUIRE(status.has_value());
  CHECK(status->exited);
  CHECK(status->code == 0);
  CHECK(node.raw_stdout() ==
        std::string("gossipmonger-node ") + GOSSIPMONGER_VERSION + "\n");
}

TEST_CASE("a storage that cannot be opened exits 1 with one line on stderr") {
  std::vector<std::string> storages = {"sqlite:/nonexistent-dir/for/sure/a.db"};
#ifdef GOSSIPMONGER_NODE_TEST_HAVE_ROCKSDB
  // RocksDB's error crosses from the module: code and message.
  storages.push_back("rocksdb:/nonexistent-dir/for/sure/a.rocksdb");
#endif
  const std::string storage = GENERATE_COPY(from_range(storages));
  CAPTURE(storage);
  NodeProcess node({"--id", "a", "--listen", "127.0.0.1:0", "--storage", storage});
  ExpectStorageError(node, {"IOError", "/nonexistent-dir/for/sure"});
}

#ifdef GOSSIPMONGER_NODE_TEST_HAVE_ROCKSDB
TEST_CASE("RocksDB storage without a loadable module exits 1 naming the module") {
  TempDir modules;
  TempDir data;
  std::string expected;
  SECTION("no module in the directory") { expected = "not found in " + modules.path(); }
  SECTION("a file of that name that is no shared object") {
    std::ofstream(modules.path() + "/gossipmonger-node-rocksdb.so") << "not ELF\n";
    expected = "cannot load " + modules.path() + "/gossipmonger-node-rocksdb.so";
  }
  NodeProcess node({"--id", "a", "--listen", "127.0.0.1:0", "--storage",
                    "rocksdb:" + data.path() + "/db"},
                   /*json_stdout=*/true,
                   {"GOSSIPMONGER_NODE_MODULE_DIR=" + modules.path()});
  ExpectStorageError(node, {"gossipmonger-node-rocksdb.so", expected});
}
#endif

}  // namespace gossipmonger::node_test
