// The node's storage and transport, built by the tools' plugin factory
// (tools/plugins/plugin_factory.h) from the command line. What is the
// node's own: the transport is wrapped in a counting, fault-injecting
// decorator, and RocksDB (GOSSIPMONGER_NODE_HAVE_ROCKSDB) is a module of
// its own, loaded only when asked for (storage_module.h says why).
#pragma once

#include <asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "gossipmonger/keyring.h"
#include "gossipmonger/socket_transport.h"
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
// and `socket` point into it.
struct ListeningTransport {
  std::unique_ptr<Transport> transport;
  std::string address;
  const bench::TransportCounters* counters = nullptr;
  // The socket transport inside: its encryption mode changes at runtime.
  SocketTransport* socket = nullptr;
  // The socket transport's receive counters (TcpTransport::stats or
  // UdpTransport::stats, as SocketTransportStats).
  std::function<SocketTransportStats()> socket_stats;
};

// Creates the transport of `flags.transport`, sealing with `keyring` (never
// null; may be empty) in mode `encryption` with flags.replay_window, and
// calls Listen() on it.
Status MakeTransport(asio::io_context& io, const NodeFlags& flags,
                     std::shared_ptr<Keyring> keyring, Encryption encryption,
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
