// gossipmonger-local-demo: the original's `npm run localtest` in C++. Five
// nodes in one process on loopback (TCP by default), each setting a random
// key every couple of seconds. On a terminal, a table of what every node
// knows of every other node, redrawn in place; otherwise (or with --plain)
// one line per event. SIGINT/SIGTERM (or --duration) stop every node, flush
// its storage, and exit 0; with --storage sqlite:DIR a later run on DIR
// resumes every node where it stopped.
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <iostream>
#include <string>
#include <vector>

#include "cluster.h"
#include "config.h"
#include "table.h"

namespace {

using namespace gossipmonger;
using namespace gossipmonger::demo;

constexpr std::size_t kRecentEvents = 8;
constexpr auto kRedrawPeriod = std::chrono::milliseconds(500);

// What the screen shows, and the clock events are stamped with.
class Display {
 public:
  Display(const DemoConfig& config, bool table)
      : table_(table), start_(std::chrono::steady_clock::now()), config_(config) {}

  bool table() const { return table_; }

  void Event(const std::string& node, const std::string& text) {
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "%8.3fs %-6s ", Elapsed(), node.c_str());
    if (!table_) {
      std::printf("%s%s\n", stamp, text.c_str());
      std::fflush(stdout);
      return;
    }
    recent_.push_back(stamp + text);
    if (recent_.size() > kRecentEvents) recent_.pop_front();
  }

  void Draw(const DemoCluster& cluster) {
    TableSnapshot snapshot = cluster.Snapshot();
    char title[256];
    std::snprintf(title, sizeof title,
                  "gossipmonger local demo: %d nodes, %s, storage %s, interval %d ms, "
                  "%.0f s (Ctrl-C stops)",
                  config_.nodes, config_.transport.c_str(), StorageName().c_str(),
                  config_.interval_ms, Elapsed());
    snapshot.title = title;
    snapshot.recent_events.assign(recent_.begin(), recent_.end());
    std::fputs(ToScreenFrame(RenderTable(snapshot)).c_str(), stdout);
    std::fflush(stdout);
  }

 private:
  double Elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_)
        .count();
  }
  std::string StorageName() const {
    const StorageSpec& s = config_.storage;
    return s.dir.empty() ? s.kind : s.kind + ":" + s.dir;
  }

  bool table_;
  std::chrono::steady_clock::time_point start_;
  const DemoConfig& config_;
  std::deque<std::string> recent_;
};

DemoConfig ParseOrExit(int argc, char** argv) {
  const ParseResult parsed = ParseArgs(std::vector<std::string>(argv + 1, argv + argc));
  if (parsed.help) {
    std::cout << parsed.usage;
    std::exit(0);
  }
  if (!parsed.error.empty()) {
    std::cerr << "gossipmonger-local-demo: " << parsed.error << "\n" << parsed.usage;
    std::exit(2);
  }
  if (Status s = CheckBuilt(parsed.config); !s.ok()) {
    std::cerr << "gossipmonger-local-demo: " << s.message() << "\n";
    std::exit(2);
  }
  return parsed.config;
}

void AnnounceStart(Display& display, const DemoCluster& cluster) {
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    const std::uint64_t v = cluster.resumed_at(i);
    display.Event(cluster.id(i), v == 0 ? std::string("started fresh")
                                        : "resumed at version " + std::to_string(v));
  }
}

// Redraws the table every kRedrawPeriod until the io_context stops.
void ScheduleRedraw(asio::steady_timer& timer, Display& display,
                    const DemoCluster& cluster) {
  display.Draw(cluster);
  timer.expires_after(kRedrawPeriod);
  timer.async_wait([&timer, &display, &cluster](const std::error_code& error) {
    if (!error) ScheduleRedraw(timer, display, cluster);
  });
}

}  // namespace

int main(int argc, char** argv) {
  const DemoConfig config = ParseOrExit(argc, argv);
  Display display(config, !config.plain && isatty(STDOUT_FILENO));
  asio::io_context io;
  DemoCluster cluster(io, config,
                      [&display](const std::string& node, const std::string& text) {
                        display.Event(node, text);
                      });
  if (Status s = cluster.Open(); !s.ok()) {
    std::cerr << "gossipmonger-local-demo: " << s.message() << "\n";
    return 1;
  }
  AnnounceStart(display, cluster);
  if (display.table()) std::fputs("\x1b[2J\x1b[?25l", stdout);  // clear, hide cursor

  asio::steady_timer redraw(io);
  asio::steady_timer deadline(io);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  // Runs on the io_context's thread, so every node stops (and flushes) now.
  auto shutdown = [&] {
    cluster.Stop();
    io.stop();
  };
  signals.async_wait([&](const std::error_code& error, int) {
    if (!error) shutdown();
  });
  if (config.duration_seconds > 0) {
    deadline.expires_after(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::duration<double>(config.duration_seconds)));
    deadline.async_wait([&](const std::error_code& error) {
      if (!error) shutdown();
    });
  }
  cluster.Start();
  if (display.table()) ScheduleRedraw(redraw, display, cluster);
  io.run();

  if (display.table()) {
    display.Draw(cluster);
    std::fputs("\x1b[?25h", stdout);  // show the cursor again
  }
  for (std::size_t i = 0; i < cluster.size(); ++i)
    std::printf("%s stopped at version %llu\n", cluster.id(i).c_str(),
                static_cast<unsigned long long>(cluster.version(i)));
  std::printf("stopped\n");
  return 0;
}
