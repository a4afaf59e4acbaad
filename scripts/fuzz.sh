#!/usr/bin/env bash
# Builds the fuzz targets with clang into build-fuzz/ and fuzzes the codec's
# decoder, and sealed frames through Open (one binary, one run), for
# FUZZ_TIME seconds (default 60). New inputs go to build-fuzz/corpus/decode;
# the checked-in seeds (fuzz/corpus/decode and fuzz/corpus/sealed) are only
# read.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build-fuzz}
cmake -S "$root" -B "$build_dir" -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGOSSIPMONGER_FUZZ=ON \
  -DGOSSIPMONGER_SQLITE=OFF -DGOSSIPMONGER_ROCKSDB=OFF \
  -DGOSSIPMONGER_BUILD_TESTS=OFF -DGOSSIPMONGER_BUILD_TOOLS=OFF >/dev/null
cmake --build "$build_dir" --target gossipmonger-fuzz-decode -j"$(nproc)"
mkdir -p "$build_dir/corpus/decode"
"$build_dir/fuzz/gossipmonger-fuzz-decode" -max_total_time="${FUZZ_TIME:-60}" \
  -dict="$root/fuzz/decode.dict" -artifact_prefix="$build_dir/" -print_final_stats=1 \
  "$build_dir/corpus/decode" "$root/fuzz/corpus/decode" "$root/fuzz/corpus/sealed" "$@"
