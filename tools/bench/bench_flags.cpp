#include "bench_flags.h"

#include "command_line.h"

namespace gossipmonger::bench {
namespace {

using tools::AddNumber;

bool IsSeed(const std::string& v) {
  return v.find('@') != std::string::npos && v.find(':') != std::string::npos;
}

void AddWorkloadFlags(CLI::App& app, Workload& w) {
  AddNumber(app, "--nodes", w.nodes, 1, 1e4,
            "nodes (run: per transport; nodes: on this host)");
  AddNumber(app, "--update-rate", w.update_rate, 0, 1e6, "sets per node per second");
  AddNumber(app, "--value-bytes", w.value_bytes, 1, 1 << 20, "bytes per value");
  AddNumber(app, "--duration", w.duration_s, 0, 1e6,
            "seconds of updates after the warm-up");
  AddNumber(app, "--drain", w.drain_s, 0, 1e6, "seconds to wait for the last updates");
  AddNumber(app, "--warmup-timeout", w.warmup_timeout_s, 0, 1e6,
            "give up if the cluster has not formed by then");
  AddNumber(app, "--loss", w.loss, 0, 1,
            "inject loss: each send lost with probability P (UDP: dropped; TCP: resent "
            "after 200 ms)");
  AddNumber(app, "--delay-ms", w.delay_ms, 0, 1e6, "inject D ms of delay on every send");
  AddNumber(app, "--gossip-interval-ms", w.gossip_interval_ms, 1, 1e6,
            "the nodes' GOSSIP_INTERVAL");
  AddNumber(app, "--dead-peer-phi", w.dead_peer_phi, 0.001, 1e6,
            "the nodes' DEAD_PEER_PHI (0: theirs, 8)");
  AddNumber(app, "--gossip-fanout", w.gossip_fanout, 1, 1000,
            "the nodes' gossip_fanout (0: theirs, 3)");
  AddNumber(app, "--push-fanout", w.push_fanout, 0, 1000,
            "the nodes' push_fanout, 0: no pushes (-1: theirs, 4)");
  AddNumber(app, "--repeat", w.repeat, 1, 1000,
            "run: K runs per transport, interleaved; figures pool every run");
  AddNumber(
      app, "--kill-after", w.kill_after_s, 0, 1e6,
      "run: S s after the drain, SIGKILL the last node and time the others' peer_dead");
  AddNumber(app, "--kill-at", w.kill_at_s, 0, 1e6,
            "run: the same, S s after the first node started");
  AddNumber(app, "--detect-timeout", w.detect_timeout_s, 0, 1e6,
            "run: wait this long for those peer_dead");
}

void AddOtherFlags(CLI::App& app, BenchFlags& f, std::string& transport) {
  const auto tcp_or_udp = CLI::IsMember({"tcp", "udp"});
  app.add_option("--transports", f.transports, "run: comma-separated, in order")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->check(tcp_or_udp);
  app.add_option("--transport", transport, "nodes: this run's transport")
      ->check(tcp_or_udp);
  app.add_option("--node-binary", f.node_binary,
                 "gossipmonger-node to start (empty: the one built along)");
  app.add_flag("--json", f.json, "one JSON object instead of the table");
  app.add_option("--plot", f.plot, "latency CDFs to this PNG (needs gnuplot)");
  app.add_option("--log", f.log, "write every record as a JSON line (run, nodes)");
  app.add_option("--listen-host", f.listen_host, "nodes: bind here");
  app.add_option("--advertise-host", f.advertise_host, "nodes: announce this address");
  app.add_option("--id-prefix", f.id_prefix, "nodes: ids S0, S1... (unique per host)");
  app.add_option("--seed", f.seeds,
                 "nodes: a node of another host, ID@HOST:PORT (repeatable)")
      ->allow_extra_args(false)
      ->check(tools::Expects("ID@HOST:PORT", IsSeed));
  AddNumber(app, "--base-port", f.base_port, 1, 65535,
            "nodes: node i listens on P+i (0: any free port)");
  AddNumber(app, "--cluster-size", f.cluster_size, 1, 1e5,
            "nodes: nodes on all hosts together (0: --nodes)");
  AddNumber(app, "--start-at", f.start_at_s, 0, 1e11,
            "nodes: start the updates at this Unix time, the same on every host");
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
  std::string transport;
  CLI::App app("", "gossipmonger-bench");
  tools::SetUp(app, "See docs/transport-comparison.md.");
  app.require_subcommand(0, 1);
  app.add_subcommand("run", "(the default) compare the transports on this host")
      ->fallthrough();
  CLI::App* nodes =
      app.add_subcommand("nodes", "--log FILE: this host's share of a cluster");
  CLI::App* analyze =
      app.add_subcommand("analyze", "LOG...: merge hosts' logs, print them");
  nodes->fallthrough();
  analyze->fallthrough()->add_option("logs", flags.logs, "LOG files");
  AddWorkloadFlags(app, flags.workload);
  AddOtherFlags(app, flags, transport);
  const tools::CommandLine parsed = tools::ParseCommandLine(app, args);
  if (parsed.action == tools::CommandLine::Action::kHelp) {
    flags.mode = BenchFlags::Mode::kHelp;
    flags.help = parsed.text;
    return flags;
  }
  if (parsed.action != tools::CommandLine::Action::kRun) return Error(parsed.text);
  if (nodes->parsed()) flags.mode = BenchFlags::Mode::kNodes;
  if (analyze->parsed()) flags.mode = BenchFlags::Mode::kAnalyze;
  if (!transport.empty()) flags.transports = {transport};
  return Finish(std::move(flags));
}

}  // namespace gossipmonger::bench
