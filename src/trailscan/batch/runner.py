"""Run a batch: trace every wallet of a list from the store in parallel, flag it under a policy, keep the state.

One TraceIndex per chain serves every trace of that chain. Worker threads trace; the calling thread writes
each finished wallet's report (atomically) and its state line (flushed) as soon as it arrives, so a killed
batch loses nothing finished and a rerun skips it. A wallet that cannot be traced gets its error; the others
go on. Only the store is read: reaching addresses over RPC is not part of a batch yet.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from .. import __version__
from ..chains import get_chain
from ..errors import InputError, TrailscanError
from ..labels import LabelSet
from ..report import render_html
from ..sources.base import open_source
from ..sources.rpc import RpcClient
from ..store import Store
from ..tracing import TraceIndex, TraceResult, trace
from ..tracing.manifest import build_manifest, label_sets
from ..tracing.ondemand import OnDemand
from .html import html_report
from .model import BatchSummary, Outcome, exposures_of, figures_of
from .outputs import write_outputs
from .policy import Policy
from .rules import Flag
from .state import State, write_atomic
from .wallets import Wallet

Progress = Callable[[int, int], None]  # (wallets done, wallets to trace)
_UNSAFE = re.compile(r"[^A-Za-z0-9]")


def run_batch(store: Store, labels: LabelSet, wallets: Sequence[Wallet], policy: Policy, out_dir: Path, *,
              workers: int = 2, progress: Progress | None = None,
              label_dirs: Sequence[Path] | None = None, client: RpcClient | None = None,
              budget: int = 10_000) -> BatchSummary:
    """Trace, flag and report every wallet into ``out_dir``; see the module docstring."""
    if not 1 <= workers <= 32:
        raise InputError(f"--workers {workers} is outside 1-32", hint="use 1 to 32")
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {out_dir} is a file, not a folder", hint="pass a folder (it is created if missing)")
    (out_dir / "wallets").mkdir(parents=True, exist_ok=True)
    state = State(out_dir)
    policy_changed = bool(state.policies) and policy.sha256 not in state.policies
    outcomes: dict[int, Outcome] = {}
    todo: dict[tuple[str, str], list[Wallet]] = {}
    for wallet in wallets:
        key = wallet.key
        if key is None:
            outcomes[wallet.row] = Outcome(wallet, "error", wallet.error)
            continue
        record = state.finished(*key, policy.sha256, out_dir)
        if record is not None:
            outcomes[wallet.row] = _from_record(wallet, record)
        else:
            todo.setdefault(key, []).append(wallet)
    for key in [k for k in todo if client is None and not _has_transfers(store, *k)]:
        for wallet in todo.pop(key):
            outcomes[wallet.row] = Outcome(wallet, "error", f"the store has no transfers of {key[1]} on {key[0]}; "
                                           "fetch it first ('trailscan fetch --address ...') or check --store")
    endpoints = [client.endpoint] if client is not None else []
    manifests = {chain: build_manifest(store, chain, labels=label_dirs, rpc=endpoints) for chain in
                 sorted({c for c, _ in todo} | {w.chain for w in wallets if w.chain})}
    try:
        traced = (_traced(store, labels, policy, todo, manifests, workers, progress) if client is None else
                  _fetched_and_traced(store, labels, policy, todo, manifests, client, budget, workers, progress))
        for key, result, error in traced:
            for wallet in todo[key]:
                outcomes[wallet.row] = _finish(state, out_dir, wallet, todo[key][0], policy, result, error)
    finally:
        state.close()
    summary = BatchSummary(out_dir, [outcomes[w.row] for w in wallets], {}, policy_changed)
    summary.manifest = _manifest(store, policy, label_dirs, manifests, workers)
    summary.files = write_outputs(summary)
    return summary


def _has_transfers(store: Store, chain: str, address: str) -> bool:
    return bool(store.con.execute("SELECT 1 WHERE EXISTS (SELECT 1 FROM transfers WHERE chain = ? AND "
                                  "(from_address = ? OR to_address = ?))", [chain, address, address]).fetchall())


def _traced(store: Store, labels: LabelSet, policy: Policy, todo: dict[tuple[str, str], list[Wallet]],
            manifests: dict[str, dict[str, Any]], workers: int, progress: Progress | None) -> Any:
    """From the store: one TraceIndex per chain, shared by the workers."""
    indexes = {chain: TraceIndex(store, chain) for chain in sorted({c for c, _ in todo})}

    def one(view: Store, key: tuple[str, str]) -> TraceResult:
        return trace(view, labels, key[0], key[1], policy.trace, index=indexes[key[0]],
                     manifest=dict(manifests[key[0]]))

    return _in_pool(store, todo, one, workers, progress)


def _fetched_and_traced(store: Store, labels: LabelSet, policy: Policy, todo: dict[tuple[str, str], list[Wallet]],
                        manifests: dict[str, dict[str, Any]], client: RpcClient, budget: int, workers: int,
                        progress: Progress | None) -> Any:
    """With an RPC: each wallet fetches what it reaches on demand (writes stay one at a time across the
    workers' store views; the client's --rps budget is shared by every request). A wallet the endpoint cannot
    serve gets an error."""

    def one(view: Store, key: tuple[str, str]) -> TraceResult:
        source = open_source(client, get_chain(key[0]))
        source.check_chain()
        fetcher = OnDemand(view, source, budget=budget, direction=policy.trace.direction,
                           since=policy.trace.since, until=policy.trace.until)
        result = trace(view, labels, key[0], key[1], policy.trace, fetcher=fetcher, manifest=dict(manifests[key[0]]))
        result.manifest["reads"] = [r.as_dict() for r in fetcher.reads]
        return result

    return _in_pool(store, todo, one, workers, progress)


def _in_pool(store: Store, todo: dict[tuple[str, str], list[Wallet]],
             one: Callable[[Store, tuple[str, str]], TraceResult], workers: int, progress: Progress | None) -> Any:
    """(key, result or None, error or None) per wallet, as the worker threads finish them. A DuckDB connection
    serves one thread at a time: each worker reads through its own view of the store."""
    if not todo:
        return
    local = threading.local()
    views: list[Store] = []
    views_lock = threading.Lock()

    def run(key: tuple[str, str]) -> TraceResult:
        if not hasattr(local, "store"):
            local.store = store.for_thread()
            with views_lock:
                views.append(local.store)
        return one(local.store, key)

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="trailscan-batch")
    try:
        futures: dict[Future[TraceResult], tuple[str, str]] = {pool.submit(run, key): key for key in todo}
        for done, future in enumerate(as_completed(futures), 1):
            key = futures[future]
            try:
                yield key, future.result(), None
            except TrailscanError as exc:
                yield key, None, str(exc)
            if progress is not None:
                progress(done, len(futures))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for view in views:
            view.close()


def _report_name(wallet: Wallet) -> str:
    return f"wallets/{wallet.row:04d}-{_UNSAFE.sub('_', wallet.address or '')[:100]}.json"


def _finish(state: State, out_dir: Path, wallet: Wallet, first: Wallet, policy: Policy, result: TraceResult | None,
            error: str | None) -> Outcome:
    if result is None:
        return Outcome(wallet, "error", error)
    assert wallet.chain is not None and wallet.address is not None
    report = _report_name(first)
    if wallet is first:
        write_atomic(out_dir / report, orjson.dumps(result.as_dict(), option=orjson.OPT_INDENT_2) + b"\n")
        write_atomic(out_dir / html_report(report), render_html(result).encode())
    flags = [f for f in (rule.evaluate(result) for rule in policy.rules) if f is not None]
    outcome = Outcome(wallet, "ok", None, report, flags, figures_of(result), exposures_of(result))
    if wallet is first:
        state.append({"chain": wallet.chain, "address": wallet.address, "policy_sha256": policy.sha256,
                      "file": report, "finished": datetime.now(UTC).isoformat(timespec="seconds"),
                      "flags": [f.as_dict() for f in flags], "figures": outcome.figures,
                      "exposures": outcome.exposures})
    return outcome


def _from_record(wallet: Wallet, record: dict[str, Any]) -> Outcome:
    flags = [Flag(f["rule"], f["flag"], f["detail"]) for f in record.get("flags", [])]
    return Outcome(wallet, "ok", None, str(record["file"]), flags, dict(record.get("figures", {})),
                   list(record.get("exposures", [])), skipped=True)


def _manifest(store: Store, policy: Policy, label_dirs: Sequence[Path] | None,
              manifests: dict[str, dict[str, Any]], workers: int) -> dict[str, Any]:
    return {"trailscan": __version__, "policy": policy.path, "policy_sha256": policy.sha256,
            "store": str(store.path), "labels": label_sets(label_dirs),
            "heads": {chain: m.get("head") for chain, m in manifests.items()},
            "workers": workers, "written": datetime.now(UTC).isoformat(timespec="seconds")}
