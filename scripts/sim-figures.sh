#!/usr/bin/env bash
# Reproduces the simulator figures of docs/SIMULATION.md: one JSON line per
# configuration on stdout. Takes about an hour on 2 cores (the 1,000-node
# runs dominate). Build first (scripts/build.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sim="${BUILD_DIR:-$root/build}/tools/gossipmonger-sim"
"$sim" --scenario propagate --nodes 5 --runs 200
"$sim" --scenario propagate --nodes 100 --runs 200
"$sim" --scenario propagate --nodes 100 --runs 200 --loss 0.1
"$sim" --scenario propagate --nodes 1000 --runs 200
"$sim" --scenario propagate --nodes 1000 --runs 100 --loss 0.1
"$sim" --scenario detect --nodes 100 --runs 20
"$sim" --scenario detect --nodes 100 --runs 40 --loss 0.05 --warmup-s 900
"$sim" --scenario steady --nodes 100 --runs 2
"$sim" --scenario steady --nodes 1000 --runs 1 --warmup-s 10 --measure-s 20
