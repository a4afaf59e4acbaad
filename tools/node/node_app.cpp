#include "node_app.h"

#include "command.h"

namespace gossipmonger::node {

NodeApp::NodeApp(asio::io_context& io, Gossipmonger& node, LineWriter& writer,
                 const bench::TransportCounters* counters)
    : io_(io), node_(node), writer_(writer), counters_(counters) {
  AttachEvents();
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
    case Command::Kind::kGet:
      return Get(command.peer, command.key);
    case Command::Kind::kPeers:
      return Peers();
    case Command::Kind::kStats:
      return Stats();
    case Command::Kind::kQuit:
      return Shutdown();
    case Command::Kind::kError:
      return Error(command.error);
  }
}

void NodeApp::Shutdown() {
  if (stopped_) return;
  stopped_ = true;
  node_.Stop();  // on the executor: stops and flushes before returning
  io_.stop();
}

void NodeApp::Set(const std::string& key, const std::string& value) {
  // Limits are checked at once; a storage failure comes as an `error` event.
  if (Status s = node_.Update(key, value); !s.ok()) Error(s.ToString());
}

void NodeApp::Get(const std::string& peer, const std::string& key) {
  JsonLine line("value");
  line.Str("peer", peer).Str("key", key);
  if (auto found = node_.Get(peer, key)) {
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
  if (counters_ == nullptr) return Error("stats: no transport counters");
  writer_.Write(JsonLine("stats")
                    .Uint("messages_sent", counters_->messages_sent)
                    .Uint("bytes_sent", counters_->bytes_sent)
                    .Uint("messages_received", counters_->messages_received)
                    .Uint("bytes_received", counters_->bytes_received)
                    .Uint("messages_lost", counters_->messages_lost));
}

void NodeApp::Error(const std::string& message) {
  writer_.Write(JsonLine("error").Str("message", message));
}

}  // namespace gossipmonger::node
