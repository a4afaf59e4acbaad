#include "bench_flags.h"

#include <cmath>
#include <functional>
#include <map>
#include <stdexcept>

namespace gossipmonger::bench {

const char kBenchUsage[] =
    "usage: gossipmonger-bench [run] [options]     compare transports on this host\n"
    "       gossipmonger-bench nodes --log FILE [options]   this host's nodes of a\n"
    "                                              multi-host run\n"
    "       gossipmonger-bench analyze [--json] [--plot FILE.png] LOG...\n"
    "Workload (every mode that runs nodes):\n"
    "  --nodes N                nodes (run: per transport; nodes: on this host) [10]\n"
    "  --update-rate R          sets per node per second [1]\n"
    "  --value-bytes B          bytes per value [100]\n"
    "  --duration S             seconds of updates after the warm-up [30]\n"
    "  --drain S                seconds to wait for the last updates [10]\n"
    "  --warmup-timeout S       give up if the cluster has not formed [60]\n"
    "  --loss P                 inject loss: each send lost with probability P\n"
    "                           (UDP: dropped; TCP: resent after 200 ms) [0]\n"
    "  --delay-ms D             inject D ms of delay on every send [0]\n"
    "  --gossip-interval-ms MS  [1000]\n"
    "  --dead-peer-phi PHI      the nodes' DEAD_PEER_PHI [their default, 8]\n"
    "  --gossip-fanout N        the nodes' gossip_fanout [their default, 3]\n"
    "  --push-fanout N          the nodes' push_fanout, 0: no pushes [their default, 4]\n"
    "  --transports LIST        run: comma-separated, in order [tcp,udp]\n"
    "  --repeat K               run: K runs per transport, interleaved; figures\n"
    "                           pool every run's samples [1]\n"
    "  --transport T            nodes: this run's transport\n"
    "  --kill-after S           run: S s after the drain, SIGKILL the last node\n"
    "                           and time every other node's peer_dead [off]\n"
    "  --kill-at S              run: the same, S s after the first node started\n"
    "                           (detection in a cluster's first minutes) [off]\n"
    "  --detect-timeout S       run: wait this long for those peer_deads [30]\n"
    "  --node-binary PATH       gossipmonger-node to start [the one built along]\n"
    "Output:\n"
    "  --json                   one JSON object instead of the table\n"
    "  --plot FILE.png          latency CDFs per transport (needs gnuplot)\n"
    "  --log FILE               write every record as a JSON line (run, nodes)\n"
    "Across hosts (nodes mode; see docs/transport-comparison.md):\n"
    "  --listen-host IP         bind here [127.0.0.1]\n"
    "  --advertise-host IP      announce this address [the listen host]\n"
    "  --base-port P            node i listens on P+i [any free port]\n"
    "  --id-prefix S            node ids S0, S1... (unique per host) [n]\n"
    "  --seed ID@HOST:PORT      a node of another host (repeatable)\n"
    "  --cluster-size M         nodes on all hosts together [--nodes]\n"
    "  --start-at UNIX_S        start the updates at this time (same on every\n"
    "                           host; e.g. $(date -d '+1 min' +%s)) [when warm]\n";

namespace {

using Setter = std::function<void(BenchFlags&, const std::string&)>;

double Number(const std::string& text, double min, double max) {
  std::size_t used = 0;
  const double value = std::stod(text, &used);
  if (used != text.size() || !std::isfinite(value) || value < min || value > max) {
    throw std::invalid_argument("out of range");
  }
  return value;
}

int Integer(const std::string& text, int min, int max) {
  const double value = Number(text, min, max);
  if (value != std::floor(value)) throw std::invalid_argument("not an integer");
  return static_cast<int>(value);
}

std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    parts.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return parts;
}

std::vector<std::string> Transports(const std::string& text) {
  auto list = SplitCommas(text);
  for (const std::string& t : list) {
    if (t != "tcp" && t != "udp") throw std::invalid_argument("expected tcp or udp");
  }
  return list;
}

const std::map<std::string, Setter>& Setters() {
  using F = BenchFlags;
  using S = const std::string&;
  static const std::map<std::string, Setter> setters = {
      {"--nodes", [](F& f, S v) { f.workload.nodes = Integer(v, 1, 10000); }},
      {"--update-rate", [](F& f, S v) { f.workload.update_rate = Number(v, 0, 1e6); }},
      {"--value-bytes",
       [](F& f, S v) { f.workload.value_bytes = Integer(v, 1, 1 << 20); }},
      {"--duration", [](F& f, S v) { f.workload.duration_s = Number(v, 0, 1e6); }},
      {"--drain", [](F& f, S v) { f.workload.drain_s = Number(v, 0, 1e6); }},
      {"--warmup-timeout",
       [](F& f, S v) { f.workload.warmup_timeout_s = Number(v, 0, 1e6); }},
      {"--loss", [](F& f, S v) { f.workload.loss = Number(v, 0, 1); }},
      {"--delay-ms", [](F& f, S v) { f.workload.delay_ms = Integer(v, 0, 1000000); }},
      {"--gossip-interval-ms",
       [](F& f, S v) { f.workload.gossip_interval_ms = Integer(v, 1, 1000000); }},
      {"--dead-peer-phi",
       [](F& f, S v) { f.workload.dead_peer_phi = Number(v, 0.001, 1e6); }},
      {"--gossip-fanout",
       [](F& f, S v) { f.workload.gossip_fanout = Integer(v, 1, 1000); }},
      {"--push-fanout", [](F& f, S v) { f.workload.push_fanout = Integer(v, 0, 1000); }},
      {"--repeat", [](F& f, S v) { f.workload.repeat = Integer(v, 1, 1000); }},
      {"--kill-after", [](F& f, S v) { f.workload.kill_after_s = Number(v, 0, 1e6); }},
      {"--kill-at", [](F& f, S v) { f.workload.kill_at_s = Number(v, 0, 1e6); }},
      {"--detect-timeout",
       [](F& f, S v) { f.workload.detect_timeout_s = Number(v, 0, 1e6); }},
      {"--transports", [](F& f, S v) { f.transports = Transports(v); }},
      {"--transport",
       [](F& f, S v) {
         f.transports = Transports(v);
         if (f.transports.size() != 1) throw std::invalid_argument("one transport");
       }},
      {"--node-binary", [](F& f, S v) { f.node_binary = v; }},
      {"--plot", [](F& f, S v) { f.plot = v; }},
      {"--log", [](F& f, S v) { f.log = v; }},
      {"--listen-host", [](F& f, S v) { f.listen_host = v; }},
      {"--advertise-host", [](F& f, S v) { f.advertise_host = v; }},
      {"--base-port", [](F& f, S v) { f.base_port = Integer(v, 1, 65535); }},
      {"--id-prefix", [](F& f, S v) { f.id_prefix = v; }},
      {"--seed",
       [](F& f, S v) {
         if (v.find('@') == std::string::npos || v.find(':') == std::string::npos) {
           throw std::invalid_argument("expected ID@HOST:PORT");
         }
         f.seeds.push_back(v);
       }},
      {"--start-at", [](F& f, S v) { f.start_at_s = Number(v, 0, 1e11); }},
      {"--cluster-size", [](F& f, S v) { f.cluster_size = Integer(v, 1, 100000); }},
  };
  return setters;
}

BenchFlags Error(std::string message) {
  BenchFlags flags;
  flags.mode = BenchFlags::Mode::kError;
  flags.error = std::move(message);
  return flags;
}

// Checks what the mode needs once every flag is read.
BenchFlags Finish(BenchFlags flags) {
  if (flags.mode == BenchFlags::Mode::kNodes) {
    if (flags.log.empty()) return Error("nodes: --log FILE is required");
    if (flags.transports.size() != 1)
      return Error("nodes: --transport tcp|udp is required");
    if (flags.workload.repeat != 1) return Error("nodes: --repeat is for run only");
    // Another host's node is not ours to kill, nor to wait for.
    if (flags.workload.kill_after_s > 0 || flags.workload.kill_at_s > 0)
      return Error("nodes: --kill-after and --kill-at are for run only");
  }
  if (flags.workload.kill_after_s > 0 && flags.workload.kill_at_s > 0)
    return Error("--kill-after and --kill-at: one or the other");
  if (!flags.advertise_host.empty() && flags.base_port == 0) {
    return Error("--advertise-host needs --base-port (the ports must be known)");
  }
  if (flags.mode == BenchFlags::Mode::kAnalyze && flags.logs.empty()) {
    return Error("analyze: at least one LOG file");
  }
  if (flags.mode == BenchFlags::Mode::kRun && flags.workload.nodes < 2) {
    return Error("--nodes: at least 2");
  }
  if (flags.cluster_size == 0) flags.cluster_size = flags.workload.nodes;
  return flags;
}

}  // namespace

BenchFlags ParseBenchFlags(const std::vector<std::string>& args) {
  BenchFlags flags;
  std::size_t i = 0;
  if (!args.empty() && args[0].rfind("--", 0) != 0) {
    if (args[0] == "nodes")
      flags.mode = BenchFlags::Mode::kNodes;
    else if (args[0] == "analyze")
      flags.mode = BenchFlags::Mode::kAnalyze;
    else if (args[0] != "run")
      return Error("unknown subcommand " + args[0]);
    i = 1;
  }
  for (; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag == "--help" || flag == "-h") {
      flags.mode = BenchFlags::Mode::kHelp;
      return flags;
    }
    if (flag == "--json") {
      flags.json = true;
      continue;
    }
    if (flag.rfind("--", 0) != 0 && flags.mode == BenchFlags::Mode::kAnalyze) {
      flags.logs.push_back(flag);
      continue;
    }
    const auto setter = Setters().find(flag);
    if (setter == Setters().end()) return Error("unknown flag " + flag);
    if (i + 1 >= args.size()) return Error(flag + ": missing value");
    try {
      setter->second(flags, args[++i]);
    } catch (const std::exception& e) {
      return Error(flag + ": bad value '" + args[i] + "' (" + e.what() + ")");
    }
  }
  return Finish(std::move(flags));
}

}  // namespace gossipmonger::bench
