#!/usr/bin/env python3
"""What encryption costs (docs/SECURITY.md, "Cost"), measured side by side.

For each run and transport, two clusters of --nodes gossipmonger-node
processes run at the same time on this host (loopback), with the same
workload: one plaintext (no --keyring), one with a keyring and encryption
required. Which one starts first alternates from run to run. Each node sets
a fresh key of --value-bytes bytes --update-rate times a second (the
defaults are gossipmonger-bench's default workload), for --seconds after
both clusters have formed and settled. Per node the script reads its CPU
time from /proc/<pid>/stat and its message and byte counts from its
`stats` command, at the start and the end of the window.

Figures: CPU seconds per node per minute, messages sent per node per
second, and bytes per message. The node's byte counters count envelopes
(plus TCP's 4-byte prefix), not the sealed frame around them, so the
encrypted figure adds the sealed frame's exact overhead per message (see
seal_overhead below). The medians of the runs are printed as a Markdown
table (and --json writes every run).

  scripts/security-cost.py --node build/tools/node/gossipmonger-node
"""
import argparse
import base64
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def seal_overhead(envelope_bytes):
    """Bytes a sealed frame adds to an envelope (docs/SECURITY.md): the array
    header, "gs", the bin-8 key id and the bin-24 nonce (1 + 3 + 10 + 26),
    the box's bin header (2, 3 or 5 bytes) and inside the box the 24-byte
    header (epoch, counter, sent_at) and the 16-byte tag."""
    box = envelope_bytes + 24 + 16
    header = 2 if box < 256 else 3 if box < 65536 else 5
    return 40 + header + 24 + 16


class Node:
    """One gossipmonger-node; a thread reads its JSON lines."""

    def __init__(self, binary, args):
        self.proc = subprocess.Popen(
            [binary] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, bufsize=1)
        self.listening = queue.Queue()
        self.answers = queue.Queue()
        self.new_peers = set()
        self.peer_dead = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            event = json.loads(line)
            name = event.get("event")
            if name == "listening":
                self.listening.put(event["address"])
            elif name == "new_peer":
                self.new_peers.add(event["peer"])
            elif name == "peer_dead":
                self.peer_dead += 1
            elif name == "stats":
                self.answers.put(event)

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def stats(self):
        self.send("stats")
        return self.answers.get(timeout=30)

    def cpu_s(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def write_keyring(path, key):
    ident = key_id(key)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        json.dump({"encryption": "require", "primary": ident,
                   "keys": [base64.b64encode(key).decode()]}, f)


def key_id(key):
    import hashlib
    return hashlib.blake2b(key, digest_size=32).digest()[:8].hex()


class Cluster:
    def __init__(self, args, transport, encrypted, name, tmp):
        self.encrypted = encrypted
        self.nodes = []
        key = os.urandom(32)
        seed = None
        for i in range(args.nodes):
            flags = ["--id", f"n{i}", "--listen", "127.0.0.1:0", "--transport", transport,
                     "--cluster", name, "--gossip-interval-ms",
                     str(args.gossip_interval_ms)]
            if encrypted:
                path = os.path.join(tmp, f"{name}-n{i}.keyring")
                write_keyring(path, key)
                flags += ["--keyring", path]
            if seed:
                flags += ["--seed", seed]
            node = Node(args.node, flags)
            address = node.listening.get(timeout=30)
            if seed is None:
                seed = "n0@" + address
            self.nodes.append(node)

    def formed(self):
        return all(len(n.new_peers) == len(self.nodes) - 1 for n in self.nodes)

    def snapshot(self):
        return [(n.cpu_s(), n.stats()) for n in self.nodes]

    def stop(self):
        for n in self.nodes:
            n.stop()


def figures(cluster, begin, end, seconds, transport):
    cpu = [e[0] - b[0] for b, e in zip(begin, end)]
    sent = sum(e[1]["messages_sent"] - b[1]["messages_sent"] for b, e in zip(begin, end))
    sent_bytes = sum(e[1]["bytes_sent"] - b[1]["bytes_sent"] for b, e in zip(begin, end))
    per_message = sent_bytes / sent if sent else 0
    if cluster.encrypted:
        # The counters count the envelope (+ TCP's prefix): add the seal.
        envelope = per_message - (4 if transport == "tcp" else 0)
        per_message += seal_overhead(round(envelope))
    return {
        "cpu_s_per_node_per_min": statistics.mean(cpu) * 60 / seconds,
        "messages_per_node_per_s": sent / len(cluster.nodes) / seconds,
        "bytes_per_message": per_message,
        "peer_dead": sum(n.peer_dead for n in cluster.nodes),
    }


def drive(clusters, args):
    """Sets a fresh key on every node update_rate times a second."""
    value = "v" * args.value_bytes
    period = 1.0 / args.update_rate
    end = time.monotonic() + args.seconds
    tick, n = time.monotonic(), 0
    while tick < end:
        for c in clusters:
            for node in c.nodes:
                node.send(f"set k{n} {value}")
        n += 1
        tick += period
        time.sleep(max(0.0, tick - time.monotonic()))


def one_run(args, transport, run, tmp):
    order = [False, True] if run % 2 == 0 else [True, False]
    clusters = []
    try:
        for encrypted in order:
            name = f"cost-{os.getpid()}-{transport}-{run}-{int(encrypted)}"
            clusters.append(Cluster(args, transport, encrypted, name, tmp))
        deadline = time.monotonic() + 120
        while not all(c.formed() for c in clusters):
            if time.monotonic() > deadline:
                sys.exit("the clusters did not form within 120 s")
            time.sleep(0.2)
        time.sleep(args.settle)
        begin = [c.snapshot() for c in clusters]
        started = time.monotonic()
        drive(clusters, args)
        elapsed = time.monotonic() - started
        end = [c.snapshot() for c in clusters]
        return {("encrypted" if c.encrypted else "plaintext"):
                figures(c, b, e, elapsed, transport)
                for c, b, e in zip(clusters, begin, end)}
    finally:
        for c in clusters:
            c.stop()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--node", default="build/tools/node/gossipmonger-node")
    p.add_argument("--nodes", type=int, default=20)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--transports", default="udp,tcp")
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--settle", type=float, default=5)
    p.add_argument("--update-rate", type=float, default=1)
    p.add_argument("--value-bytes", type=int, default=100)
    p.add_argument("--gossip-interval-ms", type=int, default=1000)
    p.add_argument("--json", help="write every run's figures to this file")
    args = p.parse_args()

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            for transport in args.transports.split(","):
                r = one_run(args, transport, run, tmp)
                results.setdefault(transport, []).append(r)
                print(f"run {run} {transport}: {json.dumps(r)}", file=sys.stderr)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    print(f"{args.nodes} nodes per cluster, {args.update_rate:g} set/node/s of "
          f"{args.value_bytes} B, {args.gossip_interval_ms} ms rounds, "
          f"{args.seconds:g} s, medians of {args.runs} runs\n")
    print("| transport | | CPU s / node / min | msgs / node / s | bytes / msg | peer_dead |")
    print("|---|---|---:|---:|---:|---:|")
    for transport, runs in results.items():
        med = {}
        for mode in ("plaintext", "encrypted"):
            med[mode] = {k: statistics.median(r[mode][k] for r in runs)
                         for k in runs[0][mode]}
            m = med[mode]
            print(f"| {transport} | {mode} | {m['cpu_s_per_node_per_min']:.3f} | "
                  f"{m['messages_per_node_per_s']:.1f} | {m['bytes_per_message']:.0f} | "
                  f"{m['peer_dead']:g} |")
        ratios = [r["encrypted"]["cpu_s_per_node_per_min"] /
                  r["plaintext"]["cpu_s_per_node_per_min"] for r in runs]
        print(f"| {transport} | encrypted / plaintext CPU | "
              f"{statistics.median(ratios):.3f} (runs: "
              f"{', '.join(f'{x:.3f}' for x in ratios)}) | | | |")


if __name__ == "__main__":
    main()
