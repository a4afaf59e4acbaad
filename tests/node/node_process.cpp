#include "node/node_process.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace gossipmonger::node_test {
namespace {

std::string NewTempPath(const std::string& stem) {
  static std::atomic<int> counter{0};
  return (std::filesystem::temp_directory_path() /
          (stem + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
      .string();
}

}  // namespace

NodeProcess::NodeProcess(std::vector<std::string> args, bool json_stdout,
                         const std::vector<std::string>& env)
    : json_stdout_(json_stdout), stderr_path_(NewTempPath("gossipmonger-node-stderr-")) {
  // The test must not die of SIGPIPE writing to a node that exited.
  ::signal(SIGPIPE, SIG_IGN);
  tools::ChildOptions options;
  options.env = env;
  options.stderr_path = stderr_path_;
  std::string error;
  child_ = tools::ChildProcess::Start(GOSSIPMONGER_NODE_BINARY, args, options, &error);
  if (!child_) throw std::runtime_error(error);
}

NodeProcess::~NodeProcess() {
  child_.reset();  // SIGKILL if still running
  std::error_code ignored;
  std::filesystem::remove(stderr_path_, ignored);
}

void NodeProcess::Send(const std::string& line) {
  REQUIRE(child_->Send(line));  // false: the node closed its stdin (it exited)
}

void NodeProcess::CloseStdin() { child_->CloseStdin(); }

void NodeProcess::Signal(int signal) { REQUIRE(child_->Signal(signal)); }

bool NodeProcess::Pump(std::chrono::milliseconds timeout) {
  if (eof_) return false;
  std::vector<std::string> lines;
  eof_ = !child_->ReadLines(lines, timeout);
  if (!json_stdout_) {
    for (const std::string& line : lines) raw_stdout_ += line + "\n";
    if (eof_) raw_stdout_ += child_->partial_line();
    return !eof_;
  }
  for (const std::string& line : lines) {
    auto parsed = ParseEvent(line);
    INFO("stdout line: " << line);
    REQUIRE(parsed.has_value());  // every line is one valid JSON object
    REQUIRE(parsed->contains("t_ms"));
    events_.push_back(std::move(*parsed));
  }
  return !eof_;
}

std::optional<JsonValue> NodeProcess::WaitFor(
    const std::function<bool(const JsonValue&)>& match, std::size_t from,
    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t next = from;
  for (;;) {
    for (; next < events_.size(); ++next) {
      if (match(events_[next])) return events_[next];
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) return std::nullopt;
    if (!Pump(std::min<std::chrono::milliseconds>(left, 200ms)) &&
        next == events_.size()) {
      return std::nullopt;  // EOF and nothing left to look at
    }
  }
}

std::optional<JsonValue> NodeProcess::WaitForEvent(
    const std::string& event,
    const std::vector<std::pair<std::string, std::string>>& fields, std::size_t from) {
  return WaitFor(
      [&](const JsonValue& e) {
        if (Str(e, "event") != event) return false;
        for (const auto& [name, value] : fields) {
          if (Str(e, name.c_str()) != value) return false;
        }
        return true;
      },
      from);
}

std::optional<JsonValue> NodeProcess::Request(const std::string& line,
                                              const std::string& event) {
  const std::size_t from = events_.size();
  Send(line);
  return WaitForEvent(event, {}, from);
}

std::optional<NodeProcess::ExitStatus> NodeProcess::Wait(
    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    Pump(50ms);  // keep draining stdout so the node never blocks on it
    if (auto status = child_->Reap()) {
      // The node is gone: what is left in the pipe ends with EOF.
      for (int i = 0; i < 1000 && Pump(10ms); ++i) {
      }
      return status;
    }
    if (eof_) std::this_thread::sleep_for(20ms);
  } while (std::chrono::steady_clock::now() < deadline);
  return std::nullopt;
}

std::uint16_t NodeProcess::Port() {
  auto listening = WaitForEvent("listening");
  REQUIRE(listening.has_value());
  const std::string address = Str(*listening, "address");
  return static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
}

std::string NodeProcess::Stderr() const {
  std::ifstream in(stderr_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TempDir::TempDir() : path_(NewTempPath("gossipmonger-node-test-")) {
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace gossipmonger::node_test
