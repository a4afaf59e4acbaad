#include "plugins.h"

#include <functional>
#include <type_traits>

#include "gossipmonger/memory_storage.h"
#include "gossipmonger/tcp_transport.h"
#include "gossipmonger/udp_transport.h"
#ifdef GOSSIPMONGER_NODE_HAVE_SQLITE
#include "gossipmonger/sqlite_storage.h"
#endif
#ifdef GOSSIPMONGER_NODE_HAVE_ROCKSDB
#include "gossipmonger/rocksdb_storage.h"
#endif

namespace gossipmonger::node {
namespace {

// The address the transport reserves room for in every envelope: the
// advertised one, or the listen host with the longest port when the port is
// not known before Listen.
std::string AddressBudget(const NodeFlags& flags) {
  if (!flags.advertise.empty()) return flags.advertise;
  return FormatHostPort(flags.listen.host,
                        flags.listen.port == 0 ? 65535 : flags.listen.port);
}

template <typename T, typename TOptions>
Status Listen(asio::io_context& io, const NodeFlags& flags, ListeningTransport* out) {
  TOptions options;
  options.listen_host = flags.listen.host;
  options.listen_port = flags.listen.port;
  options.advertised_address = AddressBudget(flags);
  options.cluster = flags.cluster;
  auto transport = std::make_unique<T>(io, options);
  if (Status s = transport->Listen(); !s.ok()) return s;
  out->port = transport->local_port();
  bench::FaultOptions faults;
  faults.loss = flags.inject_loss;
  faults.delay = std::chrono::milliseconds(flags.inject_delay_ms);
  faults.seed = std::hash<std::string>()(flags.id);
  // A TCP frame has a 4-byte length prefix, and TCP resends what it loses.
  const bool tcp = std::is_same_v<T, TcpTransport>;
  faults.loss_mode = tcp ? bench::FaultOptions::LossMode::kRetransmit
                         : bench::FaultOptions::LossMode::kDrop;
  auto wrapped = std::make_unique<bench::InstrumentedTransport>(
      io, std::move(transport), flags.cluster, tcp ? 4 : 0, faults);
  out->counters = &wrapped->counters();
  out->transport = std::move(wrapped);
  return Status::Ok();
}

}  // namespace

Status MakeTransport(asio::io_context& io, const NodeFlags& flags,
                     ListeningTransport* out) {
  if (flags.transport == "udp")
    return Listen<UdpTransport, UdpTransportOptions>(io, flags, out);
  return Listen<TcpTransport, TcpTransportOptions>(io, flags, out);
}

Status MakeStorage(const NodeFlags& flags, std::unique_ptr<Storage>* out) {
  const std::string& spec = flags.storage;
  if (spec == "memory") {
    *out = std::make_unique<MemoryStorage>();
    return Status::Ok();
  }
  const std::string kind = spec.substr(0, spec.find(':'));
  const std::string path = spec.substr(spec.find(':') + 1);
#ifdef GOSSIPMONGER_NODE_HAVE_SQLITE
  if (kind == "sqlite") {
    SqliteStorageOptions options;
    options.synchronous_peer_id = flags.id;
    std::unique_ptr<SqliteStorage> storage;
    if (Status s = SqliteStorage::Open(path, options, &storage); !s.ok()) return s;
    *out = std::move(storage);
    return Status::Ok();
  }
#endif
#ifdef GOSSIPMONGER_NODE_HAVE_ROCKSDB
  if (kind == "rocksdb") {
    std::unique_ptr<RocksDbStorage> storage;
    if (Status s = RocksDbStorage::Open(path, {}, &storage); !s.ok()) return s;
    *out = std::move(storage);
    return Status::Ok();
  }
#endif
  (void)path;
  return Status::Error(StatusCode::kNotSupported,
                       "storage '" + kind + "' is not built into this binary");
}

}  // namespace gossipmonger::node
