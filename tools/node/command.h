// The stdin commands of gossipmonger-node, one a line:
//   set KEY VALUE   VALUE is the rest of the line after the one space that
//                   follows KEY, verbatim (spaces included; may be empty)
//   get PEER KEY
//   peers
//   stats           transport counters (for gossipmonger-bench)
//   quit
// Words are separated by spaces or tabs; an empty (or blank) line is no
// command at all.
#pragma once

#include <string>
#include <string_view>

namespace gossipmonger::node {

struct Command {
  enum class Kind { kNone, kSet, kGet, kPeers, kStats, kQuit, kError };
  Kind kind = Kind::kNone;
  std::string peer;   // kGet
  std::string key;    // kSet, kGet
  std::string value;  // kSet
  std::string error;  // kError: why the line is not a command
};

// `line` without its newline.
Command ParseCommand(std::string_view line);

}  // namespace gossipmonger::node
