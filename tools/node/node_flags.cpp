#include "node_flags.h"

namespace gossipmonger::node {
namespace {

using tools::kUnbounded;
using tools::NumberIn;

std::string Expected(const std::string& what, const std::string& value) {
  return "expected " + what + ", got '" + value + "'";
}

const CLI::Validator kNonEmpty(
    [](std::string& v) { return v.empty() ? std::string("must not be empty") : ""; }, "");
const CLI::Validator kAddress(
    [](std::string& v) { return ParseHostPort(v) ? "" : Expected("HOST:PORT", v); }, "");
const CLI::Validator kSeed(
    [](std::string& v) {
      const auto at = v.find('@');
      const bool ok =
          at != std::string::npos && at > 0 && ParseHostPort(v.substr(at + 1));
      return ok ? "" : Expected("ID@HOST:PORT", v);
    },
    "");
const CLI::Validator kStorage(
    [](std::string& v) {
      const bool ok = v == "memory" || (v.rfind("sqlite:", 0) == 0 && v.size() > 7) ||
                      (v.rfind("rocksdb:", 0) == 0 && v.size() > 8);
      return ok ? "" : Expected("memory, sqlite:PATH or rocksdb:PATH", v);
    },
    "");

// Values that need converting once parsed.
struct Raw {
  std::string listen;
  std::vector<std::string> seeds;
  std::int64_t interval_ms = 1000;
  bool no_stdin = false;
};

void AddFlags(CLI::App& app, NodeFlags& f, Raw& raw) {
  Options& o = f.options;
  app.add_option("--id", f.id, "this node's peer id")
      ->required()
      ->check(kNonEmpty)
      ->type_name("ID");
  app.add_option("--listen", raw.listen, "where to receive (port 0: any free port)")
      ->required()
      ->check(kAddress)
      ->type_name("HOST:PORT");
  app.add_option("--advertise", f.advertise, "address announced to peers [listen]")
      ->check(kAddress)
      ->type_name("HOST:PORT");
  app.add_option("--seed", raw.seeds, "a seed peer (repeatable)")
      ->allow_extra_args(false)
      ->check(kSeed)
      ->type_name("ID@HOST:PORT");
  app.add_option("--transport", f.transport, "tcp or udp")
      ->check(CLI::IsMember({"tcp", "udp"}))
      ->capture_default_str();
  app.add_option("--storage", f.storage, "memory, sqlite:PATH or rocksdb:PATH")
      ->check(kStorage)
      ->capture_default_str();
  app.add_option("--cluster", f.cluster, "nodes of other clusters are ignored")
      ->check(kNonEmpty)
      ->capture_default_str();
  app.add_option("--gossip-interval-ms", raw.interval_ms, "time between gossip rounds")
      ->check(NumberIn(1, kUnbounded, true))
      ->capture_default_str();
  app.add_option("--dead-peer-phi", o.dead_peer_phi, "phi above which a peer is dead")
      ->check(tools::PositiveNumber())
      ->capture_default_str();
  app.add_option("--max-deltas", o.max_deltas_per_gossip, "most deltas per message")
      ->check(NumberIn(1, kUnbounded, true))
      ->capture_default_str();
  app.add_option("--min-live-peers", o.minimum_live_peers,
                 "below this many live peers also gossip to a seed")
      ->check(NumberIn(0, kUnbounded, true))
      ->capture_default_str();
  app.add_option("--gossip-fanout", o.gossip_fanout, "peers each round's digest goes to")
      ->check(NumberIn(1, kUnbounded, true))
      ->capture_default_str();
  app.add_option("--push-fanout", o.push_fanout,
                 "peers a fresh update is pushed to at once; 0: anti-entropy only")
      ->check(NumberIn(0, kUnbounded, true))
      ->capture_default_str();
  app.add_flag("--no-stdin", raw.no_stdin, "do not read commands; run until a signal");
  // Test knobs of gossipmonger-bench, hidden from --help.
  app.add_option("--inject-loss", f.inject_loss)
      ->check(NumberIn(0, 1))
      ->group(tools::kHidden);
  app.add_option("--inject-delay-ms", f.inject_delay_ms)
      ->check(NumberIn(0, kUnbounded, true))
      ->group(tools::kHidden);
}

}  // namespace

ParsedFlags ParseFlags(const std::vector<std::string>& args) {
  ParsedFlags parsed;
  NodeFlags& f = parsed.flags;
  Raw raw;
  CLI::App app("", "gossipmonger-node");
  tools::FormatHelp(app,
                    "One gossipmonger node as a process. Commands on stdin (set KEY "
                    "VALUE,\nget PEER KEY, peers, stats, quit), events on stdout as JSON "
                    "lines.\nSee docs/node.md.");
  app.set_version_flag("--version",
                       std::string("gossipmonger-node ") + GOSSIPMONGER_NODE_VERSION);
  AddFlags(app, f, raw);
  parsed.command_line = tools::ParseCommandLine(app, args);
  if (parsed.command_line.action != tools::CommandLine::Action::kRun) return parsed;
  f.listen = *ParseHostPort(raw.listen);
  for (const std::string& seed : raw.seeds) {
    const auto at = seed.find('@');
    f.options.seeds.push_back({seed.substr(0, at), seed.substr(at + 1)});
  }
  f.options.gossip_interval = std::chrono::milliseconds(raw.interval_ms);
  f.read_stdin = !raw.no_stdin;
  return parsed;
}

}  // namespace gossipmonger::node
