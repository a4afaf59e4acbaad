// Creating a runtime node: Create validates what Engine::Create validates
// (validation::ValidateStart) and the initial data, builds the node, and
// applies the initial data (gossipmonger.h, Create).
#include <memory>
#include <string>
#include <utility>
#include <variant>

#include "gossipmonger/gossipmonger.h"
#include "validation.h"

namespace gossipmonger {

namespace {

// What Create refuses before anything is written: what Engine::Create
// refuses (the same check), then initial data over a limit.
Status ValidateNodeStart(const PeerEndpoint& self, const Options& options,
                         std::size_t max_body_bytes,
                         const Gossipmonger::InitialData& initial_data) {
  if (Status valid = validation::ValidateStart(self, options, max_body_bytes);
      !valid.ok()) {
    return valid;
  }
  const Limits& limits = options.limits;
  if (initial_data.size() > limits.max_keys_per_peer) {
    return Status::Error(StatusCode::kLimitExceeded,
                         "initial data has more keys than max_keys_per_peer (" +
                             std::to_string(limits.max_keys_per_peer) + ")");
  }
  for (const auto& [key, value] : initial_data) {
    Status valid = Engine::ValidateUpdate(self, key, value, options, max_body_bytes);
    if (!valid.ok()) {
      return Status::Error(valid.code(),
                           "initial data '" + key + "': " + valid.message());
    }
  }
  return Status::Ok();
}

}  // namespace

Status Gossipmonger::Create(asio::io_context& io, PeerEndpoint self, Options options,
                            Storage& storage, Transport& transport,
                            const InitialData& initial_data,
                            std::unique_ptr<Gossipmonger>* out) {
  return CreateNode(io, std::move(self), std::move(options), storage, transport, nullptr,
                    nullptr, initial_data, out);
}

Status Gossipmonger::Create(asio::io_context& io, PeerEndpoint self, Options options,
                            std::unique_ptr<Storage> storage,
                            std::unique_ptr<Transport> transport,
                            const InitialData& initial_data,
                            std::unique_ptr<Gossipmonger>* out) {
  if (storage == nullptr || transport == nullptr) {
    if (out != nullptr) out->reset();
    return Status::Error(StatusCode::kInvalidArgument, "null storage or transport");
  }
  // The references are taken before the pointers move into the node.
  Storage& storage_ref = *storage;
  Transport& transport_ref = *transport;
  return CreateNode(io, std::move(self), std::move(options), storage_ref, transport_ref,
                    std::move(storage), std::move(transport), initial_data, out);
}

Status Gossipmonger::CreateNode(asio::io_context& io, PeerEndpoint self, Options options,
                                Storage& storage, Transport& transport,
                                std::unique_ptr<Storage> owned_storage,
                                std::unique_ptr<Transport> owned_transport,
                                const InitialData& initial_data,
                                std::unique_ptr<Gossipmonger>* out) {
  if (out == nullptr) {
    return Status::Error(StatusCode::kInvalidArgument, "no place for the node (out)");
  }
  out->reset();
  // Limits are set in one place: the transport's decoder and budget follow
  // the node's, handed over before anything asks its MaxBodyBytes.
  transport.SetLimits(options.limits);
  Status valid = ValidateNodeStart(self, options, transport.MaxBodyBytes(), initial_data);
  if (!valid.ok()) return valid;
  // Not make_unique: the constructor is private.
  std::unique_ptr<Gossipmonger> node(
      new Gossipmonger(io, std::move(self), std::move(options), storage, transport,
                       std::move(owned_storage), std::move(owned_transport)));
  if (Status started = node->ApplyInitialData(initial_data); !started.ok()) {
    return started;
  }
  *out = std::move(node);
  return Status::Ok();
}

Status Gossipmonger::ApplyInitialData(const InitialData& initial_data) {
  auto first_error = [this] {
    for (Event& event : engine_.TakeEvents()) {
      if (auto* error = std::get_if<ErrorEvent>(&event)) return error->status;
    }
    return Status::Ok();
  };
  // Resuming wrote the local peer's record.
  if (Status resumed = first_error(); !resumed.ok()) return resumed;
  for (const auto& [key, value] : initial_data) {
    // An unchanged value takes no version (Engine::Update).
    if (Status applied = engine_.Update(key, value); !applied.ok()) return applied;
  }
  // The start raises nothing but errors of its writes.
  if (Status applied = first_error(); !applied.ok()) return applied;
  Drain();  // pushes of changed values, when push_fanout > 0
  return Status::Ok();
}

}  // namespace gossipmonger
