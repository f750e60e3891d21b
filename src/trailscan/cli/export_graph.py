"""`trailscan export-graph ADDRESS...`: build the traced graph (or the stored graph around addresses), write it
in a graph format, print a summary. The graph building and the formats live in trailscan.export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import networkx as nx
import typer

from ..errors import InputError
from ..export import Exporter, get_exporter, registry, stored_graph, trace_graph
from ..labels import load_labels
from ..output import Format, render
from ..store import Store
from ..tracing import TraceOptions, trace
from .common import FormatOpt, LabelsOpt, StoreOpt, store_path
from .trace import held_address


def register(app: typer.Typer) -> None:
    app.command("export-graph")(export_graph_command)


def export_graph_command(
    address: Annotated[list[str], typer.Argument(help="The wallet to trace (one), or with --around the addresses "
                                                 "whose stored transfers to export (one or more).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The file to write (a folder for neo4j).",
                                      show_default=False)],
    as_: Annotated[str | None, typer.Option("--as", help="Graph format: graphml, gexf, node-link, cytoscape, dot "
                                            "or neo4j (default: from the suffix of --out).",
                                            show_default=False)] = None,
    around: Annotated[bool, typer.Option("--around", help="Export every stored native and ERC-20 transfer into or "
                                         "out of the addresses, instead of a trace (the trace options are then "
                                         "not used).")] = False,
    chain: Annotated[str | None, typer.Option("--chain", "-c", help="Chain (default: the stored chain holding the "
                                              "address).", show_default=False)] = None,
    direction: Annotated[str, typer.Option("--direction", help="out: where its money went; in: where it came "
                                           "from.")] = "out",
    hops: Annotated[int, typer.Option("--hops", help="Most hops to follow (1-12).")] = 4,
    policy: Annotated[str, typer.Option("--policy", help="haircut, poison or fifo.")] = "haircut",
    entities: Annotated[bool, typer.Option("--entities/--addresses", help="Trace clusters as one entity, or "
                                           "address by address.")] = True,
    labels: LabelsOpt = None,
    store: StoreOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Export a traced graph, or the stored graph around addresses, as GraphML, GEXF, node-link JSON,
    Cytoscape.js JSON, DOT or Neo4j admin-import CSV (for Gephi, Neo4j, Cytoscape, Graphviz, networkx)."""
    exporter = _exporter(as_, out)
    if not around and len(address) > 1:
        raise InputError(f"a trace starts from one address, and {len(address)} are given",
                         hint="give one ADDRESS, or add --around to export the stored graph around them all")
    known = load_labels(labels)
    path = store_path(store)
    with Store(path, read_only=True) as db:
        if around:
            key, wanted = _located(db, address, chain)
            graph = stored_graph(db, known, key, wanted)
        else:
            key, who = held_address(db, address[0], chain)
            options = TraceOptions(direction=direction, hops=hops, policy=policy, entities=entities)
            graph = trace_graph(trace(db, known, key, who, options))
    exporter.write(graph, out)
    _summary(exporter, out, graph, fmt)


def _exporter(name: str | None, out: Path) -> Exporter:
    if name is not None:
        return get_exporter(name)
    found = [n for n, cls in registry().items() if not cls.DIRECTORY and out.suffix.lower() == cls.SUFFIX]
    if len(found) != 1:
        raise InputError(f"cannot tell the graph format from {out.name!r}",
                         hint=f"give --as, one of {', '.join(registry())}")
    return get_exporter(found[0])


def _located(db: Store, addresses: list[str], chain: str | None) -> tuple[str, list[str]]:
    """The one stored chain of the addresses and their canonical forms (the errors trace gives otherwise)."""
    held = [held_address(db, a, chain) for a in addresses]
    chains = sorted({k for k, _ in held})
    if len(chains) > 1:
        raise InputError(f"the addresses are on several stored chains ({', '.join(chains)})",
                         hint="choose one with --chain")
    return chains[0], [a for _, a in held]


def _summary(exporter: Exporter, out: Path, graph: nx.MultiDiGraph, fmt: Format) -> None:
    written = [str(out / "nodes.csv"), str(out / "relationships.csv")] if exporter.DIRECTORY else [str(out)]
    rows = [{"format": exporter.NAME, "path": ", ".join(written), "nodes": graph.number_of_nodes(),
             "edges": graph.number_of_edges()}]
    render(rows, fmt, command="export-graph", title="graph export", columns=["format", "path", "nodes", "edges"])
