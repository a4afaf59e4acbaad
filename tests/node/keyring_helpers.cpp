#include "node/keyring_helpers.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <thread>

namespace gossipmonger::node_test {
namespace {

// Sends `line`; the first `keyring` or `error` event after it.
JsonValue KeyringAnswer(NodeProcess& node, const std::string& line) {
  const std::size_t from = node.events().size();
  node.Send(line);
  auto answer = node.WaitFor(
      [](const JsonValue& e) {
        return Str(e, "event") == "keyring" || Str(e, "event") == "error";
      },
      from);
  INFO(line);
  REQUIRE(answer);
  return *answer;
}

}  // namespace

std::string NewKey() {
  NodeProcess keygen({"keygen"}, /*json_stdout=*/false);
  auto status = keygen.Wait();
  REQUIRE(status);
  REQUIRE(status->exited);
  REQUIRE(status->code == 0);
  std::string key = keygen.raw_stdout();
  REQUIRE(key.size() == 45);  // 44 base64 characters and a newline
  REQUIRE(key.back() == '\n');
  key.pop_back();
  return key;
}

void WriteKeyringFile(const std::string& path, const std::string& json, mode_t mode) {
  std::ofstream(path) << json;
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

std::string KeyringJson(const std::vector<std::string>& keys) {
  std::string json = "{\"keys\": [";
  for (std::size_t i = 0; i < keys.size(); ++i) {
    json += (i > 0 ? ", \"" : "\"") + keys[i] + "\"";
  }
  return json + "]}\n";
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

mode_t FileMode(const std::string& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

std::vector<std::string> KeyIds(const JsonValue& keyring) {
  std::vector<std::string> ids;
  const JsonValue* keys = Array(keyring, "keys");
  REQUIRE(keys != nullptr);
  for (const JsonValue& key : *keys) ids.push_back(Str(key, "id"));
  return ids;
}

std::string PrimaryId(const JsonValue& keyring) {
  const JsonValue* keys = Array(keyring, "keys");
  REQUIRE(keys != nullptr);
  for (const JsonValue& key : *keys) {
    if (Bool(key, "primary") == true) return Str(key, "id");
  }
  return "";
}

JsonValue RequireKeyring(NodeProcess& node, const std::string& line) {
  const JsonValue answer = KeyringAnswer(node, line);
  INFO(line << " -> " << answer.dump());
  REQUIRE(Str(answer, "event") == "keyring");
  return answer;
}

std::string RequireKeyringError(NodeProcess& node, const std::string& line) {
  const JsonValue answer = KeyringAnswer(node, line);
  INFO(line << " -> " << answer.dump());
  REQUIRE(Str(answer, "event") == "error");
  return Str(answer, "message");
}

std::uint64_t AwaitCounter(NodeProcess& node, const std::string& name) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  std::uint64_t value = 0;
  while (value == 0 && std::chrono::steady_clock::now() < deadline) {
    auto stats = node.Request("stats", "stats");
    REQUIRE(stats);
    value = Uint(*stats, name.c_str()).value_or(0);
    if (value == 0) std::this_thread::sleep_for(100ms);
  }
  return value;
}

}  // namespace gossipmonger::node_test
