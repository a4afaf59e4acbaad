#!/usr/bin/env bash
# The README's test command: installs what is missing, builds with
# -Wall -Wextra -Werror, installs the package and builds examples/ against it,
# fuzzes the decoder for a minute, runs every test with CTest, then runs them
# all again under ASan + UBSan and under TSan.
set -euo pipefail
# pipefail makes a fuzzer crash fail the run even though its output is piped.
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
build_dir=${BUILD_DIR:-$root/build}
# The installed package: examples/ built against it with find_package.
INSTALL_FROM="$build_dir" "$root/scripts/example.sh"
# The codec's decoder under libFuzzer (clang) for a bounded time; a crash
# fails the run. FUZZ_TIME=0 skips it.
if [[ "${FUZZ_TIME:-60}" != 0 ]]; then
  FUZZ_TIME=${FUZZ_TIME:-60} "$root/scripts/fuzz.sh" 2>&1 | tail -n 12
fi
(cd "$build_dir" && ctest --output-on-failure -j"$(nproc)" --timeout 600)
# The whole suite again, built with clang under ASan + UBSan (LeakSanitizer
# included), then under TSan; any report fails the run. SANITIZE=0 skips
# both (docs/sanitizers.md).
if [[ "${SANITIZE:-1}" != 0 ]]; then
  "$root/scripts/sanitize.sh" address
  "$root/scripts/sanitize.sh" thread
fi
