#!/usr/bin/env python3
"""Peak memory (VmHWM) of gossipmonger-node processes in a small cluster on
loopback, for one or more node binaries side by side. Not run in CI; the
figures of docs/real-processes.md ("Memory of one node") come from it:

  scripts/node-memory.py --node before=build-old/tools/gossipmonger-node \\
      --node after=build/tools/gossipmonger-node \\
      --storage memory --storage sqlite --storage rocksdb --runs 5

Every run starts --nodes processes of one binary (TCP, port 0, node0 the
seed of the others) with one storage (memory, or a fresh sqlite:/rocksdb:
path per node), has every node set a key every second for --seconds, then
reads VmHWM and VmRSS from /proc/PID/status of every node before closing
their stdin (a node exits 0 at EOF). Runs are interleaved (binary A, B, A,
B, ... for each storage) so that a change of the machine's load hits both
alike. Prints, per binary and storage, the median and the maximum over all
nodes of all runs.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def start(binary, node_id, storage_flag, seed):
    args = [binary, "--id", node_id, "--listen", "127.0.0.1:0",
            "--storage", storage_flag]
    if seed:
        args += ["--seed", seed]
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, bufsize=1)
    for line in proc.stdout:
        event = json.loads(line)
        if event.get("event") == "listening":
            return proc, event["address"]
    raise RuntimeError(f"{node_id} did not start: {proc.stderr.read()}")


def drain(proc):
    # The node writes an event per update; a full pipe would block it.
    os.set_blocking(proc.stdout.fileno(), False)
    try:
        while proc.stdout.read():
            pass
    except (BlockingIOError, TypeError):
        pass


def one_run(binary, storage, nodes, seconds, workdir):
    procs = []
    seed = ""
    try:
        for i in range(nodes):
            flag = storage if storage == "memory" else \
                f"{storage}:{workdir}/node{i}.{storage}"
            proc, address = start(binary, f"node{i}", flag, seed)
            procs.append(proc)
            if i == 0:
                seed = f"node0@{address}"
        deadline = time.monotonic() + seconds
        tick = 0
        while time.monotonic() < deadline:
            for i, proc in enumerate(procs):
                proc.stdin.write(f"set k{i} value-{tick}\n")
                proc.stdin.flush()
                drain(proc)
            tick += 1
            time.sleep(1)
        peaks = [status_kib(p.pid, "VmHWM") for p in procs]
        rss = [status_kib(p.pid, "VmRSS") for p in procs]
    finally:
        for proc in procs:
            proc.stdin.close()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return peaks, rss


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--node", action="append", required=True,
                        help="LABEL=PATH of a gossipmonger-node binary; repeatable")
    parser.add_argument("--storage", action="append",
                        choices=["memory", "sqlite", "rocksdb"])
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    binaries = [tuple(n.split("=", 1)) for n in args.node]
    storages = args.storage or ["memory"]
    peaks = {}
    for storage in storages:
        for run in range(args.runs):
            for label, binary in binaries:
                with tempfile.TemporaryDirectory() as workdir:
                    p, r = one_run(binary, storage, args.nodes, args.seconds, workdir)
                peaks.setdefault((label, storage), []).extend(p)
                print(f"{storage:8} {label:12} run {run + 1}: VmHWM KiB {p}, "
                      f"VmRSS KiB {r}", file=sys.stderr, flush=True)
    print(f"{'storage':8} {'binary':12} {'VmHWM MiB median':>17} {'max':>6} {'samples':>8}")
    for (label, storage), values in peaks.items():
        print(f"{storage:8} {label:12} {statistics.median(values) / 1024:17.2f} "
              f"{max(values) / 1024:6.2f} {len(values):8}")


if __name__ == "__main__":
    main()
