#!/usr/bin/env python3
"""Churn soak: N gossipmonger-node processes on loopback, each on its own
SQLite file, with short reap options, where nodes are replaced by nodes
with new ids over time (every other departing node sends `leave`, the rest
are killed with SIGKILL), for a given duration. Not run in CI; no root
needed.

  scripts/churn-soak.py --node build/tools/gossipmonger-node --duration-s 1800

Random `set` and `del` commands go to live nodes throughout. Every
--sample-s it prints, over the live nodes, the mean and max of VmRSS and of
the SQLite database file, the largest WAL, and the mean number of peers they
list. The WAL is reported apart, not judged: it fills up to SQLite's automatic checkpoint
(1,000 pages, about 4 MiB) and is then reused from its start, so it reaches
that ceiling at a time set by the write rate, not by the cluster's growth. At the end it stops the churn and checks, within --settle-s:

- agreement: every surviving node serves, for every key written to every
  surviving node, the value last written there (or found:false if it was
  deleted last), with one version everywhere, and sees every other
  survivor as live;
- forgotten: no survivor lists a node that departed more than one reap
  period (plus --settle-s) ago;
- flat: after the first reap period (the longer reap delay plus one
  replacement interval), the mean and max file size, the mean RSS and the
  mean number of peers listed by the live nodes in the last third of the
  samples are at most --flat-tolerance times (default 1.2) those in the
  first third. (Means over live nodes mix old and young nodes; the number
  of peers listed is what grows without reaping.)

Exit status 0 if all three hold, 1 if not.
"""

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import shutil
import socket

import soak  # noqa: E402  (scripts/soak.py: its Node class and log)

log = soak.log


def free_port():
    """A loopback port free now (the node binds it a moment later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]



def size_of(path):
    """A file's size, 0 if it does not exist (yet)."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0

class Node(soak.Node):
    """soak.py's node (requests, answers, memory, files) on loopback with a
    new id, its own SQLite file and the reap options; started at once."""

    def __init__(self, args, node_id, workdir, seeds):
        super().__init__(args, None, 0, workdir)
        self.id, self.db = node_id, f"{workdir}/{node_id}.db"
        self.address = f"127.0.0.1:{free_port()}"
        self.seeds = seeds
        self.start()
        if not self.wait_listening():
            raise RuntimeError(f"{node_id} did not start (see {workdir}/{node_id}.stderr)")

    def start(self):
        a = self.args
        cmd = [a.node, "--id", self.id, "--listen", self.address, "--transport", a.transport,
               "--storage", f"sqlite:{self.db}", "--gossip-interval-ms", str(a.interval_ms),
               "--reap-dead-after-ms", str(a.reap_dead_after_ms),
               "--reap-left-after-ms", str(a.reap_left_after_ms),
               "--tombstone-grace-ms", str(a.tombstone_grace_ms),
               "--remember-forgotten-ms", str(a.remember_forgotten_ms),
               # Its own cluster name: other programs on this machine's
               # loopback (tests, another soak) may get a port a killed node
               # had, and must not merge with this cluster.
               "--cluster", f"churn-soak-{os.getpid()}"]
        for seed in self.seeds:
            cmd += ["--seed", f"{seed.id}@{seed.address}"]
        with open(f"{self.workdir}/{self.id}.stderr", "w") as stderr:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=stderr, text=True, bufsize=1)
        self.starts += 1
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()

    def wait_listening(self):
        """True once the node answers (it listens by then)."""
        return self.ask(["peers"], 1, timeout=30) is not None

    def kill(self):
        self.stop(signal.SIGKILL)

    def leave(self, timeout):
        """Sends `leave`; True if the process exited 0 within `timeout`."""
        self.send(["leave"])
        try:
            return self.proc.wait(timeout) == 0
        except subprocess.TimeoutExpired:
            return False

    def remove_files(self):
        for suffix in ("", "-wal", "-shm"):
            try:
                os.remove(self.db + suffix)
            except OSError:
                pass


def mean(values):
    return sum(values) / len(values) if values else 0.0


class Soak:
    def __init__(self, args):
        self.args, self.rng = args, random.Random(args.seed)
        self.workdir = tempfile.mkdtemp(prefix="gm-churn-soak-")
        self.slots, self.next_id = [], 0
        self.departed = {}  # id -> monotonic time of departure
        self.written = {}   # (owner, key) -> last value, None once deleted
        self.samples = []
        self.stats = {"replaced": 0, "left": 0, "killed": 0, "leave_refused": 0,
                      "sets": 0, "dels": 0}

    def start_node(self, exclude=None):
        live = [n for n in self.slots if n is not None and n is not exclude]
        seeds = self.rng.sample(live, min(3, len(live)))
        node = Node(self.args, f"c{self.next_id}", self.workdir, seeds)
        self.next_id += 1
        return node

    def replace(self, slot):
        old = self.slots[slot]
        if self.stats["replaced"] % 2 == 0:
            # Barrier: what was sent to it has been applied before it leaves.
            old.ask(["peers"], 1, timeout=10)
            if old.leave(timeout=10 + 3 * self.args.interval_ms / 1000):
                self.stats["left"] += 1
            else:
                self.stats["leave_refused"] += 1
                old.kill()
        else:
            old.kill()
            self.stats["killed"] += 1
        self.departed[old.id] = time.monotonic()
        old.remove_files()
        self.slots[slot] = self.start_node(exclude=old)
        self.stats["replaced"] += 1

    def write(self):
        node = self.rng.choice(self.slots)
        held = [k for (owner, k), v in self.written.items() if owner == node.id and v]
        key = f"k{self.rng.randrange(self.args.keys)}"
        if self.rng.random() < 0.2 and held:
            key = self.rng.choice(held)
            if node.send([f"del {key}"]):
                self.written[(node.id, key)] = None
                self.stats["dels"] += 1
            return
        value = f"{self.stats['sets']}-" + "x" * self.rng.randrange(10, 100)
        if node.send([f"set {key} {value}"]):
            self.written[(node.id, key)] = value
            self.stats["sets"] += 1

    def sample(self, t):
        live = [n for n in self.slots if n.running()]
        rss = [n.memory_kb()[0] for n in live]
        files = [size_of(n.db) for n in live]
        wals = [size_of(n.db + "-wal") for n in live]
        peers = []
        for n in live:
            got = n.ask(["peers"], 1, timeout=10)
            if got:
                peers.append(len(got[0]["peers"]))
        row = {"t": t, "rss_mean": mean(rss), "rss_max": max(rss, default=0),
               "file_mean": mean(files), "file_max": max(files, default=0),
               "wal_max": max(wals, default=0),
               "peers_mean": mean(peers)}
        self.samples.append(row)
        print(f"{t:7.0f} s  rss mean/max {row['rss_mean'] / 1024:6.2f}/"
              f"{row['rss_max'] / 1024:6.2f} MiB  database mean/max "
              f"{row['file_mean'] / 1024:7.1f}/{row['file_max'] / 1024:7.1f} KiB  "
              f"WAL max {row['wal_max'] / 1024:7.1f} KiB  "
              f"peers listed {row['peers_mean']:6.1f}  replaced {self.stats['replaced']}",
              flush=True)

    def run(self):
        a = self.args
        self.slots = [None] * a.nodes
        for i in range(a.nodes):
            self.slots[i] = self.start_node()
        log(f"churn soak: {a.nodes} nodes, {a.transport}, {a.interval_ms} ms rounds, one "
            f"replacement every {a.replace_every_s:g} s, reap dead {a.reap_dead_after_ms} "
            f"ms / left {a.reap_left_after_ms} ms, {a.duration_s:.0f} s, workdir "
            f"{self.workdir}")
        start = time.monotonic()
        next_write = next_sample = start
        next_replace = start + a.replace_every_s
        order = []
        while time.monotonic() - start < a.duration_s:
            now = time.monotonic()
            if now >= next_sample:
                self.sample(now - start)
                next_sample += a.sample_s
            if now >= next_replace:
                if not order:
                    order = list(range(a.nodes))
                    self.rng.shuffle(order)
                self.replace(order.pop())
                next_replace += a.replace_every_s
            if now >= next_write:
                self.write()
                next_write += self.rng.expovariate(a.writes_per_s)
            time.sleep(max(0.0, min(next_write, next_sample, next_replace)
                           - time.monotonic()))
        self.sample(time.monotonic() - start)
        return self.report(self.settle())

    def check_once(self):
        """The problems with agreement and forgetting now; [] if none."""
        problems = []
        survivors = {n.id for n in self.slots}
        keys = sorted(k for k in self.written if k[0] in survivors)
        queries = [f"get {owner} {key}" for owner, key in keys]
        answers = {}
        reap_s = max(self.args.reap_dead_after_ms, self.args.reap_left_after_ms) / 1000
        stale = {i for i, when in self.departed.items()
                 if time.monotonic() - when > reap_s + self.args.settle_s}
        for node in self.slots:
            got = node.ask(queries, len(queries)) if queries else []
            peers = node.ask(["peers"], 1)
            if got is None or peers is None:
                problems.append(f"{node.id}: no answers")
                continue
            for k, event in zip(keys, got):
                answers.setdefault(k, set()).add(
                    (event.get("value"), event.get("version")) if event.get("found")
                    else None)
            seen = {p["peer"]: p for p in peers[0]["peers"]}
            for other in survivors - {node.id}:
                if not seen.get(other, {}).get("live"):
                    problems.append(f"agreement: {node.id} sees {other} "
                                    f"{'dead' if other in seen else 'unknown'}")
            for ghost in sorted(stale & set(seen))[:3]:
                problems.append(f"forgotten: {node.id} still lists {ghost}")
        for k, got in answers.items():
            want = self.written[k]
            if len(got) != 1 or (next(iter(got)) or (None,))[0] != want:
                problems.append(f"agreement: {k[0]}/{k[1]}: {sorted(map(str, got))[:3]}, "
                                f"written {want!r}"[:200])
        return problems

    def settle(self):
        ended = time.monotonic()
        problems = ["not checked"]
        while time.monotonic() - ended < self.args.settle_s and problems:
            time.sleep(5)
            problems = self.check_once()
        return problems

    def flat(self):
        """Whether file size and RSS are flat after the first reap period."""
        a = self.args
        after = max(a.reap_dead_after_ms, a.reap_left_after_ms) / 1000 + a.replace_every_s
        later = [s for s in self.samples if s["t"] >= after]
        third = len(later) // 3
        if third < 1:
            return None, "too short to tell (fewer than 3 samples after the first reap)"
        first, last = later[:third], later[-third:]
        ratios = {m: mean([s[m] for s in last]) / max(1.0, mean([s[m] for s in first]))
                  for m in ("file_mean", "file_max", "rss_mean", "peers_mean")}
        ok = all(r <= a.flat_tolerance for r in ratios.values())
        return ok, (f"from t={later[0]['t']:.0f} s: last third / first third: database "
                    f"mean {ratios['file_mean']:.2f}x, max {ratios['file_max']:.2f}x, RSS "
                    f"{ratios['rss_mean']:.2f}x, peers listed {ratios['peers_mean']:.2f}x "
                    f"(bound {a.flat_tolerance:g}x)")

    def report(self, problems):
        s = self.stats
        print("\n=== churn soak report ===")
        print(f"{self.args.duration_s:.0f} s, {self.args.nodes} nodes on SQLite; replaced "
              f"{s['replaced']} ({s['left']} left, {s['killed']} SIGKILL, "
              f"{s['leave_refused']} leaves refused and killed instead); {s['sets']} sets, "
              f"{s['dels']} dels")
        agreed = all(p.startswith("forgotten") for p in problems)
        forgotten = not any(p.startswith("forgotten") for p in problems)
        print(f"agreement among the {len(self.slots)} survivors: {'YES' if agreed else 'NO'}")
        print(f"departed nodes forgotten by every survivor: {'YES' if forgotten else 'NO'}")
        for p in problems[:15]:
            print(f"  {p}")
        flat, text = self.flat()
        print(f"flat after the first reap period: "
              f"{'YES' if flat else 'NO' if flat is not None else '?'}: {text}")
        first, last = self.samples[0], self.samples[-1]
        print(f"live nodes, start -> end: RSS mean {first['rss_mean'] / 1024:.2f} -> "
              f"{last['rss_mean'] / 1024:.2f} MiB, max {last['rss_max'] / 1024:.2f} MiB; "
              f"files mean {first['file_mean'] / 1024:.0f} -> {last['file_mean'] / 1024:.0f}"
              f" KiB, max {last['file_max'] / 1024:.0f} KiB (WAL at most "
              f"{max(r['wal_max'] for r in self.samples) / 1024:.0f} KiB); peers listed "
              f"{first['peers_mean']:.1f} -> {last['peers_mean']:.1f}")
        for node in self.slots:
            if node.errors:
                print(f"  {node.id} last errors: {node.errors[-2:]}")
        return 0 if agreed and forgotten and flat else 1

    def close(self):
        for node in self.slots:
            if node is not None:
                node.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--node", required=True)
    parser.add_argument("--nodes", type=int, default=10)
    parser.add_argument("--duration-s", type=float, default=1800)
    parser.add_argument("--transport", choices=["tcp", "udp"], default="tcp")
    parser.add_argument("--interval-ms", type=int, default=250)
    parser.add_argument("--replace-every-s", type=float, default=10,
                        help="one node replaced this often (the whole cluster every "
                        "nodes x this)")
    parser.add_argument("--reap-dead-after-ms", type=int, default=30000)
    parser.add_argument("--reap-left-after-ms", type=int, default=15000)
    parser.add_argument("--tombstone-grace-ms", type=int, default=30000)
    parser.add_argument("--remember-forgotten-ms", type=int, default=300000)
    parser.add_argument("--writes-per-s", type=float, default=5,
                        help="set (80%%) or del (20%%) commands per second, cluster-wide")
    parser.add_argument("--keys", type=int, default=50, help="key space per node")
    parser.add_argument("--sample-s", type=float, default=30)
    parser.add_argument("--settle-s", type=float, default=60)
    parser.add_argument("--flat-tolerance", type=float, default=1.2)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    soak = Soak(args)

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)
    try:
        return soak.run()
    finally:
        soak.close()


if __name__ == "__main__":
    sys.exit(main())
