// One gossipmonger-node driven through stdin: commands, their answers,
// unknown commands, JSON escaping, and the ways it stops cleanly.
#include <catch2/catch.hpp>
#include <csignal>

#include "node/node_process.h"

namespace gossipmonger::node_test {
namespace {

std::vector<std::string> LoneNode(const std::string& id) {
  return {"--id", id, "--listen", "127.0.0.1:0", "--gossip-interval-ms", "100"};
}

}  // namespace

TEST_CASE("an unknown command is an error event and the node goes on") {
  NodeProcess node(LoneNode("solo"));
  REQUIRE(node.WaitForEvent("listening"));

  auto error = node.Request("frobnicate the widgets", "error");
  REQUIRE(error);
  CHECK(Str(*error, "message").find("frobnicate") != std::string::npos);
  error = node.Request("set onlykey", "error");  // a set without a value
  REQUIRE(error);
  CHECK(Str(*error, "message").find("set KEY VALUE") != std::string::npos);
  REQUIRE(node.Request("get solo", "error"));

  node.Send("set greeting hello,  spaced \"world\" ");
  auto value = node.Request("get solo greeting", "value");
  REQUIRE(value);
  CHECK(Bool(*value, "found") == true);
  CHECK(Str(*value, "peer") == "solo");
  CHECK(Str(*value, "key") == "greeting");
  CHECK(Str(*value, "value") == "hello,  spaced \"world\" ");  // verbatim
  CHECK(Uint(*value, "version") == 1u);

  value = node.Request("get solo missing", "value");
  REQUIRE(value);
  CHECK(Bool(*value, "found") == false);
  CHECK_FALSE(value->contains("value"));

  auto peers = node.Request("peers", "peers");
  REQUIRE(peers);
  REQUIRE(Array(*peers, "peers") != nullptr);
  CHECK(Array(*peers, "peers")->empty());  // alone; itself is not listed

  node.Send("quit");
  auto status = node.Wait();
  REQUIRE(status);
  CHECK(status->exited);
  CHECK(status->code == 0);
}

TEST_CASE("the node starts with the initial data of its --set flags") {
  std::vector<std::string> args = LoneNode("solo");
  args.insert(args.end(), {"--set", "color=blue", "--set", "empty=", "--set", "eq=a=b"});
  NodeProcess node(args);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"color", "blue"}, {"empty", ""}, {"eq", "a=b"}};
  for (const auto& [key, expected_value] : expected) {
    auto value = node.Request("get solo " + key, "value");
    REQUIRE(value);
    CHECK(Bool(*value, "found") == true);
    CHECK(Str(*value, "value") == expected_value);
    CHECK(Uint(*value, "version").has_value());
  }
  node.Send("quit");
  auto status = node.Wait();
  REQUIRE(status.has_value());
  CHECK(status->code == 0);
}

TEST_CASE("values are escaped as valid JSON, bytes that are not UTF-8 as u00XX escapes") {
  NodeProcess node(LoneNode("solo"));
  REQUIRE(node.WaitForEvent("listening"));
  // A quote, a backslash, a control character, valid UTF-8 (é, €) and two
  // bytes that are not UTF-8 (a lone 0xFF, a truncated 0xE2 0x82).
  const std::string value = "q\"b\\c\x01 \xC3\xA9\xE2\x82\xAC \xFF \xE2\x82";
  node.Send("set k " + value);
  auto answer = node.Request("get solo k", "value");  // Pump checked it parses
  REQUIRE(answer);
  // Decoded by a strict reader: \u00ff reads back as U+00FF (documented as
  // lossy), everything else as sent.
  CHECK(Str(*answer, "value") ==
        "q\"b\\c\x01 \xC3\xA9\xE2\x82\xAC \xC3\xBF \xC3\xA2\xC2\x82");
}

TEST_CASE("the node's escaping is byte-exact: \\u00XX for control and non-UTF-8 bytes") {
  // The bytes nlohmann-json's dump() would write differently (docs/node.md):
  // 0x08 and 0x0C, and a byte that is not UTF-8.
  NodeProcess node(LoneNode("solo"), /*json_stdout=*/false);
  node.Send("set k q\"b\\\x01\x08\x0c\t\xC3\xA9 \xFF");
  node.Send("get solo k");
  node.Send("quit");
  auto status = node.Wait();
  REQUIRE(status);
  CHECK(status->code == 0);
  INFO(node.raw_stdout());
  CHECK(node.raw_stdout().find(R"("value":"q\"b\\\u0001\u0008\u000c\t)"
                               "\xC3\xA9"
                               R"( \u00ff","version":1})") != std::string::npos);
}

TEST_CASE("the node stops cleanly at EOF on stdin and on SIGINT / SIGTERM") {
  SECTION("EOF") {
    NodeProcess node(LoneNode("solo"));
    REQUIRE(node.WaitForEvent("listening"));
    node.CloseStdin();
    auto status = node.Wait();
    REQUIRE(status);
    CHECK(status->exited);
    CHECK(status->code == 0);
  }
  SECTION("--no-stdin keeps running after EOF until SIGTERM") {
    auto args = LoneNode("daemon");
    args.push_back("--no-stdin");
    NodeProcess node(args);
    REQUIRE(node.WaitForEvent("listening"));
    node.CloseStdin();
    CHECK_FALSE(node.Wait(std::chrono::milliseconds(500)));  // still running
    node.Signal(SIGTERM);
    auto status = node.Wait();
    REQUIRE(status);
    CHECK(status->exited);
    CHECK(status->code == 0);
  }
  SECTION("SIGINT") {
    NodeProcess node(LoneNode("solo"));
    REQUIRE(node.WaitForEvent("listening"));
    node.Signal(SIGINT);
    auto status = node.Wait();
    REQUIRE(status);
    CHECK(status->exited);
    CHECK(status->code == 0);
  }
}

TEST_CASE("a seed that is not up is no reason to exit") {
  auto args = LoneNode("lonely");
  args.insert(args.end(), {"--seed", "ghost@127.0.0.1:1"});
  NodeProcess node(args);
  REQUIRE(node.WaitForEvent("listening"));
  REQUIRE(node.WaitForEvent("error"));  // cannot connect
  node.Send("set still alive");
  auto value = node.Request("get lonely still", "value");
  REQUIRE(value);
  CHECK(Str(*value, "value") == "alive");
}

TEST_CASE("malformed key and encryption commands are error events naming the usage") {
  NodeProcess node(LoneNode("solo"));
  REQUIRE(node.WaitForEvent("listening"));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"key", "usage: key install BASE64"},
      {"key frob", "usage: key install BASE64"},
      {"key install", "usage: key install BASE64"},
      {"key install a b", "usage: key install BASE64"},
      {"key use", "usage: key install BASE64"},
      {"key remove", "usage: key install BASE64"},
      {"key list all", "usage: key install BASE64"},
      {"encryption", "usage: encryption MODE"},
      {"encryption maybe", "usage: encryption MODE"},
      {"encryption off on", "usage: encryption MODE"},
      // Without a key nothing can be sealed.
      {"encryption send", "install a key first"},
      {"encryption require", "install a key first"},
  };
  for (const auto& [line, message] : cases) {
    INFO(line);
    auto error = node.Request(line, "error");
    REQUIRE(error);
    CHECK(Str(*error, "message").find(message) != std::string::npos);
  }
  // A lone node without --keyring: an empty keyring, plaintext.
  auto keyring = node.Request("key list", "keyring");
  REQUIRE(keyring);
  CHECK(Str(*keyring, "encryption") == "off");
  REQUIRE(Array(*keyring, "keys") != nullptr);
  CHECK(Array(*keyring, "keys")->empty());
  keyring = node.Request("encryption accept", "keyring");
  REQUIRE(keyring);
  CHECK(Str(*keyring, "encryption") == "accept");
}

TEST_CASE("stats reports the receive path's refusals") {
  NodeProcess node(LoneNode("solo"));
  auto stats = node.Request("stats", "stats");
  REQUIRE(stats);
  for (const char* counter : {"messages_sent", "messages_received", "decode_errors",
                              "foreign_cluster", "unknown_key", "unauthentic", "stale",
                              "replayed", "plaintext_refused", "sealed_refused"}) {
    INFO(counter);
    CHECK(Uint(*stats, counter) == 0u);
  }
}

}  // namespace gossipmonger::node_test
