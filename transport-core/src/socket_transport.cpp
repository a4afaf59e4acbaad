#include "gossipmonger/socket_transport.h"

#include <utility>

#include "transport_core/socket_core.h"

namespace gossipmonger {

SocketTransport::SocketTransport(std::shared_ptr<transport_core::SocketCore> core)
    : core_(std::move(core)) {}

SocketTransport::~SocketTransport() {
  // Pending operations keep the core alive; they must find nobody to call.
  core_->SetHandlers(nullptr, nullptr);
  core_->Close();
}

Status SocketTransport::Listen() { return core_->Listen(); }

std::uint16_t SocketTransport::local_port() const { return core_->local_port(); }

std::string SocketTransport::local_address() const { return core_->local_address(); }

void SocketTransport::Close() { core_->Close(); }

Status SocketTransport::SetEncryption(Encryption mode) {
  return core_->SetEncryption(mode);
}

Encryption SocketTransport::encryption() const { return core_->encryption(); }

void SocketTransport::SetHandlers(MessageHandler on_message, ErrorHandler on_error) {
  core_->SetHandlers(std::move(on_message), std::move(on_error));
}

void SocketTransport::SetLimits(const Limits& limits) { core_->SetLimits(limits); }

void SocketTransport::Send(const PeerEndpoint& remote, const Message& message) {
  core_->Send(remote, message);
}

std::size_t SocketTransport::MaxBodyBytes() const { return core_->max_body_bytes(); }

SocketTransportStats SocketTransport::shared_stats() const {
  return core_->shared_stats();
}

}  // namespace gossipmonger
