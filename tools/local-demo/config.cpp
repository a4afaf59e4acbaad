#include "config.h"

#include <stdexcept>

namespace gossipmonger::demo {

const char kUsage[] =
    "usage: gossipmonger-local-demo [options]\n"
    "A cluster of in-process nodes on loopback; each sets a random key every\n"
    "two gossip intervals. On a terminal, a live table of what every node\n"
    "knows of every other; otherwise (or with --plain) an event log.\n"
    "  --nodes N             cluster size, 2..20 (default 5)\n"
    "  --transport KIND      tcp (default), udp or memory\n"
    "  --storage SPEC        memory (default), sqlite:DIR or rocksdb:DIR;\n"
    "                        a second run on DIR resumes every node\n"
    "  --base-port P         node i listens on 127.0.0.1:P+i (default 9741);\n"
    "                        0 picks free ports\n"
    "  --interval-ms MS      gossip interval (default 1000)\n"
    "  --duration SECONDS    stop after this long (default: at Ctrl-C)\n"
    "  --plain               event log even on a terminal\n"
    "  --seed S              random keys and values (default: random)\n";

namespace {

bool ParseStorage(const std::string& value, StorageSpec* out) {
  if (value == "memory") {
    *out = StorageSpec{};
    return true;
  }
  const auto colon = value.find(':');
  if (colon == std::string::npos || colon + 1 == value.size()) return false;
  const std::string kind = value.substr(0, colon);
  if (kind != "sqlite" && kind != "rocksdb") return false;
  *out = StorageSpec{kind, value.substr(colon + 1)};
  return true;
}

// Applies one "--flag value" pair; returns an error message or "".
std::string Apply(const std::string& flag, const std::string& value, DemoConfig& config) {
  if (flag == "--nodes") {
    config.nodes = std::stoi(value);
    if (config.nodes < 2 || config.nodes > 20) return "--nodes must be 2..20";
  } else if (flag == "--duration") {
    config.duration_seconds = std::stod(value);
    if (config.duration_seconds < 0) return "--duration must be positive";
  } else if (flag == "--interval-ms") {
    config.interval_ms = std::stoi(value);
    if (config.interval_ms < 10) return "--interval-ms must be at least 10";
  } else if (flag == "--transport") {
    if (value != "tcp" && value != "udp" && value != "memory")
      return "--transport must be tcp, udp or memory";
    config.transport = value;
  } else if (flag == "--storage") {
    if (!ParseStorage(value, &config.storage))
      return "--storage must be memory, sqlite:DIR or rocksdb:DIR";
  } else if (flag == "--base-port") {
    config.base_port = std::stoi(value);
    if (config.base_port < 0 || config.base_port > 65535 - config.nodes)
      return "--base-port out of range";
  } else if (flag == "--seed") {
    config.seed = std::stoull(value);
  } else {
    return "unknown option " + flag;
  }
  return "";
}

}  // namespace

ParseResult ParseArgs(const std::vector<std::string>& args) {
  ParseResult result;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag == "--help" || flag == "-h") {
      result.help = true;
      return result;
    }
    if (flag == "--plain") {
      result.config.plain = true;
      continue;
    }
    if (i + 1 >= args.size()) {
      result.error = "missing value for " + flag;
      return result;
    }
    const std::string& value = args[++i];
    try {
      result.error = Apply(flag, value, result.config);
    } catch (const std::logic_error&) {
      result.error = "invalid value for " + flag + ": " + value;
    }
    if (!result.error.empty()) return result;
  }
  // --base-port was checked against the node count it saw; check again.
  if (result.config.base_port > 65535 - result.config.nodes)
    result.error = "--base-port out of range";
  return result;
}

}  // namespace gossipmonger::demo
