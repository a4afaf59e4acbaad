#include "detection.h"

#include <algorithm>
#include <map>
#include <optional>

namespace gossipmonger::bench {
namespace {

// The kill of `peer` in `run`, if it happened at or before `t_ms`.
std::optional<double> KilledBefore(const RunLog& log, int run, const std::string& peer,
                                   double t_ms) {
  for (const KillRecord& k : log.kills) {
    if (k.run == run && k.node == peer && k.t_ms <= t_ms) return k.t_ms;
  }
  return std::nullopt;
}

// Each observer's first report about the victim after the kill.
std::map<std::string, double> FirstReports(const RunLog& log, const KillRecord& kill) {
  std::map<std::string, double> first;
  for (const DeadRecord& d : log.deaths) {
    if (d.run != kill.run || d.peer != kill.node || d.t_ms < kill.t_ms) continue;
    auto [it, inserted] = first.emplace(d.node, d.t_ms);
    if (!inserted) it->second = std::min(it->second, d.t_ms);
  }
  return first;
}

void AddKill(const RunLog& log, const KillRecord& kill,
             const std::set<std::string>& nodes, Detection& out) {
  const std::map<std::string, double> first = FirstReports(log, kill);
  double last_s = 0;
  bool everyone = true;
  for (const std::string& observer : nodes) {
    if (observer == kill.node) continue;
    const auto found = first.find(observer);
    if (found == first.end()) {
      ++out.missed;
      everyone = false;
      continue;
    }
    const double s = (found->second - kill.t_ms) / 1000;
    out.observer_s.push_back(s);
    last_s = std::max(last_s, s);
  }
  if (everyone) out.every_observer_s.push_back(last_s);
}

}  // namespace

Detection AnalyzeDetection(const RunLog& log, const std::set<std::string>& nodes) {
  Detection out;
  out.kills = log.kills.size();
  for (const KillRecord& kill : log.kills) AddKill(log, kill, nodes, out);
  for (const DeadRecord& d : log.deaths) {
    if (!KilledBefore(log, d.run, d.peer, d.t_ms)) ++out.false_dead;
  }
  return out;
}

}  // namespace gossipmonger::bench
