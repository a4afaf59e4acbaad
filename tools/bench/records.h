// What one run of a cluster workload leaves: every `set` a driver issued,
// every `update` a node reported, each node's resource use over the
// measurement window, and the kills and `peer_dead` reports of a
// failure-detection run. The local comparison builds these in memory; across
// hosts each host writes its own as JSON lines (`nodes --log`) and
// `analyze` merges them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gossipmonger::bench {

struct SetRecord {
  std::string node;  // the node that set the key
  std::string key;   // unique in a run
  double t_ms = 0;   // system clock of the driver when it wrote the command
};

struct UpdateRecord {
  std::string node;  // the node that reported the update
  std::string key;
  double t_ms = 0;  // the node's own t_ms
};

struct NodeRecord {
  std::string node;
  double window_s = 0;  // measurement window the counters below cover
  std::uint64_t messages_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t messages_received = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t messages_lost = 0;  // injected
  double cpu_s = 0;                 // user + system over the window
  double peak_rss_kib = 0;          // VmHWM at the end
};

// The driver SIGKILLed `node` (failure-detection runs, --kill-after).
struct KillRecord {
  std::string node;
  int run = 0;      // repeats reuse node ids: kills and deaths match per run
  double t_ms = 0;  // system clock of the driver right before kill()
};

// `node` reported `peer` dead (any `peer_dead` event, kill or not).
struct DeadRecord {
  std::string node;
  std::string peer;
  int run = 0;
  double t_ms = 0;  // the node's own t_ms
};

struct RunLog {
  std::string transport;
  std::vector<SetRecord> sets;
  std::vector<UpdateRecord> updates;
  std::vector<NodeRecord> nodes;
  std::vector<KillRecord> kills;
  std::vector<DeadRecord> deaths;
};

// One JSON line per record, each tagged with the transport:
//   {"record":"set","transport":"tcp","node":..,"key":..,"t_ms":..}
std::string FormatRecord(std::string_view transport, const SetRecord& r);
std::string FormatRecord(std::string_view transport, const UpdateRecord& r);
std::string FormatRecord(std::string_view transport, const NodeRecord& r);
std::string FormatRecord(std::string_view transport, const KillRecord& r);
std::string FormatRecord(std::string_view transport, const DeadRecord& r);

// Adds one line to the log of its transport (created on first use). False
// for a line that is not a record.
bool ParseRecord(std::string_view line, std::vector<RunLog>& logs);

}  // namespace gossipmonger::bench
