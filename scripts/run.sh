#!/usr/bin/env bash
# The README's run command: installs what is missing, builds, and starts the
# local demo (a cluster of 5 in-process nodes printing the seed's events).
# Arguments go to the demo; try --help.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh" >/dev/null
exec "${BUILD_DIR:-$root/build}/tools/gossipmonger-local-demo" "$@"
