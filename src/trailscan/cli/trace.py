"""`trailscan trace ADDRESS`: parse, call trailscan.tracing, render. No tracing logic lives here."""

from __future__ import annotations

import contextlib
import enum
import io
import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer

from ..chains import get_chain
from ..clustering.query import locate
from ..errors import InputError
from ..labels import load_labels, taxonomy
from ..output import Format, render
from ..report import render_html
from ..store import Store
from ..tracing import DEFAULT_STOPS, Prices, TraceOptions, TraceResult, Valuer, trace
from ..tracing.legs import follow, parse_link
from ..tracing.manifest import build_manifest, compare_manifests, read_manifest
from ..tracing.ondemand import OnDemand
from ..tracing.tables import (
    CSV_COLUMNS,
    EXPOSURE_COLUMNS,
    EXPOSURE_TABLE_COLUMNS,
    PATH_COLUMNS,
    PATH_TABLE_COLUMNS,
    actor_rows,
    coverage_rows,
    csv_rows,
    exposure_rows,
    path_rows,
)
from ..tracing.window import block_bound, resolve_assets
from .common import LabelsOpt, RpcOpt, StoreOpt, rpc_urls, store_path
from .evm import RpsOpt, TimeoutOpt, chain_source, fetch_progress, rpc_client


class TraceFormat(enum.StrEnum):
    """The shared output formats, plus the HTML report (which needs --out)."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    html = "html"


def register(app: typer.Typer) -> None:
    app.command("trace")(trace_command)


TRACE_OPTIONS = ("address", "chain", "direction", "hops", "since", "until", "min_amount", "asset", "policy",
                 "entities", "stop", "hub_limit")


def trace_command(
    ctx: typer.Context,
    address: Annotated[str | None, typer.Argument(help="The wallet to trace.", show_default=False)] = None,
    chain: Annotated[str | None, typer.Option("--chain", "-c", help="Chain (default: the stored chain holding the "
                                              "address; ethereum when fetching).", show_default=False)] = None,
    direction: Annotated[str, typer.Option("--direction", help="out: where its money went; in: where it came "
                                           "from.")] = "out",
    hops: Annotated[int, typer.Option("--hops", help="Most hops to follow (1-12).")] = 4,
    since: Annotated[str | None, typer.Option("--since", help="First block or date (YYYY-MM-DD, UTC) of the "
                                              "wallet's traced transfers.", show_default=False)] = None,
    until: Annotated[str | None, typer.Option("--until", help="Last block or date read for every address.",
                                              show_default=False)] = None,
    min_amount: Annotated[str | None, typer.Option("--min-amount", help="Do not follow a transfer carrying less "
                                                   "traced value than this (in the asset's units).",
                                                   show_default=False)] = None,
    asset: Annotated[list[str] | None, typer.Option("--asset", help="Only this asset: native, a symbol or a token "
                                                    "contract (repeatable).", show_default=False)] = None,
    policy: Annotated[str, typer.Option("--policy", help="haircut, poison or fifo.")] = "haircut",
    entities: Annotated[bool, typer.Option("--entities/--addresses", help="Trace clusters as one entity (moves "
                                           "inside a cluster are not hops), or address by address.")] = True,
    stop: Annotated[list[str] | None, typer.Option("--stop", help="Label categories where tracing stops (repeatable;"
                                                   " default: services such as exchange, gpu-marketplace, "
                                                   "gpu-broker, bridge, mixer, sanctioned).",
                                                   show_default=False)] = None,
    hub_limit: Annotated[int, typer.Option("--hub-limit", min=1, help="Stop at addresses with more counterparties "
                                           "than this.")] = 1_000,
    prices: Annotated[Path | None, typer.Option("--prices", help="CSV date,asset,usd to value non-stablecoins.",
                                                show_default=False)] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the output to this file (required by --format "
                                             "html); its manifest goes beside it as FILE.manifest.json.",
                                             show_default=False)] = None,
    manifest_file: Annotated[Path | None, typer.Option("--manifest", help="Run again the trace a manifest (or a "
                                                       "--format json result) describes.", show_default=False)] = None,
    link: Annotated[list[str] | None, typer.Option("--link", help="[CHAIN:]FROM=CHAIN:TO: value reaching FROM "
                                                   "continues at TO on another chain (a bridge, a cross-chain "
                                                   "deposit); the trail goes on there from the store (repeatable).",
                                                   show_default=False)] = None,
    rpc: RpcOpt = None,
    budget: Annotated[int, typer.Option("--budget", min=0, help="Most JSON-RPC requests to spend fetching reached "
                                        "addresses (with --rpc).")] = 10_000,
    rps: RpsOpt = None,
    timeout: TimeoutOpt = 30.0,
    labels: LabelsOpt = None,
    store: StoreOpt = None,
    fmt: Annotated[TraceFormat, typer.Option("--format", "-f", help="Output format: table, json, csv, markdown, or "
                                             "html (the report; with --out).")] = TraceFormat.table,
) -> None:
    """Trace where a wallet's money went (or came from), hop by hop, forward in time, under a taint policy:
    exposure to labeled entities, the paths with their transactions, the unlabeled endpoints, and coverage."""
    saved: dict[str, Any] | None = None
    if manifest_file is not None:
        # typer's vendored click says where a value came from; compared by name, not through a private import
        given = [n for n in TRACE_OPTIONS if getattr(ctx.get_parameter_source(n), "name", "") == "COMMANDLINE"]
        if given:
            raise InputError(f"--manifest takes the question from {manifest_file}; it conflicts with "
                             f"{'ADDRESS' if given[0] == 'address' else '--' + given[0].replace('_', '-')}",
                             hint="drop one of them")
        saved = read_manifest(manifest_file)
        link = [*(link or []), *saved.get("links", [])]
        q = saved["query"]
        address, chain, direction, hops = q["address"], q["chain"], q["direction"], int(q["hops"])
        since = str(q["since_block"]) if q.get("since_block") is not None else None
        until = str(q["until_block"]) if q.get("until_block") is not None else None
        min_amount, asset, policy = q.get("min_amount"), list(q.get("assets") or []), q["policy"]
        entities, stop, hub_limit = bool(q["entities"]), list(q["stops"]), int(q["hub_limit"])
        if store is None and saved["manifest"].get("store"):
            store = Path(saved["manifest"]["store"])
    if address is None:
        raise InputError("no wallet given", hint="give an ADDRESS, or --manifest FILE to run a saved trace again")
    if fmt is TraceFormat.html and out is None:
        raise InputError("--format html writes a report file", hint="add --out FILE.html")
    if out is not None and not out.parent.exists():
        raise InputError(f"the folder of --out {out} does not exist", hint="create it, or pick another path")
    amount = _decimal(min_amount)
    for name in stop or []:
        if not taxonomy.is_category(name):
            raise InputError(f"unknown category {name!r} for --stop", hint="see 'trailscan labels categories'")
    stops = frozenset(stop) if stop else DEFAULT_STOPS
    links = [parse_link(text) for text in link or []]
    urls = rpc_urls(rpc)
    known = load_labels(labels)
    path = store_path(store)
    if not urls:
        Store(path, read_only=True).close()  # no store and nothing to fetch with: an error, and no file left
    with Store(path, read_only=not urls) as db:
        if chain is not None and not urls:
            key, who = held_address(db, address, chain)
        elif chain is not None:
            key, who = get_chain(chain).key, get_chain(chain).address(address)
        elif urls:
            key, who = get_chain(1).key, get_chain(1).address(address)
        else:
            key, who = held_address(db, address)
        opts = TraceOptions(direction=direction, hops=hops, since=block_bound(db, key, since, "--since", end=False),
                            until=block_bound(db, key, until, "--until", end=True), min_amount=amount,
                            assets=resolve_assets(db, known, key, asset or []), policy=policy, entities=entities,
                            stops=stops, hub_limit=hub_limit)
        opts.check()
        valuer = Valuer(known, db, key, Prices.read(prices) if prices else None)
        manifest = build_manifest(db, key, labels=labels, rpc=urls)
        if urls:
            result = _traced_with_rpc(db, known, key, who, opts, valuer, manifest, urls, budget, rps, timeout)
        else:
            result = trace(db, known, key, who, opts, valuer=valuer, manifest=manifest)
        legs = follow(db, known, result, links, opts) if links else [result]
    if saved is not None:
        result.coverage += compare_manifests(saved["manifest"], result.manifest, str(manifest_file))
    shared = Format(fmt.value) if fmt is not TraceFormat.html else Format.table
    if out is None:
        _render_legs(legs, shared)
        return
    if fmt is TraceFormat.html:
        text = render_html(legs)
    else:
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            _render_legs(legs, shared)
        text = buffer.getvalue()
    saved_question = {"query": result.query, "manifest": result.manifest, "links": [lk.text() for lk in links]}
    for target, content in ((out, text), (out.with_name(out.name + ".manifest.json"),
                                          json.dumps(saved_question, indent=2, sort_keys=True, default=str) + "\n")):
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(content, encoding="utf-8")
        tmp.replace(target)
    typer.echo(f"wrote {out} ({fmt.value}): {result.answer()}")


def _decimal(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InputError(f"--min-amount {text[:40]!r} is not a number", hint="use e.g. 100 or 0.5") from None
    if not value.is_finite():
        raise InputError(f"--min-amount {text[:40]!r} is not a finite number", hint="use e.g. 100 or 0.5")
    return value


def held_address(db: Store, address: str, chain: str | None = None) -> tuple[str, str]:
    """The stored chain and canonical form of an address the store holds transfers of (an error otherwise)."""
    found = locate(db, address, chain)
    if len(found) > 1:
        raise InputError(f"the address is stored on several chains ({', '.join(k for k, _ in found)})",
                         hint="choose one with --chain")
    row = db.con.execute("SELECT count(*) FROM transfers WHERE chain = ? AND (from_address = ? OR to_address = ?)",
                         [found[0][0], found[0][1], found[0][1]]).fetchall()[0][0]
    if not row:
        raise InputError(f"the store has no transfers of {found[0][1]}",
                         hint="pass --rpc URL to fetch them, or run 'trailscan fetch --address ...' first")
    return found[0]


def _traced_with_rpc(db: Store, known: Any, key: str, who: str, opts: TraceOptions, valuer: Valuer,
                     manifest: dict[str, Any], urls: list[str], budget: int, rps: float | None,
                     timeout: float) -> TraceResult:
    with rpc_client(urls, rps, timeout) as client:
        source = chain_source(client, get_chain(key))
        with fetch_progress() as bar:
            fetcher = OnDemand(db, source, budget=budget, direction=opts.direction, since=opts.since,
                               until=opts.until, progress=bar)
            result = trace(db, known, key, who, opts, valuer=valuer, fetcher=fetcher, manifest=manifest)
        result.manifest["reads"] = [r.as_dict() for r in fetcher.reads]
        result.manifest["requests"] = fetcher.spent
        return result


def _render_legs(legs: list[TraceResult], fmt: Format) -> None:
    """One result per leg of the trail (one, without --link)."""
    if fmt is Format.json:
        render([leg.as_dict() for leg in legs], fmt, command="trace")
        return
    if fmt is Format.csv and len(legs) > 1:  # one table: each row says its leg and chain
        rows = [{"leg": n, "chain": leg.query["chain"], **row} for n, leg in enumerate(legs, 1)
                for row in csv_rows(leg)]
        render(rows, fmt, command="trace", columns=["leg", "chain", *CSV_COLUMNS])
        return
    for n, leg in enumerate(legs):
        if n and fmt is Format.markdown:
            sys.stdout.write(f"# Leg {n + 1}\n\n")
        elif n:
            typer.echo(f"\nleg {n + 1} of the trail, on {leg.query['chain']}:")
        _render(leg, fmt)


def _render(result: TraceResult, fmt: Format) -> None:
    if fmt is Format.csv:
        render(csv_rows(result), fmt, command="trace", columns=CSV_COLUMNS)
        return
    q = result.query
    if fmt is Format.markdown:
        sys.stdout.write(f"## Trace of {q['address']}\n\n{result.answer()}\n\n")
    else:
        typer.echo(result.answer())
    render(actor_rows(result), fmt, command="trace",
           title=f"exposure by actor ({q['policy']}, {q['direction']}, {q['hops']} hops)")
    terminal = fmt is Format.table
    render(exposure_rows(result), fmt, command="trace", title="exposure by endpoint",
           columns=EXPOSURE_TABLE_COLUMNS if terminal else EXPOSURE_COLUMNS)
    render(path_rows(result), fmt, command="trace", columns=PATH_TABLE_COLUMNS if terminal else PATH_COLUMNS,
           title="top paths")
    render(exposure_rows(result, unlabeled=True), fmt, command="trace", columns=EXPOSURE_COLUMNS[2:9],
           title="largest unlabeled endpoints (leads)")
    render(coverage_rows(result), fmt, command="trace", title="coverage")
    m = result.manifest
    head = m.get("head") or {}
    line = (f"reproduce: trailscan {m.get('trailscan')}, store {m.get('store')} at block {head.get('block')} "
            f"({head.get('hash')}), labels " + ", ".join(f"{s['layer']} {s['sha256'][:12]}" for s in
                                                          m.get("label_sets", [])))
    if fmt is Format.markdown:
        sys.stdout.write(line + "\n")
    else:
        typer.echo(line)
        typer.echo("label sources, evidence and times: --format markdown, json or csv, or the report "
                   "(--format html --out FILE)")
