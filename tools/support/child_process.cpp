#include "child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace gossipmonger::tools {
namespace {

std::string NameOf(const std::string& variable) {
  return variable.substr(0, variable.find('='));
}

// The parent's environment with `added` put in (replacing same-named ones).
std::vector<std::string> Environment(const std::vector<std::string>& added) {
  std::vector<std::string> variables = added;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string variable = *e;
    bool replaced = false;
    for (const std::string& a : added)
      replaced = replaced || NameOf(a) == NameOf(variable);
    if (!replaced) variables.push_back(variable);
  }
  return variables;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

ChildProcess::ExitStatus StatusOf(int status) {
  return WIFEXITED(status) ? ChildProcess::ExitStatus{true, WEXITSTATUS(status)}
                           : ChildProcess::ExitStatus{false, WTERMSIG(status)};
}

}  // namespace

std::unique_ptr<ChildProcess> ChildProcess::Start(const std::string& binary,
                                                  const std::vector<std::string>& args,
                                                  const ChildOptions& options,
                                                  std::string* error) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) {
    *error = std::string("pipe: ") + std::strerror(errno);
    return nullptr;
  }
  if (::pipe2(out, O_CLOEXEC) != 0) {
    *error = std::string("pipe: ") + std::strerror(errno);
    ::close(in[0]);
    ::close(in[1]);
    return nullptr;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  if (!options.stderr_path.empty()) {
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, options.stderr_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
  }
  std::vector<std::string> argv_strings = {binary};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings = Environment(options.env);
  const std::vector<char*> argv = Pointers(argv_strings);
  const std::vector<char*> envp = Pointers(env_strings);
  pid_t pid = -1;
  const int spawn_error =
      ::posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  if (spawn_error != 0) {
    *error = "cannot run " + binary + ": " + std::strerror(spawn_error);
    ::close(in[1]);
    ::close(out[0]);
    return nullptr;
  }
  ::fcntl(out[0], F_SETFL, ::fcntl(out[0], F_GETFL) | O_NONBLOCK);
  return std::unique_ptr<ChildProcess>(
      new ChildProcess(pid, in[1], out[0], options.exit_grace));
}

ChildProcess::~ChildProcess() {
  CloseStdin();  // EOF on stdin: a node stops
  ::close(stdout_fd_);
  const auto deadline = std::chrono::steady_clock::now() + exit_grace_;
  while (!Reap() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (exit_) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

bool ChildProcess::Send(const std::string& line) {
  const std::string text = line + "\n";
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(stdin_fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // the child closed its stdin (it exited)
    done += static_cast<std::size_t>(n);
  }
  return true;
}

void ChildProcess::CloseStdin() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  stdin_fd_ = -1;
}

bool ChildProcess::Signal(int signal) { return ::kill(pid_, signal) == 0; }

bool ChildProcess::ReadLines(std::vector<std::string>& lines,
                             std::chrono::milliseconds timeout) {
  if (eof_) return false;
  pollfd fd{stdout_fd_, POLLIN, 0};
  if (::poll(&fd, 1, static_cast<int>(timeout.count())) <= 0) return true;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(stdout_fd_, buffer, sizeof buffer);
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    if (n == 0) {
      eof_ = true;
      return false;
    }
    partial_.append(buffer, static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (std::size_t nl; (nl = partial_.find('\n', start)) != std::string::npos;) {
      lines.push_back(partial_.substr(start, nl - start));
      start = nl + 1;
    }
    partial_.erase(0, start);
  }
}

std::optional<ChildProcess::ExitStatus> ChildProcess::Reap() {
  if (exit_) return exit_;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) exit_ = StatusOf(status);
  return exit_;
}

}  // namespace gossipmonger::tools
