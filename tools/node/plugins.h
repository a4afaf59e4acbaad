// Builds the storage and transport named on the command line. The library
// picks plugins at link time; this program links the transports, memory
// storage and SQLite (GOSSIPMONGER_NODE_HAVE_SQLITE) and picks one at run
// time. RocksDB (GOSSIPMONGER_NODE_HAVE_ROCKSDB) is a module of its own,
// loaded only when asked for (storage_module.h says why).
#pragma once

#include <asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "gossipmonger/status.h"
#include "gossipmonger/storage.h"
#include "gossipmonger/transport.h"
#include "instrumented_transport.h"
#include "node_flags.h"

namespace gossipmonger::node {

// A transport that is already listening, and the address it bound (the
// transport's local_address; for a wildcard --listen host, which has none,
// that host with the bound port). It is wrapped in an InstrumentedTransport
// (counters for the `stats` command, and the --inject-* faults); `counters`
// points into it.
struct ListeningTransport {
  std::unique_ptr<Transport> transport;
  std::string address;
  const bench::TransportCounters* counters = nullptr;
};

// Creates the transport of `flags.transport` and calls Listen() on it.
Status MakeTransport(asio::io_context& io, const NodeFlags& flags,
                     ListeningTransport* out);

// Opens the storage of `flags.storage` (memory, sqlite:PATH, rocksdb:PATH).
// rocksdb:PATH loads gossipmonger-node-rocksdb.so from
// $GOSSIPMONGER_NODE_MODULE_DIR if set, else from this executable's
// directory, then from the installed module directory; a missing module is
// kNotSupported naming where it was looked for. SQLite commits the node's own writes
// synchronously (its own updates survive kill -9); everything else is flushed once per
// gossip round.
Status MakeStorage(const NodeFlags& flags, std::unique_ptr<Storage>* out);

}  // namespace gossipmonger::node
