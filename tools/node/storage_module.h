// The contract between gossipmonger-node and its RocksDB storage module
// (gossipmonger-node-rocksdb.so, tools/node/rocksdb_module.cpp).
//
// Why a module: linked into the node, librocksdb and the libraries it needs
// are loaded and initialised at start-up, which added about 7 MiB to the
// peak memory of every node process, RocksDB used or not. The node loads
// the module with dlopen only for --storage rocksdb:PATH, so a node on
// memory or SQLite storage never maps librocksdb (docs/node.md, "The
// RocksDB module").
//
// The module exports one function with C linkage and C types only, so that
// a module of another build is refused with a message instead of being
// called with objects of another layout. The RocksDbStorage it returns is
// used through core's abstract Storage, whose layout both sides take from
// the same headers: GOSSIPMONGER_NODE_MODULE_ABI (generated at build time,
// node_module_abi.h) names the project version, the compiler, the sanitizer
// setting and a hash of core's public headers, and the module opens nothing
// unless the node's string equals its own.
#pragma once

#include <cstddef>

#include "gossipmonger/storage.h"
#include "node_module_abi.h"  // GOSSIPMONGER_NODE_MODULE_ABI

namespace gossipmonger::node {

// The file the node looks for, and the symbol it calls in it.
inline constexpr char kRocksDbModuleFile[] = "gossipmonger-node-rocksdb.so";
inline constexpr char kRocksDbModuleEntry[] = "gossipmonger_node_open_rocksdb_v1";

// Opens a RocksDbStorage (the node's options: batched durability, the
// defaults of RocksDbStorageOptions) in directory `path`. On success returns
// the storage, owned by the caller (deleted through Storage's virtual
// destructor, which runs in the module). On failure returns nullptr, sets
// `*status_code` to a gossipmonger::StatusCode value and writes the message,
// truncated and NUL-terminated, into `message[0, message_size)`. `abi` must
// be GOSSIPMONGER_NODE_MODULE_ABI of the caller's build; another one is
// refused with kNotSupported before anything else.
using OpenRocksDbFunction = Storage* (*)(const char* abi, const char* path,
                                         int* status_code, char* message,
                                         std::size_t message_size);

}  // namespace gossipmonger::node
