#include "stdin_reader.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace gossipmonger::node {

StdinReader::StdinReader(int fd, std::function<void(std::string)> on_line,
                         std::function<void()> on_eof)
    : fd_(fd), on_line_(std::move(on_line)), on_eof_(std::move(on_eof)) {}

StdinReader::~StdinReader() {
  Stop();
  for (int& end : wake_) {
    if (end >= 0) ::close(end);
    end = -1;
  }
}

void StdinReader::Start() {
  if (::pipe(wake_) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  thread_ = std::thread([this] { Run(); });
}

void StdinReader::Stop() {
  if (!thread_.joinable()) return;
  const char byte = 0;
  while (::write(wake_[1], &byte, 1) < 0 && errno == EINTR) {
  }
  thread_.join();
}

void StdinReader::Run() {
  std::string pending;
  char buffer[4096];
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents != 0) return;  // Stop(): no EOF callback, the owner is leaving
    const ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;
    pending.append(buffer, static_cast<std::size_t>(n));
    for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
      on_line_(pending.substr(0, nl));
      pending.erase(0, nl + 1);
    }
  }
  if (!pending.empty()) on_line_(std::move(pending));
  on_eof_();
}

}  // namespace gossipmonger::node
