// Status: the error value every fallible call returns and the `error` event
// carries. Modelled on LevelDB's Status: cheap when ok, a code plus a message
// otherwise.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace gossipmonger {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // a caller passed something the API does not accept
  kLimitExceeded,    // a documented size or count limit was hit
  kProtocolError,    // a remote peer sent something malformed or inconsistent
  kCorruption,       // stored data is damaged or of a foreign format
  kIOError,          // the operating system refused a read or a write
  kBusy,             // a resource (a database file) is held by someone else
  kNotSupported,     // e.g. a newer on-disk schema than this build knows
  kUnavailable,      // a remote peer cannot be reached right now
  // The node was stopped: the call was refused and nothing was queued.
  // Distinct from kUnavailable, which the error event also carries (a peer
  // out of reach, a late local timer), so a caller can tell "try again" from
  // "this node is gone".
  kStopped,
  // A message refused by encryption: not sealed with a key of the keyring,
  // tampered, stale, replayed, or plaintext where encryption is required
  // (docs/SECURITY.md).
  kUnauthenticated,
};

class Status {
 public:
  Status() = default;  // ok

  static Status Ok() { return Status(); }
  static Status Error(StatusCode code, std::string message) {
    return Status(code, std::move(message));
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "InvalidArgument: key is empty"; "OK" when ok.
  std::string ToString() const;

 private:
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

std::string_view StatusCodeName(StatusCode code);

}  // namespace gossipmonger
