"""The built-in graph formats: GraphML, GEXF, node-link JSON, Cytoscape.js JSON, DOT and Neo4j admin-import CSV."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import networkx as nx

from ..errors import InputError
from .base import Exporter, uniform


def _file(path: Path) -> Path:
    if path.is_dir():
        raise InputError(f"{path} is a folder", hint="give a file name for --out")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


class GraphML(Exporter):
    NAME = "graphml"
    SUFFIX = ".graphml"
    HELP = "GraphML (XML): networkx, Gephi, yEd, Cytoscape."

    def write(self, graph: nx.MultiDiGraph, path: Path) -> None:
        nx.write_graphml(uniform(graph), _file(path), infer_numeric_types=True)


class Gexf(Exporter):
    NAME = "gexf"
    SUFFIX = ".gexf"
    HELP = "GEXF 1.2 (XML): Gephi; nodes show their actor, else their address."

    def write(self, graph: nx.MultiDiGraph, path: Path) -> None:
        shown = uniform(graph)
        for node, data in shown.nodes(data=True):
            data["label"] = data.get("actor") or str(node)  # GEXF's own node label, what Gephi displays
        nx.write_gexf(shown, _file(path))


class NodeLink(Exporter):
    NAME = "node-link"
    SUFFIX = ".json"
    HELP = "networkx node-link JSON (nx.node_link_graph reads it back; D3 force layouts)."

    def write(self, graph: nx.MultiDiGraph, path: Path) -> None:
        data = nx.node_link_data(graph, edges="edges")
        _file(path).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


class Cytoscape(Exporter):
    NAME = "cytoscape"
    SUFFIX = ".cyjs"
    HELP = "Cytoscape.js JSON (elements: nodes and edges): Cytoscape desktop and cytoscape.js."

    def write(self, graph: nx.MultiDiGraph, path: Path) -> None:
        shown = graph.copy()
        for node, data in shown.nodes(data=True):
            data["name"] = data.get("actor") or str(node)
        data = nx.cytoscape_data(shown)
        _file(path).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def dot_quote(value: object) -> str:
    """``value`` as a double-quoted DOT string: backslashes and quotes escaped, line breaks as ``\\n`` and
    other control characters dropped, so no text (a label file, a token symbol) can end the string."""
    text = _CONTROL.sub("", str(value)).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n") + '"'


def _attributes(data: dict[str, Any]) -> str:
    return ", ".join(f"{name}={dot_quote(value)}" for name, value in data.items() if re.fullmatch(r"\w+", name))


class Dot(Exporter):
    NAME = "dot"
    SUFFIX = ".dot"
    HELP = "Graphviz DOT: dot -Tsvg graph.dot > graph.svg; every string quoted and escaped."

    def write(self, graph: nx.MultiDiGraph, path: Path) -> None:
        lines = [f"digraph {dot_quote(graph.graph.get('name', 'trailscan'))} {{", "  rankdir=LR;",
                 '  node [shape=box, fontname="Helvetica"];', '  edge [fontname="Helvetica"];']
        for node, data in graph.nodes(data=True):
            shown = data.get("actor") or str(node)
            label = shown if not data.get("category") else f"{shown}\n{data['category']}"
            tooltip = "\n".join(t for t in (str(data.get("address", node)), data.get("labels", "")) if t)
            lines.append(f"  {dot_quote(node)} [{_attributes({'label': label, 'tooltip': tooltip, **data})}];")
        for source, target, key, data in graph.edges(keys=True, data=True):
            label = f"{data.get('display_amount', '')} {data.get('symbol', '')}".strip()
            attrs = _attributes({"label": label, "tooltip": f"{data.get('tx_hash', '')} {data.get('locator', '')}",
                                 "key": key, **data})
            lines.append(f"  {dot_quote(source)} -> {dot_quote(target)} [{attrs}];")
        lines.append("}")
        _file(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


NODE_HEADER = ["address:ID", "chain", "labels", "actor", "category", "cluster", "hop:int", ":LABEL"]
RELATIONSHIP_HEADER = [":START_ID", ":END_ID", ":TYPE", "asset", "symbol", "amount", "amount_raw", "tx_hash",
                       "locator", "block:long", "time:long"]


def _flat(value: object) -> str:
    """One line: neo4j-admin reads a line break inside a field only with --multiline-fields."""
    return " ".join(_CONTROL.sub("", str(value)).splitlines())


class Neo4j(Exporter):
    NAME = "neo4j"
    SUFFIX = ".csv"
    HELP = "Neo4j admin-import CSV: a folder with nodes.csv and relationships.csv."
    DIRECTORY = True

    def write(self, graph: nx.MultiDiGraph, path: Path) -> None:
        if path.exists() and not path.is_dir():
            raise InputError(f"{path} is a file, and neo4j writes a folder", hint="give a folder for --out")
        path.mkdir(parents=True, exist_ok=True)
        ids = {node: data.get("address") or str(node) for node, data in graph.nodes(data=True)}
        with (path / "nodes.csv").open("w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(NODE_HEADER)
            for node, data in graph.nodes(data=True):
                kind = "Entity" if ";" in ids[node] else "Address"
                out.writerow([_flat(v) for v in (ids[node], data.get("chain", ""), data.get("labels", ""),
                                                 data.get("actor", ""), data.get("category", ""),
                                                 data.get("cluster", ""), data.get("hop", ""), kind)])
        with (path / "relationships.csv").open("w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(RELATIONSHIP_HEADER)
            for source, target, data in graph.edges(data=True):
                out.writerow([_flat(v) for v in (ids[source], ids[target], "TRANSFER", data.get("asset", ""),
                                                 data.get("symbol", ""), data.get("amount", ""),
                                                 data.get("amount_raw", ""), data.get("tx_hash", ""),
                                                 data.get("locator", ""), data.get("block", ""),
                                                 data.get("time", ""))])
