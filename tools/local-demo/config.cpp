#include "config.h"

#include "command_line.h"

namespace gossipmonger::demo {
namespace {

using tools::AddNumber;

void AddFlags(CLI::App& app, DemoConfig& c, std::string& storage) {
  AddNumber(app, "--nodes", c.nodes, 2, 20, "cluster size");
  app.add_option("--transport", c.transport, "tcp, udp or memory");
  app.add_option(
      "--storage", storage,
      "memory, sqlite:DIR or rocksdb:DIR; a second run on DIR resumes every node");
  AddNumber(app, "--base-port", c.base_port, 0, 65535,
            "node i listens on 127.0.0.1:P+i; 0 picks free ports");
  AddNumber(app, "--interval-ms", c.interval_ms, 10, tools::kUnbounded,
            "gossip interval");
  AddNumber(app, "--duration", c.duration_seconds, 0, tools::kUnbounded,
            "stop after this long (0: at Ctrl-C)");
  app.add_flag("--plain", c.plain, "event log even on a terminal");
  app.add_option("--seed", c.seed, "random keys and values (default: random)");
}

// "memory", or KIND:DIR with a directory; false otherwise.
bool ParseStorage(const std::string& value, StorageSpec* out) {
  const auto colon = value.find(':');
  const std::string kind = value.substr(0, colon);
  if (value == "memory") {
    *out = StorageSpec{};
  } else if (colon != std::string::npos && colon + 1 < value.size() &&
             (kind == "sqlite" || kind == "rocksdb")) {
    *out = StorageSpec{kind, value.substr(colon + 1)};
  } else {
    return false;
  }
  return true;
}

// The checks CLI11 cannot make alone, in the demo's words.
std::string Check(DemoConfig& c, const std::string& storage) {
  if (c.transport != "tcp" && c.transport != "udp" && c.transport != "memory")
    return "--transport must be tcp, udp or memory";
  if (!ParseStorage(storage, &c.storage))
    return "--storage must be memory, sqlite:DIR or rocksdb:DIR";
  if (c.base_port > 65535 - c.nodes) return "--base-port out of range";
  return "";
}

}  // namespace

ParseResult ParseArgs(const std::vector<std::string>& args) {
  ParseResult result;
  std::string storage = "memory";
  CLI::App app("", "gossipmonger-local-demo");
  tools::SetUp(app,
               "A cluster of in-process nodes on loopback; each sets a random key "
               "every\ntwo gossip intervals. On a terminal, a live table of what "
               "every node\nknows of every other; otherwise (or with --plain) an "
               "event log.");
  AddFlags(app, result.config, storage);
  const tools::CommandLine parsed = tools::ParseCommandLine(app, args);
  result.usage = app.help();
  result.help = parsed.action == tools::CommandLine::Action::kHelp;
  if (parsed.action == tools::CommandLine::Action::kError) result.error = parsed.text;
  if (parsed.action == tools::CommandLine::Action::kRun)
    result.error = Check(result.config, storage);
  return result;
}

}  // namespace gossipmonger::demo
