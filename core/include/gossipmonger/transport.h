// The transport protocol: the original's digest / deltas sends and digest /
// deltas / error events, as one Send of a Message whose kind says which.
//
// A Transport delivers whole messages, unaltered, from one engine to
// another; it may lose, duplicate or reorder them (the protocol repairs
// that), but it never delivers a message altered or truncated.
//
// Threading: SetLimits, Send and MaxBodyBytes are called on the runtime's executor.
// The handlers are called on that executor too (a transport that receives on
// another thread posts to it).
#pragma once

#include <cstddef>
#include <functional>

#include "gossipmonger/message.h"
#include "gossipmonger/options.h"
#include "gossipmonger/status.h"

namespace gossipmonger {

class Transport {
 public:
  using MessageHandler = std::function<void(Message&&)>;
  using ErrorHandler = std::function<void(const Status&)>;

  virtual ~Transport() = default;

  // Installs the receivers of the original's 'digest'/'deltas' events (one
  // handler: the message's kind tells them apart) and 'error' event.
  // Called once, by the runtime, before any Send.
  virtual void SetHandlers(MessageHandler on_message, ErrorHandler on_error) = 0;

  // The runtime's Options::limits, handed over once by the runtime before
  // SetHandlers, MaxBodyBytes or any Send, so that limits are configured in
  // one place. A transport that decodes bytes bounds its decoder with them
  // and sizes MaxBodyBytes for the longest sender id and address they
  // allow. The default ignores them: a transport that moves Message objects
  // (MemoryTransport) has nothing to bound. A decorator forwards them.
  virtual void SetLimits(const Limits& /*limits*/) {}

  // The original's transport.digest(remotePeer, localPeer, digest) and
  // transport.deltas(...): `message.sender` is the local peer. Never blocks;
  // failures are reported through the error handler.
  virtual void Send(const PeerEndpoint& remote, const Message& message) = 0;

  // The largest wire_size::Body a message may have on this transport (after
  // the transport's own envelope). The engine never builds a larger one.
  virtual std::size_t MaxBodyBytes() const = 0;
};

}  // namespace gossipmonger
