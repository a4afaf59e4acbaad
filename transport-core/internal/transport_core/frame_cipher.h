// FrameCipher: a socket transport's side of encryption (docs/SECURITY.md):
// the keyring and the mode, the epoch and counter it seals outgoing
// envelopes with, and the checks of incoming frames (the mode table,
// opening, the replay guard against the wall clock). SocketCore holds one
// and counts and reports what it refuses.
//
// Without a keyring it is inert: mode() is kOff, nothing is sealed or
// reserved, and a sealed frame is refused (sealed_refused).
//
// Ownership: shares the keyring with whoever changes it (read at every
// seal and open, so changes take effect at once). Threading: the
// io_context's thread only, like the keyring.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "gossipmonger/socket_transport.h"
#include "transport_core/replay_guard.h"
#include "transport_core/sealed_frame.h"

namespace gossipmonger::transport_core {

// Why a received frame was refused: one SocketTransportStats counter each.
enum class Refusal {
  kUnknownKey,
  kUnauthentic,
  kStale,
  kReplayed,
  kPlaintextRefused,
  kSealedRefused,
};
constexpr std::size_t kRefusalKinds = 6;

class FrameCipher {
 public:
  // The wall clock: seal times, the epoch and the freshness check.
  // Injectable so that tests can move it.
  using WallClock = std::function<std::chrono::system_clock::time_point()>;

  // What Unwrap made of a received frame.
  struct Unwrapped {
    enum class Kind {
      kPlaintext,  // accepted as it is: decode the frame itself
      kOpened,     // sealed and opened: decode `envelope`, then CheckFresh
      kMalformed,  // looks sealed but is not laid out as one: undecodable
      kRefused,    // dropped: see `refusal` and `detail`
    };
    Kind kind = Kind::kPlaintext;
    std::string envelope;  // kOpened
    SealHeader header;     // kOpened
    Refusal refusal = Refusal::kSealedRefused;
    std::string detail;  // kRefused: what is wrong, for the report
  };

  // The epoch is the wall time now, in µs.
  explicit FrameCipher(const SocketTransportOptions& options);
  ~FrameCipher();

  bool has_keyring() const { return keyring_ != nullptr; }
  // kOff without a keyring.
  Encryption mode() const { return keyring_ ? mode_ : Encryption::kOff; }
  // Ok when `mode` can be used now; else kInvalidArgument saying why (no
  // keyring; kSend / kRequire with no primary key).
  Status CheckUsable(Encryption mode) const;
  // CheckUsable, then switches at once.
  Status SetMode(Encryption mode);
  // True when outgoing envelopes are sealed (kSend, kRequire).
  bool seals() const;

  // What MaxBodyBytes gives up in a payload of `payload_bytes`: the largest
  // sealed-frame overhead with a keyring (whatever the mode, so that a
  // running cluster can turn encryption on), else 0.
  std::size_t Reserve(std::size_t payload_bytes) const;
  // The replay guard's table holds at most this many senders (2 x
  // Limits::max_peers). Starts the guard over: call before receiving.
  void SetMaxSenders(std::size_t max_senders);

  // Appends the sealed frame of `envelope` to `out` with the primary key,
  // the next counter and the wall time now. False (out unchanged) when the
  // keyring has no primary key.
  bool Seal(std::string_view cluster, std::string_view envelope, std::string& out);
  // Applies the mode table to `frame` and opens it when sealed.
  Unwrapped Unwrap(std::string_view cluster, std::string_view frame) const;
  // After the envelope of a kOpened frame is decoded: the replay check
  // for its sender. True (and remembered) when fresh; else sets *refusal
  // and *detail.
  bool CheckFresh(std::string_view sender, const SealHeader& header, Refusal* refusal,
                  std::string* detail);

  void set_wall_clock(WallClock clock) { wall_clock_ = std::move(clock); }

 private:
  std::uint64_t NowMs() const;

  const std::shared_ptr<Keyring> keyring_;
  Encryption mode_;
  const std::chrono::milliseconds replay_window_;
  WallClock wall_clock_;
  std::uint64_t epoch_us_ = 0;
  std::uint64_t counter_ = 0;  // the next frame's
  std::unique_ptr<ReplayGuard> replay_guard_;
};

// The option's spelling of a mode ("off", "accept", "send", "require").
const char* EncryptionName(Encryption mode);

}  // namespace gossipmonger::transport_core
