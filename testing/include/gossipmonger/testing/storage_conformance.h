// The storage conformance suite: the contract of gossipmonger::Storage
// (gossipmonger/storage.h and peer.h) as one function that every storage
// backend's tests call, so that the engine can rely on the same behaviour
// whichever backend is linked. Installed with the testing kit; needs Catch2
// v2 (<catch2/catch.hpp>), which the kit does not link: link it yourself.
//
//   #include "gossipmonger/testing/storage_conformance.h"
//
//   TEST_CASE("SQLite storage conforms to the Storage contract", "[storage]") {
//     const std::filesystem::path file = ...;  // a per-test scratch path
//     gossipmonger::testing::RunStorageConformance(
//         [&] { std::filesystem::remove(file); return OpenSqlite(file); },  // fresh
//         [&] { return OpenSqlite(file); });                                // reopen
//   }
//
// or, for a backend with nothing to set up, the one-line macro
//
//   GOSSIPMONGER_STORAGE_CONFORMANCE_TEST("Memory", [] { return ...; }, nullptr)
//
// `open_fresh` must return an empty storage every time it is called: the
// suite is a set of Catch SECTIONs, and Catch runs the enclosing TEST_CASE
// once per section, calling `open_fresh` again each time.
//
// `reopen` is null for a backend without persistence (memory). When given,
// it must open what the last storage wrote (the previous object is always
// destroyed first), and every check is run twice: on the storage that took the
// writes, then on a reopened one. Closing means destroying the object without
// calling Flush first: a clean close must keep every acknowledged write (Flush
// is about durability against a crash, which a backend tests on its own).
#pragma once

#include "gossipmonger/testing/storage_conformance_deltas.h"
#include "gossipmonger/testing/storage_conformance_lifecycle.h"
#include "gossipmonger/testing/storage_conformance_peers.h"
#include "gossipmonger/testing/storage_conformance_support.h"

namespace gossipmonger::testing {

// Runs every check of the contract, each in its own Catch SECTION.
inline void RunStorageConformance(const StorageFactory& open_fresh,
                                  const StorageFactory& reopen) {
  storage_suite::StorageUnderTest storage(open_fresh, reopen);
  storage_suite::CheckNewPeers(storage);
  storage_suite::CheckSameGeneration(storage);
  storage_suite::CheckOtherGeneration(storage);
  storage_suite::CheckRefusedPeers(storage);
  storage_suite::CheckPeerListings(storage);
  storage_suite::CheckBatches(storage);
  storage_suite::CheckRefusedBatch(storage);
  storage_suite::CheckValues(storage);
  storage_suite::CheckManyPeers(storage);
  storage_suite::CheckFlushAndGet(storage);
  // The lifecycle (docs/LIFECYCLE.md).
  storage_suite::CheckEntryKinds(storage);
  storage_suite::CheckReplaceData(storage);
  storage_suite::CheckCollectTombstones(storage);
  storage_suite::CheckForgetPeer(storage);
  storage_suite::CheckFloorsAndDownSince(storage);
}

}  // namespace gossipmonger::testing

// Defines a TEST_CASE that runs the suite: `name` (a string literal) names
// the backend; the rest are RunStorageConformance's `open_fresh` and `reopen`
// (reopen may be nullptr). Variadic so that lambdas with commas pass through.
#define GOSSIPMONGER_STORAGE_CONFORMANCE_TEST(name, ...)                     \
  TEST_CASE(name " storage conforms to the Storage contract", "[storage]") { \
    ::gossipmonger::testing::RunStorageConformance(__VA_ARGS__);             \
  }
