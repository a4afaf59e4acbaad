#!/usr/bin/env bash
# Builds everything with clang and a sanitizer and runs the whole CTest suite
# under it. A single report fails the run (-fno-sanitize-recover=all plus
# halt_on_error / abort_on_error below).
#
#   scripts/sanitize.sh address   # ASan + UBSan (and LeakSanitizer), build-asan/
#   scripts/sanitize.sh thread    # TSan, build-tsan/
#
# BUILD_DIR overrides the build directory, JOBS the build and test
# parallelism (default: number of cores). Extra arguments go to ctest, e.g.
# `scripts/sanitize.sh thread -R tcp`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-}
shift || true
jobs=${JOBS:-$(nproc)}
supp=$root/tools/sanitizers

case "$mode" in
  address)
    sanitize=address,undefined
    build_dir=${BUILD_DIR:-$root/build-asan}
    # detect_stack_use_after_return: catches references to a dead frame
    # (e.g. a callback capturing a local by reference) that plain ASan misses.
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:strict_init_order=1:detect_odr_violation=2
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    export LSAN_OPTIONS=print_suppressions=0
    if [[ -f $supp/lsan.supp ]]; then LSAN_OPTIONS+=:suppressions=$supp/lsan.supp; fi
    ;;
  thread)
    sanitize=thread
    build_dir=${BUILD_DIR:-$root/build-tsan}
    export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:print_suppressions=0
    if [[ -f $supp/tsan.supp ]]; then TSAN_OPTIONS+=:suppressions=$supp/tsan.supp; fi
    ;;
  *)
    echo "usage: $0 address|thread [ctest arguments]" >&2
    exit 2
    ;;
esac

# -O1 instead of RelWithDebInfo's -O2: builds faster and keeps stack traces
# exact, while the tests still run at a usable speed under the sanitizer.
# NDEBUG stays defined, as in the ordinary build, so the code under test is
# the code that ships.
cmake -S "$root" -B "$build_dir" -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g -DNDEBUG" \
  -DGOSSIPMONGER_WERROR=ON -DGOSSIPMONGER_SANITIZE="$sanitize" >/dev/null
cmake --build "$build_dir" -j"$jobs"
cd "$build_dir"
# Tests named "load: ..." assert wall-clock bounds on many real processes
# (tests/node/bootstrap_test.cpp); under a sanitizer every process runs 5-20x
# slower, so they would measure the sanitizer. They run in the plain pass.
ctest --output-on-failure -j"$jobs" --timeout 600 -E '^[a-z]+: ?load: ' "$@"
