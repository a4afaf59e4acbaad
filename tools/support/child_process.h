// ChildProcess: a program started with pipes to its stdin and stdout, whose
// output is read line by line without blocking, so that one driver can poll
// the stdout of many children at once. gossipmonger-bench drives its nodes
// with it, the node tests theirs.
//
// Ownership: the object owns the child. Its destructor closes the pipes,
// gives the child `exit_grace` to exit on its own (EOF on stdin stops a
// node, which flushes its storage first), then SIGKILLs and reaps it, so
// that no child outlives its driver on any exit path.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gossipmonger::tools {

struct ChildOptions {
  // "NAME=VALUE" entries added to (or replacing) the parent's environment.
  std::vector<std::string> env;
  // Where the child's stderr goes; empty: the parent's stderr.
  std::string stderr_path;
  // How long the destructor waits for a child still running; 0: SIGKILL at
  // once, as a crash would.
  std::chrono::milliseconds exit_grace{0};
};

class ChildProcess {
 public:
  struct ExitStatus {
    bool exited = false;  // false: killed by a signal
    int code = -1;        // the exit code, or the signal number
  };

  // Starts `binary` with `args`; nullptr and `*error` if it cannot be run.
  static std::unique_ptr<ChildProcess> Start(const std::string& binary,
                                             const std::vector<std::string>& args,
                                             const ChildOptions& options,
                                             std::string* error);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Writes `line` and a newline to the child's stdin; false if it is closed.
  bool Send(const std::string& line);
  void CloseStdin();
  bool Signal(int signal);

  // Waits up to `timeout` for output, then reads all there is and appends
  // every complete line (without its newline) to `lines`. False at EOF;
  // partial_line() then holds an unterminated last line, if any.
  bool ReadLines(std::vector<std::string>& lines,
                 std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  const std::string& partial_line() const { return partial_; }

  // The exit status once the child has ended (reaped here); nullopt while
  // it runs.
  std::optional<ExitStatus> Reap();

  int stdout_fd() const { return stdout_fd_; }
  pid_t pid() const { return pid_; }

 private:
  ChildProcess(pid_t pid, int stdin_fd, int stdout_fd, std::chrono::milliseconds grace)
      : pid_(pid), stdin_fd_(stdin_fd), stdout_fd_(stdout_fd), exit_grace_(grace) {}

  pid_t pid_;
  int stdin_fd_;
  int stdout_fd_;
  std::chrono::milliseconds exit_grace_;
  bool eof_ = false;
  std::string partial_;
  std::optional<ExitStatus> exit_;
};

}  // namespace gossipmonger::tools
