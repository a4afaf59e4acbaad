#!/usr/bin/env bash
# The README's run command: installs what is missing, builds, and starts the
# local demo: 5 in-process nodes on loopback (TCP by default) setting random
# keys, shown as a live table on a terminal or an event log otherwise.
# Arguments go to the demo; try --help (e.g. --storage sqlite:/tmp/demo,
# then run again to see the nodes resume).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
# Build progress goes to stderr so that the demo's stdout stays its own.
echo "run.sh: building (the first build takes several minutes)..." >&2
"$root/scripts/build.sh" >&2
exec "${BUILD_DIR:-$root/build}/tools/gossipmonger-local-demo" "$@"
