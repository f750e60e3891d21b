"""Batch and report benchmark: `batch` over 1,000 wallets of a 10M-transfer store, and the HTML report of a
trace that reaches more than 200 nodes.

    .venv/bin/python benchmarks/bench_batch.py [--wallets 1000] [--workers 2] [--store PATH]

The world is bench_cluster.py's (10M native and USDT payments, hubs, planted patterns); `--store` reuses a
kept one. The wallets are noise addresses paying at least 3 distinct addresses, chosen by hash. Each
measurement runs in a fresh subprocess; peak memory is VmHWM, DuckDB included:

  batch    run_batch(store, labels, wallets, policy, out, workers): one TraceIndex, a 4-hop haircut trace per
           wallet, flags, a JSON and an HTML report per wallet (Graphviz included), summary.csv, .xlsx, index.html
  report   render_html(result) for the trace of the address with the most payees (an airdrop source: more than
           200 nodes, so the flow graph folds the smallest into one), Graphviz layout included

Goals (issue): the batch in at most 5 minutes, the report in at most 2 s. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cluster import CHAIN, Plan, maxrss_mb, reuse_or_generate, run_script_child

POLICY = """\
trace:
  hops: 4
  policy: haircut
rules:
  - name: exchange
    flag: reached an exchange within 4 hops
    category: [exchange, exchange-deposit]
    within_hops: 4
  - name: lead
    flag: an unlabeled endpoint received 1000 USD or more
    unlabeled: true
    min_usd: 1000
"""


def pick(store: Path, count: int) -> list[str]:
    import duckdb

    with duckdb.connect(str(store), read_only=True) as con:
        rows = con.execute("""
            SELECT from_address FROM transfers WHERE tx_hash NOT IN (SELECT tx_hash FROM tx_senders)
              AND from_address <> '0x28c6c06298d514db089934071355e5743bf21d60'
            GROUP BY 1 HAVING count(DISTINCT to_address) >= 3 ORDER BY hash(from_address) LIMIT ?
        """, [count]).fetchall()
    return [str(r[0]) for r in rows]


def biggest_sender(store: Path) -> str:
    import duckdb

    with duckdb.connect(str(store), read_only=True) as con:
        return str(con.execute("SELECT from_address FROM transfers WHERE from_address <> "
                               "'0x28c6c06298d514db089934071355e5743bf21d60' GROUP BY 1 "
                               "ORDER BY count(DISTINCT to_address) DESC LIMIT 1").fetchall()[0][0])


def child_batch(store: str, wallets_csv: str, policy: str, out: str, workers: int) -> dict[str, Any]:
    from trailscan.batch import run_batch
    from trailscan.batch.policy import read_policy
    from trailscan.batch.wallets import read_wallets
    from trailscan.labels import load_labels
    from trailscan.store import Store

    labels = load_labels()
    start = time.perf_counter()
    with Store(store, read_only=True) as db:
        summary = run_batch(db, labels, read_wallets(Path(wallets_csv)), read_policy(Path(policy)), Path(out),
                            workers=workers)
    data = summary.as_dict()
    return {"seconds": time.perf_counter() - start, "maxrss_mb": maxrss_mb(),
            **{k: data[k] for k in ("wallets", "traced", "failed", "flagged")}}


def child_report(store: str, wallet: str) -> dict[str, Any]:
    from trailscan.labels import load_labels
    from trailscan.report import render_html
    from trailscan.store import Store
    from trailscan.tracing import TraceIndex, TraceOptions, trace

    labels = load_labels()
    with Store(store, read_only=True) as db:
        result = trace(db, labels, CHAIN, wallet, TraceOptions(hops=2), index=TraceIndex(db, CHAIN))
    times = []
    for _ in range(3):
        start = time.perf_counter()
        page = render_html(result)
        times.append(time.perf_counter() - start)
    return {"seconds": min(times), "runs": times, "nodes": len(result.nodes), "edges": len(result.flows),
            "bytes": len(page), "maxrss_mb": maxrss_mb()}


def run_child(mode: str, *args: str) -> dict[str, Any]:
    return run_script_child(Path(__file__), mode, *args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transfers", type=int, default=10_000_000)
    parser.add_argument("--wallets", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--store", type=Path, default=None, help="a kept bench_cluster world (generated if absent)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, *rest = args.child
        out = child_batch(rest[0], rest[1], rest[2], rest[3], int(rest[4])) if mode == "batch" else \
            child_report(rest[0], rest[1])
        print(json.dumps(out))
        return 0
    work = Path(tempfile.mkdtemp(prefix="trailscan-bench-batch-"))
    store = args.store or work / "world.duckdb"
    counts, generated = reuse_or_generate(store, Plan.for_transfers(args.transfers))
    wallets = pick(store, args.wallets)
    (work / "wallets.csv").write_text("address,reference\n" + "".join(f"{w},w{i}\n" for i, w in enumerate(wallets)))
    (work / "policy.yaml").write_text(POLICY)
    print(f"world: {counts.get('transfers', args.transfers):,} transfers"
          + (f" (generated in {generated:.0f} s)" if generated else " (reused)") + f"; {len(wallets)} wallets")
    batch = run_child("batch", str(store), str(work / "wallets.csv"), str(work / "policy.yaml"), str(work / "out"),
                      str(args.workers))
    print(f"batch   {batch['wallets']} wallets ({batch['traced']} traced, {batch['failed']} failed, "
          f"{batch['flagged']} flagged) in {batch['seconds']:.1f} s with {args.workers} workers; peak "
          f"{batch['maxrss_mb']:.0f} MB; goal <= 300 s: {'met' if batch['seconds'] <= 300 else 'NOT met'}")
    report = run_child("report", str(store), biggest_sender(store))
    print(f"report  a trace of {report['nodes']} nodes and {report['edges']} flows rendered in "
          f"{report['seconds']:.3f} s (best of 3: {', '.join(f'{t:.3f}' for t in report['runs'])}), "
          f"{report['bytes']:,} bytes; goal <= 2 s: {'met' if report['seconds'] <= 2 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
