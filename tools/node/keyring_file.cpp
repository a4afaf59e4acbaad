#include "keyring_file.h"

#include <string.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "encryption_mode.h"
#include "private_file.h"

namespace gossipmonger::node {
namespace {

using Json = nlohmann::json;

Status Malformed(const std::string& path, const std::string& what) {
  return Status::Error(StatusCode::kInvalidArgument, path + ": " + what);
}

// Wipes a string that held keys (base64 in the file's text) when it goes.
struct WipedString {
  std::string text;
  ~WipedString() { ::explicit_bzero(text.data(), text.size()); }
};

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The key whose id (Keyring::FormatId's 16 hex digits) is `hex`; nullptr
// when none.
const SecretKey* FindById(const Keyring& keyring, const std::string& hex) {
  KeyId id{};
  if (hex.size() != 2 * id.size()) return nullptr;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const int high = HexDigit(hex[2 * i]);
    const int low = HexDigit(hex[2 * i + 1]);
    if (high < 0 || low < 0) return nullptr;
    id[i] = static_cast<std::uint8_t>(high * 16 + low);
  }
  return keyring.Find(id);
}

// Wipes the base64 keys nlohmann-json holds in a parsed or built file
// (its strings are freed without being cleared).
void WipeKeys(Json& file) {
  const auto keys = file.find("keys");
  if (keys == file.end() || !keys->is_array()) return;
  for (Json& key : *keys) {
    if (!key.is_string()) continue;
    auto& base64 = key.get_ref<std::string&>();
    ::explicit_bzero(base64.data(), base64.size());
  }
}

Status LoadKeys(const std::string& path, const Json& keys, Keyring* keyring) {
  if (!keys.is_array()) return Malformed(path, "\"keys\" must be an array of strings");
  if (keys.size() > Keyring::kMaxKeys) {
    return Malformed(path, "more than " + std::to_string(Keyring::kMaxKeys) + " keys");
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::string where = "keys[" + std::to_string(i) + "]: ";
    if (!keys[i].is_string()) return Malformed(path, where + "not a string");
    SecretKey key{};
    Status s = Keyring::ParseKey(keys[i].get_ref<const std::string&>(), &key);
    if (s.ok()) s = keyring->Install(key);
    ::explicit_bzero(key.data(), key.size());
    if (!s.ok()) return Malformed(path, where + s.message());
  }
  return Status::Ok();
}

Status LoadMember(const std::string& path, const std::string& name, const Json& value,
                  Keyring* keyring, std::optional<Encryption>* encryption) {
  if (name == "keys") return LoadKeys(path, value, keyring);
  if (name == "encryption") {
    if (value.is_string())
      *encryption = ParseEncryption(value.get_ref<const std::string&>());
    if (!*encryption) {
      return Malformed(path, std::string("\"encryption\" must be ") + kEncryptionNames);
    }
    return Status::Ok();
  }
  if (name == "primary") return Status::Ok();  // after the keys
  return Malformed(
      path, "unknown member \"" + name + "\" (expected encryption, keys, primary)");
}

// The members of a parsed file: keys and mode, then the primary among the
// keys.
Status LoadMembers(const std::string& path, const Json& file, Keyring* keyring,
                   std::optional<Encryption>* encryption) {
  for (const auto& [name, value] : file.items()) {
    if (Status s = LoadMember(path, name, value, keyring, encryption); !s.ok()) return s;
  }
  if (const auto primary = file.find("primary"); primary != file.end()) {
    if (!primary->is_string()) return Malformed(path, "\"primary\" must be a key id");
    if (Status s = keyring->Use(primary->get_ref<const std::string&>()); !s.ok()) {
      return Malformed(path, "\"primary\": " + s.message());
    }
  }
  return Status::Ok();
}

}  // namespace

Status LoadKeyringFile(const std::string& path, Keyring* keyring,
                       std::optional<Encryption>* encryption) {
  encryption->reset();
  WipedString text;
  bool exists = false;
  if (Status s = ReadPrivateFile(path, &text.text, &exists); !s.ok() || !exists) return s;
  Json file = Json::parse(text.text, nullptr, /*allow_exceptions=*/false);
  if (file.is_discarded() || !file.is_object()) {
    return Malformed(path,
                     "not a JSON object (expected {\"encryption\": ..., "
                     "\"keys\": [...], \"primary\": ...})");
  }
  Status s = LoadMembers(path, file, keyring, encryption);
  WipeKeys(file);
  return s;
}

Status SaveKeyringFile(const std::string& path, const Keyring& keyring,
                       Encryption encryption) {
  Json keys = Json::array();
  for (const KeyringEntry& entry : keyring.List()) {
    if (const SecretKey* key = FindById(keyring, entry.id)) {
      keys.push_back(Keyring::FormatKey(*key));
    }
  }
  Json file = {{"encryption", EncryptionName(encryption)}, {"keys", std::move(keys)}};
  if (auto primary = keyring.primary_id()) file["primary"] = *primary;
  WipedString text{file.dump(2) + "\n"};
  WipeKeys(file);
  return ReplacePrivateFile(path, text.text);
}

Status CopyKeyring(const Keyring& from, Keyring* to) {
  for (const KeyringEntry& entry : from.List()) {
    const SecretKey* key = FindById(from, entry.id);
    if (key == nullptr) {
      return Status::Error(StatusCode::kInvalidArgument, "no key with id " + entry.id);
    }
    if (Status s = to->Install(*key); !s.ok()) return s;
  }
  // List() gives the primary first, and the first key installed is the
  // primary: `to` has the same one.
  return Status::Ok();
}

}  // namespace gossipmonger::node
