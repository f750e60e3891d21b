"""The flow graph of a trace as SVG: laid out left to right by hop with Graphviz `dot`, the wallet first,
labeled endpoints coloured by category, edge widths by traced value, amounts on the edges. Above
``max_nodes`` nodes, the smallest are folded into one "other" node so the picture stays readable."""

from __future__ import annotations

import math
import shutil
import subprocess
from collections import defaultdict
from fractions import Fraction

from ..export.formats import dot_quote
from ..tracing.model import GraphNode, TraceResult, fraction_text

COLOURS = {
    "gpu-marketplace": "#2e7d32", "gpu-broker": "#1565c0", "cloud-provider": "#00838f", "cloud-reseller": "#00838f",
    "data-centre": "#00838f", "exchange": "#ef6c00", "exchange-deposit": "#fb8c00", "otc-desk": "#ef6c00",
    "sanctioned": "#c62828", "mixer": "#6a1b9a", "bridge": "#4e342e", "dex": "#5d4037",
}
OTHER = "other"


def _short(address: str) -> str:
    return address if len(address) <= 16 else f"{address[:8]}…{address[-6:]}"


def _name(node: GraphNode, wallet: bool) -> str:
    head = node.labels[0].label if node.labels else _short(node.id)
    extra = f" ({len(node.addresses)} addresses)" if len(node.addresses) > 1 else ""
    return ("wallet: " if wallet else "") + head[:48] + extra


def to_dot(result: TraceResult, *, max_nodes: int = 200) -> str:
    """The DOT source of the flow graph."""
    received: dict[str, Fraction] = defaultdict(Fraction)
    for f in result.flows:
        received[f.target] += f.hop.amount.usd if f.hop.amount.usd is not None else f.hop.amount.raw
    nodes = {n.id: n for n in result.nodes}
    wallet = result.nodes[0].id if result.nodes else ""
    ranked = sorted((n for n in nodes if n != wallet), key=lambda n: (-received[n], n))
    kept = {wallet, *ranked[:max_nodes - 1]}
    folded = len(nodes) - len(kept)
    edges: dict[tuple[str, str, str], list[Fraction]] = {}
    symbols: dict[str, tuple[str, int | None]] = {}
    for f in result.flows:
        a = f.source if f.source in kept else OTHER
        b = f.target if f.target in kept else OTHER
        key = (a, b, f.hop.amount.asset.address)
        symbols[f.hop.amount.asset.address] = (f.hop.amount.asset.symbol, f.hop.amount.asset.decimals)
        edges.setdefault(key, [Fraction(0), Fraction(0)])
        edges[key][0] += f.hop.amount.raw
        edges[key][1] += f.hop.amount.usd if f.hop.amount.usd is not None else 0
    biggest = max((v[1] or v[0] for v in edges.values()), default=Fraction(1)) or Fraction(1)
    lines = ["digraph trace {", "  rankdir=LR; nodesep=0.25; ranksep=0.9;",
             '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, fillcolor="#eeeeee"];',
             '  edge [fontname="Helvetica", fontsize=9, color="#555555"];']
    by_hop: dict[int, list[str]] = defaultdict(list)
    for node_id in sorted(kept):
        node = nodes[node_id]
        by_hop[node.hop].append(node_id)
        category = node.labels[0].category if node.labels else None
        colour = COLOURS.get(category or "", "#ffffff" if node.labels else "#eeeeee")
        font = "#ffffff" if category in COLOURS else "#000000"
        if node_id == wallet:
            colour, font = "#263238", "#ffffff"
        tooltip = "; ".join(node.addresses) + (f" — {category}" if category else "")
        lines.append(f"  {dot_quote(node_id)} [label={dot_quote(_name(node, node_id == wallet))}, "
                     f"fillcolor={dot_quote(colour)}, fontcolor={dot_quote(font)}, tooltip={dot_quote(tooltip)}];")
    if folded:
        lines.append(f"  {dot_quote(OTHER)} [label={dot_quote(f'{folded} smaller nodes')}, shape=folder];")
    for _hop, members in sorted(by_hop.items()):
        lines.append("  { rank=same; " + " ".join(dot_quote(m) for m in members) + " }")
    for (a, b, asset), (raw, usd) in sorted(edges.items()):
        symbol, decimals = symbols[asset]
        weight = (usd or raw) / biggest
        width = 0.6 + 5 * math.sqrt(float(weight))  # display only: the amount on the label is exact
        label = f"{fraction_text(raw / Fraction(10) ** (decimals or 0), 0, 2)} {symbol}"  # 2 places, rounded down
        lines.append(f"  {dot_quote(a)} -> {dot_quote(b)} [label={dot_quote(label)}, penwidth={width:.2f}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_svg(dot: str) -> str | None:
    """Lay the graph out with Graphviz; None when `dot` is not installed."""
    binary = shutil.which("dot")
    if binary is None:
        return None
    done = subprocess.run([binary, "-Tsvg"], input=dot.encode(), capture_output=True, check=False, timeout=120)
    if done.returncode != 0:
        return None
    svg = done.stdout.decode("utf-8", "replace")
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else None
