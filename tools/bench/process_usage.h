// What a node process cost: CPU time and peak memory, read from /proc.
#pragma once

#include <sys/types.h>

namespace gossipmonger::bench {

// user + system CPU seconds and peak resident memory (VmHWM) of a process,
// from /proc; zeros if it cannot be read.
struct ProcessUsage {
  double cpu_s = 0;
  double peak_rss_kib = 0;
};
ProcessUsage ReadProcessUsage(pid_t pid);

}  // namespace gossipmonger::bench
