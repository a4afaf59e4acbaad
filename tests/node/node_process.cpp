#include "node/node_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

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
    : json_stdout_(json_stdout) {
  // The test must not die of SIGPIPE writing to a node that exited.
  ::signal(SIGPIPE, SIG_IGN);
  int in[2];
  int out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    throw std::runtime_error("pipe");
  }
  stderr_path_ = NewTempPath("gossipmonger-node-stderr-");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path_.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  args.insert(args.begin(), GOSSIPMONGER_NODE_BINARY);
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> variables = env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string variable = *e;
    const std::string name = variable.substr(0, variable.find('='));
    bool replaced = false;
    for (const std::string& added : env) {
      replaced = replaced || added.substr(0, added.find('=')) == name;
    }
    if (!replaced) variables.push_back(variable);
  }
  std::vector<char*> envp;
  for (std::string& variable : variables) envp.push_back(variable.data());
  envp.push_back(nullptr);
  const int error =
      ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  stdin_fd_ = in[1];
  stdout_fd_ = out[0];
  if (error != 0) {
    pid_ = -1;
    throw std::runtime_error("posix_spawn " + std::string(argv[0]) + " failed");
  }
}

NodeProcess::~NodeProcess() {
  if (pid_ > 0 && !exit_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  CloseStdin();
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  std::error_code ignored;
  std::filesystem::remove(stderr_path_, ignored);
}

void NodeProcess::Send(const std::string& line) {
  const std::string text = line + "\n";
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(stdin_fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    REQUIRE(n > 0);  // the node closed its stdin (it exited)
    done += static_cast<std::size_t>(n);
  }
}

void NodeProcess::CloseStdin() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  stdin_fd_ = -1;
}

void NodeProcess::Signal(int signal) { REQUIRE(::kill(pid_, signal) == 0); }

bool NodeProcess::Pump(std::chrono::milliseconds timeout) {
  if (eof_) return false;
  pollfd fd{stdout_fd_, POLLIN, 0};
  const int ready = ::poll(&fd, 1, static_cast<int>(timeout.count()));
  if (ready <= 0) return true;  // nothing yet (or EINTR): the caller loops
  char chunk[4096];
  const ssize_t n = ::read(stdout_fd_, chunk, sizeof chunk);
  if (n < 0) return errno == EINTR;
  if (n == 0) {
    eof_ = true;
    return false;
  }
  if (!json_stdout_) {
    raw_stdout_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  buffer_.append(chunk, static_cast<std::size_t>(n));
  for (std::size_t nl; (nl = buffer_.find('\n')) != std::string::npos;) {
    const std::string line = buffer_.substr(0, nl);
    buffer_.erase(0, nl + 1);
    auto parsed = JsonValue::Parse(line);
    INFO("stdout line: " << line);
    REQUIRE(parsed.has_value());  // every line is valid JSON
    REQUIRE(parsed->is(JsonValue::Type::kObject));
    REQUIRE(parsed->Find("t_ms") != nullptr);
    events_.push_back(std::move(*parsed));
  }
  return true;
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
        if (e.Str("event") != event) return false;
        for (const auto& [name, value] : fields) {
          if (e.Str(name) != value) return false;
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
  if (exit_) return exit_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    Pump(50ms);  // keep draining stdout so the node never blocks on it
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      // The node is gone: what is left in the pipe ends with EOF.
      for (int i = 0; i < 1000 && Pump(10ms) && !eof_; ++i) {
      }
      exit_ = WIFEXITED(status) ? ExitStatus{true, WEXITSTATUS(status)}
                                : ExitStatus{false, WTERMSIG(status)};
      return exit_;
    }
    if (eof_) std::this_thread::sleep_for(20ms);
  }
  return std::nullopt;
}

std::uint16_t NodeProcess::Port() {
  auto listening = WaitForEvent("listening");
  REQUIRE(listening.has_value());
  const std::string address = listening->Str("address");
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
