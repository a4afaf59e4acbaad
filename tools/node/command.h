// The stdin commands of gossipmonger-node, one a line:
//   set KEY VALUE   VALUE is the rest of the line after the one space that
//                   follows KEY, verbatim (spaces included; may be empty)
//   setex KEY TTL_MS VALUE
//                   set with a time to live in milliseconds (an integer >= 0;
//                   0: no deadline); VALUE as for set, after TTL_MS
//   del KEY         delete a key of this node
//   leave           leave the cluster gracefully, then exit
//   get PEER KEY
//   peers
//   stats           transport counters (for gossipmonger-bench) and the
//                   receive path's (refused frames, docs/SECURITY.md)
//   quit
//   key install BASE64 | key use ID | key remove ID | key list
//   encryption off|accept|send|require
//                   the keyring and its mode (docs/SECURITY.md, "The node
//                   program")
// Words are separated by spaces or tabs; an empty (or blank) line is no
// command at all.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gossipmonger/socket_transport.h"

namespace gossipmonger::node {

struct Command {
  enum class Kind {
    kNone,
    kSet,
    kSetWithTtl,
    kDelete,
    kLeave,
    kGet,
    kPeers,
    kStats,
    kQuit,
    kKeyInstall,
    kKeyUse,
    kKeyRemove,
    kKeyList,
    kEncryption,
    kError
  };
  Kind kind = Kind::kNone;
  std::string peer;         // kGet
  std::string key;          // kSet, kSetWithTtl, kDelete, kGet
  std::string value;        // kSet, kSetWithTtl
  std::int64_t ttl_ms = 0;  // kSetWithTtl
  // kKeyInstall: the base64 key; kKeyUse, kKeyRemove: the key id.
  std::string key_argument;
  Encryption encryption = Encryption::kOff;  // kEncryption
  std::string error;                         // kError: why the line is not a command
};

// `line` without its newline.
Command ParseCommand(std::string_view line);

}  // namespace gossipmonger::node
