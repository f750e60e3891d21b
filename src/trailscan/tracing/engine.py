"""The trace: follow a wallet's value hop by hop through the store, forward in time, under a taint policy.

Rounds: the wallet's own transfers in the window are the traced value; each round replays, in exact time
order (block, transaction index, position inside the transaction), the timeline of every node that received
new traced value, and passes what its outgoing transfers carry on to their recipients. A node replayed again
(new traced value reached it by another path) passes on only the increase, so every figure stays exact.
Services and hubs receive but never pass on: they are endpoints, not paths.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Protocol

from ..errors import InputError
from ..labels import LabelSet
from ..store import Store
from .graph import Graph, Node, Row
from .index import TraceIndex
from .model import Amount, Endpoint, Flow, GraphNode, Hop, TraceResult
from .ondemand import Need
from .policies import State, get_policy
from .value import Valuer

DEFAULT_STOPS = frozenset({
    "exchange", "exchange-deposit", "gpu-marketplace", "gpu-broker", "cloud-provider", "cloud-reseller",
    "data-centre", "otc-desk", "bridge", "dex", "mixer", "payment-processor", "sanctioned", "defi_dex",
    "defi_bridge", "mixing_service", "vasp", "market",
})
MAX_HOPS = 12


@dataclass(frozen=True)
class TraceOptions:
    direction: str = "out"
    hops: int = 4
    since: int | None = None  # first block of the wallet's traced transfers
    until: int | None = None  # last block read for every node
    min_amount: Decimal | None = None  # a transfer carrying less traced value (asset units) is not followed
    assets: tuple[str, ...] = ()  # canonical asset keys ("native" or a token contract); empty: all
    policy: str = "haircut"
    entities: bool = True
    stops: frozenset[str] = DEFAULT_STOPS
    hub_limit: int = 1_000
    paths: int = 3  # paths shown per endpoint
    endpoints: int = 25  # unlabeled endpoints listed

    def check(self) -> None:
        if self.direction not in ("out", "in"):
            raise InputError(f"unknown --direction {self.direction!r}", hint="use out or in")
        if not 1 <= self.hops <= MAX_HOPS:
            raise InputError(f"--hops {self.hops} is outside 1-{MAX_HOPS}",
                             hint=f"use 1 to {MAX_HOPS}; each hop multiplies the addresses read")
        if self.since is not None and self.until is not None and self.since > self.until:
            raise InputError(f"--since (block {self.since}) is after --until (block {self.until})",
                             hint="swap them, or omit one")
        if self.min_amount is not None and self.min_amount < 0:
            raise InputError("--min-amount cannot be negative", hint="use 0 or more")
        get_policy(self.policy)


class Fetcher(Protocol):
    """Reads on demand what the store lacks for reached nodes, before they are replayed (see ondemand)."""

    refreshed: set[str]

    def wallet(self, node: Node) -> None: ...
    def __call__(self, nodes: Iterable[Node], needs: dict[str, Need]) -> list[str]: ...
    def notes(self) -> list[str]: ...


@dataclass
class _Edge:
    row: Row
    sender: str  # node ids, in the direction of the trace
    receiver: str
    carried: Fraction = Fraction(0)


@dataclass
class _Run:
    arrivals: dict[str, dict[tuple[str, str], Fraction]] = field(default_factory=dict)
    edges: dict[tuple[str, str], _Edge] = field(default_factory=dict)
    into: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # node -> keys of edges into it
    hop: dict[str, int] = field(default_factory=dict)
    passed: dict[str, dict[str, Fraction]] = field(default_factory=dict)  # node -> asset -> traced passed on
    shortfall: set[str] = field(default_factory=set)


def trace(store: Store, labels: LabelSet, chain: str, address: str, options: TraceOptions | None = None, *,
          valuer: Valuer | None = None, fetcher: Fetcher | None = None, index: TraceIndex | None = None,
          manifest: dict[str, Any] | None = None) -> TraceResult:
    """Trace ``address`` on ``chain`` (canonical forms) through ``store``; see the module docstring.

    ``index`` (a TraceIndex of the same store and chain) serves repeated traces from memory; it cannot be
    combined with ``fetcher``, which adds records the index would not see."""
    opts = options or TraceOptions()
    opts.check()
    if index is not None and (fetcher is not None or index.chain != chain):
        raise InputError("a trace index serves only traces from the store, on the chain it was built for",
                         hint="drop the index, or the on-demand fetch")
    started = time.monotonic()
    policy = get_policy(opts.policy)
    graph = Graph(store, labels, chain, until=opts.until, assets=opts.assets, entities=opts.entities,
                  hub_limit=opts.hub_limit, index=index)
    value = valuer or Valuer(labels, store, chain)
    out = opts.direction == "out"
    run = _Run()
    coverage: list[str] = []
    (wallet,) = graph.nodes([address])
    if fetcher is not None:
        fetcher.wallet(wallet)
    graph.load([wallet])
    # the seed: the wallet's own transfers in the window
    frontier: set[str] = set()
    for row in graph.timelines[wallet.id]:
        if opts.since is not None and row.block < opts.since:
            continue
        mine, other = (row.sender, row.receiver) if out else (row.receiver, row.sender)
        if mine in wallet.members and other not in wallet.members:
            (target,) = graph.nodes([other])
            _pass(run, row, wallet.id, target.id, Fraction(row.amount), 1)
            frontier.add(target.id)
    seeds = {k: e.carried for k, e in run.edges.items()}
    nodes = {wallet.id: wallet}
    for hop in range(1, opts.hops):
        todo = [graph.node_of_id(n) for n in sorted(frontier) if n != wallet.id]
        nodes.update({n.id: n for n in todo})
        todo = [n for n in todo if not _stop(n, opts)]
        if fetcher is not None and todo:
            needs = {n.id: Need(min(run.edges[k].row.block for k in run.into[n.id]) if out else
                                max(run.edges[k].row.block for k in run.into[n.id]),
                                {run.edges[k].row.asset for k in run.into[n.id]}) for n in todo}
            coverage += fetcher(todo, needs)
            graph.forget(fetcher.refreshed)
        graph.load(todo)
        frontier = set()
        for node in todo:
            frontier |= _replay(run, graph, policy.state, node, hop + 1, opts, value, wallet.id)
    nodes.update({n: graph.node_of_id(n) for n in frontier if n != wallet.id})
    if run.shortfall:
        coverage.append(f"{len(run.shortfall)} address(es) paid out more than the store shows them receiving (funds "
                        "held before the records read): those funds were taken as untraced")
    hubs = sorted(n.id for n in nodes.values() if n.hub and n.id in run.into)
    if hubs:
        coverage.append(f"{len(hubs)} hub(s) with more than {opts.hub_limit} counterparties were not followed: "
                        + ", ".join(hubs[:10]))
    if fetcher is not None:
        coverage += fetcher.notes()
    result = _result(run, graph, nodes, wallet, address, seeds, opts, value, coverage, manifest or {})
    result.query["elapsed_s"] = round(time.monotonic() - started, 3)
    return result


def _stop(node: Node, opts: TraceOptions) -> bool:
    return node.hub or any(lab.category in opts.stops for lab in node.labels)


def _pass(run: _Run, row: Row, sender: str, receiver: str, delta: Fraction, hop: int) -> None:
    edge = run.edges.get(row.key)
    if edge is None:
        edge = run.edges[row.key] = _Edge(row, sender, receiver)
        run.into.setdefault(receiver, []).append(row.key)
    edge.carried += delta
    arrivals = run.arrivals.setdefault(receiver, {})
    arrivals[row.key] = arrivals.get(row.key, Fraction(0)) + delta
    run.hop.setdefault(receiver, hop)
    passed = run.passed.setdefault(sender, {})
    passed[row.asset] = passed.get(row.asset, Fraction(0)) + delta


def _replay(run: _Run, graph: Graph, make_state: Callable[[int], State], node: Node, hop: int,
            opts: TraceOptions, value: Valuer, wallet: str) -> set[str]:
    """Replay one node's timeline with every traced arrival so far; pass on what grew. Returns the receivers.

    Where a member's balance at a block was read from the node (an opening, see Store.openings), it arrives as
    untraced value at that point, and the member's records up to that block are skipped: they are in it."""
    out = opts.direction == "out"
    timeline = graph.timelines[node.id] if out else list(reversed(graph.timelines[node.id]))
    arrivals = run.arrivals.get(node.id, {})
    states: dict[str, State] = {}
    openings = list(graph.openings.get(node.id, [])) if out else []  # sorted by block
    opened: dict[tuple[str, str], int] = {(member, asset): block for block, member, asset, _ in openings}
    reached: set[str] = set()
    for row in timeline:
        while openings and openings[0][0] < row.block:
            _, _, asset, held = openings.pop(0)
            states.setdefault(asset, make_state(0)).receive(held, Fraction(0))
        inside_from, inside_to = row.sender in node.members, row.receiver in node.members
        if inside_from and inside_to:
            continue  # a move inside one entity is not a hop
        mine = (row.receiver if inside_to else row.sender, row.asset)
        if row.block <= opened.get(mine, -1):
            continue  # already in the opening balance
        incoming = inside_to if out else inside_from
        state = states.get(row.asset)
        if state is None:
            state = states[row.asset] = make_state(0)
        if incoming:
            state.receive(row.amount, arrivals.get(row.key, Fraction(0)))
            continue
        carried = state.send(row.amount)
        if state.shortfall:
            run.shortfall.add(node.id)
        edge = run.edges.get(row.key)
        delta = carried - (edge.carried if edge else Fraction(0))
        if delta <= 0 or (opts.min_amount is not None and carried < value.raw_threshold(row.asset, opts.min_amount)):
            continue
        other = row.receiver if out else row.sender
        (target,) = graph.nodes([other])
        if target.id == wallet:
            continue  # value coming back to the wallet is not followed again
        _pass(run, row, node.id, target.id, delta, hop)
        reached.add(target.id)
    return reached


def _result(run: _Run, graph: Graph, nodes: dict[str, Node], wallet: Node, address: str,
            seeds: dict[tuple[str, str], Fraction], opts: TraceOptions, value: Valuer, coverage: list[str],
            manifest: dict[str, Any]) -> TraceResult:
    traced: dict[str, Fraction] = {}
    seed_rows = [run.edges[k].row for k in seeds]
    for row in seed_rows:
        traced[row.asset] = traced.get(row.asset, Fraction(0)) + row.amount
    traced_amounts = [value.amount(a, raw, [(r, Fraction(r.amount)) for r in seed_rows if r.asset == a])
                      for a, raw in sorted(traced.items())]
    expandable = [nodes.get(n) or graph.node_of_id(n) for n in run.into if run.hop[n] < opts.hops]
    unfetched = graph.unfetched([n for n in expandable if not _stop(n, opts)])
    if unfetched:
        coverage.append(f"{len(unfetched)} reached address(es) or entities were never fetched, so where their value "
                        "went next is unknown (marked 'unfetched'; pass --rpc to fetch them on demand): "
                        + ", ".join(sorted(unfetched)[:10]))
    total_usd = _sum_usd(traced_amounts)
    endpoints: list[Endpoint] = []
    for node_id, keys in run.into.items():
        node = nodes.get(node_id) or graph.node_of_id(node_id)
        stopped = _stop(node, opts)
        expanded = not stopped and run.hop[node_id] < opts.hops
        per_asset: dict[str, list[tuple[Row, Fraction]]] = {}
        for k in keys:
            edge = run.edges[k]
            per_asset.setdefault(edge.row.asset, []).append((edge.row, edge.carried))
        amounts = []
        for asset, items in sorted(per_asset.items()):
            got = sum((c for _, c in items), Fraction(0))
            rest = got - run.passed.get(node_id, {}).get(asset, Fraction(0)) if expanded else got
            if rest > 0:
                amounts.append(value.amount(asset, rest, [(r, c * rest / got) for r, c in items]))
        if not amounts:
            continue
        reason = ("hub" if node.hub else "service") if stopped else (
            ("unfetched" if node_id in unfetched else "rests") if expanded else "hop-limit")
        usd = _sum_usd(amounts)
        endpoints.append(Endpoint(node_id, sorted(node.members), list(node.labels), amounts, usd,
                                  usd / total_usd if usd is not None and total_usd else None, run.hop[node_id],
                                  reason, node.cluster, dict(node.cluster_evidence)))
    endpoints.sort(key=lambda e: (-(e.usd or 0), -sum(a.raw for a in e.amounts), e.node))
    labeled = [e for e in endpoints if e.labels]
    unlabeled = [e for e in endpoints if not e.labels][:opts.endpoints]
    for e in labeled + unlabeled:
        e.paths = _paths(run, e.node, wallet.id, opts, value)
    query = {"address": address, "wallet_node": wallet.id, "wallet_addresses": sorted(wallet.members),
             "chain": graph.chain,
             "direction": opts.direction, "hops": opts.hops, "since_block": opts.since, "until_block": opts.until,
             "min_amount": str(opts.min_amount) if opts.min_amount is not None else None,
             "assets": list(opts.assets), "policy": opts.policy, "entities": opts.entities,
             "stops": sorted(opts.stops), "hub_limit": opts.hub_limit}
    graph_nodes = [GraphNode(wallet.id, sorted(wallet.members), list(wallet.labels), wallet.cluster, 0)]
    for node_id in sorted(run.into, key=lambda n: (run.hop[n], n)):
        node = nodes.get(node_id) or graph.node_of_id(node_id)
        graph_nodes.append(GraphNode(node_id, sorted(node.members), list(node.labels), node.cluster, run.hop[node_id]))
    flows = [Flow(e.sender, e.receiver, Hop(e.row.tx_hash, e.row.locator, e.row.block, e.row.time, e.row.sender,
                                            e.row.receiver, value.amount(e.row.asset, e.carried, [(e.row, e.carried)]),
                                            e.row.amount))
             for e in sorted(run.edges.values(), key=lambda e: e.row.order) if e.carried > 0]
    return TraceResult(query, traced_amounts, total_usd, labeled, unlabeled, coverage + value.notes(), manifest,
                       reached=len(run.into), nodes=graph_nodes, flows=flows)


def _sum_usd(amounts: list[Amount]) -> Fraction | None:
    known = [a.usd for a in amounts if a.usd is not None]
    return sum(known, Fraction(0)) if known else None


def _paths(run: _Run, target: str, wallet: str, opts: TraceOptions, value: Valuer) -> list[list[Hop]]:
    """The largest paths from the wallet to ``target``: the top incoming edges, then greedily the largest
    earlier edge into each sender (money moves forward in time), until the wallet."""
    out = opts.direction == "out"
    firsts = sorted(run.into.get(target, []), key=lambda k: -run.edges[k].carried)[:opts.paths]
    paths = []
    for key in firsts:
        chain = [run.edges[key]]
        seen = {target}
        while chain[-1].sender != wallet and len(chain) <= opts.hops:
            edge = chain[-1]
            seen.add(edge.sender)
            earlier = [run.edges[k] for k in run.into.get(edge.sender, [])
                       if (run.edges[k].row.order < edge.row.order if out else run.edges[k].row.order > edge.row.order)
                       and run.edges[k].row.asset == edge.row.asset and run.edges[k].sender not in seen]
            if not earlier:
                break
            chain.append(max(earlier, key=lambda e: (e.carried, e.row.order)))
        chain.reverse()
        paths.append([Hop(e.row.tx_hash, e.row.locator, e.row.block, e.row.time, e.row.sender, e.row.receiver,
                          value.amount(e.row.asset, e.carried, [(e.row, e.carried)]), e.row.amount) for e in chain])
    return paths
