#include "node_app.h"

#include "command.h"
#include "encryption_mode.h"

namespace gossipmonger::node {

NodeApp::NodeApp(asio::io_context& io, Gossipmonger& node, LineWriter& writer,
                 const ListeningTransport* transport, NodeKeyring* keyring)
    : io_(io),
      node_(node),
      writer_(writer),
      transport_(transport),
      keyring_(keyring),
      leave_timer_(io) {
  AttachEvents();
  AttachLifecycleEvents();
}

void NodeApp::AttachEvents() {
  node_.OnError([this](const Status& s) { Error(s.ToString()); });
  node_.OnNewPeer([this](const PeerEndpoint& p) {
    writer_.Write(JsonLine("new_peer").Str("peer", p.id).Str("address", p.address));
  });
  node_.OnPeerDead([this](const PeerEndpoint& p) {
    writer_.Write(JsonLine("peer_dead").Str("peer", p.id));
  });
  node_.OnPeerLive([this](const PeerEndpoint& p) {
    writer_.Write(JsonLine("peer_live").Str("peer", p.id));
  });
  node_.OnUpdate([this](const UpdateEvent& e) {
    writer_.Write(JsonLine("update")
                      .Str("peer", e.peer)
                      .Str("key", e.key)
                      .Str("value", e.value)
                      .Uint("version", e.version.value()));
  });
  node_.OnLocalPause([this](const LocalPauseEvent& e) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(e.paused);
    writer_.Write(JsonLine("local_pause")
                      .Uint("paused_ms", static_cast<std::uint64_t>(ms.count())));
  });
  node_.OnNewLineage([this](const NewLineageEvent& e) {
    writer_.Write(JsonLine("new_lineage").Uint("generation", e.generation.value()));
  });
}

// The events of docs/LIFECYCLE.md.
void NodeApp::AttachLifecycleEvents() {
  node_.OnDelete([this](const DeleteEvent& e) {
    writer_.Write(JsonLine("delete")
                      .Str("peer", e.peer)
                      .Str("key", e.key)
                      .Uint("version", e.version.value()));
  });
  node_.OnPeerLeft([this](const PeerEndpoint& p) {
    writer_.Write(JsonLine("peer_left").Str("peer", p.id));
  });
  node_.OnPeerForgotten([this](const PeerForgottenEvent& e) {
    writer_.Write(JsonLine("peer_forgotten")
                      .Str("peer", e.peer)
                      .Uint("generation", e.generation.value()));
  });
}

void NodeApp::Start(const std::string& address) {
  writer_.Write(JsonLine("listening").Str("address", address));
  node_.Gossip();
}

void NodeApp::Execute(const std::string& line) {
  if (stopped_) return;
  const Command command = ParseCommand(line);
  switch (command.kind) {
    case Command::Kind::kNone:
      return;
    case Command::Kind::kSet:
      return Set(command.key, command.value);
    case Command::Kind::kSetWithTtl:
      return SetWithTtl(command.key, command.value, command.ttl_ms);
    case Command::Kind::kDelete:
      return Delete(command.key);
    case Command::Kind::kLeave:
      return Leave(/*shutdown_if_refused=*/false);
    case Command::Kind::kGet:
      return Get(command.peer, command.key);
    case Command::Kind::kPeers:
      return Peers();
    case Command::Kind::kStats:
      return Stats();
    case Command::Kind::kQuit:
      return Shutdown();
    case Command::Kind::kKeyInstall:
      return ChangeKeyring("key install",
                           [&] { return keyring_->Install(command.key_argument); });
    case Command::Kind::kKeyUse:
      return ChangeKeyring("key use",
                           [&] { return keyring_->Use(command.key_argument); });
    case Command::Kind::kKeyRemove:
      return ChangeKeyring("key remove",
                           [&] { return keyring_->Remove(command.key_argument); });
    case Command::Kind::kKeyList:
      return ChangeKeyring("key list", [] { return Status::Ok(); });
    case Command::Kind::kEncryption:
      return ChangeKeyring("encryption",
                           [&] { return keyring_->SetEncryption(command.encryption); });
    case Command::Kind::kError:
      return Error(command.error);
  }
}

void NodeApp::Shutdown() {
  if (stopped_) return;
  stopped_ = true;
  leave_timer_.cancel();
  node_.Stop();  // on the executor: stops and flushes before returning
  io_.stop();
}

void NodeApp::Set(const std::string& key, const std::string& value) {
  // Limits are checked at once; a storage failure comes as an `error` event.
  if (Status s = node_.Update(key, value); !s.ok()) Error(s.ToString());
}

void NodeApp::SetWithTtl(const std::string& key, const std::string& value,
                         std::int64_t ttl_ms) {
  if (Status s = node_.Update(key, value, std::chrono::milliseconds(ttl_ms)); !s.ok()) {
    Error(s.ToString());
  }
}

void NodeApp::Delete(const std::string& key) {
  if (Status s = node_.Delete(key); !s.ok()) Error(s.ToString());
}

void NodeApp::Leave(bool shutdown_if_refused) {
  if (stopped_ || leaving_) return;
  if (Status s = node_.Leave(); !s.ok()) {
    Error(s.ToString());
    if (shutdown_if_refused) Shutdown();
    return;
  }
  leaving_ = true;
  // The runtime stops the node within one interval; past twice that and a
  // second, something is wrong: stop anyway rather than hang.
  leave_deadline_ = std::chrono::steady_clock::now() +
                    2 * node_.engine().options().gossip_interval +
                    std::chrono::seconds(1);
  AwaitStopAfterLeave();
}

void NodeApp::AwaitStopAfterLeave() {
  if (stopped_) return;
  // Gossip changes nothing while the node gossips, and answers kStopped
  // once the runtime has stopped it: the one public sign of the stop.
  if (node_.Gossip().code() == StatusCode::kStopped ||
      std::chrono::steady_clock::now() >= leave_deadline_) {
    return Shutdown();
  }
  leave_timer_.expires_after(std::chrono::milliseconds(10));
  leave_timer_.async_wait([this](const std::error_code& error) {
    if (!error) AwaitStopAfterLeave();
  });
}

void NodeApp::Get(const std::string& peer, const std::string& key) {
  JsonLine line("value");
  line.Str("peer", peer).Str("key", key);
  // A tombstone is no value (the runtime's Get skips them already).
  auto found = node_.Get(peer, key);
  if (found && found->kind == EntryKind::kValue) {
    line.Bool("found", true)
        .Str("value", found->value)
        .Uint("version", found->version.value());
  } else {
    line.Bool("found", false);
  }
  writer_.Write(line);
}

// Every peer this node knows except itself, sorted by id (Gossipmonger::Peers).
void NodeApp::Peers() {
  std::string array = "[";
  for (const PeerSummary& peer : node_.Peers()) {
    if (array.size() > 1) array += ',';
    array += '{';
    AppendJsonString(array, "peer");
    array += ':';
    AppendJsonString(array, peer.id);
    array += ",\"address\":";
    AppendJsonString(array, peer.address);
    array += std::string(",\"live\":") + (peer.live ? "true" : "false");
    array += ",\"max_version\":" + std::to_string(peer.max_version_seen.value()) + "}";
  }
  array += ']';
  writer_.Write(JsonLine("peers").Raw("peers", array));
}

void NodeApp::Stats() {
  if (transport_ == nullptr || transport_->counters == nullptr) {
    return Error("stats: no transport counters");
  }
  const bench::TransportCounters& counters = *transport_->counters;
  JsonLine line("stats");
  line.Uint("messages_sent", counters.messages_sent)
      .Uint("bytes_sent", counters.bytes_sent)
      .Uint("messages_received", counters.messages_received)
      .Uint("bytes_received", counters.bytes_received)
      .Uint("messages_lost", counters.messages_lost);
  // What the receive path refused (docs/SECURITY.md, "Errors").
  if (transport_->socket_stats) {
    const SocketTransportStats refused = transport_->socket_stats();
    line.Uint("decode_errors", refused.decode_errors)
        .Uint("foreign_cluster", refused.foreign_cluster)
        .Uint("unknown_key", refused.unknown_key)
        .Uint("unauthentic", refused.unauthentic)
        .Uint("stale", refused.stale)
        .Uint("replayed", refused.replayed)
        .Uint("plaintext_refused", refused.plaintext_refused)
        .Uint("sealed_refused", refused.sealed_refused);
  }
  writer_.Write(line);
}

// The key ids and the mode, never a key.
void NodeApp::ChangeKeyring(const std::string& command,
                            const std::function<Status()>& change) {
  if (keyring_ == nullptr) return Error(command + ": this node has no keyring");
  if (Status s = change(); !s.ok()) return Error(command + ": " + s.message());
  std::string keys = "[";
  for (const KeyringEntry& entry : keyring_->keyring().List()) {
    if (keys.size() > 1) keys += ',';
    keys += "{\"id\":";
    AppendJsonString(keys, entry.id);
    keys += std::string(",\"primary\":") + (entry.primary ? "true" : "false") + "}";
  }
  keys += ']';
  writer_.Write(JsonLine("keyring")
                    .Str("encryption", EncryptionName(keyring_->encryption()))
                    .Raw("keys", keys));
}

void NodeApp::Error(const std::string& message) {
  writer_.Write(JsonLine("error").Str("message", message));
}

}  // namespace gossipmonger::node
