"""`trailscan batch WALLETS.csv --policy POLICY.yaml --out DIR`: parse, call trailscan.batch, render."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..batch import BatchSummary, read_policy, read_wallets, run_batch
from ..labels import load_labels
from ..output import Format, render
from ..store import Store
from .common import FormatOpt, LabelsOpt, RpcOpt, StoreOpt, rpc_urls, store_path
from .evm import RpsOpt, TimeoutOpt, rpc_client


def register(app: typer.Typer) -> None:
    app.command("batch")(batch_command)


@contextmanager
def _progress() -> Iterator[Callable[[int, int], None]]:
    """The batch progress bar on stderr (on a terminal only), as the library's progress callback."""
    console = Console(file=sys.stderr)
    columns = (TextColumn("tracing"), BarColumn(), MofNCompleteColumn(), TextColumn("wallets"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("tracing", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def batch_command(
    wallets: Annotated[Path, typer.Argument(metavar="WALLETS.csv", help="CSV with a header: address, and "
                                            "optionally chain (default ethereum) and reference.",
                                            show_default=False)],
    policy: Annotated[Path, typer.Option("--policy", help="YAML policy: trace settings and flag rules (schema in "
                                         "the README).", show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="Output folder; a rerun into it skips finished wallets.",
                                      show_default=False)],
    workers: Annotated[int, typer.Option("--workers", min=1, max=32, help="Wallets traced at once.")] = 2,
    rpc: RpcOpt = None,
    budget: Annotated[int, typer.Option("--budget", min=0, help="Most JSON-RPC requests per wallet to fetch what "
                                        "its trace reaches (with --rpc).")] = 10_000,
    rps: RpsOpt = None,
    timeout: TimeoutOpt = 30.0,
    labels: LabelsOpt = None,
    store: StoreOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Screen a list of wallets: trace each (from the store, or fetching on demand with --rpc), flag it under a
    policy, and write summary.csv, summary.xlsx, index.html and a JSON and an HTML report per wallet."""
    rules = read_policy(policy)
    listed = read_wallets(wallets)
    known = load_labels(labels)
    urls = rpc_urls(rpc)
    path = store_path(store)
    if not urls:
        Store(path, read_only=True).close()  # no store and nothing to fetch with: an error, and no file left
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(rpc_client(urls, rps, timeout)) if urls else None
        db = stack.enter_context(Store(path, read_only=not urls))
        bar = stack.enter_context(_progress())
        summary = run_batch(db, known, listed, rules, out, workers=workers, progress=bar, label_dirs=labels,
                            client=client, budget=budget)
    _render(summary, fmt)


def _render(summary: BatchSummary, fmt: Format) -> None:
    data = summary.as_dict()
    if fmt is Format.json:
        render([{**data, "wallet_results": [o.as_dict() for o in summary.outcomes]}], fmt, command="batch")
        return
    rows = [{"what": k, "value": data[k]} for k in ("wallets", "traced", "skipped", "failed", "flagged")]
    rows += [{"what": name, "value": str(path)} for name, path in data["files"].items()]
    render(rows, fmt, command="batch", title="batch")
    if summary.policy_changed and fmt is not Format.csv:
        typer.echo("the policy changed since the last run into this folder: every wallet was traced again",
                   err=True)
