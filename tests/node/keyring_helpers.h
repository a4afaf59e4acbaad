// What the node's encryption tests share: keys from the real program's
// `keygen`, keyring files written with a chosen mode, and reading the
// `keyring` and `stats` events.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "node/node_process.h"

namespace gossipmonger::node_test {

// A new key, as `gossipmonger-node keygen` prints it (without the newline).
std::string NewKey();

// Writes `json` to `path` and gives it `mode`.
void WriteKeyringFile(const std::string& path, const std::string& json,
                      mode_t mode = 0600);
// `{"keys": ["<key>", ...]}` (mode and primary left to the node).
std::string KeyringJson(const std::vector<std::string>& keys);
std::string ReadWholeFile(const std::string& path);
// The permission bits of `path`.
mode_t FileMode(const std::string& path);

// The key ids of a `keyring` event, primary first, and which is primary.
std::vector<std::string> KeyIds(const JsonValue& keyring);
std::string PrimaryId(const JsonValue& keyring);

// Sends `line` and returns the `keyring` event it answers with; fails the
// test on an `error` event instead.
JsonValue RequireKeyring(NodeProcess& node, const std::string& line);
// Sends `line` and returns the message of the `error` event it answers
// with; fails the test on a `keyring` event instead.
std::string RequireKeyringError(NodeProcess& node, const std::string& line);

// Asks `stats` until counter `name` is above zero; returns its last value
// (0 if it stayed 0 for kPatience).
std::uint64_t AwaitCounter(NodeProcess& node, const std::string& name);

}  // namespace gossipmonger::node_test
