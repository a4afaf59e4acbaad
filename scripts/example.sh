#!/usr/bin/env bash
# Packaging check (docs/packaging.md): builds and installs gossipmonger into
# a fresh prefix, checks the installed headers, builds examples/ against
# that prefix with find_package and runs the example and the service test
# written with the testing kit. examples/ must define no compile definition
# of its own: Asio's configuration macros must reach it through the
# imported targets (checked in its compile commands). Also checks that
# asking the package config for a component it does not have fails with a
# message naming it, and that an installed gossipmonger-node loads its
# RocksDB module from the installation. Exits non-zero on any failure.
#
# Its own build directory ($EXAMPLE_BUILD_DIR, default build-install/),
# without tests and tools: only the installed libraries are built. With
# INSTALL_FROM=DIR it installs from that already built tree instead (the
# test command does so with the main build, to save a second build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${EXAMPLE_BUILD_DIR:-$root/build-install}
prefix=$build_dir/prefix

if [[ -n "${INSTALL_FROM:-}" ]]; then
  mkdir -p "$build_dir"
  rm -rf "$prefix"
  cmake --install "$INSTALL_FROM" --prefix "$prefix" >/dev/null
else
  cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} \
    -DGOSSIPMONGER_WERROR=ON -DGOSSIPMONGER_BUILD_TESTS=OFF -DGOSSIPMONGER_BUILD_TOOLS=OFF \
    -DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
  cmake --build "$build_dir" -j"$(nproc)"
  rm -rf "$prefix"
  cmake --install "$build_dir" >/dev/null
fi

# Design rule: the public headers name no storage or codec library.
if grep -rnE 'sqlite3\.h|rocksdb/|msgpack\.hpp|<msgpack' "$prefix/include/gossipmonger"; then
  echo "example.sh: installed headers include SQLite/RocksDB/msgpack headers (above)" >&2
  exit 1
fi

# The examples, a standalone project, against the installed prefix only.
if grep -vE '^\s*#' "$root/examples/CMakeLists.txt" |
    grep -E 'compile_definitions|add_definitions|-D[A-Z_]'; then
  echo "example.sh: examples/CMakeLists.txt defines something itself (above)" >&2
  exit 1
fi
example_dir=$build_dir/example
rm -rf "$example_dir"
cmake -S "$root/examples" -B "$example_dir" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} -DCMAKE_COMPILE_WARNING_AS_ERROR=ON \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
cmake --build "$example_dir" -j"$(nproc)"
# Every unit that sees Asio must be compiled with the same configuration as
# the library (an ODR split otherwise; docs/packaging.md): the definitions
# come from the installed targets.
for source in sqlite_udp_example.cpp service_test.cpp; do
  for definition in ASIO_STANDALONE ASIO_NO_DEPRECATED ASIO_DISABLE_STD_ALIGNED_ALLOC; do
    if ! grep "\"command\".*-D$definition .*examples/$source" \
        "$example_dir/compile_commands.json" >/dev/null; then
      echo "example.sh: $source was compiled without -D$definition" >&2
      exit 1
    fi
  done
done
timeout 30 "$example_dir/sqlite_udp_example"
timeout 60 "$example_dir/service_test"

# A required component the installation lacks must fail find_package and say
# which one and why.
probe_dir=$build_dir/probe
rm -rf "$probe_dir"
mkdir -p "$probe_dir/src"
cat >"$probe_dir/src/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(gossipmonger_probe LANGUAGES CXX)
find_package(gossipmonger REQUIRED COMPONENTS udp nosuch)
CMAKE
if cmake -S "$probe_dir/src" -B "$probe_dir/build" -DCMAKE_PREFIX_PATH="$prefix" \
    >"$probe_dir/log" 2>&1; then
  echo "example.sh: find_package(gossipmonger COMPONENTS nosuch) succeeded" >&2
  exit 1
fi
if ! grep -q "component 'nosuch': unknown component" "$probe_dir/log"; then
  echo "example.sh: find_package failed without naming the missing component:" >&2
  cat "$probe_dir/log" >&2
  exit 1
fi
# The node program, when the installation has it (INSTALL_FROM a build with
# the tools and RocksDB): from a copy of the prefix elsewhere, it must open a
# RocksDB database through the module installed beside it (lib/gossipmonger/),
# found relative to its own path, and not through the build tree.
node_checked=""
if [[ -x "$prefix/bin/gossipmonger-node" ]] &&
    [[ -n "$(find "$prefix" -name gossipmonger-node-rocksdb.so)" ]]; then
  moved=$build_dir/moved-prefix
  rm -rf "$moved" "$build_dir/node-rocksdb"
  cp -a "$prefix" "$moved"
  if ! env -u GOSSIPMONGER_NODE_MODULE_DIR timeout 30 "$moved/bin/gossipmonger-node" \
      --id a --listen 127.0.0.1:0 --storage "rocksdb:$build_dir/node-rocksdb" \
      </dev/null >/dev/null || [[ ! -f "$build_dir/node-rocksdb/CURRENT" ]]; then
    echo "example.sh: the installed gossipmonger-node did not open RocksDB through its module" >&2
    exit 1
  fi
  rm -rf "$moved" "$build_dir/node-rocksdb"
  node_checked=", node's RocksDB module"
fi
echo "example.sh: installed package, examples (UDP + SQLite, service test)${node_checked} and component check OK"
