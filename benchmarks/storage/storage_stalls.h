// How long single Storage calls hold their caller. In the runtime every
// storage call runs on the io_context's thread, so each of these durations
// is time during which that node neither gossips nor answers: an event-loop
// stall. Used by the storage benchmarks, through the Storage interface only,
// so every backend is measured the same way.
//
// The workload mirrors what the engine does to a storage:
//   local update   one PutDeltas of one key of the local peer (Update())
//   local flush    the Flush the runtime issues once per gossip round, here
//                  after `updates_per_round` local updates
//   remote message one PutDeltas of a whole message's worth of another
//                  peer's deltas (one transaction / WriteBatch)
//   remote flush   a Flush after each such message
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "gossipmonger/storage.h"
#include "percentile.h"

namespace gossipmonger::bench {

struct StallWorkload {
  std::uint64_t local_updates = 20000;
  std::uint64_t updates_per_round = 1000;
  std::uint64_t remote_messages = 200;
  std::uint64_t deltas_per_message = 500;  // about a 64 KiB body of 100-byte values
  std::size_t value_bytes = 100;
  std::uint64_t distinct_keys = 10000;
};

// Durations of one kind of call, in seconds.
class CallDurations {
 public:
  template <typename Call>
  void Time(Call&& call) {
    const auto start = std::chrono::steady_clock::now();
    call();
    seconds_.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  // The q-quantile (0 ≤ q ≤ 1) by nearest rank, the tools' one definition
  // (tools/support/percentile.h); 0 when nothing was timed.
  double Quantile(double q) const { return tools::Percentile(seconds_, q); }
  std::size_t count() const { return seconds_.size(); }

 private:
  std::vector<double> seconds_;
};

struct StallProfile {
  CallDurations local_update;
  CallDurations local_flush;  // after `updates_per_round` local updates
  CallDurations remote_message;
  CallDurations remote_flush;  // after one remote message
};

inline void CheckOk(const Status& status, const char* what) {
  if (status.ok()) return;
  std::fprintf(stderr, "storage stall profile: %s: %s\n", what,
               status.ToString().c_str());
  std::exit(1);
}

inline std::string StallValue(std::uint64_t v, std::size_t bytes) {
  std::string value(bytes, static_cast<char>('a' + v % 26));
  const std::string tag = std::to_string(v);
  value.replace(0, std::min(tag.size(), value.size()), tag.substr(0, value.size()));
  return value;
}

// Runs the workload against an empty, open `storage`.
inline StallProfile MeasureStalls(Storage& storage, const StallWorkload& w) {
  StallProfile profile;
  CheckOk(storage.PutPeer({"self", "127.0.0.1:9742", Generation(1), true}), "PutPeer");
  CheckOk(storage.PutPeer({"remote", "127.0.0.1:9743", Generation(1), true}), "PutPeer");
  for (std::uint64_t v = 1; v <= w.local_updates; ++v) {
    const KeyDelta delta{"key-" + std::to_string(v % w.distinct_keys),
                         StallValue(v, w.value_bytes), Version(v)};
    profile.local_update.Time([&] {
      CheckOk(storage.PutDeltas("self", std::span<const KeyDelta>(&delta, 1), Version(v)),
              "PutDeltas");
    });
    if (v % w.updates_per_round == 0)
      profile.local_flush.Time([&] { CheckOk(storage.Flush(), "Flush"); });
  }
  std::uint64_t version = 0;
  std::vector<KeyDelta> message;
  for (std::uint64_t m = 0; m < w.remote_messages; ++m) {
    message.clear();
    for (std::uint64_t i = 0; i < w.deltas_per_message; ++i) {
      ++version;
      message.push_back({"key-" + std::to_string(version % w.distinct_keys),
                         StallValue(version, w.value_bytes), Version(version)});
    }
    profile.remote_message.Time([&] {
      CheckOk(storage.PutDeltas("remote", message, Version(version)), "PutDeltas");
    });
    profile.remote_flush.Time([&] { CheckOk(storage.Flush(), "Flush"); });
  }
  return profile;
}

inline void PrintStalls(const char* label, const StallProfile& p) {
  const auto line = [](const char* what, const CallDurations& d) {
    std::printf("    %-16s %7zu calls  p50 %8.3f ms  p99 %8.3f ms  max %8.3f ms\n", what,
                d.count(), d.Quantile(0.5) * 1e3, d.Quantile(0.99) * 1e3,
                d.Quantile(1.0) * 1e3);
  };
  std::printf("  event-loop stalls, %s:\n", label);
  line("local update", p.local_update);
  line("local flush", p.local_flush);
  line("remote message", p.remote_message);
  line("remote flush", p.remote_flush);
}

}  // namespace gossipmonger::bench
