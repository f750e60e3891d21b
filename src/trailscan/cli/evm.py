"""EVM data commands: doctor, fetch, transfers, approvals, tokens, export. Parse, call the library, render."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..chains import Chain, get_chain
from ..clustering.query import locate
from ..errors import InputError
from ..ingest import FetchOptions, validate_request
from ..labels import LabelSet, load_labels
from ..model import FUNGIBLE_KINDS, Transfer, format_amount
from ..output import Format, render
from ..sources.base import Source, open_source
from ..sources.rpc import RpcClient
from ..store import EXPORTABLE, Store
from .common import ChainOpt, FormatOpt, LabelsOpt, RpcOpt, StoreOpt, rpc_urls, store_path

RpsOpt = Annotated[float | None, typer.Option("--rps", help="Budget of JSON-RPC calls per second (default: none).",
                                              min=0.1, show_default=False)]
TimeoutOpt = Annotated[float, typer.Option("--timeout", help="Seconds to wait for one HTTP answer.", min=0.1)]


def register(app: typer.Typer) -> None:
    """Attach the EVM data commands to the root app."""
    app.command("doctor")(doctor)
    app.command("fetch")(fetch_command)
    app.command("transfers")(transfers)
    app.command("approvals")(approvals)
    app.command("tokens")(tokens)
    app.command("export")(export)


@contextmanager
def rpc_client(rpc: list[str] | None, rps: float | None, timeout: float, retries: int = 6) -> Iterator[RpcClient]:
    client = RpcClient(rpc_urls(rpc), rps=rps, timeout=timeout, max_retries=retries)
    try:
        yield client
    finally:
        client.close()


def chain_source(client: RpcClient, chain: Chain) -> Source:
    """The source of ``chain``'s family, after checking the endpoint serves that chain."""
    source = open_source(client, chain)
    source.check_chain()
    return source


def doctor(
    rpc: RpcOpt = None,
    chain: Annotated[str | None, typer.Option("--chain", "-c", help="Also check the endpoint serves this chain.",
                                              show_default=False)] = None,
    timeout: TimeoutOpt = 15.0,
    fmt: FormatOpt = Format.table,
) -> None:
    """Check an RPC endpoint: chain id, head, finalized and safe blocks, latency, which history methods work."""
    with rpc_client(rpc, None, timeout) as client:
        # without --chain the endpoint is taken for an EVM one, whatever its chain id
        source = chain_source(client, get_chain(chain)) if chain else open_source(client, get_chain(1))
        rows: list[dict[str, Any]] = [{"check": k, "value": v} for k, v in source.doctor()]
    if fmt is Format.json:
        result = {r["check"]: r["value"] for r in rows}
        render([result], fmt, command="doctor")
    else:
        render(rows, fmt, command="doctor", title="RPC endpoint")


class _Bar:
    """Adapts a rich progress bar (on stderr) to the library's Progress protocol."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: Any = None

    def start(self, total_blocks: int, description: str) -> None:
        self.task = self.progress.add_task(description, total=max(total_blocks, 1))
        if total_blocks == 0:
            self.progress.update(self.task, completed=1)

    def advance(self, blocks: int) -> None:
        self.progress.advance(self.task, blocks)


@contextmanager
def fetch_progress() -> Iterator[_Bar]:
    """The fetch progress bar on stderr (shown on a terminal only), as the library's Progress."""
    console = Console(file=sys.stderr)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("blocks"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
        yield _Bar(bar)


def fetch_command(
    address: Annotated[list[str] | None, typer.Option("--address", "-a", help="Address to fetch (repeatable).",
                                                      show_default=False)] = None,
    token: Annotated[list[str] | None, typer.Option(
        "--token", "-t", help="Only these token contracts (repeatable); without --address: every transfer of them.",
        show_default=False)] = None,
    from_block: Annotated[int | None, typer.Option("--from-block", min=0, show_default=False,
                                                   help="First block, or slot on Solana (default 0).")] = None,
    to_block: Annotated[int | None, typer.Option("--to-block", min=0, show_default=False,
                                                 help="Last block, or slot on Solana (default: the head).")] = None,
    chain: ChainOpt = "ethereum",
    rpc: RpcOpt = None,
    rps: RpsOpt = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=32, help="Requests in flight at once.")] = 2,
    timeout: TimeoutOpt = 30.0,
    native: Annotated[bool, typer.Option("--native/--no-native", help="Also collect native-coin value.")] = True,
    native_method: Annotated[str | None, typer.Option(
        "--native-method", help="Force how native value is found: ots_searchTransactions, trace_filter, trace_block, "
        "debug_traceBlockByNumber or block_scan (default: the best the endpoint supports).", show_default=False,
    )] = None,
    max_range: Annotated[int, typer.Option(
        "--max-range", min=1, help="Largest block range of one history query (ranges adapt below it).")] = 100_000,
    retries: Annotated[int, typer.Option("--retries", min=0, max=20, help="Retries of a failing request.")] = 6,
    batch_rows: Annotated[int, typer.Option(
        "--batch-rows", min=1, help="Records per commit: each commit is a resume point.")] = 50_000,
    max_scan_blocks: Annotated[int, typer.Option(
        "--max-scan-blocks", min=1, help="Upper bound of blocks read one by one when no per-address method exists.",
    )] = 10_000,
    store: StoreOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Fetch transfers, approvals and native value of addresses (or tokens) into the store; resumable."""
    the_chain = get_chain(chain)
    addresses = [the_chain.address(a) for a in address or []]
    tokens_ = [the_chain.address(t) for t in token or []]
    options = FetchOptions(from_block=from_block, to_block=to_block, native=native, workers=workers,
                           max_scan_blocks=max_scan_blocks, native_method=native_method, flush_rows=batch_rows,
                           max_range=max_range, initial_range=min(2_000, max_range), native_range=min(5_000, max_range))
    validate_request(addresses, tokens_, options)  # before the store is opened or the network touched
    with rpc_client(rpc, rps, timeout, retries) as client:
        source = chain_source(client, the_chain)  # before the store is opened: a wrong endpoint never touches it
        db = Store(store_path(store))
        try:
            with fetch_progress() as bar:
                summary = source.fetch(db, addresses, tokens_, options, bar)
        finally:
            db.close()
    result: dict[str, Any] = {
        "chain": the_chain.name, "chain_key": summary.chain, "from_block": summary.from_block,
        "to_block": summary.to_block, "blocks": summary.blocks_covered,
        "records": dict(sorted(summary.records.items())), "new_records": sum(summary.records.values()),
        "native_method": summary.native_method, "requests": summary.requests, "retries": summary.retries,
        "elapsed_s": summary.elapsed, "reorged_blocks": summary.reorged_blocks, "missing": summary.missing,
        "store": str(db.path),
    }
    if fmt is Format.table:
        records = ", ".join(f"{k} {v}" for k, v in result["records"].items()) or "none new"
        rows = [{"": k, "value": v} for k, v in (
            ("chain", f"{the_chain.name} ({summary.chain})"), ("blocks", f"{summary.from_block}-{summary.to_block}"
                                                                          f" ({summary.blocks_covered})"),
            ("new records", records), ("native value via", summary.native_method or (
                "nothing new to fetch" if native and addresses and not summary.missing else "not collected")),
            ("requests", f"{summary.requests} ({summary.retries} retries)"), ("elapsed", f"{summary.elapsed} s"),
            ("reorged blocks", ", ".join(map(str, summary.reorged_blocks)) or "none"),
            ("missing coverage", "; ".join(summary.missing) or "none"), ("store", str(db.path)))]
        render(rows, fmt, command="fetch", title="fetch summary")
    else:
        render([result], fmt, command="fetch")


def _when(ts: int | None) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if ts is not None else ""


def _native_symbol(chain_key: str) -> str:
    try:
        return get_chain(chain_key).native_symbol
    except InputError:
        return "native"


def _short(tx_hash: str) -> str:
    """Table-only abbreviation; json and csv always carry the full hash."""
    return f"{tx_hash[:10]}…{tx_hash[-6:]}"


def _best_label(labels: LabelSet, chain: str, address: str) -> str | None:
    """The in-force tag of highest confidence, as "label [category]"; None when the address is unlabeled."""
    tags = labels.lookup(chain, address)
    if not tags:
        return None
    best = max(tags, key=lambda tag: tag.confidence)
    return f"{best.label} [{best.category}]" if best.category else best.label


def _stored_chain(db: Store, address: str) -> str:
    """The stored chain an address belongs to (ethereum when the store holds it on none)."""
    try:
        return locate(db, address, None)[0][0]
    except InputError:
        return "ethereum"


def _transfer_row(t: Transfer) -> dict[str, Any]:
    return {
        "chain": t.chain, "block": t.block_number, "time_utc": _when(t.block_time), "tx_hash": t.tx_hash,
        "locator": t.locator, "kind": t.kind, "from": t.from_address, "to": t.to_address, "asset": t.asset,
        "symbol": t.symbol or (_native_symbol(t.chain) if t.kind == "native" else None),
        "token_id": str(t.token_id) if t.token_id is not None else None, "amount_raw": str(t.amount),
        "decimals": t.decimals, "amount": t.display_amount, "method": t.method, "block_hash": t.block_hash,
    }


def transfers(
    address: Annotated[str, typer.Argument(help="The address whose stored transfers to list.")],
    chain: Annotated[str | None, typer.Option("--chain", "-c", help="Only this chain (default: all stored).",
                                              show_default=False)] = None,
    direction: Annotated[str, typer.Option("--direction", help="in, out or both.")] = "both",
    kind: Annotated[str | None, typer.Option("--kind", help="native, erc20, erc721 or erc1155.",
                                             show_default=False)] = None,
    token: Annotated[str | None, typer.Option("--token", help="Only this asset (token contract).",
                                              show_default=False)] = None,
    from_block: Annotated[int | None, typer.Option("--from-block", min=0, show_default=False)] = None,
    to_block: Annotated[int | None, typer.Option("--to-block", min=0, show_default=False)] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most this many rows.",
                                              show_default=False)] = None,
    labels: LabelsOpt = None,
    store: StoreOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """List stored transfers of an address, oldest first, each with its proof (tx hash, locator, method)
    and the labels of both ends (see 'trailscan labels show ADDRESS' for a label's source)."""
    if direction not in ("in", "out", "both"):
        raise InputError(f"unknown --direction {direction!r}", hint="use in, out or both")
    kinds = (*FUNGIBLE_KINDS, "erc721", "erc1155")
    if kind is not None and kind not in kinds:
        raise InputError(f"unknown --kind {kind!r}", hint=f"use one of {', '.join(kinds)}")
    with Store(store_path(store), read_only=True) as db:
        # the address's chain family decides its canonical form: the stored chain it parses on, else --chain
        the_chain = get_chain(chain) if chain else get_chain(_stored_chain(db, address))
        who = the_chain.address(address)
        asset = the_chain.address(token) if token else None
        found = db.transfers(who, chain=the_chain.key if chain else None, kind=kind, asset=asset,
                             direction=direction, from_block=from_block, to_block=to_block, limit=limit)
    known = load_labels(labels)
    rows = [_transfer_row(t) for t in found]
    for row, t in zip(rows, found, strict=True):
        row["from_label"] = _best_label(known, t.chain, t.from_address)
        row["to_label"] = _best_label(known, t.chain, t.to_address)
        if t.kind != "native":
            row["asset_label"] = _best_label(known, t.chain, t.asset)
    if fmt is Format.table:
        for row, t in zip(rows, found, strict=True):
            row["dir"] = "out" if t.from_address == who else "in"
            row["counterparty"] = t.to_address if row["dir"] == "out" else t.from_address
            row["label"] = row["to_label"] if row["dir"] == "out" else row["from_label"]
            row["what"] = f"{row['amount']} {row['symbol'] or t.asset}" + (
                f" #{t.token_id}" if t.token_id is not None else "")
            row["tx"] = _short(t.tx_hash)
        render(rows, fmt, command="transfers", title=f"transfers of {who}",
               columns=["block", "time_utc", "dir", "counterparty", "label", "what", "tx", "locator", "method"])
    else:
        render(rows, fmt, command="transfers")


def approvals(
    address: Annotated[str, typer.Argument(help="Owner or spender whose stored approvals to list.")],
    limit: Annotated[int | None, typer.Option("--limit", min=1, show_default=False)] = None,
    store: StoreOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """List stored ERC-20 / ERC-721 approvals where the address is owner or spender."""
    who = get_chain(1).address(address)
    with Store(store_path(store), read_only=True) as db:
        found = db.approvals(who, limit=limit)
        known = {(k, t.address): t for k in {a.chain for a in found} for t in db.tokens(k).values()}
    rows = []
    for a in found:
        token = known.get((a.chain, a.asset))
        amount = format_amount(a.amount, token.decimals if token else None) if a.kind == "erc20" else str(a.amount)
        rows.append({"chain": a.chain, "block": a.block_number, "time_utc": _when(a.block_time),
                     "tx_hash": a.tx_hash, "log_index": a.log_index, "kind": a.kind, "owner": a.owner,
                     "spender": a.spender, "asset": a.asset, "symbol": token.symbol if token else None,
                     "amount_raw": str(a.amount), "amount": amount, "method": a.method, "tx": _short(a.tx_hash)})
    columns = None if fmt is not Format.table else ["block", "time_utc", "kind", "owner", "spender", "symbol",
                                                     "amount", "tx", "log_index"]
    if fmt is not Format.table:
        for row in rows:
            del row["tx"]
    render(rows, fmt, command="approvals", title=f"approvals of {who}", columns=columns)


def tokens(
    chain: Annotated[str | None, typer.Option("--chain", "-c", help="Only this chain.", show_default=False)] = None,
    store: StoreOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """List token contracts seen, with the symbol, name and decimals read from them."""
    with Store(store_path(store), read_only=True) as db:
        keys = [get_chain(chain).key] if chain else [
            str(r[0]) for r in db.con.execute("SELECT DISTINCT chain FROM tokens ORDER BY 1").fetchall()]
        rows = [{"chain": t.chain, "address": t.address, "symbol": t.symbol, "name": t.name, "decimals": t.decimals}
                for key in keys for t in sorted(db.tokens(key).values(), key=lambda t: t.address)]
    render(rows, fmt, command="tokens", title="tokens")


def export(
    to: Annotated[Path, typer.Option("--to", help="Folder to write into (created if missing).")],
    as_: Annotated[str, typer.Option("--as", help="csv (one file per table) or parquet (hive-partitioned).")] = "csv",
    table: Annotated[list[str] | None, typer.Option("--table", help=f"Tables to export (default all): "
                                                    f"{', '.join(EXPORTABLE)}.", show_default=False)] = None,
    store: StoreOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Export stored tables to CSV, or to Parquet partitioned by chain and block range (for Spark / Dask)."""
    if as_ not in ("csv", "parquet"):
        raise InputError(f"unknown export format {as_!r}", hint="use --as csv or --as parquet")
    tables = table or list(EXPORTABLE)
    for name in tables:
        if name not in EXPORTABLE:
            raise InputError(f"unknown table {name!r}", hint=f"choose from {', '.join(EXPORTABLE)}")
    to.mkdir(parents=True, exist_ok=True)
    rows = []
    with Store(store_path(store), read_only=True) as db:
        for name in tables:
            if as_ == "csv":
                path = to / f"{name}.csv"
                count = db.export_csv(name, path)
            else:
                path = to / name
                count = db.export_parquet(name, to)
            rows.append({"table": name, "rows": count, "path": str(path)})
    render(rows, fmt, command="export", title=f"exported to {to}")


