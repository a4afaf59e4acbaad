#include "encryption_mode.h"

namespace gossipmonger::node {
namespace {

struct NamedMode {
  const char* name;
  Encryption mode;
};

constexpr NamedMode kModes[] = {{"off", Encryption::kOff},
                                {"accept", Encryption::kAccept},
                                {"send", Encryption::kSend},
                                {"require", Encryption::kRequire}};

}  // namespace

std::optional<Encryption> ParseEncryption(std::string_view name) {
  for (const NamedMode& named : kModes) {
    if (name == named.name) return named.mode;
  }
  return std::nullopt;
}

const char* EncryptionName(Encryption mode) {
  for (const NamedMode& named : kModes) {
    if (mode == named.mode) return named.name;
  }
  return "unknown";
}

bool SealsMessages(Encryption mode) {
  return mode == Encryption::kSend || mode == Encryption::kRequire;
}

}  // namespace gossipmonger::node
