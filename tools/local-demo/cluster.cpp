#include "cluster.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "plugin_factory.h"
#ifdef GOSSIPMONGER_DEMO_HAVE_ROCKSDB
#include "gossipmonger/rocksdb_storage.h"
#endif

namespace gossipmonger::demo {

// Member order is destruction order reversed: the Gossipmonger goes first,
// then the transport and storage it borrows.
struct DemoCluster::Node {
  PeerEndpoint self;
  std::unique_ptr<Storage> storage;
  std::unique_ptr<Transport> transport;
  std::unique_ptr<Gossipmonger> gossipmonger;
  std::unique_ptr<asio::steady_timer> update_timer;
  std::uint64_t resumed_at = 0;
};

namespace {

std::uint64_t RandomSeed(const DemoConfig& config) {
  return config.seed ? *config.seed : std::random_device{}();
}

#ifdef GOSSIPMONGER_DEMO_HAVE_ROCKSDB
Status OpenRocksDb(const std::string& path, std::unique_ptr<Storage>* out) {
  std::unique_ptr<RocksDbStorage> storage;
  if (Status s = RocksDbStorage::Open(path, {}, &storage); !s.ok()) return s;
  *out = std::move(storage);
  return Status::Ok();
}
#endif

// Node `id`'s storage: in memory, or its own file (sqlite) or directory
// (rocksdb) inside spec.dir, which is created if missing.
Status OpenNodeStorage(const StorageSpec& spec, const std::string& id,
                       std::unique_ptr<Storage>* out) {
  tools::StorageRequest request;
  request.kind = spec.kind;
#ifdef GOSSIPMONGER_DEMO_HAVE_ROCKSDB
  request.open_rocksdb = OpenRocksDb;
#endif
  if (spec.kind != "memory") {
    std::error_code error;
    std::filesystem::create_directories(spec.dir, error);
    if (error)
      return Status::Error(StatusCode::kIOError,
                           "cannot create " + spec.dir + ": " + error.message());
    request.path = (std::filesystem::path(spec.dir) / (id + "." + spec.kind)).string();
  }
  return tools::OpenStorage(request, out);
}

}  // namespace

Status CheckBuilt(const DemoConfig& config) {
  const std::string& transport = config.transport;
  const std::string& storage = config.storage.kind;
  bool rocksdb = false;
#ifdef GOSSIPMONGER_DEMO_HAVE_ROCKSDB
  rocksdb = true;
#endif
  if (transport != "memory" && !tools::PluginBuilt(transport))
    return Status::Error(StatusCode::kNotSupported,
                         "transport " + transport + " is not built into this binary");
  if (!tools::PluginBuilt(storage) && !(storage == "rocksdb" && rocksdb))
    return Status::Error(StatusCode::kNotSupported,
                         "storage " + storage + " is not built into this binary");
  return Status::Ok();
}

DemoCluster::DemoCluster(asio::io_context& io, DemoConfig config, EventSink sink)
    : io_(io),
      config_(std::move(config)),
      sink_(std::move(sink)),
      network_(io, RandomSeed(config_)),
      rng_(RandomSeed(config_)) {}

DemoCluster::~DemoCluster() = default;

Status DemoCluster::Open() {
  // Transports first: with ephemeral ports the addresses are known only
  // once every transport listens.
  std::vector<PeerEndpoint> endpoints;
  for (int i = 0; i < config_.nodes; ++i) {
    auto node = std::make_unique<Node>();
    node->self.id = "node" + std::to_string(i);
    const auto port =
        static_cast<std::uint16_t>(config_.base_port == 0 ? 0 : config_.base_port + i);
    if (Status s = OpenTransport(i, port, *node); !s.ok())
      return Status::Error(s.code(), node->self.id + ": " + s.ToString());
    endpoints.push_back(node->self);
    nodes_.push_back(std::move(node));
  }
  // Two seeds, so that the cluster forms even if one of them is slow.
  const std::vector<PeerEndpoint> seeds(endpoints.begin(), endpoints.begin() + 2);
  for (int i = 0; i < config_.nodes; ++i) {
    if (Status s = OpenNode(i, seeds); !s.ok()) return s;
  }
  return Status::Ok();
}

// Node `index`'s transport: on the in-process network ("mem:<index>"), or
// listening on 127.0.0.1:`port` (0: a free port).
Status DemoCluster::OpenTransport(int index, std::uint16_t port, Node& node) {
  if (config_.transport == "memory") {
    node.self.address = "mem:" + std::to_string(index);
    node.transport =
        std::make_unique<testing::MemoryTransport>(network_, node.self.address);
    return Status::Ok();
  }
  const tools::SocketTransportRequest request{
      config_.transport, "127.0.0.1", port, "", "", {}};
  tools::BoundEndpoint bound;
  if (Status s = tools::OpenSocketTransport(io_, request, &node.transport, &bound);
      !s.ok())
    return s;
  node.self.address = bound.address;
  return Status::Ok();
}

Status DemoCluster::OpenNode(int index, const std::vector<PeerEndpoint>& seeds) {
  Node& node = *nodes_[static_cast<std::size_t>(index)];
  if (Status s = OpenNodeStorage(config_.storage, node.self.id, &node.storage); !s.ok())
    return Status::Error(s.code(), node.self.id + ": " + s.ToString());
  Options options;
  options.gossip_interval = std::chrono::milliseconds(config_.interval_ms);
  options.seeds = seeds;
  if (Status s = Gossipmonger::Create(io_, node.self, options, *node.storage,
                                      *node.transport, &node.gossipmonger);
      !s.ok()) {
    return Status::Error(s.code(), node.self.id + ": " + s.ToString());
  }
  node.resumed_at = node.gossipmonger->engine().version().value();
  node.update_timer = std::make_unique<asio::steady_timer>(io_);
  Subscribe(node);
  return Status::Ok();
}

void DemoCluster::Subscribe(Node& node) {
  Gossipmonger& g = *node.gossipmonger;
  auto log = [this, id = node.self.id](const std::string& text) { sink_(id, text); };
  g.OnError([log](const Status& s) { log("error: " + s.ToString()); });
  g.OnNewPeer(
      [log](const PeerEndpoint& p) { log("new peer " + p.id + " at " + p.address); });
  g.OnPeerDead([log](const PeerEndpoint& p) { log("peer " + p.id + " is DEAD"); });
  g.OnPeerLive([log](const PeerEndpoint& p) { log("peer " + p.id + " is live again"); });
  g.OnUpdate([log](const UpdateEvent& e) {
    log("got update " + e.peer + "." + e.key + " = " + e.value + " (v" +
        std::to_string(e.version.value()) + ")");
  });
}

void DemoCluster::Start() {
  for (auto& node : nodes_) {
    node->gossipmonger->Gossip();
    ScheduleUpdate(*node);
  }
}

void DemoCluster::ScheduleUpdate(Node& node) {
  // Every two intervals on average, uniformly within 1..3 intervals.
  const int interval = config_.interval_ms;
  const int delay = std::uniform_int_distribution<int>(interval, 3 * interval)(rng_);
  node.update_timer->expires_after(std::chrono::milliseconds(delay));
  node.update_timer->async_wait([this, &node](const std::error_code& error) {
    if (error || stopped_) return;
    UpdateRandomKey(node);
    ScheduleUpdate(node);
  });
}

void DemoCluster::UpdateRandomKey(Node& node) {
  const std::string key =
      "key" + std::to_string(std::uniform_int_distribution<int>(0, 4)(rng_));
  const std::string value =
      std::to_string(std::uniform_int_distribution<int>(0, 999)(rng_));
  // On the executor, Update applies at once, so the version is already new.
  if (Status s = node.gossipmonger->Update(key, value); !s.ok()) {
    sink_(node.self.id, "error: " + s.ToString());
    return;
  }
  sink_(node.self.id, "set " + key + " = " + value + " (v" +
                          std::to_string(node.gossipmonger->engine().version().value()) +
                          ")");
}

void DemoCluster::Stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& node : nodes_) {
    if (node->update_timer) node->update_timer->cancel();
    if (node->gossipmonger) node->gossipmonger->Stop();
  }
}

const std::string& DemoCluster::id(std::size_t i) const { return nodes_.at(i)->self.id; }

std::uint64_t DemoCluster::resumed_at(std::size_t i) const {
  return nodes_.at(i)->resumed_at;
}

std::uint64_t DemoCluster::version(std::size_t i) const {
  return nodes_.at(i)->gossipmonger->engine().version().value();
}

TableSnapshot DemoCluster::Snapshot() const {
  TableSnapshot snapshot;
  for (const auto& node : nodes_) {
    snapshot.ids.push_back(node->self.id);
    snapshot.resumed_at.push_back(node->resumed_at);
  }
  for (const auto& observer : nodes_) {
    std::vector<CellView> row;
    for (const std::string& subject : snapshot.ids) {
      CellView cell;
      if (const PeerRecord* record = observer->storage->Get(subject)) {
        cell = CellView{true, subject == observer->self.id, record->live,
                        record->max_version_seen.value(), record->data.size()};
      }
      row.push_back(cell);
    }
    snapshot.cells.push_back(std::move(row));
  }
  return snapshot;
}

}  // namespace gossipmonger::demo
