#!/usr/bin/env python3
"""Soak: N gossipmonger-node processes in network namespaces (the network of
tests/netns/netns_faults.py: a bridge on 10.213.0.0/24), with packet loss on
every node, random updates, and churn (a random node killed with SIGKILL or
SIGTERM and restarted on its SQLite file a few seconds later), for a given
duration. Not run in CI. As root:

  scripts/soak.py --node build/tools/gossipmonger-node --duration-s 1800

Every --sample-s it prints VmRSS / VmHWM of every node and the size of its
SQLite files (database + WAL), so a leak or unbounded growth shows. Nodes n1
and n2 (the seeds) are never churned: their processes live the whole run.
The key space is bounded (--keys per node), so memory and files should
level off. At the end it lifts the loss, restarts any node that is down,
and checks that every node serves, for every key of every node, the value
last written there, with one version everywhere, and that every node sees
every other as live. Exit status 0 if they agree, 1 if not, 77 if it cannot
run (not root, no ip/nft).
"""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import shutil

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "netns"))
from netns_faults import Network, remove_stale_namespaces, address, PORT  # noqa: E402

T0 = time.monotonic()


def log(message):
    print(f"[{time.monotonic() - T0:8.1f}] {message}", flush=True)


class Node:
    """A node process; keeps only counters and the answers to requests."""

    def __init__(self, args, network, i, workdir):
        self.args, self.network, self.i, self.workdir = args, network, i, workdir
        self.id = f"n{i}"
        self.db = f"{workdir}/{self.id}.db"
        self.proc = None
        self.cond = threading.Condition()
        self.counts = {}
        self.errors = []
        self.answers = []
        self.starts = 0

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self):
        a = self.args
        cmd = ["ip", "netns", "exec", self.network.ns(self.i), a.node, "--id", self.id,
               "--listen", f"{address(self.i)}:{PORT}", "--transport", a.transport,
               "--storage", f"sqlite:{self.db}", "--gossip-interval-ms", str(a.interval_ms)]
        for seed in (1, 2):
            if seed != self.i:
                cmd += ["--seed", f"n{seed}@{address(seed)}:{PORT}"]
        stderr = open(f"{self.workdir}/{self.id}.stderr", "a")
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=stderr, text=True, bufsize=1)
        stderr.close()
        with self.cond:
            self.proc = proc
            self.answers = []
            self.starts += 1
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()

    def _read(self, proc):
        for line in proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                event = {"event": "unparsable"}
            kind = event.get("event")
            with self.cond:
                if proc is not self.proc:
                    return
                self.counts[kind] = self.counts.get(kind, 0) + 1
                if kind == "error":
                    self.errors.append(event.get("message"))
                    del self.errors[:-20]
                elif kind in ("value", "peers"):
                    self.answers.append(event)
                    self.cond.notify_all()

    def send(self, lines):
        try:
            self.proc.stdin.write("".join(line + "\n" for line in lines))
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError):
            return False

    def ask(self, lines, count, timeout=60):
        """Sends requests, returns the next `count` answers (in order)."""
        with self.cond:
            self.answers = []
        if not self.send(lines):
            return None
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.answers) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)
            return self.answers[:count]

    def stop(self, sig):
        if self.running():
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def memory_kb(self):
        out = {}
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith(("VmRSS:", "VmHWM:")):
                        out[line.split(":")[0]] = int(line.split()[1])
        except (OSError, AttributeError):
            pass
        return out.get("VmRSS", 0), out.get("VmHWM", 0)

    def file_bytes(self):
        total = 0
        for suffix in ("", "-wal", "-shm"):
            try:
                total += os.path.getsize(self.db + suffix)
            except OSError:
                pass
        return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--node", required=True)
    parser.add_argument("--nodes", type=int, default=10)
    parser.add_argument("--duration-s", type=float, default=1800)
    parser.add_argument("--transport", choices=["tcp", "udp"], default="udp")
    parser.add_argument("--interval-ms", type=int, default=250)
    parser.add_argument("--loss", type=int, default=5, help="percent, on every node's input")
    parser.add_argument("--churn-s", type=float, default=30, help="mean time between kills")
    parser.add_argument("--down-s", type=float, nargs=2, default=[5, 20],
                        help="a killed node stays down for a uniform time in this range")
    parser.add_argument("--updates-per-s", type=float, default=3)
    parser.add_argument("--keys", type=int, default=100, help="key space per node")
    parser.add_argument("--sample-s", type=float, default=60)
    parser.add_argument("--settle-s", type=float, default=120,
                        help="at most this long for agreement at the end")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("SKIP: needs root for network namespaces")
        return 77
    for tool in ("ip", "nft"):
        if not shutil.which(tool):
            print(f"SKIP: '{tool}' not found (scripts/setup.sh installs it)")
            return 77
    rng = random.Random(args.seed)
    network = Network(args.nodes)
    workdir = tempfile.mkdtemp(prefix="gm-soak-")
    nodes = {}

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)
    try:
        remove_stale_namespaces()
        network.up()
        network.set_loss(args.loss)
        nodes = {i: Node(args, network, i, workdir) for i in range(1, args.nodes + 1)}
        for node in nodes.values():
            node.start()
        log(f"soak: {args.nodes} nodes, {args.transport}, {args.interval_ms} ms rounds, "
            f"{args.loss}% loss, churn every ~{args.churn_s:.0f} s, "
            f"{args.updates_per_s}/s updates over {args.keys} keys per node, "
            f"{args.duration_s:.0f} s, workdir {workdir}")
        written = {}  # (owner, key) -> last value written
        updates = kills = terms = restarts = 0
        down = {}  # i -> restart time
        samples = []
        header = "   t_s " + " ".join(f"{n.id + ' rss/hwm':>15}" for n in nodes.values()) \
            + "   files_max  files_sum"
        start = time.monotonic()
        next_update = start
        next_churn = start + rng.expovariate(1 / args.churn_s)
        next_sample = start
        churnable = [i for i in nodes if i > 2]
        while True:
            now = time.monotonic()
            if now >= next_sample:
                row = {"t": now - start, "mem": {}, "files": {}}
                for node in nodes.values():
                    row["mem"][node.id] = node.memory_kb() if node.running() else (0, 0)
                    row["files"][node.id] = node.file_bytes()
                samples.append(row)
                if len(samples) % 10 == 1:
                    print(header, flush=True)
                print(f"{row['t']:7.0f} " + " ".join(
                    f"{r / 1024:7.1f}/{h / 1024:6.1f}" for r, h in row["mem"].values())
                    + f" {max(row['files'].values()) / 1024:9.0f}K"
                    f" {sum(row['files'].values()) / 1024:9.0f}K", flush=True)
                next_sample += args.sample_s
            if now - start >= args.duration_s:
                break
            for i, when in list(down.items()):
                if now >= when:
                    nodes[i].start()
                    restarts += 1
                    del down[i]
            if now >= next_churn:
                candidates = [i for i in churnable if i not in down]
                if candidates and len(down) < 2:
                    i = rng.choice(candidates)
                    node = nodes[i]
                    # Barrier: every set sent to it has been applied (own
                    # writes are committed synchronously) before the kill.
                    node.ask(["peers"], 1, timeout=10)
                    if rng.random() < 0.75:
                        node.stop(signal.SIGKILL)
                        kills += 1
                    else:
                        node.stop(signal.SIGTERM)
                        terms += 1
                    down[i] = now + rng.uniform(*args.down_s)
                next_churn = now + rng.expovariate(1 / args.churn_s)
            if now >= next_update:
                live = [i for i in nodes if i not in down and nodes[i].running()]
                i = rng.choice(live)
                key = f"k{rng.randrange(args.keys)}"
                value = f"{updates}-" + "x" * rng.randrange(10, 200)
                if nodes[i].send([f"set {key} {value}"]):
                    written[(nodes[i].id, key)] = value
                    updates += 1
                next_update += rng.expovariate(args.updates_per_s)
            time.sleep(max(0.0, min(next_update, next_sample, next_churn) - time.monotonic()))

        log(f"end of churn: {updates} updates, {kills} SIGKILL + {terms} SIGTERM, "
            f"{restarts} restarts; lifting the loss and restarting {len(down)} down node(s)")
        network.set_loss(0)
        for i in down:
            nodes[i].start()
            restarts += 1
        ended = time.monotonic()
        keys = sorted(written)
        queries = [f"get {owner} {key}" for owner, key in keys]
        agreed = False
        problems = []
        while time.monotonic() - ended < args.settle_s:
            time.sleep(5)
            problems = []
            answers = {}
            for node in nodes.values():
                got = node.ask(queries, len(queries))
                if got is None:
                    problems.append(f"{node.id}: no answers")
                    continue
                for (owner, key), event in zip(keys, got):
                    value = (event.get("value"), event.get("version")) \
                        if event.get("found") else None
                    answers.setdefault((owner, key), {})[node.id] = value
                peers = node.ask(["peers"], 1)
                if peers is None:
                    problems.append(f"{node.id}: no peers answer")
                    continue
                seen = {p["peer"]: p for p in peers[0]["peers"]}
                for other in nodes.values():
                    if other is not node and not seen.get(other.id, {}).get("live"):
                        problems.append(f"{node.id} sees {other.id} "
                                        f"{'dead' if other.id in seen else 'unknown'}")
            for k, by_node in answers.items():
                values = set(by_node.values())
                if len(values) != 1 or next(iter(values)) is None \
                        or next(iter(values))[0] != written[k]:
                    problems.append(f"{k[0]}/{k[1]}: {sorted(map(str, values))[:3]}")
            if not problems:
                agreed = True
                break
        settle = time.monotonic() - ended
        # Final sample.
        row = {"t": time.monotonic() - start, "mem": {}, "files": {}}
        for node in nodes.values():
            row["mem"][node.id] = node.memory_kb()
            row["files"][node.id] = node.file_bytes()
        samples.append(row)

        print("\n=== soak report ===")
        print(f"duration {args.duration_s:.0f} s, {args.nodes} nodes, {args.transport}, "
              f"{args.interval_ms} ms rounds, {args.loss}% input loss on every node")
        print(f"churn events: {kills + terms} ({kills} SIGKILL, {terms} SIGTERM), "
              f"{restarts} restarts; updates: {updates} over {len(written)} keys")
        if agreed:
            print(f"final agreement: YES, {args.nodes} nodes agree on all {len(keys)} keys "
                  f"(values and versions) and see each other live, {settle:.0f} s after "
                  "the churn and loss ended")
        else:
            print(f"final agreement: NO after {settle:.0f} s; {len(problems)} problems:")
            for p in problems[:20]:
                print(f"  {p}")
        first = samples[0]
        # The first sample is at t=0; the "start" figure is the first sample
        # at or after one minute (the node has joined and loaded the data).
        warm = next((s for s in samples if s["t"] >= min(60, args.duration_s / 2)), first)
        print("peak memory (VmHWM, MiB) and SQLite files (KiB) per node, "
              f"at t={warm['t']:.0f} s and at the end (t={row['t']:.0f} s); "
              "n1, n2 never restarted:")
        for node in nodes.values():
            r0, h0 = warm["mem"][node.id]
            r1, h1 = row["mem"][node.id]
            print(f"  {node.id}: hwm {h0 / 1024:6.1f} -> {h1 / 1024:6.1f}, "
                  f"rss {r0 / 1024:6.1f} -> {r1 / 1024:6.1f}, files "
                  f"{warm['files'][node.id] / 1024:7.0f} -> "
                  f"{row['files'][node.id] / 1024:7.0f}, starts {node.starts}, "
                  f"errors {node.counts.get('error', 0)}")
        for node in nodes.values():
            if node.errors:
                print(f"  {node.id} last errors: {node.errors[-3:]}")
        return 0 if agreed else 1
    finally:
        for node in nodes.values():
            node.stop(signal.SIGKILL)
        network.down()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
