#include "plugins.h"

#include <filesystem>
#include <system_error>

#include "gossipmonger/memory_storage.h"
#ifdef GOSSIPMONGER_DEMO_HAVE_TCP
#include "gossipmonger/tcp_transport.h"
#endif
#ifdef GOSSIPMONGER_DEMO_HAVE_UDP
#include "gossipmonger/udp_transport.h"
#endif
#ifdef GOSSIPMONGER_DEMO_HAVE_SQLITE
#include "gossipmonger/sqlite_storage.h"
#endif
#ifdef GOSSIPMONGER_DEMO_HAVE_ROCKSDB
#include "gossipmonger/rocksdb_storage.h"
#endif

namespace gossipmonger::demo {

namespace {

bool Built(const std::string& plugin) {
  if (plugin == "memory") return true;
#ifdef GOSSIPMONGER_DEMO_HAVE_TCP
  if (plugin == "tcp") return true;
#endif
#ifdef GOSSIPMONGER_DEMO_HAVE_UDP
  if (plugin == "udp") return true;
#endif
#ifdef GOSSIPMONGER_DEMO_HAVE_SQLITE
  if (plugin == "sqlite") return true;
#endif
#ifdef GOSSIPMONGER_DEMO_HAVE_ROCKSDB
  if (plugin == "rocksdb") return true;
#endif
  return false;
}

Status NotBuilt(const std::string& what) {
  return Status::Error(
      StatusCode::kNotSupported,
      what + " is not built into this binary (its plugin was switched off)");
}

// Listens and reports the address to announce: the same for both socket
// transports.
template <typename TransportT, typename OptionsT>
Status Listen(asio::io_context& io, std::uint16_t port, std::unique_ptr<Transport>* out,
              std::string* address) {
  OptionsT options;
  options.listen_host = "127.0.0.1";
  options.listen_port = port;
  auto transport = std::make_unique<TransportT>(io, options);
  if (Status s = transport->Listen(); !s.ok()) return s;
  *address = transport->local_address();
  *out = std::move(transport);
  return Status::Ok();
}

}  // namespace

Status CheckBuilt(const DemoConfig& config) {
  if (!Built(config.transport)) return NotBuilt("transport " + config.transport);
  if (!Built(config.storage.kind)) return NotBuilt("storage " + config.storage.kind);
  return Status::Ok();
}

Status OpenStorage(const StorageSpec& spec, const std::string& node_id,
                   std::unique_ptr<Storage>* out) {
  if (spec.kind == "memory") {
    *out = std::make_unique<MemoryStorage>();
    return Status::Ok();
  }
  std::error_code error;
  std::filesystem::create_directories(spec.dir, error);
  if (error)
    return Status::Error(StatusCode::kIOError,
                         "cannot create " + spec.dir + ": " + error.message());
  const std::string path = (std::filesystem::path(spec.dir) / node_id).string();
#ifdef GOSSIPMONGER_DEMO_HAVE_SQLITE
  if (spec.kind == "sqlite") {
    std::unique_ptr<SqliteStorage> storage;
    if (Status s = SqliteStorage::Open(path + ".sqlite", {}, &storage); !s.ok()) return s;
    *out = std::move(storage);
    return Status::Ok();
  }
#endif
#ifdef GOSSIPMONGER_DEMO_HAVE_ROCKSDB
  if (spec.kind == "rocksdb") {
    std::unique_ptr<RocksDbStorage> storage;
    if (Status s = RocksDbStorage::Open(path + ".rocksdb", {}, &storage); !s.ok())
      return s;
    *out = std::move(storage);
    return Status::Ok();
  }
#endif
  return NotBuilt("storage " + spec.kind);
}

Status OpenTransport(asio::io_context& io, testing::MemoryNetwork& network,
                     const TransportRequest& request, std::unique_ptr<Transport>* out,
                     std::string* address) {
  (void)io;  // unused when neither socket transport is built
  if (request.kind == "memory") {
    *address = "mem:" + std::to_string(request.index);
    *out = std::make_unique<testing::MemoryTransport>(network, *address);
    return Status::Ok();
  }
#ifdef GOSSIPMONGER_DEMO_HAVE_TCP
  if (request.kind == "tcp")
    return Listen<TcpTransport, TcpTransportOptions>(io, request.port, out, address);
#endif
#ifdef GOSSIPMONGER_DEMO_HAVE_UDP
  if (request.kind == "udp")
    return Listen<UdpTransport, UdpTransportOptions>(io, request.port, out, address);
#endif
  return NotBuilt("transport " + request.kind);
}

}  // namespace gossipmonger::demo
