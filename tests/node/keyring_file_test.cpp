// gossipmonger-node's keyring file (--keyring, docs/SECURITY.md "The node
// program"): refused at start when others may read it or it is malformed,
// written atomically (mode 0600, nothing left beside it) at every change,
// never with a refused key, and read back after a restart.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "node/cluster.h"
#include "node/keyring_helpers.h"

namespace gossipmonger::node_test {
namespace {

std::vector<std::string> KeyringNode(const std::string& keyring,
                                     std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--id",        "solo",      "--listen",
                                   "127.0.0.1:0", "--cluster", UniqueClusterName(),
                                   "--keyring",   keyring};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// The node exits 1 with one line on stderr naming --keyring and `part`,
// and never prints `secret`.
void ExpectRefused(const std::string& keyring, const std::string& part,
                   const std::string& secret) {
  NodeProcess node(KeyringNode(keyring));
  auto status = node.Wait();
  REQUIRE(status);
  CHECK(status->exited);
  CHECK(status->code == 1);
  CHECK(node.events().empty());
  const std::string error = node.Stderr();
  INFO("stderr: " << error);
  CHECK(error.find("--keyring") != std::string::npos);
  CHECK(error.find(part) != std::string::npos);
  CHECK(error.find('\n') == error.size() - 1);
  if (!secret.empty()) CHECK(error.find(secret) == std::string::npos);
}

std::vector<std::string> FilesIn(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

}  // namespace

TEST_CASE("a keyring file that group or others may access is refused") {
  TempDir dir;
  const std::string key = NewKey();
  const std::string path = dir.path() + "/keyring.json";
  for (mode_t mode : {0640, 0604, 0620, 0602, 0660, 0644, 0700 | 0001}) {
    INFO("mode " << std::oct << mode);
    WriteKeyringFile(path, KeyringJson({key}), mode);
    ExpectRefused(path, "0600", key);
  }
  // Stricter than 0600 is fine.
  WriteKeyringFile(path, KeyringJson({key}), 0400);
  NodeProcess node(KeyringNode(path));
  const JsonValue keyring = RequireKeyring(node, "key list");
  CHECK(KeyIds(keyring).size() == 1u);
  CHECK(Str(keyring, "encryption") == "require");  // a key and no mode: require
}

TEST_CASE("a malformed keyring file or an invalid key in it is refused") {
  TempDir dir;
  const std::string key = NewKey();
  const std::string path = dir.path() + "/keyring.json";
  std::string nine_keys = "{\"keys\": [";
  for (int i = 0; i < 9; ++i) nine_keys += (i ? ",\"" : "\"") + NewKey() + "\"";
  nine_keys += "]}";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json at all " + key, "not a JSON object"},
      {"[\"" + key + "\"]", "not a JSON object"},
      {"{\"keys\": \"" + key + "\"}", "\"keys\""},
      {"{\"keys\": [\"" + key.substr(0, 40) + "\"]}", "keys[0]"},
      {"{\"keys\": [\"" + key + "\", 7]}", "keys[1]"},
      {"{\"keys\": [\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"]}", "keys[0]"},
      {"{\"keys\": [\"" + key + "\"], \"primary\": \"0011223344556677\"}", "primary"},
      {"{\"keys\": [\"" + key + "\"], \"primary\": 3}", "primary"},
      {"{\"keys\": [\"" + key + "\"], \"encryption\": \"sometimes\"}", "encryption"},
      {"{\"key\": [\"" + key + "\"]}", "unknown member \"key\""},
      {nine_keys, "more than 8 keys"},
  };
  for (const auto& [json, part] : cases) {
    INFO(json);
    WriteKeyringFile(path, json);
    ExpectRefused(path, part, key.substr(0, 40));
  }
}

TEST_CASE(
    "a missing keyring file is an empty keyring, written 0600 at the first change") {
  TempDir dir;
  const std::string path = dir.path() + "/keyring.json";
  const std::string key = NewKey();
  NodeProcess node(KeyringNode(path));
  JsonValue keyring = RequireKeyring(node, "key list");
  CHECK(Str(keyring, "encryption") == "off");
  CHECK(KeyIds(keyring).empty());
  CHECK_FALSE(std::filesystem::exists(path));  // a list changes nothing

  keyring = RequireKeyring(node, "key install " + key);
  REQUIRE(KeyIds(keyring).size() == 1u);
  const std::string id = KeyIds(keyring)[0];
  CHECK(id.size() == 16u);
  CHECK(PrimaryId(keyring) == id);
  CHECK(keyring.dump().find(key) == std::string::npos);  // never printed back
  CHECK(FileMode(path) == 0600);
  CHECK(FilesIn(dir.path()) == std::vector<std::string>{"keyring.json"});
  const JsonValue file = JsonValue::parse(ReadWholeFile(path));
  CHECK(file.at("keys") == JsonValue::array({key}));
  CHECK(file.at("primary") == id);
  CHECK(file.at("encryption") == "off");

  keyring = RequireKeyring(node, "encryption require");
  CHECK(Str(keyring, "encryption") == "require");
  CHECK(JsonValue::parse(ReadWholeFile(path)).at("encryption") == "require");
  CHECK(FileMode(path) == 0600);
  CHECK(FilesIn(dir.path()) == std::vector<std::string>{"keyring.json"});
}

TEST_CASE("a refused key command changes neither the keyring nor its file") {
  TempDir dir;
  const std::string path = dir.path() + "/keyring.json";
  const std::string first = NewKey();
  const std::string second = NewKey();
  WriteKeyringFile(path, KeyringJson({first}));
  NodeProcess node(KeyringNode(path));
  const JsonValue before = RequireKeyring(node, "key list");
  const std::string first_id = PrimaryId(before);
  const std::string written = ReadWholeFile(path);

  const std::vector<std::string> refused = {
      "key install " + first.substr(0, 43),                        // too short
      "key install " + first.substr(0, 43) + "!",                  // not base64
      "key install AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  // all zero
      "key use 0011223344556677",                                  // no such key
      "key remove " + first_id,                                    // the primary
      "encryption off now",                                        // usage
  };
  for (const std::string& line : refused) {
    const std::string message = RequireKeyringError(node, line);
    INFO(line << " -> " << message);
    CHECK(message.find(first.substr(0, 40)) == std::string::npos);
    CHECK(ReadWholeFile(path) == written);  // untouched, not even rewritten
  }
  CHECK(KeyIds(RequireKeyring(node, "key list")) == KeyIds(before));

  // A second key, used then removed: each change is in the file at once.
  JsonValue keyring = RequireKeyring(node, "key install " + second);
  REQUIRE(KeyIds(keyring).size() == 2u);
  const std::string second_id = KeyIds(keyring)[1];
  CHECK(PrimaryId(keyring) == first_id);
  CHECK(PrimaryId(RequireKeyring(node, "key use " + second_id)) == second_id);
  CHECK(JsonValue::parse(ReadWholeFile(path)).at("primary") == second_id);
  keyring = RequireKeyring(node, "key remove " + first_id);
  CHECK(KeyIds(keyring) == std::vector<std::string>{second_id});
  CHECK(JsonValue::parse(ReadWholeFile(path)).at("keys") == JsonValue::array({second}));
}

TEST_CASE("a change that cannot be written is undone and answered with an error") {
  TempDir dir;
  const std::string sub = dir.path() + "/gone";
  std::filesystem::create_directory(sub);
  const std::string path = sub + "/keyring.json";
  NodeProcess node(KeyringNode(path));
  REQUIRE(KeyIds(RequireKeyring(node, "key list")).empty());
  std::filesystem::remove(sub);  // the temporary file has nowhere to go

  const std::string message = RequireKeyringError(node, "key install " + NewKey());
  CHECK(message.find("keyring not changed") != std::string::npos);
  const JsonValue keyring = RequireKeyring(node, "key list");
  CHECK(KeyIds(keyring).empty());
  CHECK(Str(keyring, "encryption") == "off");
}

TEST_CASE(
    "a restarted node reads back its keys, primary and mode; --encryption overrides") {
  TempDir dir;
  const std::string path = dir.path() + "/keyring.json";
  const std::string first = NewKey();
  const std::string second = NewKey();
  std::string second_id;
  {
    NodeProcess node(KeyringNode(path));
    RequireKeyring(node, "key install " + first);
    second_id = KeyIds(RequireKeyring(node, "key install " + second))[1];
    RequireKeyring(node, "key use " + second_id);
    RequireKeyring(node, "encryption accept");
  }
  {
    NodeProcess node(KeyringNode(path));
    const JsonValue keyring = RequireKeyring(node, "key list");
    CHECK(KeyIds(keyring).size() == 2u);
    CHECK(PrimaryId(keyring) == second_id);
    CHECK(Str(keyring, "encryption") == "accept");
  }
  NodeProcess node(KeyringNode(path, {"--encryption", "send"}));
  const JsonValue keyring = RequireKeyring(node, "key list");
  CHECK(Str(keyring, "encryption") == "send");
  CHECK(PrimaryId(keyring) == second_id);
  // The override is not written until something changes.
  CHECK(JsonValue::parse(ReadWholeFile(path)).at("encryption") == "accept");
}

}  // namespace gossipmonger::node_test
