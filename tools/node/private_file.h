// Reading and replacing a small file that holds secrets (the node's keyring
// file, docs/SECURITY.md "The node program"): only its owner may read or
// write it, and a replacement is all or nothing.
#pragma once

#include <cstddef>
#include <string>

#include "gossipmonger/status.h"

namespace gossipmonger::node {

// The most a private file may hold: a keyring file of Keyring::kMaxKeys
// keys takes well under 1 KiB; anything this large is not one.
inline constexpr std::size_t kMaxPrivateFileBytes = 64 * 1024;

// Reads `path` into `text`. A missing file is ok, with `exists` false and
// `text` empty. kInvalidArgument when it is not a regular file, when group
// or others have any permission on it (mode must be 0600 or stricter), or
// when it is larger than kMaxPrivateFileBytes; kIOError when it cannot be
// read. The checks are made on the open file, not on the path.
Status ReadPrivateFile(const std::string& path, std::string* text, bool* exists);

// Replaces `path` with `text` so that a crash leaves the old or the new
// content, never a mix: writes a temporary file (mode 0600) in the same
// directory, syncs it, renames it over `path`, then syncs the directory.
// kIOError saying which step failed; the temporary file is removed then,
// and `path` is unchanged.
Status ReplacePrivateFile(const std::string& path, const std::string& text);

}  // namespace gossipmonger::node
