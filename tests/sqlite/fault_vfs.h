// A SQLite VFS for tests that forwards to the default one and fails writes
// or syncs on demand, to play a full or failing disk under SqliteStorage
// (SqliteStorageOptions::vfs = FaultVfs::kName).
#pragma once

#include <atomic>

namespace gossipmonger::sqlite_test {

class FaultVfs {
 public:
  static constexpr const char* kName = "gossipmonger-fault";

  // Registers the VFS (once per process; not as the default).
  static void Register();

  // While set, every xWrite / xTruncate returns SQLITE_FULL.
  static std::atomic<bool> fail_writes;
  // While set, every xSync returns SQLITE_IOERR_FSYNC.
  static std::atomic<bool> fail_syncs;
  // Counts the failures injected so far.
  static std::atomic<int> injected;

  // Clears both switches.
  static void Heal() {
    fail_writes = false;
    fail_syncs = false;
  }
};

}  // namespace gossipmonger::sqlite_test
