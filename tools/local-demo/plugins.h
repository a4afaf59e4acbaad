// The storage and transport plugins the demo was built with. Each is
// compiled in only when CMake found its target (GOSSIPMONGER_DEMO_HAVE_*),
// so the demo builds whatever plugins are switched off; asking for a missing
// one is refused with kNotSupported.
#pragma once

#include <asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "config.h"
#include "gossipmonger/status.h"
#include "gossipmonger/storage.h"
#include "gossipmonger/testing/memory_transport.h"
#include "gossipmonger/transport.h"

namespace gossipmonger::demo {

// kNotSupported (with a one-line message) when this binary lacks the plugin.
Status CheckBuilt(const DemoConfig& config);

// Opens node `node_id`'s storage: in memory, or its own file / directory
// inside spec.dir (created if missing), resuming what a previous run left.
Status OpenStorage(const StorageSpec& spec, const std::string& node_id,
                   std::unique_ptr<Storage>* out);

// A transport listening on 127.0.0.1:`port` (0: an ephemeral port), or
// attached to `network` at "mem:<index>" for kind "memory". `*address` is
// the address to announce.
struct TransportRequest {
  std::string kind;
  int index = 0;
  std::uint16_t port = 0;
};
Status OpenTransport(asio::io_context& io, testing::MemoryNetwork& network,
                     const TransportRequest& request, std::unique_ptr<Transport>* out,
                     std::string* address);

}  // namespace gossipmonger::demo
