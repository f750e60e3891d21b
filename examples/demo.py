"""Run trailscan's main job on the bundled example chain, through the real CLI, and show each command.

Starts anvil (chain id 1) on loopback, plays examples/world.py on it, then runs trailscan commands
against it. The store is written to out/example.duckdb, exports to out/export/. Stops anvil at the end.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from world import OFAC_LISTED, build

from trailscan.cli import main
from trailscan.devnet import Anvil

OUT = Path("out")


def run(*args: str) -> None:
    print(f"\n$ trailscan {shlex.join(args)}", flush=True)
    code = main(list(args))
    if code != 0:
        raise SystemExit(code)


def demo() -> None:
    store = OUT / "example.duckdb"
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir()
    with Anvil.start(chain_id=1) as node:
        story = build(node)
        print(f"example chain: anvil on {node.url} (chain id 1), renter {story.renter}, broker {story.broker}")
        run("doctor", "--rpc", node.url, "--chain", "ethereum")
        run("fetch", "--rpc", node.url, "--chain", "ethereum", "--address", story.renter,
            "--address", story.broker, "--store", str(store))
        run("fetch", "--rpc", node.url, "--chain", "ethereum", "--address", story.renter,
            "--address", story.broker, "--store", str(store))
        # clustering reads what its heuristics need on demand: code status, the deposit address's sweeps, senders
        run("cluster", "--rpc", node.url, "--store", str(store))
    run("cluster", "show", story.renter, "--store", str(store))
    run("explain", story.renter, story.renter_ops, "--store", str(store))
    run("trace", story.renter, "--store", str(store))
    run("trace", story.renter, "--store", str(store), "--format", "html", "--out", str(OUT / "report.html"))
    here = Path(__file__).resolve().parent
    run("batch", str(here / "wallets.csv"), "--policy", str(here / "policy.yaml"), "--out", str(OUT / "batch"),
        "--store", str(store))
    run("export-graph", story.renter, "--store", str(store), "--as", "gexf", "--out", str(OUT / "trace.gexf"))
    run("transfers", story.renter, "--store", str(store))
    run("transfers", story.broker, "--direction", "out", "--store", str(store))
    run("labels", "show", OFAC_LISTED)
    run("transfers", story.broker, "--direction", "out", "--store", str(store), "--format", "csv")
    run("approvals", story.renter, "--store", str(store))
    run("tokens", "--store", str(store))
    run("export", "--to", str(OUT / "export"), "--as", "parquet", "--store", str(store))
    print(f"\nstore: {store}; report: {OUT / 'report.html'}; batch: {OUT / 'batch' / 'index.html'}; "
          f"graph for Gephi: {OUT / 'trace.gexf'}; parquet export: {OUT / 'export'}")


if __name__ == "__main__":
    demo()
