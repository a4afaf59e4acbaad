#!/usr/bin/env python3
"""Runs two builds of gossipmonger-bench-codec alternately and prints the
medians of their Encode and Decode figures side by side (docs/transports.md,
"Codec throughput").

  scripts/codec-bench-compare.py OLD_BINARY NEW_BINARY [--rounds 5]

Each round runs both binaries once (which goes first alternates), each with
--benchmark_repetitions; a figure is the median CPU time per message over
every repetition of every round. CPU time, not wall time: the machine may
be shared, and a descheduled benchmark is not a slower codec. A second
table gives the msgpack-c baselines of NEW_BINARY's runs.
"""
import argparse
import json
import statistics
import subprocess
import sys

SHAPES = {
    "n:100/value_bytes:0": "digest, 100 entries",
    "n:1000/value_bytes:0": "digest, 1,000 entries",
    "n:5/value_bytes:100": "deltas, 5 x 100 B",
    "n:100/value_bytes:1024": "deltas, 100 x 1 KiB",
}
OPERATIONS = ("Encode", "Decode")
BASELINES = ("MsgpackCPack", "MsgpackCUnpack", "MsgpackCParse")


def run(binary, args):
    """One run of `binary`: {benchmark name: ([cpu ns], message bytes)}."""
    out = subprocess.run(
        [binary, "--benchmark_filter=^(Encode|Decode|MsgpackC[A-Za-z]+)/",
         "--benchmark_format=json",
         f"--benchmark_repetitions={args.repetitions}",
         f"--benchmark_min_time={args.min_time}"],
        check=True, capture_output=True, text=True).stdout
    figures = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        assert b["time_unit"] == "ns", b["time_unit"]
        times, _ = figures.setdefault(b["run_name"], ([], b.get("msg_bytes", 0)))
        times.append(b["cpu_time"])
    return figures


def merge(into, figures):
    for name, (times, size) in figures.items():
        into.setdefault(name, ([], size))[0].extend(times)


def cell(times, size):
    ns = statistics.median(times)
    return f"{ns / 1000:,.2f} µs ({size / ns * 1e9 / 1e6:,.0f} MB/s)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--min-time", default="0.2")
    args = parser.parse_args()

    old, new = {}, {}
    for r in range(args.rounds):
        order = [(args.old, old), (args.new, new)]
        if r % 2 == 1:
            order.reverse()
        for binary, figures in order:
            merge(figures, run(binary, args))
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    samples = args.rounds * args.repetitions
    print(f"Medians of {samples} runs each (CPU time per message), old vs new:\n")
    print("| message | bytes | operation | old | new | new / old |")
    print("|---|---:|---|---:|---:|---:|")
    for shape, label in SHAPES.items():
        for operation in OPERATIONS:
            name = f"{operation}/{shape}"
            (old_times, size), (new_times, _) = old[name], new[name]
            ratio = statistics.median(new_times) / statistics.median(old_times)
            print(f"| {label} | {int(size):,} | {operation.lower()} | {cell(old_times, size)} "
                  f"| {cell(new_times, size)} | {ratio:.2f} |")

    present = [b for b in BASELINES if any(name.startswith(b + "/") for name in new)]
    print(f"\nmsgpack-c baselines (NEW_BINARY, medians of {samples} runs):\n")
    print("| message | " + " | ".join(present) + " |")
    print("|---|" + "---:|" * len(present))
    for shape, label in SHAPES.items():
        size = new[f"Encode/{shape}"][1]
        cells = [cell(new[f"{b}/{shape}"][0], size) for b in present]
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
