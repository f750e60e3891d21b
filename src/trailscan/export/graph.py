"""Build the graph to export: from a trace result, or from the stored transfers around some addresses.

Both give a ``networkx.MultiDiGraph`` (one edge per transfer, keyed ``tx_hash:locator``) whose attributes are
strings or ints only, so that every format accepts them; an unknown value is ``""``, never ``None``. Amounts
are exact decimal strings: a uint256 fits no numeric attribute type.

Node attributes: ``address`` (every address of the node, ``"; "``-joined for a cluster), ``chain``, ``labels``
(label texts, ``"; "``-joined, best first), ``actor`` and ``category`` (of the best label), ``cluster`` and
``hop`` (0 for the traced wallet or the given addresses). Edge attributes: ``asset`` (token contract or
``native``), ``symbol``, ``amount`` (exact, in the asset's units), ``amount_raw`` (integer, smallest unit,
rounded down), ``display_amount`` (6 significant digits; like 5.7896E+58 from 10^15 up), ``transferred_raw``
(the whole transfer), ``tx_hash``, ``locator``, ``block`` and ``time`` (unix seconds).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction
from typing import Any

import networkx as nx

from ..chains import get_chain
from ..labels import LabelSet
from ..model import FUNGIBLE_SQL
from ..store import Store
from ..tracing.model import Flow, GraphNode, LabelRef, TraceResult, fraction_text

SEP = "; "


def display_amount(amount: str, digits: int = 6) -> str:
    """An exact decimal string rounded to ``digits`` significant digits, for labels and tooltips."""
    value = Decimal(amount)
    if not value:
        return "0"
    with localcontext() as ctx:
        ctx.prec = 200
        shown = value.quantize(Decimal(1).scaleb(value.adjusted() - digits + 1), rounding=ROUND_HALF_EVEN)
    if shown.adjusted() >= 15:  # beyond a quadrillion units, digits past the sixth are only zeros
        return str(shown.normalize())
    text = format(shown, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def edge_key(tx_hash: str, locator: str) -> str:
    return f"{tx_hash}:{locator}"


def _node_attrs(addresses: Sequence[str], chain: str, labels: Sequence[LabelRef], cluster: str | None,
                hop: int) -> dict[str, Any]:
    best = labels[0] if labels else None
    return {"address": SEP.join(addresses), "chain": chain,
            "labels": SEP.join(dict.fromkeys(lab.label for lab in labels)),
            "actor": (best.actor or best.label) if best else "", "category": (best.category or "") if best else "",
            "cluster": cluster or "", "hop": hop}


def _edge_attrs(asset: str, symbol: str | None, raw: Fraction, decimals: int | None, transferred: int,
                tx_hash: str, locator: str, block: int, time: int | None) -> dict[str, Any]:
    amount = fraction_text(raw, decimals)
    return {"asset": asset, "symbol": symbol or "", "amount": amount,
            "amount_raw": str(raw.numerator // raw.denominator), "display_amount": display_amount(amount),
            "transferred_raw": str(transferred), "tx_hash": tx_hash, "locator": locator, "block": int(block),
            "time": int(time) if time is not None else ""}


def trace_graph(result: TraceResult) -> nx.MultiDiGraph:
    """The traced graph: every node the traced value touched, and every transfer that carried it."""
    chain = str(result.query.get("chain", ""))
    graph = nx.MultiDiGraph(name=f"trace of {result.query.get('address', '')}", chain=chain, source="trace")
    for node in result.nodes:
        graph.add_node(node.id, **_trace_node(node, chain))
    for flow in result.flows:
        for end in (flow.source, flow.target):
            if end not in graph:  # every flow's ends are nodes of the result; never leave one undescribed
                graph.add_node(end, **_node_attrs([end], chain, [], None, 0))
        graph.add_edge(flow.source, flow.target, key=edge_key(flow.hop.tx_hash, flow.hop.locator),
                       **_flow_attrs(flow))
    return graph


def _trace_node(node: GraphNode, chain: str) -> dict[str, Any]:
    return _node_attrs(node.addresses or [node.id], chain, node.labels, node.cluster, node.hop)


def _flow_attrs(flow: Flow) -> dict[str, Any]:
    h = flow.hop
    return _edge_attrs(h.amount.asset.address, h.amount.asset.symbol, h.amount.raw, h.amount.asset.decimals,
                       h.transferred, h.tx_hash, h.locator, h.block, h.time)


TRANSFERS_AROUND = f"""
    SELECT t.block_number, t.block_time, t.tx_hash, t.locator, t.from_address, t.to_address, t.asset, t.amount,
           t.decimals, k.symbol
    FROM transfers t LEFT JOIN tokens k ON k.chain = t.chain AND k.address = t.asset
    WHERE t.chain = $chain AND t.kind IN {FUNGIBLE_SQL}
      AND (list_contains($addresses, t.from_address) OR list_contains($addresses, t.to_address))
    ORDER BY t.block_number, t.tx_index NULLS LAST, t.tx_hash, t.locator
"""


def stored_graph(store: Store, labels: LabelSet, chain: str, addresses: Sequence[str]) -> nx.MultiDiGraph:
    """Every stored fungible transfer (native and ERC-20) into or out of ``addresses`` (canonical forms on
    ``chain``), with their counterparties: one node per address, labeled, with its cluster when clustered."""
    wanted = list(dict.fromkeys(addresses))
    rows = store.con.execute(TRANSFERS_AROUND, {"chain": chain, "addresses": wanted}).fetchall()
    native = get_chain(chain).native_symbol
    graph = nx.MultiDiGraph(name="around " + ", ".join(wanted), chain=chain, source="store")
    for address in wanted:
        graph.add_node(address)
    for block, time, tx_hash, locator, sender, receiver, asset, amount, decimals, symbol in rows:
        raw = int(amount)
        shown = native if asset == "native" else (symbol or _token_symbol(labels, chain, asset))
        graph.add_edge(sender, receiver, key=edge_key(tx_hash, locator),
                       **_edge_attrs(asset, shown, Fraction(raw), decimals, raw, tx_hash, locator, block, time))
    clusters = dict(store.con.execute(
        "SELECT address, cluster_id FROM clusters WHERE chain = ? AND list_contains(?, address)",
        [chain, list(graph.nodes)]).fetchall())
    for address in list(graph.nodes):
        tags = sorted(labels.lookup(chain, address), key=lambda t: -t.confidence)
        refs = [LabelRef(t.label, t.category, t.actor, t.confidence, f"{t.source} ({t.where})", "direct")
                for t in tags]
        graph.add_node(address, **_node_attrs([address], chain, refs, clusters.get(address),
                                              0 if address in wanted else 1))
    return graph


def _token_symbol(labels: LabelSet, chain: str, asset: str) -> str:
    info = labels.token(chain, asset)
    return info.symbol if info is not None else ""
