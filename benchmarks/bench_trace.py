"""Tracing benchmark: a warm 4-hop haircut trace over a store of 10M synthetic transfers.

    .venv/bin/python benchmarks/bench_trace.py [--transfers 10000000] [--runs 5] [--store PATH] [--keep]

The world is bench_cluster.py's (random native and USDT payments among transfers/6 addresses, recipients
skewed towards hubs, planted clustering patterns); `--store` reuses a kept one. The wallet is the address
with the most distinct payees in the first tenth of the chain's blocks that is no hub itself: a realistic
fan-out whose funds have time to travel. Each measurement runs in a fresh subprocess, so its peak memory
(VmHWM, DuckDB included) is its own:

  trailscan   trace(store, labels, chain, wallet, TraceOptions(hops=4, policy="haircut")), once to warm the
              store's pages, then timed --runs times: the best and every run are reported
  naive       networkx: the whole transfer graph read from the store into a DiGraph, then a BFS of 4 hops
              from the wallet (no time order, no amounts, no policy): the graph load and the BFS are timed

Goal (issue): at most 2 s for the warm trace. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cluster import CHAIN, Plan, maxrss_mb, reuse_or_generate

GOAL_SECONDS = 2.0


def pick_wallet(store: Path) -> tuple[str, int]:
    """The non-hub address with the most distinct payees in the first tenth of the blocks."""
    import duckdb

    with duckdb.connect(str(store), read_only=True) as con:
        lo, hi = con.execute("SELECT min(block_number), max(block_number) FROM transfers").fetchall()[0]
        row = con.execute("""
            WITH early AS (SELECT from_address, count(DISTINCT to_address) AS payees FROM transfers
                           WHERE block_number < ? GROUP BY 1),
                 fan_in AS (SELECT to_address AS address, count(DISTINCT from_address) AS payers FROM transfers
                            GROUP BY 1)
            SELECT e.from_address, e.payees FROM early e LEFT JOIN fan_in f ON f.address = e.from_address
            WHERE coalesce(f.payers, 0) < 100 AND e.from_address NOT LIKE '0x28c6c06298%'
            ORDER BY e.payees DESC, e.from_address LIMIT 1
        """, [lo + (hi - lo) // 10]).fetchall()[0]
    return str(row[0]), int(row[1])


def child_trace(store: str, wallet: str, runs: int) -> dict[str, Any]:
    from trailscan.labels import load_labels
    from trailscan.store import Store
    from trailscan.tracing import TraceOptions, trace

    labels = load_labels()
    times = []
    with Store(store, read_only=True) as db:
        result = trace(db, labels, CHAIN, wallet, TraceOptions(hops=4, policy="haircut"))  # warm
        for _ in range(runs):
            start = time.perf_counter()
            result = trace(db, labels, CHAIN, wallet, TraceOptions(hops=4, policy="haircut"))
            times.append(time.perf_counter() - start)
    return {"seconds": min(times), "runs": times, "maxrss_mb": maxrss_mb(), "reached": result.reached,
            "exposure": len(result.exposure), "unlabeled": len(result.unlabeled),
            "coverage": result.coverage}


def child_naive(store: str, wallet: str) -> dict[str, Any]:
    import duckdb
    import networkx as nx

    start = time.perf_counter()
    with duckdb.connect(store, read_only=True) as con:
        frame = con.execute("SELECT from_address, to_address FROM transfers WHERE kind IN ('native', 'erc20')"
                            " AND amount <> '0'").df()
    graph = nx.from_pandas_edgelist(frame, "from_address", "to_address", create_using=nx.DiGraph)
    del frame
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    reached = nx.single_source_shortest_path_length(graph, wallet, cutoff=4)
    bfs = time.perf_counter() - start
    return {"seconds": loaded + bfs, "load_s": loaded, "bfs_s": bfs, "reached": len(reached) - 1,
            "nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(), "maxrss_mb": maxrss_mb()}


def run_child(*args: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", *args], capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"the {args[0]} measurement failed (exit {proc.returncode})")
    data: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transfers", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--store", type=Path, default=None, help="a kept bench_cluster world (generated if absent)")
    parser.add_argument("--keep", action="store_true", help="keep a generated world")
    parser.add_argument("--no-naive", action="store_true", help="skip the networkx baseline")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, *rest = args.child
        out = child_trace(rest[0], rest[1], int(rest[2])) if mode == "trace" else child_naive(rest[0], rest[1])
        print(json.dumps(out))
        return 0
    folder = Path(tempfile.mkdtemp(prefix="trailscan-bench-trace-")) if args.store is None else args.store.parent
    store = args.store or folder / "world.duckdb"
    counts, generated = reuse_or_generate(store, Plan.for_transfers(args.transfers))
    wallet, payees = pick_wallet(store)
    print(f"world: {counts.get('transfers', args.transfers):,} transfers"
          + (f" (generated in {generated:.0f} s)" if generated else " (reused)") + f"; wallet {wallet} pays "
          f"{payees} addresses early on")
    ours = run_child("trace", str(store), wallet, str(args.runs))
    print(f"trailscan  4-hop haircut trace, warm: best {ours['seconds']:.3f} s of {args.runs} "
          f"({', '.join(f'{t:.3f}' for t in ours['runs'])}); peak {ours['maxrss_mb']:.0f} MB; "
          f"reached {ours['reached']} nodes, {ours['exposure']} labeled and {ours['unlabeled']} unlabeled endpoints"
          f"; goal <= {GOAL_SECONDS} s: {'met' if ours['seconds'] <= GOAL_SECONDS else 'NOT met'}")
    if not args.no_naive:
        naive = run_child("naive", str(store), wallet)
        print(f"naive      networkx: load {naive['load_s']:.1f} s ({naive['nodes']:,} nodes, {naive['edges']:,} "
              f"edges), 4-hop BFS {naive['bfs_s']:.3f} s reaching {naive['reached']:,}; peak "
              f"{naive['maxrss_mb']:.0f} MB")
        print(f"ratio      naive / trailscan: {naive['seconds'] / ours['seconds']:.1f}x (graph load + BFS against "
              f"the warm trace); BFS alone / trailscan: {naive['bfs_s'] / ours['seconds']:.2f}x")
    if args.store is None and not args.keep:
        for path in folder.glob("*"):
            path.unlink()
        folder.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
