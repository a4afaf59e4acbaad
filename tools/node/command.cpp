#include "command.h"

#include <charconv>
#include <vector>

#include "encryption_mode.h"

namespace gossipmonger::node {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Cuts the next word off the front of `rest` (skipping leading blanks).
// Afterwards `rest` starts right after the word (at its separator, if any).
std::string_view NextWord(std::string_view& rest) {
  std::size_t start = 0;
  while (start < rest.size() && IsBlank(rest[start])) ++start;
  std::size_t end = start;
  while (end < rest.size() && !IsBlank(rest[end])) ++end;
  const std::string_view word = rest.substr(start, end - start);
  rest.remove_prefix(end);
  return word;
}

bool OnlyBlanks(std::string_view rest) {
  for (char c : rest) {
    if (!IsBlank(c)) return false;
  }
  return true;
}

Command Error(std::string message) {
  Command command;
  command.kind = Command::Kind::kError;
  command.error = std::move(message);
  return command;
}

Command ParseSet(std::string_view rest) {
  Command command;
  command.kind = Command::Kind::kSet;
  command.key = NextWord(rest);
  if (command.key.empty() || rest.empty()) return Error("usage: set KEY VALUE");
  command.value = rest.substr(1);  // after the single separator, verbatim
  return command;
}

// setex KEY TTL_MS VALUE: VALUE is what follows the one separator after
// TTL_MS, verbatim, as for set.
Command ParseSetWithTtl(std::string_view rest) {
  constexpr char kUsage[] = "usage: setex KEY TTL_MS VALUE (TTL_MS an integer >= 0)";
  Command command;
  command.kind = Command::Kind::kSetWithTtl;
  command.key = NextWord(rest);
  const std::string_view ttl = NextWord(rest);
  if (command.key.empty() || ttl.empty() || rest.empty()) return Error(kUsage);
  const auto [end, ec] =
      std::from_chars(ttl.data(), ttl.data() + ttl.size(), command.ttl_ms);
  if (ec != std::errc() || end != ttl.data() + ttl.size() || command.ttl_ms < 0) {
    return Error(kUsage);
  }
  command.value = rest.substr(1);
  return command;
}

Command ParseDelete(std::string_view rest) {
  Command command;
  command.kind = Command::Kind::kDelete;
  command.key = NextWord(rest);
  if (command.key.empty() || !OnlyBlanks(rest)) return Error("usage: del KEY");
  return command;
}

Command ParseGet(std::string_view rest) {
  Command command;
  command.kind = Command::Kind::kGet;
  command.peer = NextWord(rest);
  command.key = NextWord(rest);
  if (command.key.empty() || !OnlyBlanks(rest)) return Error("usage: get PEER KEY");
  return command;
}

// key install BASE64 | key use ID | key remove ID | key list. The key is
// never repeated in an error.
Command ParseKey(std::string_view rest) {
  constexpr char kUsage[] =
      "usage: key install BASE64 | key use ID | key remove ID | key list";
  Command command;
  const std::string_view action = NextWord(rest);
  if (action == "list") {
    command.kind = Command::Kind::kKeyList;
    return OnlyBlanks(rest) ? command : Error(kUsage);
  }
  command.kind = action == "install"  ? Command::Kind::kKeyInstall
                 : action == "use"    ? Command::Kind::kKeyUse
                 : action == "remove" ? Command::Kind::kKeyRemove
                                      : Command::Kind::kError;
  command.key_argument = NextWord(rest);
  if (command.kind == Command::Kind::kError || command.key_argument.empty() ||
      !OnlyBlanks(rest)) {
    return Error(kUsage);
  }
  return command;
}

Command ParseEncryptionCommand(std::string_view rest) {
  const std::string_view name = NextWord(rest);
  const auto mode = ParseEncryption(name);
  if (!mode || !OnlyBlanks(rest)) {
    return Error(std::string("usage: encryption MODE (MODE: ") + kEncryptionNames + ")");
  }
  Command command;
  command.kind = Command::Kind::kEncryption;
  command.encryption = *mode;
  return command;
}

}  // namespace

Command ParseCommand(std::string_view line) {
  std::string_view rest = line;
  const std::string_view verb = NextWord(rest);
  if (verb.empty()) return Command{};
  if (verb == "set") return ParseSet(rest);
  if (verb == "setex") return ParseSetWithTtl(rest);
  if (verb == "del") return ParseDelete(rest);
  if (verb == "get") return ParseGet(rest);
  if (verb == "key") return ParseKey(rest);
  if (verb == "encryption") return ParseEncryptionCommand(rest);
  if (verb == "peers" || verb == "stats" || verb == "quit" || verb == "leave") {
    if (!OnlyBlanks(rest)) return Error("usage: " + std::string(verb));
    Command command;
    command.kind = verb == "peers"   ? Command::Kind::kPeers
                   : verb == "stats" ? Command::Kind::kStats
                   : verb == "leave" ? Command::Kind::kLeave
                                     : Command::Kind::kQuit;
    return command;
  }
  return Error("unknown command '" + std::string(verb) +
               "' (commands: set KEY VALUE, setex KEY TTL_MS VALUE, del KEY, get PEER "
               "KEY, peers, stats, leave, quit, key install BASE64, key use ID, key "
               "remove ID, key list, encryption MODE)");
}

}  // namespace gossipmonger::node
