#include "plugin_factory.h"

#include "gossipmonger/memory_storage.h"
#ifdef GOSSIPMONGER_TOOLS_HAVE_TCP
#include "gossipmonger/tcp_transport.h"
#endif
#ifdef GOSSIPMONGER_TOOLS_HAVE_UDP
#include "gossipmonger/udp_transport.h"
#endif
#ifdef GOSSIPMONGER_TOOLS_HAVE_SQLITE
#include "gossipmonger/sqlite_storage.h"
#endif

namespace gossipmonger::tools {
namespace {

Status NotBuilt(const std::string& what) {
  return Status::Error(
      StatusCode::kNotSupported,
      what + " is not built into this binary (its plugin was switched off)");
}

// The same for both socket transports.
template <typename TransportT, typename OptionsT>
Status Listen(asio::io_context& io, const SocketTransportRequest& request,
              std::unique_ptr<Transport>* out, BoundEndpoint* bound) {
  OptionsT options;
  options.listen_host = request.listen_host;
  options.listen_port = request.listen_port;
  if (!request.advertised_address.empty())
    options.advertised_address = request.advertised_address;
  if (!request.cluster.empty()) options.cluster = request.cluster;
  if (request.configure) request.configure(options);
  auto transport = std::make_unique<TransportT>(io, options);
  if (Status s = transport->Listen(); !s.ok()) return s;
  bound->port = transport->local_port();
  bound->address = transport->local_address();
  *out = std::move(transport);
  return Status::Ok();
}

}  // namespace

bool PluginBuilt(const std::string& kind) {
  if (kind == "memory") return true;
#ifdef GOSSIPMONGER_TOOLS_HAVE_TCP
  if (kind == "tcp") return true;
#endif
#ifdef GOSSIPMONGER_TOOLS_HAVE_UDP
  if (kind == "udp") return true;
#endif
#ifdef GOSSIPMONGER_TOOLS_HAVE_SQLITE
  if (kind == "sqlite") return true;
#endif
  return false;
}

Status OpenSocketTransport(asio::io_context& io, const SocketTransportRequest& request,
                           std::unique_ptr<Transport>* out, BoundEndpoint* bound) {
  (void)io, (void)out, (void)bound;  // unused when neither socket transport is built
#ifdef GOSSIPMONGER_TOOLS_HAVE_TCP
  if (request.kind == "tcp")
    return Listen<TcpTransport, TcpTransportOptions>(io, request, out, bound);
#endif
#ifdef GOSSIPMONGER_TOOLS_HAVE_UDP
  if (request.kind == "udp")
    return Listen<UdpTransport, UdpTransportOptions>(io, request, out, bound);
#endif
  return NotBuilt("transport '" + request.kind + "'");
}

Status OpenStorage(const StorageRequest& request, std::unique_ptr<Storage>* out) {
  if (request.kind == "memory") {
    *out = std::make_unique<MemoryStorage>();
    return Status::Ok();
  }
#ifdef GOSSIPMONGER_TOOLS_HAVE_SQLITE
  if (request.kind == "sqlite") {
    SqliteStorageOptions options;
    options.synchronous_peer_id = request.synchronous_peer_id;
    std::unique_ptr<SqliteStorage> storage;
    if (Status s = SqliteStorage::Open(request.path, options, &storage); !s.ok())
      return s;
    *out = std::move(storage);
    return Status::Ok();
  }
#endif
  if (request.kind == "rocksdb" && request.open_rocksdb != nullptr)
    return request.open_rocksdb(request.path, out);
  return NotBuilt("storage '" + request.kind + "'");
}

}  // namespace gossipmonger::tools
