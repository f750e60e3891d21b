"""The demo's main trace through the library API instead of the command line.

Run `bash examples/run` first (it writes out/), then:

    .venv/bin/python examples/trace_api.py [DEMO_FOLDER]

It opens the demo's store read-only, loads the shipped labels plus the demo's case labels, traces the AI
company's treasury exactly as `trailscan trace` does, and prints the answer and the exposure as a pandas
DataFrame.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

import trailscan


def main(folder: Path) -> None:
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    treasury = truth["seed"]  # the wallet the case starts from
    chain = trailscan.get_chain("ethereum")
    labels = trailscan.load_labels([folder / "labels"])  # shipped labels + the case's fictional actors
    with trailscan.Store(folder / "case.duckdb", read_only=True) as store:
        result = trailscan.trace(store, labels, chain.key, chain.address(treasury),
                                 trailscan.TraceOptions(policy="haircut", hops=4))
    print(result.answer())
    frame = result.to_frame()
    with pd.option_context("display.width", 200, "display.max_columns", 8, "display.max_colwidth", 44):
        print(frame[["node", "actor", "category", "symbol", "amount", "amount_raw", "min_hops", "stopped"]])
    # amounts are exact: amount_raw is the traced value in the token's base units, as text
    usdt = frame[frame["symbol"] == "USDT"]
    print("USDT reaching labeled endpoints (base units):", sum(int(r) for r in usdt["amount_raw"]))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out"))
