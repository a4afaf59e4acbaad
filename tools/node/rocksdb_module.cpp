// gossipmonger-node-rocksdb.so: RocksDbStorage for gossipmonger-node, loaded
// with dlopen only when the node is started with --storage rocksdb:PATH
// (the contract is in storage_module.h). Only the entry point below is
// exported (rocksdb_module.map): the copies of core's objects the storage
// needs (PeerTable, Status) and the static storage library stay private to
// the module, so they never interpose on the node's own.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>

#include "gossipmonger/rocksdb_storage.h"
#include "storage_module.h"

namespace {

using gossipmonger::Status;
using gossipmonger::StatusCode;

gossipmonger::Storage* Fail(const Status& status, int* status_code, char* message,
                            std::size_t message_size) {
  *status_code = static_cast<int>(status.code());
  if (message_size > 0) {
    const std::size_t n = std::min(status.message().size(), message_size - 1);
    std::memcpy(message, status.message().data(), n);
    message[n] = '\0';
  }
  return nullptr;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) gossipmonger::Storage*
gossipmonger_node_open_rocksdb_v1(const char* abi, const char* path, int* status_code,
                                  char* message, std::size_t message_size) {
  // Nothing of the caller's is trusted before this check: a node of another
  // build may lay out Storage, Status or the standard library differently.
  if (std::strcmp(abi, GOSSIPMONGER_NODE_MODULE_ABI) != 0) {
    return Fail(Status::Error(StatusCode::kNotSupported,
                              std::string("the RocksDB module was built for another "
                                          "gossipmonger-node (module: ") +
                                  GOSSIPMONGER_NODE_MODULE_ABI + "; node: " + abi +
                                  "); rebuild or reinstall both together"),
                status_code, message, message_size);
  }
  std::unique_ptr<gossipmonger::RocksDbStorage> storage;
  if (Status s = gossipmonger::RocksDbStorage::Open(path, {}, &storage); !s.ok()) {
    return Fail(s, status_code, message, message_size);
  }
  return storage.release();
}

// The entry point and the type the node calls it through must agree.
static_assert(std::is_same_v<decltype(&gossipmonger_node_open_rocksdb_v1),
                             gossipmonger::node::OpenRocksDbFunction>);
