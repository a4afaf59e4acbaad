#!/usr/bin/env python3
"""Churn in the simulator (docs/SIMULATION.md, "Churn"): runs

  gossipmonger-sim --scenario churn            (reaping on; with it a static
                                                cluster of the same size and
                                                seed, side by side)
  gossipmonger-sim --scenario churn --no-reap  (today's growth)

at once (two processes), writes their JSON objects to OUT_DIR, plots bytes
per node per round, peers held per node and storage bytes per node over
time for the three clusters with gnuplot (docs/churn.svg by default), and
prints the steady-state summary as a Markdown table. Build first
(scripts/build.sh). Extra arguments go to both simulator runs, e.g.
--generations 2 for a quick look. About a minute on 2 cores with the
defaults.

  scripts/sim-churn.py [--sim PATH] [--out-dir DIR] [--plot FILE] [-- SIM ARGS]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METRICS = [("bytes_per_node_round", "bytes sent per node per round"),
           ("peers_per_node", "peers held per node"),
           ("storage_bytes_per_node", "storage bytes per node")]


def run_both(sim, out_dir, extra):
    """Runs the reaping and the no-reaping simulation in parallel."""
    base = [sim, "--scenario", "churn", "--runs", "1"] + extra
    runs = {"reap": base, "noreap": base + ["--no-reap"]}
    procs = {}
    for name, cmd in runs.items():
        print("$ " + " ".join(cmd), flush=True)
        procs[name] = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    results = {}
    for name, proc in procs.items():
        out, _ = proc.communicate()
        if proc.returncode != 0:
            sys.exit(f"{runs[name][0]} failed ({proc.returncode})")
        results[name] = json.loads(out)
        with open(os.path.join(out_dir, f"churn-{name}.json"), "w") as f:
            f.write(out)
    return results


def write_data(results, path):
    """One row per window: t, then each metric for static, reaped, unreaped."""
    reap, noreap = results["reap"]["series"], results["noreap"]["series"]
    with open(path, "w") as f:
        f.write("# t_s " + " ".join(f"{m}_static {m}_reap {m}_noreap"
                                     for m, _ in METRICS) + "\n")
        for a, b in zip(reap, noreap):
            row = [a["t_s"]]
            for m, _ in METRICS:
                row += [a["static"][m], a["churn"][m], b["churn"][m]]
            f.write(" ".join(f"{v:.6g}" for v in row) + "\n")


def plot(data, target, results):
    r = results["reap"]
    title = (f"{r['nodes']} nodes, every node replaced {r['generations']} times "
             f"(one generation per {r['generation_s']:g} s; half leave, half crash); "
             f"reap dead after {r['reap_dead_after_s']:g} s, left after "
             f"{r['reap_left_after_s']:g} s")
    script = [
        ("set terminal pngcairo size 900,1000 font 'sans,10'" if target.endswith(".png")
         else "set terminal svg size 900,1000 dynamic font 'sans,11'"),
        f"set output '{target}'",
        "set multiplot layout 3,1 title \"" + title + "\"",
        "set key top left",
        "set grid",
        "set xlabel 'simulated time (s)'",
        "set yrange [0:*]",
        # The steady state the summary compares starts here.
        f"set arrow from {r['steady_from_s']},graph 0 to {r['steady_from_s']},graph 1 "
        "nohead dashtype 2",
    ]
    for i, (metric, label) in enumerate(METRICS):
        col = 2 + 3 * i
        script += [
            f"set ylabel '{label}'",
            f"plot '{data}' using 1:{col} with lines lw 2 title 'static cluster', "
            f"'' using 1:{col + 1} with lines lw 2 title 'churn, reaping', "
            f"'' using 1:{col + 2} with lines lw 2 title 'churn, no reaping'",
        ]
    script.append("unset multiplot")
    subprocess.run(["gnuplot"], input="\n".join(script) + "\n", text=True, check=True)


def summary(results):
    lines = ["| per node, steady state | static | churn, reaping | ratio | churn, no reaping "
             "| ratio |", "|---|---|---|---|---|---|"]
    r, n = results["reap"], results["noreap"]
    for metric, label in METRICS:
        s, c, g = r["steady_static"][metric], r["steady_churn"][metric], \
            n["steady_churn"][metric]
        lines.append(f"| {label} | {s:.0f} | {c:.0f} | {c / s:.2f}x | {g:.0f} | "
                     f"{g / s:.2f}x |")
    last_static = r["series"][-1]["static"]
    last_noreap = n["series"][-1]["churn"]
    lines.append("")
    lines.append(f"steady state: windows from t = {r['steady_from_s']:g} s on; "
                 f"within 1.3x of static with reaping: {r['within_1_3x']}; "
                 f"at the end without reaping: {last_noreap['peers_per_node']:.0f} peers "
                 f"(static {last_static['peers_per_node']:.0f}). "
                 f"Replaced {r['replaced']} nodes ({r['left']} left, {r['crashed']} "
                 f"crashed, {r['leave_refused']} leaves refused); events: "
                 f"{r['peer_left_events']} peer left, {r['peer_forgotten_events']} "
                 f"peer forgotten, {r['peer_dead_events']} peer dead.")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sim", default=os.path.join(
        os.environ.get("BUILD_DIR", os.path.join(ROOT, "build")), "tools",
        "gossipmonger-sim"))
    parser.add_argument("--out-dir", default=os.path.join(ROOT, "build", "churn"))
    parser.add_argument("--plot", default=os.path.join(ROOT, "docs", "churn.svg"),
                        help="the figure: .svg, or .png")
    parser.add_argument("sim_args", nargs="*", help="passed to gossipmonger-sim")
    args = parser.parse_args()
    if not shutil.which("gnuplot"):
        sys.exit("gnuplot not found (scripts/setup.sh installs gnuplot-nox)")
    os.makedirs(args.out_dir, exist_ok=True)
    results = run_both(args.sim, args.out_dir, args.sim_args)
    data = os.path.join(args.out_dir, "churn.dat")
    write_data(results, data)
    plot(data, args.plot, results)
    print(f"wrote {args.plot} (data: {data})")
    print(summary(results))
    return 0 if results["reap"]["within_1_3x"] else 1


if __name__ == "__main__":
    sys.exit(main())
