// gossipmonger-bench: runs one cluster workload over TCP and over UDP with
// real gossipmonger-node processes and prints them side by side
// (docs/transport-comparison.md). `nodes` runs one host's share of a
// multi-host run and logs its records; `analyze` merges such logs.
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <string>
#include <type_traits>
#include <vector>

#include "analysis.h"
#include "bench_flags.h"
#include "json_fields.h"
#include "node_cluster.h"
#include "records.h"
#include "report.h"

namespace {

using namespace gossipmonger::bench;

// The gossipmonger-node built along with this program, unless --node-binary.
std::string NodeBinary(const BenchFlags& flags) {
  if (!flags.node_binary.empty()) return flags.node_binary;
  return GOSSIPMONGER_BENCH_NODE_BINARY;
}

ClusterPlan PlanFor(const BenchFlags& flags, const std::string& transport) {
  ClusterPlan plan;
  plan.transport = transport;
  plan.node_binary = NodeBinary(flags);
  plan.workload = flags.workload;
  plan.cluster_size = flags.cluster_size;
  plan.listen_host = flags.listen_host;
  plan.advertise_host = flags.advertise_host;
  plan.base_port = flags.base_port;
  plan.id_prefix = flags.id_prefix;
  plan.seeds = flags.seeds;
  plan.start_at_s = flags.start_at_s;
  return plan;
}

// The workload line lets `analyze` print the header the runs had.
void WriteLog(const std::string& path, const Workload& w,
              const std::vector<RunLog>& logs) {
  std::ofstream out(path);
  out << "{\"record\":\"workload\"," << WorkloadJsonFields(w) << "}\n";
  for (const RunLog& log : logs) {
    for (const auto& r : log.nodes) out << FormatRecord(log.transport, r) << "\n";
    for (const auto& r : log.sets) out << FormatRecord(log.transport, r) << "\n";
    for (const auto& r : log.updates) out << FormatRecord(log.transport, r) << "\n";
    for (const auto& r : log.kills) out << FormatRecord(log.transport, r) << "\n";
    for (const auto& r : log.deaths) out << FormatRecord(log.transport, r) << "\n";
  }
}

int Report(const BenchFlags& flags, const std::vector<RunLog>& logs) {
  std::vector<TransportResult> results;
  for (const RunLog& log : logs) results.push_back(Analyze(log));
  if (results.empty()) {
    std::cerr << "gossipmonger-bench: no records\n";
    return 1;
  }
  std::cout << (flags.json ? RenderJson(flags.workload, results)
                           : RenderTable(flags.workload, results));
  if (!flags.plot.empty()) {
    if (std::string error = Plot(flags.workload, results, flags.plot); !error.empty()) {
      std::cerr << "gossipmonger-bench: --plot: " << error << "\n";
      return 1;
    }
  }
  return 0;
}

int RunNodes(const BenchFlags& flags, std::vector<RunLog>& logs) {
  // Interleaved repeats: a machine whose load drifts penalises both alike.
  logs.resize(flags.transports.size());
  for (int run = 0; run < flags.workload.repeat; ++run) {
    for (std::size_t t = 0; t < flags.transports.size(); ++t) {
      ClusterPlan plan = PlanFor(flags, flags.transports[t]);
      plan.run = run;
      // Appended piecewise: GCC 12's -Wrestrict misfires on "r" + string.
      if (flags.workload.repeat > 1)
        plan.key_prefix.append("r").append(std::to_string(run)).append("/");
      std::string error;
      if (!RunCluster(plan, &logs[t], &error)) {
        std::cerr << "gossipmonger-bench: " << plan.transport << ": " << error << "\n";
        return 1;
      }
    }
  }
  if (!flags.log.empty()) WriteLog(flags.log, flags.workload, logs);
  return 0;
}

// The header of a merged log: the workload line of the last log read.
void ReadWorkload(const nlohmann::json& line, Workload& w) {
  const auto number = [&line](const char* name, auto& value) {
    using T = std::remove_reference_t<decltype(value)>;
    value = static_cast<T>(NumberField(line, name).value_or(value));
  };
  number("update_rate", w.update_rate);
  number("value_bytes", w.value_bytes);
  number("duration_s", w.duration_s);
  number("loss", w.loss);
  number("delay_ms", w.delay_ms);
  number("gossip_interval_ms", w.gossip_interval_ms);
  number("repeat", w.repeat);
  number("kill_after_s", w.kill_after_s);
  number("kill_at_s", w.kill_at_s);
  number("dead_peer_phi", w.dead_peer_phi);
  number("gossip_fanout", w.gossip_fanout);
  number("push_fanout", w.push_fanout);
}

int Analyze(BenchFlags flags) {
  std::vector<RunLog> logs;
  for (const std::string& path : flags.logs) {
    std::ifstream in(path);
    if (!in) {
      std::cerr << "gossipmonger-bench: cannot read " << path << "\n";
      return 1;
    }
    std::string line;
    while (std::getline(in, line)) {
      if (const nlohmann::json json = ParseJsonLine(line);
          StringField(json, "record") == "workload")
        ReadWorkload(json, flags.workload);
      ParseRecord(line, logs);
    }
  }
  return Report(flags, logs);
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a node that died must not kill the driver
  const BenchFlags flags =
      ParseBenchFlags(std::vector<std::string>(argv + 1, argv + argc));
  switch (flags.mode) {
    case BenchFlags::Mode::kHelp:
      std::cout << flags.help;
      return 0;
    case BenchFlags::Mode::kError:
      std::cerr << "gossipmonger-bench: " << flags.error << " (see --help)\n";
      return 2;
    case BenchFlags::Mode::kAnalyze:
      return Analyze(flags);
    case BenchFlags::Mode::kNodes: {
      std::vector<RunLog> logs;
      if (int code = RunNodes(flags, logs); code != 0) return code;
      std::cerr << "gossipmonger-bench: records written to " << flags.log << "\n";
      return 0;
    }
    case BenchFlags::Mode::kRun:
      break;
  }
  std::vector<RunLog> logs;
  if (int code = RunNodes(flags, logs); code != 0) return code;
  return Report(flags, logs);
}
