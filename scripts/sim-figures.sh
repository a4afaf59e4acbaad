#!/usr/bin/env bash
# Reproduces the simulator figures of docs/SIMULATION.md: one JSON line per
# configuration on stdout. Takes a few hours on 2 cores (the 1,000-node and
# the 1,000-node-hour detection runs dominate). Build first
# (scripts/build.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sim="${BUILD_DIR:-$root/build}/tools/gossipmonger-sim"

# The original's exchange: one digest exchange per round, no pushes.
original=(--fanout 1 --no-push)
"$sim" --scenario propagate --nodes 5 --runs 200 "${original[@]}"
"$sim" --scenario propagate --nodes 100 --runs 200 "${original[@]}"
"$sim" --scenario propagate --nodes 100 --runs 200 --loss 0.1 "${original[@]}"
"$sim" --scenario propagate --nodes 1000 --runs 200 "${original[@]}"
"$sim" --scenario propagate --nodes 1000 --runs 100 --loss 0.1 "${original[@]}"
"$sim" --scenario detect --nodes 100 --runs 20 "${original[@]}"
"$sim" --scenario detect --nodes 100 --runs 40 --loss 0.05 --warmup-s 900 "${original[@]}"
"$sim" --scenario steady --nodes 100 --runs 2 "${original[@]}"
"$sim" --scenario steady --nodes 1000 --runs 1 --warmup-s 10 --measure-s 20 "${original[@]}"

# Today's defaults (gossip_fanout 3, pushes on), 0.5 ms ± 0.2 ms per message.
delay=(--delay-ms 0.3:0.7)
"$sim" --scenario propagate --nodes 100 --runs 200 "${delay[@]}"
"$sim" --scenario propagate --nodes 100 --runs 200 --loss 0.1 "${delay[@]}"
"$sim" --scenario propagate --nodes 100 --runs 200 --no-push "${delay[@]}"
"$sim" --scenario propagate --nodes 100 --runs 100 --loss 0.1 --no-push "${delay[@]}"
"$sim" --scenario propagate --nodes 1000 --runs 10 "${delay[@]}"
"$sim" --scenario propagate --nodes 1000 --runs 10 --loss 0.1 "${delay[@]}"
"$sim" --scenario propagate --nodes 1000 --runs 10 --no-push "${delay[@]}"
"$sim" --scenario propagate --nodes 1000 --runs 10 --loss 0.1 --no-push "${delay[@]}"
"$sim" --scenario detect --nodes 100 --runs 40 --loss 0.05 --warmup-s 900
"$sim" --scenario steady --nodes 100 --runs 2
"$sim" --scenario steady --nodes 1000 --runs 1 --warmup-s 10 --measure-s 20
"$sim" --scenario steady --nodes 100 --runs 2 --update-rate 1 "${delay[@]}"
"$sim" --scenario steady --nodes 100 --runs 2 --update-rate 1 --no-push "${delay[@]}"
"$sim" --scenario steady --nodes 100 --runs 2 --update-rate 1 "${original[@]}" "${delay[@]}"
