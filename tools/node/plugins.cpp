#include "plugins.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <vector>

#include "gossipmonger/tcp_transport.h"
#include "gossipmonger/udp_transport.h"
#include "plugin_factory.h"
#ifdef GOSSIPMONGER_NODE_HAVE_ROCKSDB
#include "storage_module.h"
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

#ifdef GOSSIPMONGER_NODE_HAVE_ROCKSDB
// Where the RocksDB module may be: only $GOSSIPMONGER_NODE_MODULE_DIR when it
// is set; else next to this executable (the build tree), then in the
// installed layout's module directory, found relative to the executable so
// that an installation can be moved (cmake --install --prefix).
std::vector<std::filesystem::path> ModuleDirectories() {
  if (const char* dir = std::getenv("GOSSIPMONGER_NODE_MODULE_DIR"); dir && *dir) {
    return {dir};
  }
  std::error_code error;
  const std::filesystem::path exe =
      std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return {};
  const std::filesystem::path bin = exe.parent_path();
  return {bin, (bin / GOSSIPMONGER_NODE_MODULE_RELDIR).lexically_normal()};
}

Status OpenRocksDb(const std::string& path, std::unique_ptr<Storage>* out) {
  std::string searched;
  for (const std::filesystem::path& dir : ModuleDirectories()) {
    const std::filesystem::path file = dir / kRocksDbModuleFile;
    searched += (searched.empty() ? "" : ", ") + dir.string();
    if (::access(file.c_str(), F_OK) != 0) continue;
    // RTLD_NODELETE, and the handle is never closed: once a database was
    // opened, RocksDB's background threads run code of librocksdb for the
    // rest of the process. RTLD_LOCAL: librocksdb's symbols stay out of the
    // global scope.
    void* module = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (module == nullptr) {
      return Status::Error(StatusCode::kNotSupported,
                           "cannot load " + file.string() + ": " + ::dlerror());
    }
    auto open =
        reinterpret_cast<OpenRocksDbFunction>(::dlsym(module, kRocksDbModuleEntry));
    if (open == nullptr) {
      return Status::Error(StatusCode::kNotSupported, file.string() + " has no " +
                                                          kRocksDbModuleEntry +
                                                          ": not a RocksDB module of "
                                                          "this gossipmonger-node");
    }
    int code = 0;
    char message[4096] = {};
    Storage* storage =
        open(GOSSIPMONGER_NODE_MODULE_ABI, path.c_str(), &code, message, sizeof message);
    if (storage == nullptr) {
      // Never an ok Status without a storage, whatever the module said.
      const auto status_code = static_cast<StatusCode>(code);
      return Status::Error(
          status_code == StatusCode::kOk ? StatusCode::kIOError : status_code, message);
    }
    out->reset(storage);
    return Status::Ok();
  }
  return Status::Error(StatusCode::kNotSupported,
                       std::string("storage 'rocksdb' needs the module ") +
                           kRocksDbModuleFile + ", not found in " +
                           (searched.empty() ? "(/proc/self/exe unreadable)" : searched) +
                           " (build the gossipmonger-node-rocksdb target, install it, "
                           "or set GOSSIPMONGER_NODE_MODULE_DIR)");
}
#endif

// The counters of whichever socket transport `transport` is.
std::function<SocketTransportStats()> SocketStats(const Transport* transport) {
  if (const auto* tcp = dynamic_cast<const TcpTransport*>(transport)) {
    return [tcp] { return SocketTransportStats(tcp->stats()); };
  }
  if (const auto* udp = dynamic_cast<const UdpTransport*>(transport)) {
    return [udp] { return SocketTransportStats(udp->stats()); };
  }
  return {};
}

}  // namespace

Status MakeTransport(asio::io_context& io, const NodeFlags& flags,
                     std::shared_ptr<Keyring> keyring, Encryption encryption,
                     ListeningTransport* out) {
  tools::SocketTransportRequest request{flags.transport,   flags.listen.host,
                                        flags.listen.port, AddressBudget(flags),
                                        flags.cluster,     nullptr};
  request.configure = [&](SocketTransportOptions& options) {
    options.keyring = keyring;
    options.encryption = encryption;
    options.replay_window = flags.replay_window;
  };
  std::unique_ptr<Transport> transport;
  tools::BoundEndpoint bound;
  if (Status s = tools::OpenSocketTransport(io, request, &transport, &bound); !s.ok())
    return s;
  out->socket = dynamic_cast<SocketTransport*>(transport.get());
  out->socket_stats = SocketStats(transport.get());
  // A wildcard host reaches no one in particular; the node announces it as
  // given, as it always has (--advertise says better).
  out->address = bound.address.empty() ? FormatHostPort(flags.listen.host, bound.port)
                                       : bound.address;
  bench::FaultOptions faults;
  faults.loss = flags.inject_loss;
  faults.delay = std::chrono::milliseconds(flags.inject_delay_ms);
  faults.seed = std::hash<std::string>()(flags.id);
  // A TCP frame has a 4-byte length prefix, and TCP resends what it loses.
  const bool tcp = flags.transport == "tcp";
  faults.loss_mode = tcp ? bench::FaultOptions::LossMode::kRetransmit
                         : bench::FaultOptions::LossMode::kDrop;
  auto wrapped = std::make_unique<bench::InstrumentedTransport>(
      io, std::move(transport), flags.cluster, tcp ? 4 : 0, faults);
  out->counters = &wrapped->counters();
  out->transport = std::move(wrapped);
  return Status::Ok();
}

Status MakeStorage(const NodeFlags& flags, std::unique_ptr<Storage>* out) {
  const std::string& spec = flags.storage;
  const auto colon = spec.find(':');
  tools::StorageRequest request;
  request.kind = spec.substr(0, colon);
  request.path = colon == std::string::npos ? "" : spec.substr(colon + 1);
  request.synchronous_peer_id = flags.id;
#ifdef GOSSIPMONGER_NODE_HAVE_ROCKSDB
  request.open_rocksdb = OpenRocksDb;
#endif
  return tools::OpenStorage(request, out);
}

}  // namespace gossipmonger::node
