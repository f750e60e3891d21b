"""Clustering commands: cluster (build or update), cluster show, cluster heuristics, explain."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..chains import get_chain
from ..clustering import ClusterOptions, build_clusters
from ..clustering.engine import DEFAULT_MEMORY
from ..clustering.enrich import enrich
from ..clustering.query import ClusterView, Explanation, cluster_of, explain, locate
from ..errors import InputError
from ..heuristics import registry
from ..labels import load_labels
from ..model import format_amount
from ..output import Format, render
from ..sources.evm import EvmSource
from ..store import Store
from .common import ChainOpt, FormatOpt, LabelsOpt, RpcOpt, StoreOpt, rpc_urls, store_path
from .evm import RpsOpt, TimeoutOpt, chain_source, fetch_progress, rpc_client

app = typer.Typer(help="Cluster addresses that belong together, with the evidence for every link.",
                  invoke_without_command=True, no_args_is_help=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="cluster")
    root.command("explain")(explain_command)


def _params(values: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for text in values:
        key, sep, value = text.partition("=")
        heuristic, dot, name = key.strip().rpartition(".")
        if not sep or not dot or not heuristic or not name or not value.strip():
            raise InputError(f"--param {text!r} is not HEURISTIC.NAME=VALUE", hint="for example deposit-reuse.tau=3200")
        out.setdefault(heuristic, {})[name] = value.strip()
    return out


def _names(values: list[str] | None) -> tuple[str, ...] | None:
    if not values:
        return None
    return tuple(n.strip() for v in values for n in v.split(",") if n.strip())


@app.callback()
def cluster(
    ctx: typer.Context,
    address: Annotated[list[str] | None, typer.Option(
        "--address", "-a", help="With --rpc: only look for deposit addresses among these wallets' payees "
        "(default: the payees of every fetched wallet).", show_default=False)] = None,
    heuristics: Annotated[list[str] | None, typer.Option(
        "--heuristics", "-H", help="Heuristics to run, comma-separated or repeated (default: those enabled by "
        "default; see 'trailscan cluster heuristics').", show_default=False)] = None,
    param: Annotated[list[str] | None, typer.Option(
        "--param", "-p", help="A heuristic parameter, HEURISTIC.NAME=VALUE (repeatable), e.g. deposit-reuse.tau=3200.",
        show_default=False)] = None,
    min_confidence: Annotated[int, typer.Option("--min-confidence", help="Use only links of at least this "
                                                "confidence (0-100) to form clusters.")] = 0,
    max_size: Annotated[int, typer.Option("--max-size", help="A cluster never grows past this many addresses by "
                                          "itself: the link that would do it is flagged for review.")] = 10_000,
    memory: Annotated[str, typer.Option("--memory-limit", help="Memory DuckDB may use while clustering; beyond it, "
                                        "it spills to disk.")] = DEFAULT_MEMORY,
    chain: ChainOpt = "ethereum",
    rpc: RpcOpt = None,
    budget: Annotated[int, typer.Option("--budget", min=0, help="Most JSON-RPC requests to spend reading what "
                                        "the heuristics need (code status, deposit candidates, senders).")] = 10_000,
    rps: RpsOpt = None,
    timeout: TimeoutOpt = 30.0,
    labels: LabelsOpt = None,
    store: StoreOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Build or update clusters from the store; with an RPC, first read on demand what the heuristics need."""
    if ctx.invoked_subcommand is not None:
        return
    options = ClusterOptions(_names(heuristics), _params(param or []), min_confidence, max_size, memory)
    selected = options.selected()  # bad names and values fail before anything is opened
    the_chain = get_chain(chain)
    focus = [the_chain.address(a) for a in address or []]
    known = load_labels(labels)
    path = store_path(store)
    Store(path, read_only=True).close()  # no store: an error, and no empty file left behind
    fetched: dict[str, Any] | None = None
    urls = rpc_urls(rpc)
    if urls and not the_chain.is_evm:
        raise InputError(f"clustering reads nothing on demand on {the_chain.name}: its heuristics work on what the "
                         "store holds", hint="drop --rpc (fetch the wallets first with 'trailscan fetch')")
    with Store(path) as db:
        if urls:
            with rpc_client(urls, rps, timeout) as client:
                source = chain_source(client, the_chain)
                assert isinstance(source, EvmSource)
                with fetch_progress() as bar:
                    fetched = enrich(db, source, known, selected, budget=budget, focus=focus, progress=bar).as_dict()
        elif focus:
            raise InputError("--address only chooses what to fetch, and no RPC is given",
                             hint="pass --rpc URL (or set TRAILSCAN_RPC_URL), or drop --address")
        summary = build_clusters(db, known, options)
    result = summary.as_dict()
    result["fetched"] = fetched
    if not urls and summary.pending:
        summary.notes.append(f"{summary.pending} candidate links wait for the code status of their addresses: "
                             "run again with --rpc URL")
    result["notes"] = summary.notes
    if fmt is not Format.table:
        render([result], fmt, command="cluster")
        return
    rows: list[dict[str, Any]] = [
        {"": "links", "value": ", ".join(f"{k} {v}" for k, v in summary.links.items()) or "none"},
        {"": "refused links", "value": ", ".join(f"{k} {v}" for k, v in summary.refused.items()) or "none"},
        {"": "waiting links", "value": summary.pending},
        {"": "clusters", "value": f"{summary.clusters} with {summary.addresses} addresses"},
        {"": "sizes", "value": ", ".join(f"{k}: {v}" for k, v in summary.sizes.items()) or "none"},
        {"": "largest", "value": "; ".join(f"{i} ({n})" for _, i, n in summary.largest) or "none"},
        {"": "flagged (size cap)", "value": len(summary.flagged)},
        {"": "derived labels", "value": summary.derived_labels},
    ]
    if fetched is not None:
        rows.append({"": "read on demand", "value": (
            f"{fetched['code_checked']} code checks, {fetched['histories_fetched']} of "
            f"{fetched['deposit_candidates']} deposit candidates, {fetched['senders_read']} tx senders, "
            f"{fetched['requests']} requests")})
        if fetched["unexpanded"]:
            rows.append({"": "left by --budget", "value": ", ".join(fetched["unexpanded"])})
    rows += [{"": "note", "value": n} for n in summary.notes]
    rows.append({"": "run", "value": f"{summary.run_id} ({summary.elapsed} s), store {path}"})
    render(rows, fmt, command="cluster", title="clusters")
    for flag in summary.flagged[:10]:
        typer.echo(f"flagged for review: {flag['a']} - {flag['b']} ({flag['heuristic']}): {flag['reason']}",
                   err=True)


@app.command("show")
def show(
    address: Annotated[str, typer.Argument(help="An address on any stored chain.")],
    chain: Annotated[str | None, typer.Option("--chain", "-c", help="Only this chain (default: every stored chain "
                                              "that holds the address).", show_default=False)] = None,
    labels: LabelsOpt = None,
    store: StoreOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The cluster of an address: members, labels (with how each was obtained), size and evidence counts."""
    known = load_labels(labels)
    with Store(store_path(store), read_only=True) as db:
        views = [cluster_of(db, known, key, who) for key, who in locate(db, address, chain)]
    if fmt is not Format.table:
        render([v.as_dict() for v in views], fmt, command="cluster show")
        return
    for view in views:
        _show_table(view, fmt)


def _show_table(view: ClusterView, fmt: Format) -> None:
    head: list[dict[str, Any]] = [{"": "chain", "value": view.chain}, {"": "address", "value": view.address},
            {"": "cluster", "value": view.cluster_id or "none (no accepted link)"}, {"": "size", "value": view.size},
            {"": "evidence", "value": ", ".join(f"{k} {v} links" for k, v in view.evidence.items()) or "none"}]
    head += [{"": "conflict", "value": c} for c in view.conflicts]
    render(head, fmt, command="cluster show", title=f"cluster of {view.address}")
    render([{"member": m} for m in view.members], fmt, command="cluster show", title="members")
    render([{"address": lab.address, "label": lab.label, "category": lab.category, "confidence": lab.confidence,
             "how": lab.how, "source": lab.source} for lab in view.labels], fmt, command="cluster show",
           title="labels", columns=["address", "label", "category", "confidence", "how", "source"])
    if view.reviews:
        render([{"status": r["status"], "other": r["b"] if r["a"] == view.address else r["a"],
                 "heuristic": r["heuristic"], "reason": r["reason"]} for r in view.reviews], fmt,
               command="cluster show", title="links not merged")


@app.command("heuristics")
def heuristics_command(fmt: FormatOpt = Format.table) -> None:
    """List the clustering heuristics: default state, confidence, parameters and reference."""
    rows = [{"name": cls.NAME, "default": "on" if cls.ENABLED else "off", "confidence": cls.CONFIDENCE,
             "parameters": "; ".join(f"{p.name}={p.default} ({p.help})" for p in cls.PARAMS) or "none",
             "help": cls.HELP, "reference": cls.REFERENCE} for cls in registry().values()]
    render(rows, fmt, command="cluster heuristics", title="heuristics")


def explain_command(
    address_a: Annotated[str, typer.Argument(help="First address.")],
    address_b: Annotated[str, typer.Argument(help="Second address.")],
    chain: Annotated[str | None, typer.Option("--chain", "-c", help="The chain (default: the stored chain that "
                                              "holds both).", show_default=False)] = None,
    store: StoreOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Why two addresses are one entity: the shortest evidence chain, link by link with its transactions."""
    with Store(store_path(store), read_only=True) as db:
        first = dict(locate(db, address_a, chain))
        second = dict(locate(db, address_b, chain))
        shared = sorted(set(first) & set(second))
        if not shared:
            raise InputError("the two addresses are on no common stored chain", hint="check both, or give --chain")
        result = explain(db, shared[0], first[shared[0]], second[shared[0]])
        symbols = {t.address: t.symbol or t.address for t in db.tokens(shared[0]).values()}
    if fmt is not Format.table:
        render([result.as_dict()], fmt, command="explain")
        return
    symbols["native"] = get_chain(shared[0]).native_symbol
    _explain_table(result, fmt, symbols)


def _explain_table(result: Explanation, fmt: Format, symbols: dict[str, str]) -> None:
    if not result.linked:
        typer.echo(f"not linked: {result.reason}")
        return
    typer.echo(f"{result.a} and {result.b} are one entity (cluster {result.cluster_id}), "
               f"through {len(result.steps)} link(s):")
    for i, step in enumerate(result.steps, 1):
        params = ", ".join(f"{k}={v}" for k, v in step.params.items()) or "none"
        rows = [{"role": e["role"], "block": e["block"], "tx": e["tx"], "from": e["from"], "to": e["to"],
                 "amount": f"{format_amount(int(e['amount']), e.get('decimals'))} "
                           f"{symbols.get(e['asset'], e['asset'])}"} for e in step.evidence]
        render(rows, fmt, command="explain", columns=["role", "block", "tx", "from", "to", "amount"],
               title=f"step {i}: {step.a} - {step.b}, {step.heuristic} (confidence {step.confidence}; {params})")
