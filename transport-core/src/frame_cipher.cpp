#include "transport_core/frame_cipher.h"

#include <utility>

namespace gossipmonger::transport_core {

namespace {

using Unwrapped = FrameCipher::Unwrapped;

Unwrapped Refused(Refusal refusal, std::string detail) {
  Unwrapped result;
  result.kind = Unwrapped::Kind::kRefused;
  result.refusal = refusal;
  result.detail = std::move(detail);
  return result;
}

// "stale: sent 40000 ms ago" or "stale: from the future (sent 40000 ms ahead)".
std::string StaleDetail(std::uint64_t sent_at_ms, std::uint64_t now_ms) {
  if (sent_at_ms > now_ms) {
    return "stale: from the future (sent " + std::to_string(sent_at_ms - now_ms) +
           " ms ahead of this node's clock)";
  }
  return "stale: sent " + std::to_string(now_ms - sent_at_ms) + " ms ago";
}

}  // namespace

const char* EncryptionName(Encryption mode) {
  switch (mode) {
    case Encryption::kOff:
      return "off";
    case Encryption::kAccept:
      return "accept";
    case Encryption::kSend:
      return "send";
    case Encryption::kRequire:
      return "require";
  }
  return "?";
}

FrameCipher::FrameCipher(const SocketTransportOptions& options)
    : keyring_(options.keyring),
      mode_(options.encryption),
      replay_window_(options.replay_window),
      wall_clock_([] { return std::chrono::system_clock::now(); }) {
  epoch_us_ =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                     wall_clock_().time_since_epoch())
                                     .count());
  SetMaxSenders(2 * Limits{}.max_peers);
}

FrameCipher::~FrameCipher() = default;

Status FrameCipher::CheckUsable(Encryption mode) const {
  if (!keyring_) {
    return Status::Error(StatusCode::kInvalidArgument,
                         std::string("encryption '") + EncryptionName(mode) +
                             "' refused: the transport has no keyring (it is "
                             "plaintext for its whole life)");
  }
  if ((mode == Encryption::kSend || mode == Encryption::kRequire) &&
      keyring_->primary_id() == std::nullopt) {
    return Status::Error(StatusCode::kInvalidArgument,
                         std::string("encryption '") + EncryptionName(mode) +
                             "' refused: it seals with the primary key, and the "
                             "keyring is empty");
  }
  return Status::Ok();
}

Status FrameCipher::SetMode(Encryption mode) {
  Status s = CheckUsable(mode);
  if (s.ok()) mode_ = mode;
  return s;
}

bool FrameCipher::seals() const {
  const Encryption m = mode();
  return m == Encryption::kSend || m == Encryption::kRequire;
}

std::size_t FrameCipher::Reserve(std::size_t payload_bytes) const {
  return keyring_ ? MaxSealOverhead(payload_bytes) : 0;
}

void FrameCipher::SetMaxSenders(std::size_t max_senders) {
  if (keyring_)
    replay_guard_ = std::make_unique<ReplayGuard>(replay_window_, max_senders);
}

std::uint64_t FrameCipher::NowMs() const {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        wall_clock_().time_since_epoch())
                                        .count());
}

bool FrameCipher::Seal(std::string_view cluster, std::string_view envelope,
                       std::string& out) {
  KeyId id;
  const SecretKey* key = keyring_ ? keyring_->Primary(&id) : nullptr;
  if (key == nullptr) return false;
  const SealHeader header{epoch_us_, counter_++, NowMs()};
  transport_core::Seal(*key, id, cluster, header, envelope, out);
  return true;
}

Unwrapped FrameCipher::Unwrap(std::string_view cluster, std::string_view frame) const {
  const bool sealed = LooksSealed(frame);
  const Encryption m = mode();
  if (!sealed) {
    if (m == Encryption::kRequire)
      return Refused(Refusal::kPlaintextRefused,
                     "plaintext refused: encryption required");
    return Unwrapped{};
  }
  if (m == Encryption::kOff) {
    return Refused(Refusal::kSealedRefused,
                   keyring_ ? "sealed frame refused: encryption is off"
                            : "sealed frame refused: encryption is off (no keyring)");
  }
  Unwrapped result;
  KeyId id{};
  switch (Open(*keyring_, cluster, frame, &result.header, &result.envelope, &id)) {
    case OpenOutcome::kOpened:
      result.kind = Unwrapped::Kind::kOpened;
      return result;
    case OpenOutcome::kMalformed:
      result.kind = Unwrapped::Kind::kMalformed;
      return result;
    case OpenOutcome::kUnknownKey:
      return Refused(Refusal::kUnknownKey, "unknown key id " + Keyring::FormatId(id));
    case OpenOutcome::kUnauthentic:
      break;
  }
  return Refused(Refusal::kUnauthentic, "sealed with key id " + Keyring::FormatId(id) +
                                            ": does not open (bad tag)");
}

bool FrameCipher::CheckFresh(std::string_view sender, const SealHeader& header,
                             Refusal* refusal, std::string* detail) {
  const std::uint64_t now_ms = NowMs();
  switch (replay_guard_->Check(sender, header, now_ms)) {
    case ReplayGuard::Verdict::kFresh:
      return true;
    case ReplayGuard::Verdict::kStale:
      *refusal = Refusal::kStale;
      *detail = StaleDetail(header.sent_at_ms, now_ms);
      return false;
    case ReplayGuard::Verdict::kReplayed:
      break;
  }
  *refusal = Refusal::kReplayed;
  *detail = "replay";
  return false;
}

}  // namespace gossipmonger::transport_core
