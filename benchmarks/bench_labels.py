#!/usr/bin/env python3
"""Benchmark the label registry: load + index a generated 500k-tag TagPack, and batch address look-ups.

    python benchmarks/bench_labels.py [--tags 500000] [--lookups 1000000] [--libyaml-only]

Each measurement runs in a fresh subprocess so peak memory (ru_maxrss) is that of the load alone; the
interpreter-plus-imports baseline is measured the same way and shown beside it. Goals (issue 3): load and
index <= 5 s and <= 1 GB; >= 1M address look-ups per second in batch.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_LOAD_S = 5.0
GOAL_MEMORY_MB = 1024.0
GOAL_LOOKUPS = 1_000_000.0

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
mode, directory, lookups = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
from trailscan.labels import load_labels
from trailscan.labels.loader import read_dir, paused_gc
from trailscan.labels.registry import LabelSet
out = {}
if mode != "baseline":
    start = time.perf_counter()
    if mode == "libyaml":
        content = read_dir(directory, "bench", fast=False)
        assert not content.problems, content.problems[:3]
        with paused_gc():
            labels = LabelSet([content.tags])
    else:
        labels = load_labels([directory], include_shipped=False)
    out["load_s"] = time.perf_counter() - start
    out["tags"] = len(labels)
    if lookups:
        addresses = [f"0x{(i * 7919) % (2 * out['tags']):040x}" for i in range(lookups)]
        start = time.perf_counter()
        found = labels.lookup_many("eip155:1", addresses)
        elapsed = time.perf_counter() - start
        out["lookups_per_s"] = lookups / elapsed
        out["hits"] = sum(1 for tags in found if tags)
out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def generate(path: Path, count: int) -> None:
    """A GraphSense-style pack: header inherited by every tag, unquoted addresses, some context."""
    rng = random.Random(7)
    with path.open("w", encoding="utf-8") as handle:
        handle.write("title: Benchmark pack\ncreator: bench_labels.py\ncategory: exchange\n"
                     "source: https://example.org/bench\nconfidence: web_crawl\ncurrency: ETH\n"
                     "lastmod: 2024-01-01\ntags:\n")
        for i in range(count):
            handle.write(f"- address: 0x{2 * i:040x}\n  label: Exchange {i % 997} hot wallet {i}\n")
            if rng.random() < 0.1:
                handle.write(f"  context: seen in deposit cluster {rng.randrange(10**6)}\n")


def child(mode: str, directory: Path, lookups: int) -> dict[str, float]:
    result = subprocess.run([sys.executable, "-c", CHILD, mode, str(directory), str(lookups)],
                            capture_output=True, text=True, check=True)
    data: dict[str, float] = json.loads(result.stdout)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tags", type=int, default=500_000)
    parser.add_argument("--lookups", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3, help="load runs; the best is reported with all of them")
    parser.add_argument("--libyaml-only", action="store_true", help="also time the pure libyaml event reader")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        start = time.perf_counter()
        generate(directory / "bench.yaml", args.tags)
        size_mb = (directory / "bench.yaml").stat().st_size / 1e6
        print(f"generated {args.tags:,} tags ({size_mb:.0f} MB) in {time.perf_counter() - start:.1f} s")
        baseline = child("baseline", directory, 0)["maxrss_mb"]
        runs = [child("fast", directory, args.lookups) for _ in range(args.runs)]
        best = min(runs, key=lambda r: r["load_s"])
        all_runs = ", ".join(f"{r['load_s']:.2f}" for r in runs)
        rows = [
            ("load + index (s)", f"{best['load_s']:.2f} (runs: {all_runs})",
             f"<= {GOAL_LOAD_S:.0f}", best["load_s"] <= GOAL_LOAD_S),
            ("peak memory (MB)", f"{best['maxrss_mb']:.0f} (interpreter + imports alone: {baseline:.0f})",
             f"<= {GOAL_MEMORY_MB:.0f}", best["maxrss_mb"] <= GOAL_MEMORY_MB),
            ("batch look-ups per s", f"{best['lookups_per_s']:,.0f} ({best['hits']:,.0f} hits of "
             f"{args.lookups:,})", f">= {GOAL_LOOKUPS:,.0f}", best["lookups_per_s"] >= GOAL_LOOKUPS),
        ]
        if args.libyaml_only:
            slow = child("libyaml", directory, 0)
            rows.append(("load, libyaml events only (s)", f"{slow['load_s']:.2f} ({slow['maxrss_mb']:.0f} MB)",
                         "(fallback path)", True))
        print(f"tags loaded: {best['tags']:,.0f}")
        width = max(len(r[1]) for r in rows)
        print(f"{'measure':32} {'measured':{width}} {'goal':>12}  ok")
        for name, measured, goal, ok in rows:
            print(f"{name:32} {measured:{width}} {goal:>12}  {'yes' if ok else 'NO'}")


if __name__ == "__main__":
    main()
