#include "analysis.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "percentile.h"

namespace gossipmonger::bench {
namespace {

using tools::Percentile;

std::set<std::string> NodesOf(const RunLog& log) {
  std::set<std::string> nodes;
  for (const NodeRecord& r : log.nodes) nodes.insert(r.node);
  if (!nodes.empty()) return nodes;
  for (const SetRecord& r : log.sets) nodes.insert(r.node);
  for (const UpdateRecord& r : log.updates) nodes.insert(r.node);
  return nodes;
}

void AddLatencies(const RunLog& log, std::size_t nodes, TransportResult& result) {
  std::map<std::string, std::vector<const UpdateRecord*>> arrivals;
  for (const UpdateRecord& r : log.updates) arrivals[r.key].push_back(&r);
  for (const SetRecord& set : log.sets) {
    std::set<std::string> reached;
    double last = set.t_ms;
    for (const UpdateRecord* r : arrivals[set.key]) {
      if (r->node == set.node || !reached.insert(r->node).second) continue;
      result.delivery_ms.push_back(r->t_ms - set.t_ms);
      last = std::max(last, r->t_ms);
    }
    if (reached.size() + 1 < nodes) continue;
    ++result.complete;
    result.to_all_ms.push_back(last - set.t_ms);
  }
}

void AddResources(const RunLog& log, TransportResult& result) {
  if (log.nodes.empty()) return;
  double sent = 0, lost = 0;
  std::vector<double> rss;
  for (const NodeRecord& r : log.nodes) {
    const double window = r.window_s > 0 ? r.window_s : 1;
    result.messages_per_s += static_cast<double>(r.messages_sent) / window;
    result.bytes_per_s += static_cast<double>(r.bytes_sent) / window;
    sent += static_cast<double>(r.messages_sent + r.messages_lost);
    lost += static_cast<double>(r.messages_lost);
    result.cpu_s_mean += r.cpu_s;
    result.cpu_s_per_min += r.cpu_s / window * 60;
    result.cpu_s_max = std::max(result.cpu_s_max, r.cpu_s);
    rss.push_back(r.peak_rss_kib / 1024);
  }
  const auto n = static_cast<double>(log.nodes.size());
  result.messages_per_s /= n;
  result.bytes_per_s /= n;
  result.cpu_s_mean /= n;
  result.cpu_s_per_min /= n;
  result.lost_fraction = sent > 0 ? lost / sent : 0;
  result.peak_rss_mib_median = Percentile(rss, 0.5);
  result.peak_rss_mib_max = Percentile(rss, 1.0);
}

void AddDetection(const RunLog& log, const std::set<std::string>& nodes,
                  TransportResult& result) {
  result.detection = AnalyzeDetection(log, nodes);
  const Detection& d = result.detection;
  const auto figure = [&](const std::vector<double>& samples, double p) {
    return d.kills == 0 || samples.empty() ? std::nan("") : Percentile(samples, p);
  };
  result.detect_every_max_s = figure(d.every_observer_s, 1.0);
  result.detect_every_p50_s = figure(d.every_observer_s, 0.5);
  result.detect_observer_p50_s = figure(d.observer_s, 0.5);
}

}  // namespace

TransportResult Analyze(const RunLog& log) {
  TransportResult result;
  result.transport = log.transport;
  const std::set<std::string> nodes = NodesOf(log);
  result.nodes = nodes.size();
  result.updates = log.sets.size();
  AddLatencies(log, result.nodes, result);
  result.to_all_p50 = Percentile(result.to_all_ms, 0.5);
  result.to_all_p99 = Percentile(result.to_all_ms, 0.99);
  result.delivery_p50 = Percentile(result.delivery_ms, 0.5);
  result.delivery_p99 = Percentile(result.delivery_ms, 0.99);
  AddResources(log, result);
  AddDetection(log, nodes, result);
  return result;
}

}  // namespace gossipmonger::bench
