#include "node_cluster.h"

#include <poll.h>
#include <signal.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <set>

#include "child_process.h"
#include "json_fields.h"
#include "process_usage.h"

namespace gossipmonger::bench {
namespace {

using Clock = std::chrono::steady_clock;

double NowMs() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return double(
             std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count()) /
         1000.0;
}

Clock::time_point After(double seconds) {
  return Clock::now() + std::chrono::microseconds(static_cast<long long>(seconds * 1e6));
}

struct Counters {
  std::uint64_t sent = 0, bytes_sent = 0, received = 0, bytes_received = 0, lost = 0;
};

struct LocalNode {
  std::unique_ptr<tools::ChildProcess> process;
  std::string id;
  std::string address;  // from `listening`
  std::set<std::string> peers;
  bool fresh_stats = false;
  Counters stats;
  bool exited = false;
};

class Driver {
 public:
  Driver(const ClusterPlan& plan, RunLog* log) : plan_(plan), log_(log) {}
  bool Run(std::string* error);

 private:
  bool StartNode(int index, std::string* error);
  std::vector<std::string> NodeArgs(int index) const;
  // Reads events until `done` holds or `deadline` passes; `tick` runs
  // between polls. True if `done` held.
  bool PollUntil(Clock::time_point deadline, const std::function<bool()>& done,
                 const std::function<void()>& tick = {});
  void Handle(LocalNode& node, const std::string& line);
  bool SnapshotStats(std::vector<Counters>& out, std::vector<double>& cpu);
  void Updates();
  bool AllDelivered() const;
  std::vector<NodeRecord> Usage(const std::vector<Counters>& begin,
                                const std::vector<Counters>& end,
                                const std::vector<double>& cpu_begin,
                                const std::vector<double>& cpu_end,
                                double window_s) const;
  void KillOneAndWait();
  bool AllSurvivorsReported(const KillRecord& kill) const;

  const ClusterPlan& plan_;
  RunLog* log_;
  std::vector<LocalNode> nodes_;
  bool measuring_ = false;
  std::map<std::string, int> deliveries_;  // key -> local nodes that got it
  std::size_t first_set_ = 0;  // the log holds earlier runs' sets too (--repeat)
  std::uint64_t errors_ = 0;
  Clock::time_point started_at_;  // when the first node was started
};

std::vector<std::string> Driver::NodeArgs(int index) const {
  const int port = plan_.base_port == 0 ? 0 : plan_.base_port + index;
  const std::string host =
      plan_.advertise_host.empty() ? plan_.listen_host : plan_.advertise_host;
  const Workload& w = plan_.workload;
  std::vector<std::string> args = {"--id",
                                   nodes_[index].id,
                                   "--listen",
                                   plan_.listen_host + ":" + std::to_string(port),
                                   "--transport",
                                   plan_.transport,
                                   "--gossip-interval-ms",
                                   std::to_string(w.gossip_interval_ms),
                                   "--inject-loss",
                                   std::to_string(w.loss),
                                   "--inject-delay-ms",
                                   std::to_string(w.delay_ms),
                                   "--cluster",
                                   "gossipmonger-bench"};
  if (w.dead_peer_phi > 0)
    args.insert(args.end(), {"--dead-peer-phi", std::to_string(w.dead_peer_phi)});
  if (w.gossip_fanout > 0)
    args.insert(args.end(), {"--gossip-fanout", std::to_string(w.gossip_fanout)});
  if (w.push_fanout >= 0)
    args.insert(args.end(), {"--push-fanout", std::to_string(w.push_fanout)});
  if (port != 0)
    args.insert(args.end(), {"--advertise", host + ":" + std::to_string(port)});
  for (const std::string& seed : plan_.seeds) args.insert(args.end(), {"--seed", seed});
  if (index > 0)
    args.insert(args.end(), {"--seed", nodes_[0].id + "@" + nodes_[0].address});
  return args;
}

bool Driver::StartNode(int index, std::string* error) {
  // A node told to stop (EOF on stdin) flushes its storage: 5 s for that.
  tools::ChildOptions options;
  options.exit_grace = std::chrono::seconds(5);
  nodes_[index].process =
      tools::ChildProcess::Start(plan_.node_binary, NodeArgs(index), options, error);
  if (!nodes_[index].process) return false;
  const bool listening =
      PollUntil(After(10), [&] { return !nodes_[index].address.empty(); });
  if (!listening) *error = nodes_[index].id + " did not start (see its stderr above)";
  return listening;
}

bool Driver::PollUntil(Clock::time_point deadline, const std::function<bool()>& done,
                       const std::function<void()>& tick) {
  std::vector<std::string> lines;
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    if (tick) tick();
    std::vector<pollfd> fds;
    std::vector<LocalNode*> owners;
    for (LocalNode& node : nodes_) {
      if (!node.process || node.exited) continue;
      fds.push_back({node.process->stdout_fd(), POLLIN, 0});
      owners.push_back(&node);
    }
    poll(fds.data(), fds.size(), 5);  // short: the update schedule is ticked here
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      lines.clear();
      if (!owners[i]->process->ReadLines(lines)) owners[i]->exited = true;
      for (const std::string& line : lines) Handle(*owners[i], line);
    }
  }
  return true;
}

void Driver::Handle(LocalNode& node, const std::string& text) {
  const nlohmann::json line = ParseJsonLine(text);
  const auto event = StringField(line, "event");
  const auto count = [&line](const char* name) {
    return static_cast<std::uint64_t>(NumberField(line, name).value_or(0));
  };
  if (!event) return;
  if (*event == "listening") {
    // The bound address (the advertised one if fixed ports were given).
    const std::string host =
        plan_.advertise_host.empty() ? plan_.listen_host : plan_.advertise_host;
    const std::string bound = StringField(line, "address").value_or("");
    node.address = host + bound.substr(bound.rfind(':'));
  } else if (*event == "new_peer") {
    node.peers.insert(StringField(line, "peer").value_or(""));
  } else if (*event == "update" && measuring_) {
    const std::string key = StringField(line, "key").value_or("");
    log_->updates.push_back({node.id, key, NumberField(line, "t_ms").value_or(0)});
    ++deliveries_[key];
  } else if (*event == "stats") {
    node.stats = {count("messages_sent"), count("bytes_sent"), count("messages_received"),
                  count("bytes_received"), count("messages_lost")};
    node.fresh_stats = true;
  } else if (*event == "peer_dead") {
    log_->deaths.push_back({node.id, StringField(line, "peer").value_or(""), plan_.run,
                            NumberField(line, "t_ms").value_or(0)});
  } else if (*event == "error") {
    ++errors_;
  }
}

bool Driver::SnapshotStats(std::vector<Counters>& out, std::vector<double>& cpu) {
  for (LocalNode& node : nodes_) {
    node.fresh_stats = false;
    node.process->Send("stats");
  }
  const bool all = PollUntil(After(10), [&] {
    for (const LocalNode& node : nodes_) {
      if (!node.fresh_stats) return false;
    }
    return true;
  });
  out.clear();
  cpu.clear();
  for (const LocalNode& node : nodes_) {
    out.push_back(node.stats);
    cpu.push_back(ReadProcessUsage(node.process->pid()).cpu_s);
  }
  return all;
}

// Sets at a fixed rate, the nodes' turns evenly spread over each period.
void Driver::Updates() {
  const Workload& w = plan_.workload;
  const auto n = static_cast<long long>(nodes_.size());
  const long long per_node = std::llround(std::floor(w.duration_s * w.update_rate));
  const double step_s = w.update_rate > 0 ? 1.0 / (w.update_rate * double(n)) : 0;
  const auto start = Clock::now();
  long long next = 0;
  auto tick = [&] {
    while (next < per_node * n &&
           Clock::now() >= start + std::chrono::microseconds(static_cast<long long>(
                                       double(next) * step_s * 1e6))) {
      LocalNode& node = nodes_[next % n];
      const std::string key = plan_.key_prefix + node.id + "/" + std::to_string(next / n);
      const std::string value(static_cast<std::size_t>(w.value_bytes),
                              static_cast<char>('a' + next % 26));
      log_->sets.push_back({node.id, key, NowMs()});
      node.process->Send("set " + key + " " + value);
      ++next;
    }
  };
  PollUntil(
      After(w.duration_s + 1), [&] { return next >= per_node * n; }, tick);
}

bool Driver::AllDelivered() const {
  const int expected = static_cast<int>(nodes_.size()) - 1;
  for (std::size_t i = first_set_; i < log_->sets.size(); ++i) {
    const SetRecord& set = log_->sets[i];
    auto found = deliveries_.find(set.key);
    if (found == deliveries_.end() || found->second < expected) return false;
  }
  return true;
}

bool Driver::Run(std::string* error) {
  const Workload& w = plan_.workload;
  log_->transport = plan_.transport;
  first_set_ = log_->sets.size();
  nodes_.resize(static_cast<std::size_t>(w.nodes));
  started_at_ = Clock::now();
  for (int i = 0; i < w.nodes; ++i) {
    nodes_[i].id = plan_.id_prefix + std::to_string(i);
    if (!StartNode(i, error)) return false;
  }
  std::cerr << "[" << plan_.transport << "] " << w.nodes
            << " nodes started, warming up\n";
  const auto expected = static_cast<std::size_t>(plan_.cluster_size - 1);
  if (!PollUntil(After(w.warmup_timeout_s), [&] {
        for (const LocalNode& node : nodes_) {
          if (node.peers.size() < expected) return false;
        }
        return true;
      })) {
    *error = "the cluster did not form within --warmup-timeout";
    return false;
  }
  std::vector<Counters> begin, end;
  std::vector<double> cpu_begin, cpu_end;
  // From here on, updates count: another host may start its sets first.
  measuring_ = true;
  // Hosts of one run start their updates together (their clocks synced).
  if (plan_.start_at_s > 0) {
    std::cerr << "[" << plan_.transport << "] waiting for --start-at\n";
    PollUntil(After(plan_.start_at_s - NowMs() / 1000), [] { return false; });
  }
  SnapshotStats(begin, cpu_begin);
  const auto window_start = Clock::now();
  std::cerr << "[" << plan_.transport << "] cluster formed; " << w.duration_s
            << " s of updates\n";
  Updates();
  // A whole cluster on this host can stop waiting once everything arrived.
  const bool all_local = plan_.cluster_size == w.nodes;
  PollUntil(After(w.drain_s), [&] { return all_local && AllDelivered(); });
  measuring_ = false;
  SnapshotStats(end, cpu_end);
  const double window_s =
      std::chrono::duration<double>(Clock::now() - window_start).count();
  std::vector<NodeRecord> usage = Usage(begin, end, cpu_begin, cpu_end, window_s);
  if (w.kill_after_s > 0 || w.kill_at_s > 0) KillOneAndWait();
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    // VmHWM only grows: read it last, except from the killed node (gone).
    if (!nodes_[i].exited)
      usage[i].peak_rss_kib = ReadProcessUsage(nodes_[i].process->pid()).peak_rss_kib;
    log_->nodes.push_back(usage[i]);
  }
  for (LocalNode& node : nodes_) node.process->Send("quit");
  nodes_.clear();  // waits for every node to exit
  return true;
}

std::vector<NodeRecord> Driver::Usage(const std::vector<Counters>& begin,
                                      const std::vector<Counters>& end,
                                      const std::vector<double>& cpu_begin,
                                      const std::vector<double>& cpu_end,
                                      double window_s) const {
  std::vector<NodeRecord> usage;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    NodeRecord r;
    r.node = nodes_[i].id;
    r.window_s = window_s;
    r.messages_sent = end[i].sent - begin[i].sent;
    r.bytes_sent = end[i].bytes_sent - begin[i].bytes_sent;
    r.messages_received = end[i].received - begin[i].received;
    r.bytes_received = end[i].bytes_received - begin[i].bytes_received;
    r.messages_lost = end[i].lost - begin[i].lost;
    r.cpu_s = cpu_end[i] - cpu_begin[i];
    r.peak_rss_kib = ReadProcessUsage(nodes_[i].process->pid()).peak_rss_kib;
    usage.push_back(r);
  }
  return usage;
}

// A quiet phase (the failure detector keeps learning the heartbeat
// intervals), then the last node dies as in a crash. The last node is never
// the seed, so the others' view of the cluster does not hinge on it.
void Driver::KillOneAndWait() {
  const Workload& w = plan_.workload;
  const Clock::time_point kill_at =
      w.kill_at_s > 0
          ? started_at_ +
                std::chrono::microseconds(static_cast<long long>(w.kill_at_s * 1e6))
          : After(w.kill_after_s);
  PollUntil(kill_at, [] { return false; });
  LocalNode& victim = nodes_.back();
  std::cerr << "[" << plan_.transport << "] SIGKILL " << victim.id << " "
            << std::chrono::duration<double>(Clock::now() - started_at_).count()
            << " s after the first node started\n";
  const KillRecord kill{victim.id, plan_.run, NowMs()};
  victim.process->Signal(SIGKILL);  // a crash: no goodbye, no flush
  victim.exited = true;             // whatever it still printed is not read
  log_->kills.push_back(kill);
  const bool all =
      PollUntil(After(w.detect_timeout_s), [&] { return AllSurvivorsReported(kill); });
  std::cerr << "[" << plan_.transport << "] "
            << (all ? "every other node reported it dead"
                    : "timed out waiting for peer_dead")
            << "\n";
}

bool Driver::AllSurvivorsReported(const KillRecord& kill) const {
  std::set<std::string> reported;
  for (const DeadRecord& d : log_->deaths) {
    if (d.run == kill.run && d.peer == kill.node && d.t_ms >= kill.t_ms)
      reported.insert(d.node);
  }
  for (const LocalNode& node : nodes_) {
    if (!node.exited && reported.count(node.id) == 0) return false;
  }
  return true;
}

}  // namespace

bool RunCluster(const ClusterPlan& plan, RunLog* log, std::string* error) {
  Driver driver(plan, log);
  return driver.Run(error);
}

}  // namespace gossipmonger::bench
