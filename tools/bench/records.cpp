#include "records.h"

#include <cstdio>

#include "json_fields.h"

namespace gossipmonger::bench {
namespace {

std::string Begin(std::string_view record, std::string_view transport,
                  std::string_view node) {
  return "{\"record\":" + Quoted(record) + ",\"transport\":" + Quoted(transport) +
         ",\"node\":" + Quoted(node);
}

std::string Number(std::string_view name, double value) {
  char text[64];
  std::snprintf(text, sizeof text, ",\"%.*s\":%.3f", static_cast<int>(name.size()),
                name.data(), value);
  return text;
}

std::string Count(std::string_view name, std::uint64_t value) {
  return ",\"" + std::string(name) + "\":" + std::to_string(value);
}

RunLog& LogOf(std::vector<RunLog>& logs, const std::string& transport) {
  for (RunLog& log : logs) {
    if (log.transport == transport) return log;
  }
  logs.push_back(RunLog{transport, {}, {}, {}, {}, {}});
  return logs.back();
}

std::uint64_t CountField(const nlohmann::json& record, const char* name) {
  return static_cast<std::uint64_t>(NumberField(record, name).value_or(0));
}

}  // namespace

std::string FormatRecord(std::string_view transport, const SetRecord& r) {
  return Begin("set", transport, r.node) + ",\"key\":" + Quoted(r.key) +
         Number("t_ms", r.t_ms) + "}";
}

std::string FormatRecord(std::string_view transport, const UpdateRecord& r) {
  return Begin("update", transport, r.node) + ",\"key\":" + Quoted(r.key) +
         Number("t_ms", r.t_ms) + "}";
}

std::string FormatRecord(std::string_view transport, const NodeRecord& r) {
  return Begin("node", transport, r.node) + Number("window_s", r.window_s) +
         Count("messages_sent", r.messages_sent) + Count("bytes_sent", r.bytes_sent) +
         Count("messages_received", r.messages_received) +
         Count("bytes_received", r.bytes_received) +
         Count("messages_lost", r.messages_lost) + Number("cpu_s", r.cpu_s) +
         Number("peak_rss_kib", r.peak_rss_kib) + "}";
}

std::string FormatRecord(std::string_view transport, const KillRecord& r) {
  return Begin("kill", transport, r.node) + Count("run", std::uint64_t(r.run)) +
         Number("t_ms", r.t_ms) + "}";
}

std::string FormatRecord(std::string_view transport, const DeadRecord& r) {
  return Begin("dead", transport, r.node) + ",\"peer\":" + Quoted(r.peer) +
         Count("run", std::uint64_t(r.run)) + Number("t_ms", r.t_ms) + "}";
}

namespace {

// kill and dead records; false if `record` is neither or a field is missing.
bool ParseFailureRecord(const nlohmann::json& line, std::string_view record,
                        const std::string& node, RunLog& log) {
  const auto t_ms = NumberField(line, "t_ms");
  const int run = static_cast<int>(NumberField(line, "run").value_or(0));
  if (!t_ms) return false;
  if (record == "kill") {
    log.kills.push_back({node, run, *t_ms});
    return true;
  }
  const auto peer = StringField(line, "peer");
  if (record != "dead" || !peer) return false;
  log.deaths.push_back({node, *peer, run, *t_ms});
  return true;
}

}  // namespace

bool ParseRecord(std::string_view text, std::vector<RunLog>& logs) {
  const nlohmann::json line = ParseJsonLine(text);
  const auto record = StringField(line, "record");
  const auto transport = StringField(line, "transport");
  const auto node = StringField(line, "node");
  if (!record || !transport || !node) return false;
  if (*record == "set" || *record == "update") {
    const auto key = StringField(line, "key");
    const auto t_ms = NumberField(line, "t_ms");
    if (!key || !t_ms) return false;
    RunLog& log = LogOf(logs, *transport);
    if (*record == "set") {
      log.sets.push_back({*node, *key, *t_ms});
    } else {
      log.updates.push_back({*node, *key, *t_ms});
    }
    return true;
  }
  if (*record == "kill" || *record == "dead")
    return ParseFailureRecord(line, *record, *node, LogOf(logs, *transport));
  if (*record != "node") return false;
  NodeRecord r;
  r.node = *node;
  r.window_s = NumberField(line, "window_s").value_or(0);
  r.messages_sent = CountField(line, "messages_sent");
  r.bytes_sent = CountField(line, "bytes_sent");
  r.messages_received = CountField(line, "messages_received");
  r.bytes_received = CountField(line, "bytes_received");
  r.messages_lost = CountField(line, "messages_lost");
  r.cpu_s = NumberField(line, "cpu_s").value_or(0);
  r.peak_rss_kib = NumberField(line, "peak_rss_kib").value_or(0);
  LogOf(logs, *transport).nodes.push_back(r);
  return true;
}

}  // namespace gossipmonger::bench
