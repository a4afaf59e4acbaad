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
//   stats           transport counters (for gossipmonger-bench)
//   quit
// Words are separated by spaces or tabs; an empty (or blank) line is no
// command at all.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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
    kError
  };
  Kind kind = Kind::kNone;
  std::string peer;         // kGet
  std::string key;          // kSet, kSetWithTtl, kDelete, kGet
  std::string value;        // kSet, kSetWithTtl
  std::int64_t ttl_ms = 0;  // kSetWithTtl
  std::string error;        // kError: why the line is not a command
};

// `line` without its newline.
Command ParseCommand(std::string_view line);

}  // namespace gossipmonger::node
