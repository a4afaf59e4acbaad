// NodeProcess: one real gossipmonger-node process driven by a test, its
// stdout read as JSON events. The process itself is the tools' ChildProcess
// (tools/support/child_process.h), as in gossipmonger-bench: pipes to stdin
// and stdout; stderr goes to a file (read back with Stderr()). The
// destructor kills (SIGKILL) and reaps a process still running, so that no
// test leaves a node behind on any exit path.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "child_process.h"
#include "node/json_event.h"

namespace gossipmonger::node_test {

using namespace std::chrono_literals;

// Generous: the tests wait for behaviour, never assert how long it took.
inline constexpr std::chrono::milliseconds kPatience = 30s;

class NodeProcess {
 public:
  using ExitStatus = tools::ChildProcess::ExitStatus;

  // Starts GOSSIPMONGER_NODE_BINARY with `args`. Throws std::runtime_error
  // if it cannot be started. `json_stdout` false: stdout is kept as raw
  // text (raw_stdout()) instead of being parsed as JSON lines (--help).
  // `env`: "NAME=VALUE" entries added to (or replacing) the test's own
  // environment.
  explicit NodeProcess(std::vector<std::string> args, bool json_stdout = true,
                       const std::vector<std::string>& env = {});
  ~NodeProcess();
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;

  // Writes `line` and a newline to the node's stdin.
  void Send(const std::string& line);
  void CloseStdin();
  void Signal(int signal);

  // Reads events until one after index `from` (of events()) satisfies
  // `match`; returns it, or nullopt after `timeout` or at EOF. Every line
  // read must be valid JSON (a line that is not fails the test).
  std::optional<JsonValue> WaitFor(const std::function<bool(const JsonValue&)>& match,
                                   std::size_t from = 0,
                                   std::chrono::milliseconds timeout = kPatience);
  // The first event named `event` whose string fields equal `fields`.
  std::optional<JsonValue> WaitForEvent(
      const std::string& event,
      const std::vector<std::pair<std::string, std::string>>& fields = {},
      std::size_t from = 0);
  // Sends `line` and waits for the first event named `event` after it.
  std::optional<JsonValue> Request(const std::string& line, const std::string& event);

  // Reads stdout up to EOF, then waits for the process to end. nullopt if
  // it is still running after `timeout`.
  std::optional<ExitStatus> Wait(std::chrono::milliseconds timeout = kPatience);

  // The port of the `listening` event (waits for it).
  std::uint16_t Port();
  std::string Address() { return "127.0.0.1:" + std::to_string(Port()); }
  const std::vector<JsonValue>& events() const { return events_; }
  pid_t pid() const { return child_->pid(); }
  std::string Stderr() const;
  const std::string& raw_stdout() const { return raw_stdout_; }

 private:
  // Reads what is available within `timeout` and parses whole lines.
  // Returns false at EOF.
  bool Pump(std::chrono::milliseconds timeout);

  bool json_stdout_;
  std::string raw_stdout_;
  std::string stderr_path_;
  std::unique_ptr<tools::ChildProcess> child_;
  bool eof_ = false;
  std::vector<JsonValue> events_;
};

// A fresh empty directory under the system's temporary directory, removed
// with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace gossipmonger::node_test
