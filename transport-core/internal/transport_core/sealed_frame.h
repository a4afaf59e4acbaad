// Sealing and opening one message with a key of a Keyring: the sealed frame
// of docs/SECURITY.md ("The sealed frame"), XChaCha20-Poly1305 from
// libsodium. Pure functions: no state, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gossipmonger/keyring.h"

namespace gossipmonger::transport_core {

// What every sealed frame carries inside its box, before the envelope
// (replay protection, docs/SECURITY.md "Replay protection").
struct SealHeader {
  std::uint64_t epoch = 0;       // the sender transport's start, µs since 1970
  std::uint64_t counter = 0;     // per sender transport, every frame
  std::uint64_t sent_at_ms = 0;  // wall time of sealing, ms since 1970
};

// The bytes a sealed frame adds to an envelope of `envelope_bytes`.
std::size_t SealOverhead(std::size_t envelope_bytes);
// The largest SealOverhead of any envelope up to `max_frame_bytes`: what
// MaxBodyBytes reserves.
std::size_t MaxSealOverhead(std::size_t max_frame_bytes);

// True when `bytes` starts as a sealed frame does (94 a2 67 73), i.e. is
// not a plaintext envelope.
bool LooksSealed(std::string_view bytes);

// Appends to `out` the sealed frame of `envelope` under `key` (id `id`),
// in cluster `cluster`, with a fresh random nonce.
void Seal(const SecretKey& key, const KeyId& id, std::string_view cluster,
          const SealHeader& header, std::string_view envelope, std::string& out);

enum class OpenOutcome {
  kOpened,
  kMalformed,    // not a sealed frame's layout (truncated, wrong lengths)
  kUnknownKey,   // well formed, but no key of the keyring has its id
  kUnauthentic,  // the box does not open: wrong key, tampered, other cluster
};

// Opens a sealed frame with the key of `keyring` its id names. On kOpened
// sets *header and *envelope; `*key_id` is set whenever the layout is well
// formed (for reports). Never throws, never crashes, whatever `frame` holds.
OpenOutcome Open(const Keyring& keyring, std::string_view cluster, std::string_view frame,
                 SealHeader* header, std::string* envelope, KeyId* key_id);

}  // namespace gossipmonger::transport_core
