// The names of the encryption modes (docs/SECURITY.md, "Modes") as the node
// program writes them: in --encryption, the `encryption` command, the
// keyring file and the `keyring` event.
#pragma once

#include <optional>
#include <string_view>

#include "gossipmonger/socket_transport.h"

namespace gossipmonger::node {

// "off", "accept", "send" or "require"; nullopt for anything else.
std::optional<Encryption> ParseEncryption(std::string_view name);
const char* EncryptionName(Encryption mode);
// kSend and kRequire seal with the primary key: they need one.
bool SealsMessages(Encryption mode);

inline constexpr char kEncryptionNames[] = "off, accept, send or require";

}  // namespace gossipmonger::node
