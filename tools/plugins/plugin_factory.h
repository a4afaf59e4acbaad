// The one plugin factory of the tools: builds the storage and socket
// transport a command line names. The library itself picks plugins at link
// time; a tool links the plugins that were built (GOSSIPMONGER_TOOLS_HAVE_*)
// and picks one at run time. A plugin that was switched off is refused with
// kNotSupported. Used by gossipmonger-node and gossipmonger-local-demo.
//
// RocksDB is the caller's: the node loads it from a module of its own, only
// when asked for (tools/node/storage_module.h says why), the demo links it.
#pragma once

#include <asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "gossipmonger/status.h"
#include "gossipmonger/storage.h"
#include "gossipmonger/transport.h"

namespace gossipmonger {
struct SocketTransportOptions;
}  // namespace gossipmonger

namespace gossipmonger::tools {

// Whether this program has the plugin: "memory", "sqlite", "tcp", "udp".
bool PluginBuilt(const std::string& kind);

struct SocketTransportRequest {
  std::string kind;  // tcp | udp
  std::string listen_host;
  std::uint16_t listen_port = 0;   // 0: a free port
  std::string advertised_address;  // empty: the transport's default
  std::string cluster;             // empty: the transport's default
  // Called with the options before Listen, to set what the request does
  // not name (the node's keyring and encryption). Empty: nothing.
  std::function<void(SocketTransportOptions&)> configure;
};

// What a listening socket transport reports.
struct BoundEndpoint {
  std::uint16_t port = 0;
  // The transport's local_address(): "host:port" to announce, empty for a
  // wildcard listen host.
  std::string address;
};

// Creates the transport and starts it listening.
Status OpenSocketTransport(asio::io_context& io, const SocketTransportRequest& request,
                           std::unique_ptr<Transport>* out, BoundEndpoint* bound);

struct StorageRequest {
  std::string kind;  // memory | sqlite | rocksdb
  std::string path;  // sqlite: the file; rocksdb: the directory
  // sqlite: this peer's writes are committed before they return (the
  // node's own id: its own updates survive kill -9). Empty: none.
  std::string synchronous_peer_id;
  // rocksdb: opens `path`; null when the program has no RocksDB.
  Status (*open_rocksdb)(const std::string& path,
                         std::unique_ptr<Storage>* out) = nullptr;
};

// Opens the storage; a new file or directory is created, an existing one
// resumed.
Status OpenStorage(const StorageRequest& request, std::unique_ptr<Storage>* out);

}  // namespace gossipmonger::tools
