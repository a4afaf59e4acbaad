// One gossipmonger-node child: stdin and stdout are pipes, stderr is
// inherited. Lines are read without blocking (the driver polls every
// child's stdout fd at once).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace gossipmonger::bench {

// user + system CPU seconds and peak resident memory (VmHWM) of a process,
// from /proc; zeros if it cannot be read.
struct ProcessUsage {
  double cpu_s = 0;
  double peak_rss_kib = 0;
};
ProcessUsage ReadProcessUsage(pid_t pid);

class NodeProcess {
 public:
  // Starts `binary` with `args`; nullptr (and `error`) if it cannot be.
  static std::unique_ptr<NodeProcess> Start(const std::string& binary,
                                            const std::vector<std::string>& args,
                                            std::string* error);
  ~NodeProcess();  // closes the pipes, waits up to 5 s, then SIGKILL

  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;

  // Writes one command line (a newline is added).
  bool Send(const std::string& line);
  // Reads what is available; appends each complete line. False at EOF.
  bool ReadLines(std::vector<std::string>& lines);

  // SIGKILL, as a crash would: no goodbye, no flush. The destructor reaps it.
  void Kill();

  int stdout_fd() const { return out_fd_; }
  pid_t pid() const { return pid_; }

 private:
  NodeProcess(pid_t pid, int in_fd, int out_fd)
      : pid_(pid), in_fd_(in_fd), out_fd_(out_fd) {}
  pid_t pid_;
  int in_fd_;
  int out_fd_;
  std::string partial_;
};

}  // namespace gossipmonger::bench
