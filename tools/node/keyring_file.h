// The node's keyring file (docs/SECURITY.md, "The node program"), JSON read
// and written with nlohmann-json:
//
//   {"encryption": "require", "keys": ["<base64>", ...], "primary": "<id>"}
//
// Every member is optional (no keys: an empty keyring; no primary: the
// first key; no encryption: the node's default), any other member is
// refused, so that a misspelt one is not silently ignored. The file must be
// mode 0600 or stricter (private_file.h). Written: all three members, the
// keys primary first (Keyring::List's order).
//
// Costs: nlohmann-json's parser and serializer add about 0.1 MiB of code
// to the node, touched only when a keyring file is read or written; the
// node stays under its 6 MiB (docs/real-processes.md, "Memory of one node").
#pragma once

#include <optional>
#include <string>

#include "gossipmonger/keyring.h"
#include "gossipmonger/socket_transport.h"
#include "gossipmonger/status.h"

namespace gossipmonger::node {

// Installs the keys of the file at `path` into `keyring` (empty) and makes
// the file's primary the primary; `encryption` gets the file's mode. A
// missing file is ok: nothing installed, `encryption` nullopt. Refuses,
// with a message naming the file and what is wrong (never a key): a file
// group or others may access, not JSON, a member of the wrong type or
// unknown, an invalid key (Keyring::ParseKey), more than Keyring::kMaxKeys
// keys, a primary that is not one of the keys. The keyring is then
// unspecified (the node does not start).
Status LoadKeyringFile(const std::string& path, Keyring* keyring,
                       std::optional<Encryption>* encryption);

// Replaces the file at `path` with `keyring` and `encryption`, all or
// nothing (ReplacePrivateFile: a temporary file 0600, synced, renamed).
Status SaveKeyringFile(const std::string& path, const Keyring& keyring,
                       Encryption encryption);

// Installs every key of `from` into `to` (empty), with the same primary.
Status CopyKeyring(const Keyring& from, Keyring* to);

}  // namespace gossipmonger::node
