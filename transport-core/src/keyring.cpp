// Keyring: the keys, one primary (docs/SECURITY.md, "Keys"). libsodium does
// the base64, the randomness, the hash and the wiping.
#include "gossipmonger/keyring.h"

#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace gossipmonger {

namespace {

constexpr std::size_t kKeyBase64Chars = 44;  // 32 bytes, padded: 43 + "="
constexpr int kBase64Variant = sodium_base64_VARIANT_ORIGINAL;

// sodium_init is idempotent and thread-safe; every entry point that uses
// libsodium calls it, so static functions work before any Keyring exists.
void InitSodium() {
  if (sodium_init() < 0) {
    // No secure random source: sealing cannot be done safely at all.
    std::fputs("gossipmonger: libsodium cannot initialise\n", stderr);
    std::abort();
  }
}

Status Invalid(std::string message) {
  return Status::Error(StatusCode::kInvalidArgument, std::move(message));
}

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '+' || c == '/' || c == '=';
}

bool IsZero(const SecretKey& key) { return sodium_is_zero(key.data(), key.size()) == 1; }

// Why a 44-character string is not a key, for the message.
std::string WhyNotBase64(std::string_view base64) {
  for (std::size_t i = 0; i < base64.size(); ++i) {
    char c = base64[i];
    if (!IsBase64Char(c)) {
      std::string why = "key: character " + std::to_string(i + 1) +
                        " is not in the standard base64 alphabet";
      if (c == '-' || c == '_') why += " (url-safe base64 is not accepted)";
      return why;
    }
  }
  return "key: not standard base64 with padding (misplaced '=' or non-zero final bits)";
}

// "0123456789abcdef..." (16 hex digits, either case) into an id.
bool ParseId(std::string_view hex, KeyId* out) {
  if (hex.size() != 2 * out->size()) return false;
  std::size_t written = 0;
  const char* end = nullptr;
  return sodium_hex2bin(out->data(), out->size(), hex.data(), hex.size(), nullptr,
                        &written, &end) == 0 &&
         written == out->size() && end == hex.data() + hex.size();
}

}  // namespace

Keyring::Keyring() {
  InitSodium();
  // Never reallocates: a reallocation would leave copies of the keys in
  // freed memory that nothing wipes.
  slots_.reserve(kMaxKeys);
}

Keyring::~Keyring() { sodium_memzero(slots_.data(), slots_.size() * sizeof(Slot)); }

Status Keyring::ParseKey(std::string_view base64, SecretKey* out) {
  if (base64.size() != kKeyBase64Chars) {
    return Invalid("key: must be 44 characters of standard base64 (32 bytes), got " +
                   std::to_string(base64.size()));
  }
  SecretKey key;
  std::size_t written = 0;
  const char* end = nullptr;
  if (sodium_base642bin(key.data(), key.size(), base64.data(), base64.size(), nullptr,
                        &written, &end, kBase64Variant) != 0 ||
      written != key.size() || end != base64.data() + base64.size()) {
    sodium_memzero(key.data(), key.size());
    return Invalid(WhyNotBase64(base64));
  }
  if (IsZero(key)) return Invalid("key: all 32 bytes are zero");
  *out = key;
  sodium_memzero(key.data(), key.size());
  return Status::Ok();
}

std::string Keyring::FormatKey(const SecretKey& key) {
  char text[kKeyBase64Chars + 1];  // with the terminating NUL
  static_assert(sizeof(text) == sodium_base64_ENCODED_LEN(32, kBase64Variant));
  sodium_bin2base64(text, sizeof(text), key.data(), key.size(), kBase64Variant);
  std::string result(text, kKeyBase64Chars);
  sodium_memzero(text, sizeof(text));
  return result;
}

SecretKey Keyring::GenerateKey() {
  InitSodium();
  SecretKey key;
  do {
    randombytes_buf(key.data(), key.size());
  } while (IsZero(key));  // 2^-256: only so that a generated key always installs
  return key;
}

KeyId Keyring::IdOf(const SecretKey& key) {
  std::uint8_t hash[crypto_generichash_BYTES];  // 32: BLAKE2b-256
  static_assert(crypto_generichash_BYTES == 32);
  crypto_generichash(hash, sizeof(hash), key.data(), key.size(), nullptr, 0);
  KeyId id;
  std::copy_n(hash, id.size(), id.begin());
  return id;
}

std::string Keyring::FormatId(const KeyId& id) {
  char hex[2 * sizeof(KeyId) + 1];
  sodium_bin2hex(hex, sizeof(hex), id.data(), id.size());  // lowercase
  return std::string(hex, 2 * id.size());
}

Status Keyring::Install(const SecretKey& key) {
  if (IsZero(key)) return Invalid("key: all 32 bytes are zero");
  KeyId id = IdOf(key);
  for (const Slot& slot : slots_) {
    if (slot.id != id) continue;
    if (sodium_memcmp(slot.key.data(), key.data(), key.size()) == 0) return Status::Ok();
    // Two keys whose ids collide (2^-64 by chance): the id could not tell
    // them apart on the wire.
    return Invalid("key: another key of the keyring has the same id " + FormatId(id));
  }
  if (slots_.size() >= kMaxKeys) {
    return Status::Error(
        StatusCode::kLimitExceeded,
        "keyring: already holds " + std::to_string(kMaxKeys) + " keys; remove one first");
  }
  slots_.push_back(Slot{id, key});
  return Status::Ok();
}

Status Keyring::Use(std::string_view id) {
  KeyId wanted;
  if (!ParseId(id, &wanted)) return Invalid("key id: must be 16 hex digits");
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].id == wanted) {
      primary_ = i;
      return Status::Ok();
    }
  }
  return Invalid("keyring: no key with id " + FormatId(wanted));
}

Status Keyring::Remove(std::string_view id) {
  KeyId wanted;
  if (!ParseId(id, &wanted)) return Invalid("key id: must be 16 hex digits");
  auto it = std::find_if(slots_.begin(), slots_.end(),
                         [&](const Slot& slot) { return slot.id == wanted; });
  if (it == slots_.end()) return Invalid("keyring: no key with id " + FormatId(wanted));
  auto index = static_cast<std::size_t>(it - slots_.begin());
  if (index == primary_) {
    return Invalid("keyring: key " + FormatId(wanted) +
                   " is the primary; use another key first");
  }
  // Shift by assignment (no temporaries holding a key), then wipe the last
  // slot, which holds a copy, before it goes.
  for (std::size_t i = index; i + 1 < slots_.size(); ++i) slots_[i] = slots_[i + 1];
  sodium_memzero(&slots_.back(), sizeof(Slot));
  slots_.pop_back();
  if (index < primary_) --primary_;
  return Status::Ok();
}

std::vector<KeyringEntry> Keyring::List() const {
  std::vector<KeyringEntry> entries;
  if (slots_.empty()) return entries;
  entries.push_back(KeyringEntry{FormatId(slots_[primary_].id), true});
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (i != primary_) entries.push_back(KeyringEntry{FormatId(slots_[i].id), false});
  }
  return entries;
}

bool Keyring::empty() const { return slots_.empty(); }

std::optional<std::string> Keyring::primary_id() const {
  if (slots_.empty()) return std::nullopt;
  return FormatId(slots_[primary_].id);
}

const SecretKey* Keyring::Primary(KeyId* id) const {
  if (slots_.empty()) return nullptr;
  if (id != nullptr) *id = slots_[primary_].id;
  return &slots_[primary_].key;
}

const SecretKey* Keyring::Find(const KeyId& id) const {
  for (const Slot& slot : slots_) {
    if (slot.id == id) return &slot.key;
  }
  return nullptr;
}

}  // namespace gossipmonger
