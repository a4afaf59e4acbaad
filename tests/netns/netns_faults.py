#!/usr/bin/env python3
"""Multi-host fault tests: five gossipmonger-node processes, each in a network
namespace of its own, joined by veth pairs to a bridge in a sixth ("switch")
namespace, on the private subnet 10.213.0.0/24. Nothing touches the host's
network. Faults are injected with nftables inside the node namespaces:

  1. 10% packet loss (every packet entering a node's eth0 is dropped with
     probability 0.10): no live node may ever be reported dead; after the
     loss is lifted every node has every key within CONVERGE rounds.
  2. 30% packet loss: convictions may happen (not asserted); after the loss
     is lifted every node is live again and has every key within bounds.
  3. Partition {n1,n2} | {n3,n4,n5} (drop rules on the other side's
     addresses): within DETECT rounds each side convicts every node of the
     other side; after healing all are live again and every key written on
     either side during the partition reaches everyone.
  4. n5 is killed with SIGKILL: all four others convict it within DETECT
     rounds. Restarted on its SQLite file, it serves its old keys with
     their old versions, its next write takes the next version (no new
     lineage), it is live everywhere again and catches up.

The bounds are derived in rounds of the gossip interval in docs/faults.md
("Bounds") and below (Bounds). Usage, as root:

  netns_faults.py --node PATH/gossipmonger-node --transport tcp|udp

Exit status: 0 pass, 1 failure, 77 skipped (not root, or no ip/nft, or
namespaces cannot be created: the reason is printed). Every namespace,
rule and process it made is removed on every exit path (the rules and
veths live inside the namespaces and go with them); leftovers of runs
whose process is gone (kill -9 of the test) are removed at start.
"""

import argparse
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
PREFIX = "gmf"  # namespace names: gmf<pid>-sw, gmf<pid>-n1 ... gmf<pid>-n5
PORT = 7946
N = 5


def address(i):
    return f"10.213.0.{10 + i}"


# ---------------------------------------------------------------- Bounds ---
#
# I = gossip interval (INTERVAL_MS). All bounds are in rounds of I.
#
# CONVERGE_ROUNDS: push-pull spreads a value to all of n nodes in about
# log3(n) + 1 rounds (each exchange both pushes and pulls; the number of
# informed nodes roughly triples per round), 2.5 rounds for n = 5. The test
# writes at most 3 keys per node per phase, under MAX_DELTAS_PER_GOSSIP (5),
# so one message carries a peer's whole backlog. Add 1 round for the
# writing node's next tick, 1 for the receiver's queue and 2 for the
# liveness of a returning peer (its heartbeat spreads like data), and
# double it for loss and scheduling on a busy 2-core CI machine:
# 2 * (2.5 + 1 + 1 + 2) = 13 -> 15 rounds (3 s at 200 ms).
CONVERGE_ROUNDS = 15
#
# DETECT_ROUNDS: the detector convicts when phi of a peer's heartbeat age
# exceeds DEAD_PEER_PHI = 8, with the normal model: age > mean + z * sd,
# z = Q^-1(1e-8) = 5.61, sd floored at min_std_dev = 400 ms (absolute, so at
# a short interval the floor dominates): 5.61 * 0.4 s = 2.24 s = 11.2 rounds
# at 200 ms, plus the mean age of the freshest heartbeat (1-2 rounds in a
# 5-node cluster), plus up to 5 rounds the view-starvation guard forgives an
# observer that lost most of its peers at once (the partition cuts 3 of 4
# peers of n1 and n2), plus a quarter round between checks: about 19
# rounds; bound 2.24 s / I + 13 rounds = 24 rounds (4.8 s) at 200 ms. It
# cannot pass if conviction takes the 1 s-interval figure of 9-10 s.
PHI_AGE_S = 5.61 * 0.4
DETECT_EXTRA_ROUNDS = 13
#
# TCP after a fault: a stream does not lose messages; the segments sent
# during the fault are retransmitted with exponential backoff (RTO 200 ms,
# doubling), so the first retransmission after a fault of D seconds comes
# up to about D + 0.2 s after the heal. For TCP the bounds that start at a
# heal add the fault's duration (docs/faults.md). UDP adds nothing.
#
# NO_FALSE_DEAD: under 10% loss no node may report a live peer dead; the
# simulator saw 0 false convictions in 1,011 node-hours at 5% loss, and the
# retry of a round that got no reply makes 10% loss (19% per exchange)
# cost one extra call, not a stale heartbeat.
# Under random loss (not a cut) a TCP segment stalls only as long as it keeps
# being lost: after 5 losses in a row the retransmission timer is at 6.4 s
# (0.2 + 0.4 + 0.8 + 1.6 + 3.2 = 6.2 s spent); 6 in a row at 30% loss is
# 7e-4 per segment. So the slack for a loss phase is capped at 6.4 s.
TCP_LOSS_BACKOFF_S = 6.4
LOSS10_HOLD_S = 15.0  # 75 rounds x 5 nodes at 200 ms
LOSS30_HOLD_S = 8.0


class Failure(Exception):
    pass


def log(message):
    print(f"[{time.monotonic() - T0:7.2f}] {message}", flush=True)


T0 = time.monotonic()


def run(*args, check=True, input_text=None):
    result = subprocess.run(args, input=input_text, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {result.stderr.strip()}")
    return result


# ------------------------------------------------------------- Network ---

class Network:
    """The namespaces, veths, bridge and nft tables of one run."""

    def __init__(self, n=N):
        self.n = n
        self.tag = f"{PREFIX}{os.getpid()}"
        self.switch = f"{self.tag}-sw"
        self.created = []

    def ns(self, i):
        return f"{self.tag}-n{i}"

    def up(self):
        run("ip", "netns", "add", self.switch)
        self.created.append(self.switch)
        run("ip", "-n", self.switch, "link", "add", "br0", "type", "bridge")
        run("ip", "-n", self.switch, "link", "set", "br0", "up")
        for i in range(1, self.n + 1):
            ns = self.ns(i)
            run("ip", "netns", "add", ns)
            self.created.append(ns)
            run("ip", "-n", self.switch, "link", "add", f"v{i}", "type", "veth",
                "peer", "name", "eth0", "netns", ns)
            run("ip", "-n", self.switch, "link", "set", f"v{i}", "master", "br0", "up")
            run("ip", "-n", ns, "link", "set", "lo", "up")
            run("ip", "-n", ns, "addr", "add", f"{address(i)}/24", "dev", "eth0")
            run("ip", "-n", ns, "link", "set", "eth0", "up")
            # Two input chains: 'loss' and 'cut' (partition), flushed apart.
            run("ip", "netns", "exec", ns, "nft", "-f", "-", input_text=(
                "table inet gm {\n"
                "  chain loss { type filter hook input priority 0; policy accept; }\n"
                "  chain cut { type filter hook input priority 1; policy accept; }\n"
                "}\n"))

    def nft(self, i, *rule):
        run("ip", "netns", "exec", self.ns(i), "nft", *rule)

    def set_loss(self, percent):
        for i in range(1, self.n + 1):
            self.nft(i, "flush", "chain", "inet", "gm", "loss")
            if percent:
                self.nft(i, "add", "rule", "inet", "gm", "loss", "iifname", "eth0",
                         "meta", "l4proto", "{ tcp, udp }", "numgen", "random",
                         "mod", "100", "<", str(percent), "drop")

    def partition(self, sides):
        for side in sides:
            others = [j for j in range(1, self.n + 1) if j not in side]
            addresses = ", ".join(address(j) for j in others)
            for i in side:
                self.nft(i, "add", "rule", "inet", "gm", "cut", "iifname", "eth0",
                         "ip", "saddr", "{ " + addresses + " }", "drop")

    def heal_partition(self):
        for i in range(1, self.n + 1):
            self.nft(i, "flush", "chain", "inet", "gm", "cut")

    def down(self):
        for ns in reversed(self.created):
            run("ip", "netns", "del", ns, check=False)
        self.created = []


def remove_stale_namespaces():
    """Namespaces of earlier runs whose process is gone (e.g. kill -9)."""
    listing = run("ip", "netns", "list", check=False).stdout
    for line in listing.splitlines():
        name = line.split()[0] if line.split() else ""
        match = re.fullmatch(PREFIX + r"(\d+)-(sw|n\d+)", name)
        if match and not os.path.exists(f"/proc/{match.group(1)}"):
            run("ip", "netns", "del", name, check=False)
            log(f"removed stale namespace {name}")


# ---------------------------------------------------------------- Nodes ---

class Node:
    """One gossipmonger-node process in namespace i, and what it reported."""

    def __init__(self, binary, network, i, transport, interval_ms, workdir):
        self.binary, self.network, self.i = binary, network, i
        self.id = f"n{i}"
        self.transport, self.interval_ms, self.workdir = transport, interval_ms, workdir
        self.proc = None
        self.cond = threading.Condition()
        self.generation = 0  # process starts

    def start(self):
        args = ["ip", "netns", "exec", self.network.ns(self.i), self.binary,
                "--id", self.id, "--listen", f"{address(self.i)}:{PORT}",
                "--transport", self.transport,
                "--storage", f"sqlite:{self.workdir}/{self.id}.db",
                "--gossip-interval-ms", str(self.interval_ms)]
        for seed in (1, 2):
            if seed != self.i:
                args += ["--seed", f"n{seed}@{address(seed)}:{PORT}"]
        with self.cond:
            self.events = []  # (monotonic time, dict), this process only
            self.values = {}  # (peer, key) -> (value, version) from updates
            self.live = {}  # peer -> bool
            self.generation += 1
        stderr = open(f"{self.workdir}/{self.id}.stderr", "a")
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=stderr, text=True, bufsize=1)
        stderr.close()
        threading.Thread(target=self._read, args=(self.proc, self.generation),
                         daemon=True).start()

    def _read(self, proc, generation):
        for line in proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                event = {"event": "unparsable", "line": line}
            now = time.monotonic()
            with self.cond:
                if generation != self.generation:
                    return
                self.events.append((now, event))
                kind = event.get("event")
                if kind == "update":
                    self.values[(event["peer"], event["key"])] = (event["value"],
                                                                 event["version"])
                elif kind in ("new_peer", "peer_live"):
                    self.live[event["peer"]] = True
                elif kind == "peer_dead":
                    self.live[event["peer"]] = False
                self.cond.notify_all()

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def request(self, line, matches, timeout=5.0):
        """Sends a command and returns the first event after it that matches."""
        with self.cond:
            start = len(self.events)
        self.send(line)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for _, event in self.events[start:]:
                    if matches(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Failure(f"{self.id}: no answer to '{line}'")
                self.cond.wait(left)

    def get(self, peer, key):
        event = self.request(f"get {peer} {key}", lambda e: e.get("event") == "value"
                             and e.get("peer") == peer and e.get("key") == key)
        return (event["value"], event["version"]) if event.get("found") else None

    def peers(self):
        return self.request("peers", lambda e: e.get("event") == "peers")["peers"]

    def events_since(self, since, kind):
        with self.cond:
            return [(t, e) for t, e in self.events if t >= since and e.get("event") == kind]

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stderr_tail(self):
        try:
            with open(f"{self.workdir}/{self.id}.stderr") as f:
                return f.read()[-2000:]
        except OSError:
            return ""


# ---------------------------------------------------------------- Test ---

class Test:
    def __init__(self, args, network, workdir):
        self.interval = args.interval_ms / 1000.0
        self.transport = args.transport
        self.nodes = {i: Node(args.node, network, i, args.transport, args.interval_ms,
                              workdir) for i in range(1, N + 1)}
        self.network = network
        self.written = {}  # (owner id, key) -> value: everything ever set
        self.counter = 0
        self.converge_s = CONVERGE_ROUNDS * self.interval
        self.detect_s = PHI_AGE_S + DETECT_EXTRA_ROUNDS * self.interval
        self.figures = []

    def rounds(self, seconds):
        return seconds / self.interval

    def heal_slack(self, fault_s, cap_s=None):
        if self.transport != "tcp":
            return 0.0
        slack = fault_s + 0.2
        return min(slack, cap_s) if cap_s else slack

    def settle(self, fault_s):
        """TCP: a segment sent during a fault may still sit in retransmission
        backoff after the heal; it would silence one direction of a pair in
        the next phase (seen: n2 convicting n1 inside its own side of the
        partition right after the 30% loss phase). Let it drain first."""
        slack = self.heal_slack(fault_s, TCP_LOSS_BACKOFF_S)
        if slack:
            time.sleep(slack)

    def wait(self, what, predicate, timeout):
        """Waits until predicate() holds; returns seconds taken, or fails."""
        start = time.monotonic()
        deadline = start + timeout
        while True:
            if predicate():
                return time.monotonic() - start
            if time.monotonic() > deadline:
                raise Failure(f"{what}: not within {timeout:.1f} s "
                              f"({self.rounds(timeout):.0f} rounds)")
            time.sleep(0.02)

    def write(self, i, tag):
        self.counter += 1
        key, value = f"{tag}_{i}", f"v{self.counter}"
        self.nodes[i].send(f"set {key} {value}")
        self.written[(f"n{i}", key)] = value
        return (f"n{i}", key)

    def has(self, node, keys):
        with node.cond:
            return all(node.values.get(k, (None,))[0] == self.written[k]
                       for k in keys if k[0] != node.id)

    def converged(self, keys, among=None):
        among = among or list(self.nodes)
        return lambda: all(self.has(self.nodes[i], keys) for i in among)

    def all_live(self, among=None):
        among = among or list(self.nodes)

        def check():
            for i in among:
                node = self.nodes[i]
                with node.cond:
                    if any(node.live.get(f"n{j}") is not True for j in among if j != i):
                        return False
            return True
        return check

    def record(self, name, seconds, bound):
        self.figures.append((name, seconds, bound))
        log(f"  {name}: {seconds:.2f} s = {self.rounds(seconds):.1f} rounds "
            f"(bound {self.rounds(bound):.0f} rounds)")

    def no_dead_since(self, since, among=None):
        among = among or list(self.nodes)
        dead = [(self.nodes[i].id, e["peer"]) for i in among
                for _, e in self.nodes[i].events_since(since, "peer_dead")]
        return dead

    # -- phases --

    def phase_start(self):
        log(f"start {N} nodes ({self.transport}, {self.interval * 1000:.0f} ms rounds)")
        # The seeds first, as a deployment would: a node whose seed is not
        # listening yet backs off its reconnects (TCP), which is not the
        # subject here.
        for group in ([self.nodes[1], self.nodes[2]], list(self.nodes.values())[2:]):
            for node in group:
                node.start()
            for node in group:
                self.wait(f"{node.id} listening", lambda n=node: bool(
                    n.events_since(0, "listening")) or n.proc.poll() is not None, 10)
                if node.proc.poll() is not None:
                    raise Failure(f"{node.id} exited: {node.stderr_tail()}")
        keys = [self.write(i, "start") for i in self.nodes]
        # First contact goes through the seeds: allow 2 bounds.
        took = self.wait("initial convergence and membership",
                         lambda: self.converged(keys)() and self.all_live()(),
                         2 * self.converge_s)
        self.record("initial convergence", took, 2 * self.converge_s)

    def phase_loss(self, percent, hold_s, assert_no_dead):
        log(f"{percent}% loss for {hold_s:.0f} s")
        self.network.set_loss(percent)
        start = time.monotonic()
        early = [self.write(i, f"loss{percent}a") for i in self.nodes]
        try:
            took = self.wait(f"convergence under {percent}% loss", self.converged(early),
                             hold_s - 1)
            log(f"  (under loss: {took:.2f} s = {self.rounds(took):.1f} rounds)")
        except Failure as e:
            log(f"  (under loss: {e})")
        time.sleep(max(0.0, start + hold_s - 2 * self.interval - time.monotonic()))
        late = [self.write(i, f"loss{percent}b") for i in self.nodes]
        time.sleep(2 * self.interval)
        self.network.set_loss(0)
        bound = self.converge_s + self.heal_slack(hold_s, TCP_LOSS_BACKOFF_S)
        took = self.wait(f"convergence after {percent}% loss",
                         lambda: self.converged(early + late)() and self.all_live()(), bound)
        self.record(f"converge after {percent}% loss", took, bound)
        dead = self.no_dead_since(start)
        log(f"  peer_dead reports during {percent}% loss: {len(dead)} {dead}")
        if assert_no_dead and dead:
            raise Failure(f"live nodes reported dead under {percent}% loss: {dead}")
        self.figures.append((f"false dead at {percent}% loss", len(dead), None))
        self.settle(hold_s)

    def phase_partition(self):
        a, b = [1, 2], [3, 4, 5]
        log(f"partition {a} | {b}")
        self.network.partition([a, b])
        start = time.monotonic()
        keys = [self.write(i, "cut") for i in self.nodes]

        def each_side_convicts():
            for side, other in ((a, b), (b, a)):
                for i in side:
                    node = self.nodes[i]
                    with node.cond:
                        if any(node.live.get(f"n{j}") is not False for j in other):
                            return False
            return True
        took = self.wait("each side convicts the other", each_side_convicts, self.detect_s)
        self.record("partition: both sides convict the other", took, self.detect_s)
        # Within a side nobody is convicted.
        inside = [(self.nodes[i].id, e["peer"]) for side in (a, b) for i in side
                  for _, e in self.nodes[i].events_since(start, "peer_dead")
                  if int(e["peer"][1:]) in side]
        if inside:
            raise Failure(f"a node convicted its own side during the partition: {inside}")
        for side in (a, b):
            self.wait("convergence within a side", self.converged(
                [k for k in keys if int(k[0][1:]) in side], among=side), self.converge_s)
        time.sleep(2 * self.interval)
        self.network.heal_partition()
        fault_s = time.monotonic() - start
        bound = self.converge_s + self.heal_slack(fault_s)
        took = self.wait("after healing all live and converged",
                         lambda: self.all_live()() and self.converged(keys)(), bound)
        self.record("partition healed: all live and converged", took, bound)
        self.settle(fault_s)

    def phase_kill(self):
        victim = self.nodes[5]
        log("write on n5, then SIGKILL n5")
        keys = [self.write(5, "before_kill"), self.write(5, "before_kill2")]
        self.wait("n5's keys spread", self.converged(keys), self.converge_s)
        time.sleep(2 * self.interval)  # durable within one round (n5's own: at once)
        own = {key: victim.get("n5", key[1]) for key in
               [k for k in self.written if k[0] == "n5"]}
        max_version = max(v[1] for v in own.values())
        with victim.cond:
            learned = dict(victim.values)  # other nodes' data it holds
        victim.stop(signal.SIGKILL)
        killed = time.monotonic()
        others = [1, 2, 3, 4]
        down_keys = [self.write(i, "while_down") for i in others]

        def all_convict():
            for i in others:
                node = self.nodes[i]
                with node.cond:
                    if node.live.get("n5") is not False:
                        return False
            return True
        took = self.wait("all others convict the killed n5", all_convict, self.detect_s)
        self.record("SIGKILL: all convict n5", took, self.detect_s)
        self.wait("convergence without n5", self.converged(down_keys, among=others),
                  self.converge_s)
        log("restart n5 on its SQLite file")
        victim.start()
        restarted = time.monotonic()
        # It resumes from its file: its own keys and what it had learned,
        # with the same versions (a restarted process reports no update for
        # data it already holds, so these are asked for).
        for key, before in list(own.items()) + list(learned.items()):
            after = victim.get(key[0], key[1])
            if after != before:
                raise Failure(f"n5 after restart: {key[0]}/{key[1]} is {after}, was {before}")
        with victim.cond:
            for key, value in learned.items():
                victim.values.setdefault(key, value)
        new_key = self.write(5, "after_restart")
        last_ask = [0.0, False]

        def n5_sees_all_live():
            # A restarted node emits no new_peer for peers in its file: ask
            # it, at most once a round.
            if time.monotonic() - last_ask[0] >= self.interval:
                last_ask[0] = time.monotonic()
                last_ask[1] = all(p["live"] for p in victim.peers()) and len(
                    victim.peers()) == N - 1
            return last_ask[1]

        def others_see_n5_live():
            for i in others:
                with self.nodes[i].cond:
                    if self.nodes[i].live.get("n5") is not True:
                        return False
            return True
        bound = self.converge_s + self.heal_slack(restarted - killed)
        took = self.wait("n5 live everywhere, its new key spread, it caught up",
                         lambda: others_see_n5_live() and self.converged(
                             [new_key] + down_keys)() and n5_sees_all_live(), bound)
        self.record("restart: n5 live everywhere and caught up", took, bound)
        version = self.nodes[1].values[new_key][1]
        if version != max_version + 1:
            raise Failure(f"n5's first write after restart has version {version}, "
                          f"expected {max_version + 1} (resumed counter)")
        lineages = victim.events_since(0, "new_lineage")
        if lineages:
            raise Failure(f"n5 started a new lineage: {lineages}")
        for i in others:
            for key, before in own.items():
                after = self.nodes[i].get("n5", key[1])
                if after != before:
                    raise Failure(f"n{i} holds n5's {key[1]} as {after}, expected {before}")
        log(f"  n5 resumed {len(own)} keys, versions up to {max_version}; "
            f"next write version {version}")

    def final_agreement(self):
        """Every node serves every key ever written, with one version."""
        for (owner, key), value in sorted(self.written.items()):
            seen = {}
            for node in self.nodes.values():
                seen[node.id] = node.get(owner, key)
            versions = {v for v in seen.values()}
            if len(versions) != 1 or next(iter(versions))[0] != value:
                raise Failure(f"disagreement on {owner}/{key} (wrote {value}): {seen}")
        for node in self.nodes.values():
            for peer in node.peers():
                if not peer["live"]:
                    raise Failure(f"{node.id} reports {peer['peer']} dead at the end")
        log(f"final agreement: {len(self.written)} keys on {N} nodes")

    def run(self):
        self.phase_start()
        self.phase_loss(10, LOSS10_HOLD_S, assert_no_dead=True)
        self.phase_loss(30, LOSS30_HOLD_S, assert_no_dead=False)
        self.phase_partition()
        self.phase_kill()
        self.final_agreement()


def skip(reason):
    print(f"SKIP: {reason}", flush=True)
    sys.exit(SKIP)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--node", required=True, help="gossipmonger-node binary")
    parser.add_argument("--transport", choices=["tcp", "udp"], default="tcp")
    parser.add_argument("--interval-ms", type=int, default=200)
    args = parser.parse_args()
    if not os.access(args.node, os.X_OK):
        print(f"FAIL: {args.node} is not an executable", flush=True)
        return 1
    if os.geteuid() != 0:
        skip("needs root to create network namespaces")
    for tool in ("ip", "nft"):
        if not shutil.which(tool):
            skip(f"'{tool}' not found (install iproute2 and nftables: scripts/setup.sh)")

    network = Network()
    workdir = tempfile.mkdtemp(prefix="gm-netns-")
    test = None

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        remove_stale_namespaces()
        try:
            network.up()
        except RuntimeError as e:
            skip(f"cannot build the namespace network: {e}")
        test = Test(args, network, workdir)
        try:
            test.run()
        except Failure as e:
            print(f"FAIL ({args.transport}): {e}", flush=True)
            for node in test.nodes.values():
                with node.cond:
                    missing = [f"{o}/{k}" for (o, k), v in test.written.items()
                               if o != node.id and node.values.get((o, k), (None,))[0] != v]
                    live = dict(node.live)
                print(f"--- {node.id}: live view {live}; missing {missing}", flush=True)
            for node in test.nodes.values():
                with node.cond:
                    tail = node.events[-8:]
                print(f"--- {node.id}: last events", flush=True)
                for t, event in tail:
                    print(f"  {t - T0:7.2f} {json.dumps(event)}")
                if node.stderr_tail():
                    print(f"--- {node.id}: stderr\n{node.stderr_tail()}")
            return 1
        print(f"PASS ({args.transport}) in {time.monotonic() - T0:.1f} s:", flush=True)
        for name, value, bound in test.figures:
            if bound is None:
                print(f"  {name}: {value}")
            else:
                print(f"  {name}: {value:.2f} s ({value / test.interval:.1f} rounds, "
                      f"bound {bound / test.interval:.0f})")
        return 0
    finally:
        if test:
            for node in test.nodes.values():
                node.stop(signal.SIGKILL)
        network.down()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
