#include "report.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>

#include "json_fields.h"

namespace gossipmonger::bench {
namespace {

struct Row {
  const char* label;
  const char* json_name;
  std::function<double(const TransportResult&)> value;
  int decimals;
};

const std::vector<Row>& Rows() {
  using R = const TransportResult&;
  static const std::vector<Row> rows = {
      {"updates issued", "updates", [](R r) { return double(r.updates); }, 0},
      {"reached every node", "complete", [](R r) { return double(r.complete); }, 0},
      {"latency to all p50 (ms)", "to_all_p50_ms", [](R r) { return r.to_all_p50; }, 1},
      {"latency to all p99 (ms)", "to_all_p99_ms", [](R r) { return r.to_all_p99; }, 1},
      {"delivery p50 (ms)", "delivery_p50_ms", [](R r) { return r.delivery_p50; }, 1},
      {"delivery p99 (ms)", "delivery_p99_ms", [](R r) { return r.delivery_p99; }, 1},
      {"messages sent /node/s", "messages_per_node_s",
       [](R r) { return r.messages_per_s; }, 1},
      {"bytes sent /node/s", "bytes_per_node_s", [](R r) { return r.bytes_per_s; }, 0},
      {"injected losses (%)", "lost_percent", [](R r) { return 100 * r.lost_fraction; },
       1},
      {"CPU s /node (mean)", "cpu_s_mean", [](R r) { return r.cpu_s_mean; }, 3},
      {"CPU s /node (max)", "cpu_s_max", [](R r) { return r.cpu_s_max; }, 3},
      {"CPU s /node/min (mean)", "cpu_s_per_node_min",
       [](R r) { return r.cpu_s_per_min; }, 3},
      {"peak RSS MiB (median)", "peak_rss_mib_median",
       [](R r) { return r.peak_rss_mib_median; }, 1},
      {"peak RSS MiB (max)", "peak_rss_mib_max", [](R r) { return r.peak_rss_mib_max; },
       1},
      {"kills", "kills", [](R r) { return double(r.detection.kills); }, 0},
      {"dead at all, worst (s)", "detect_every_max_s",
       [](R r) { return r.detect_every_max_s; }, 2},
      {"dead at all, median (s)", "detect_every_p50_s",
       [](R r) { return r.detect_every_p50_s; }, 2},
      {"dead, median observer (s)", "detect_median_observer_s",
       [](R r) { return r.detect_observer_p50_s; }, 2},
      {"observers never told", "detect_missed",
       [](R r) { return double(r.detection.missed); }, 0},
      {"false peer_dead", "false_dead",
       [](R r) { return double(r.detection.false_dead); }, 0},
  };
  return rows;
}

// NaN is a figure that was not measured (no kill): "-" in the table.
std::string Fixed(double value, int decimals) {
  if (std::isnan(value)) return "-";
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string Pad(const std::string& text, std::size_t width, bool left) {
  if (text.size() >= width) return text;
  const std::string fill(width - text.size(), ' ');
  return left ? text + fill : fill + text;
}

std::string Header(const Workload& w, std::size_t nodes) {
  std::ostringstream out;
  out << nodes << " nodes, " << w.update_rate << " updates/node/s, " << w.value_bytes
      << "-byte values, " << w.duration_s << " s, loss " << 100 * w.loss << "%, delay "
      << w.delay_ms << " ms, gossip interval " << w.gossip_interval_ms << " ms";
  if (w.dead_peer_phi > 0) out << ", dead peer phi " << w.dead_peer_phi;
  if (w.gossip_fanout > 0) out << ", gossip fanout " << w.gossip_fanout;
  if (w.push_fanout >= 0) out << ", push fanout " << w.push_fanout;
  if (w.repeat > 1) out << ", " << w.repeat << " runs per transport (pooled)";
  if (w.kill_after_s > 0)
    out << "; SIGKILL of one node " << w.kill_after_s << " s after the updates";
  if (w.kill_at_s > 0) out << "; SIGKILL of one node " << w.kill_at_s << " s after start";
  out << "\n";
  return out.str();
}

}  // namespace

std::string RenderTable(const Workload& workload,
                        const std::vector<TransportResult>& results) {
  const std::size_t label_width = 26, column = 12;
  const bool ratio = results.size() == 2;
  std::string out = Header(workload, results.empty() ? 0 : results[0].nodes);
  out += Pad("", label_width, true);
  for (const auto& r : results) out += Pad(r.transport, column, false);
  if (ratio) out += Pad(results[1].transport + "/" + results[0].transport, column, false);
  out += "\n";
  for (const Row& row : Rows()) {
    out += Pad(row.label, label_width, true);
    for (const auto& r : results)
      out += Pad(Fixed(row.value(r), row.decimals), column, false);
    if (ratio) {
      const double a = row.value(results[0]), b = row.value(results[1]);
      out += Pad(a != 0 && !std::isnan(a) && !std::isnan(b) ? Fixed(b / a, 2) : "-",
                 column, false);
    }
    out += "\n";
  }
  return out;
}

std::string WorkloadJsonFields(const Workload& w) {
  std::ostringstream out;
  out << "\"update_rate\":" << w.update_rate << ",\"value_bytes\":" << w.value_bytes
      << ",\"duration_s\":" << w.duration_s << ",\"loss\":" << w.loss
      << ",\"delay_ms\":" << w.delay_ms
      << ",\"gossip_interval_ms\":" << w.gossip_interval_ms << ",\"repeat\":" << w.repeat
      << ",\"kill_after_s\":" << w.kill_after_s << ",\"kill_at_s\":" << w.kill_at_s
      << ",\"dead_peer_phi\":" << w.dead_peer_phi
      << ",\"gossip_fanout\":" << w.gossip_fanout << ",\"push_fanout\":" << w.push_fanout;
  return out.str();
}

std::string RenderJson(const Workload& w, const std::vector<TransportResult>& results) {
  std::ostringstream out;
  out << "{\"workload\":{\"nodes\":" << (results.empty() ? 0 : results[0].nodes) << ","
      << WorkloadJsonFields(w) << "},\"transports\":{";
  for (std::size_t i = 0; i < results.size(); ++i) {
    out << (i ? "," : "") << Quoted(results[i].transport) << ":{";
    for (std::size_t k = 0; k < Rows().size(); ++k) {
      const Row& row = Rows()[k];
      const double value = row.value(results[i]);
      out << (k ? "," : "") << "\"" << row.json_name
          << "\":" << (std::isnan(value) ? "null" : Fixed(value, row.decimals));
    }
    out << "}";
  }
  out << "}}\n";
  return out.str();
}

namespace {

// Sorted samples as "value fraction" lines: an empirical CDF.
std::string WriteCdf(const std::string& dir, const std::string& name,
                     std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::string path = dir + "/" + name + ".dat";
  std::ofstream file(path);
  for (std::size_t i = 0; i < values.size(); ++i) {
    file << values[i] << " " << double(i + 1) / double(values.size()) << "\n";
  }
  return path;
}

}  // namespace

std::string Plot(const Workload& w, const std::vector<TransportResult>& results,
                 const std::string& png) {
  char dir_template[] = "/tmp/gossipmonger-bench-plot.XXXXXX";
  const char* dir = mkdtemp(dir_template);
  if (dir == nullptr) return "cannot create a temporary directory";
  std::ostringstream script;
  script << "set terminal pngcairo size 900,560\nset output '" << png << "'\n"
         << "set title \"propagation latency: " << results.front().nodes
         << " nodes, loss " << 100 * w.loss << "%, delay " << w.delay_ms << " ms, gossip "
         << w.gossip_interval_ms << " ms\"\n"
         << "set xlabel 'ms after the set'\nset ylabel 'fraction'\nset key bottom right\n"
         << "set grid\nset yrange [0:1]\n";
  // Tails under loss are orders of magnitude above the median: a log axis,
  // unless clock skew between hosts made some latency non-positive.
  bool positive = true;
  for (const TransportResult& r : results) {
    for (double v : r.delivery_ms) positive = positive && v > 0;
  }
  if (positive) script << "set logscale x\n";
  script << "plot ";
  for (std::size_t i = 0; i < results.size(); ++i) {
    const TransportResult& r = results[i];
    const std::string all = WriteCdf(dir, r.transport + "-all", r.to_all_ms);
    const std::string one = WriteCdf(dir, r.transport + "-delivery", r.delivery_ms);
    script << (i ? ", " : "") << "'" << all << "' using 1:2 with steps lw 2 lc " << i + 1
           << " title '" << r.transport << ": to every node', '" << one
           << "' using 1:2 with steps lw 1 dt 2 lc " << i + 1 << " title '" << r.transport
           << ": per delivery'";
  }
  script << "\n";
  const std::string script_path = std::string(dir) + "/plot.gp";
  std::ofstream(script_path) << script.str();
  const std::string command = "gnuplot '" + script_path + "'";
  const int status = std::system(command.c_str());
  if (status != 0) return "gnuplot failed (is gnuplot-nox installed?): " + command;
  return "";
}

}  // namespace gossipmonger::bench
