// Reads lines from a file descriptor (stdin) on a thread of its own, so the
// io_context thread never blocks on input. Each line (without its '\n'; a
// last line without one counts too) goes to on_line, then EOF or a read
// error to on_eof; both are called on the reader thread, so they should
// only post work elsewhere.
#pragma once

#include <functional>
#include <string>
#include <thread>

namespace gossipmonger::node {

class StdinReader {
 public:
  StdinReader(int fd, std::function<void(std::string)> on_line,
              std::function<void()> on_eof);
  // Stops the thread and joins it.
  ~StdinReader();

  StdinReader(const StdinReader&) = delete;
  StdinReader& operator=(const StdinReader&) = delete;

  // Starts reading. Throws std::system_error if no thread or pipe can be
  // made.
  void Start();
  // Wakes the thread (blocked in poll) and joins it. Idempotent.
  void Stop();

 private:
  void Run();

  int fd_;
  std::function<void(std::string)> on_line_;
  std::function<void()> on_eof_;
  // Writing a byte to wake_[1] makes the thread return: poll() watches it
  // together with fd_.
  int wake_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace gossipmonger::node
