// PLACEHOLDER (issue 15): the helper replaces this file.
#include "gossipmonger/keyring.h"

namespace gossipmonger {

namespace {
Status NotYet() { return Status::Error(StatusCode::kNotSupported, "keyring: not yet"); }
}  // namespace

Keyring::Keyring() = default;
Keyring::~Keyring() = default;
Status Keyring::ParseKey(std::string_view, SecretKey*) { return NotYet(); }
std::string Keyring::FormatKey(const SecretKey&) { return {}; }
SecretKey Keyring::GenerateKey() { return {}; }
KeyId Keyring::IdOf(const SecretKey&) { return {}; }
std::string Keyring::FormatId(const KeyId&) { return {}; }
Status Keyring::Install(const SecretKey&) { return NotYet(); }
Status Keyring::Use(std::string_view) { return NotYet(); }
Status Keyring::Remove(std::string_view) { return NotYet(); }
std::vector<KeyringEntry> Keyring::List() const { return {}; }
bool Keyring::empty() const { return slots_.empty(); }
std::optional<std::string> Keyring::primary_id() const { return std::nullopt; }
const SecretKey* Keyring::Primary(KeyId*) const { return nullptr; }
const SecretKey* Keyring::Find(const KeyId&) const { return nullptr; }

}  // namespace gossipmonger
