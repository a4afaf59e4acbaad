#include "engine_context.h"

namespace gossipmonger {

void EngineContext::Send(PeerEndpoint to, Message message) {
  outbox.push_back({std::move(to), std::move(message)});
}

void EngineContext::Announce(Event event) { events.push_back(std::move(event)); }

void EngineContext::Report(Status status) { Announce(ErrorEvent{std::move(status)}); }

void EngineContext::ReportIfFailed(Status status) {
  if (!status.ok()) Report(std::move(status));
}

}  // namespace gossipmonger
