// Keyring: the keys a cluster's socket transports seal and open messages
// with (docs/SECURITY.md). One key is the primary, which seals; every key
// opens. A transport made with a keyring (SocketTransportOptions::keyring)
// reads it at every send and receive, so changes take effect at once.
//
//   auto keyring = std::make_shared<gossipmonger::Keyring>();
//   gossipmonger::SecretKey key;
//   gossipmonger::Status s = gossipmonger::Keyring::ParseKey(base64, &key);
//   if (s.ok()) s = keyring->Install(key);  // the first key becomes primary
//
// Threading: not thread-safe. Change it on the io_context's thread (where
// the transports read it) or while the io_context is not running.
// Errors: nothing throws (but std::bad_alloc); every change returns a Status
// and changes nothing when it is not ok.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gossipmonger/status.h"

namespace gossipmonger {

// A 256-bit key: 32 random bytes.
using SecretKey = std::array<std::uint8_t, 32>;
// The id a sealed frame carries in the clear: the first 8 bytes of
// BLAKE2b-256 of the key.
using KeyId = std::array<std::uint8_t, 8>;

struct KeyringEntry {
  std::string id;  // 16 lowercase hex digits
  bool primary = false;
};

class Keyring {
 public:
  static constexpr std::size_t kMaxKeys = 8;

  // Initialises libsodium (once per process).
  Keyring();
  // Wipes the keys.
  ~Keyring();
  Keyring(const Keyring&) = delete;
  Keyring& operator=(const Keyring&) = delete;

  // A key written as standard base64 with padding (44 characters). Refuses
  // (kInvalidArgument, saying why) any other length or alphabet and a key of
  // zero bytes only.
  static Status ParseKey(std::string_view base64, SecretKey* out);
  static std::string FormatKey(const SecretKey& key);
  // 32 bytes from the system's secure random source.
  static SecretKey GenerateKey();
  static KeyId IdOf(const SecretKey& key);
  static std::string FormatId(const KeyId& id);  // 16 lowercase hex digits

  // Adds `key`; the first key installed becomes the primary. Installing a
  // key already there is ok and changes nothing. kLimitExceeded beyond
  // kMaxKeys; kInvalidArgument for a key of zero bytes only.
  Status Install(const SecretKey& key);
  // Makes the key with this id (16 hex digits) the primary. kInvalidArgument
  // when no such key is installed.
  Status Use(std::string_view id);
  // Removes the key with this id. kInvalidArgument when no such key is
  // installed, or when it is the primary (use another key first).
  Status Remove(std::string_view id);

  // The keys, primary first, then in the order they were installed.
  std::vector<KeyringEntry> List() const;
  bool empty() const;
  // The primary's id; nullopt when empty.
  std::optional<std::string> primary_id() const;

  // --- for the transports ---------------------------------------------
  // The primary key and its id; nullptr when empty.
  const SecretKey* Primary(KeyId* id) const;
  // The key with this id; nullptr when none.
  const SecretKey* Find(const KeyId& id) const;

 private:
  struct Slot {
    KeyId id;
    SecretKey key;
  };
  std::vector<Slot> slots_;  // install order
  std::size_t primary_ = 0;  // index into slots_ when not empty
};

}  // namespace gossipmonger
