"""export-graph on a real store: every format written and read back with exact amounts and hashes, hostile
label text escaped, bad input as one line, and the store left unchanged."""

from __future__ import annotations

import csv
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from trailscan.cli import main
from trailscan.devnet import Anvil
from trailscan.export import EXPORTERS, Exporter
from trailscan.export.formats import NODE_HEADER, RELATIONSHIP_HEADER, dot_quote

from ..world import ALICE, BIG, BOB, World

UNKNOWN = "0x1111111111111111111111111111111111111111"
EVIL = 'Evil "<script>alert(1)</script>" \\ broker\nsecond line'
EVIL_PACK = f"""title: Case pack
creator: test
source: https://example.org/evidence
confidence: manual_transaction
network: eip155:31337
category: gpu-broker
tags:
- address: '{BOB}'
  label: {json.dumps(EVIL)}
  actor: evil-actor
"""

Edge = tuple[str, str, str, str]  # tx_hash, locator, amount, amount_raw


@pytest.fixture(scope="module")
def case(world_node: tuple[Anvil, World], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """ALICE fetched into a store, and a case label pack naming BOB with hostile text."""
    node, _ = world_node
    base = tmp_path_factory.mktemp("export")
    store = base / "case.duckdb"
    assert main(["fetch", "--rpc", node.url, "--chain", "31337", "--address", ALICE, "--store", str(store)]) == 0
    labels = base / "case-labels"
    labels.mkdir()
    (labels / "evil.yaml").write_text(EVIL_PACK, encoding="utf-8")
    yield store, labels


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert main([*args, "--format", "json"]) == 0
    results: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["results"]
    return results


def _export(capsys: pytest.CaptureFixture[str], store: Path, out: Path, name: str, *more: str) -> dict[str, Any]:
    before = store.read_bytes()
    (summary,) = _json(capsys, "export-graph", ALICE, "--chain", "31337", "--store", str(store), "--as", name,
                       "--out", str(out), *more)
    assert store.read_bytes() == before
    assert summary["format"] == name and summary["nodes"] > 1 and summary["edges"] > 1
    return summary


def _traced(capsys: pytest.CaptureFixture[str], store: Path) -> set[Edge]:
    (result,) = _json(capsys, "trace", ALICE, "--chain", "31337", "--store", str(store))
    return {(e["tx_hash"], e["locator"], e["traced"]["amount"], e["traced"]["raw"]) for e in result["graph"]["edges"]}


def _stored(capsys: pytest.CaptureFixture[str], store: Path) -> set[Edge]:
    rows = _json(capsys, "transfers", ALICE, "--store", str(store))
    return {(r["tx_hash"], r["locator"], r["amount"], r["amount_raw"]) for r in rows
            if r["kind"] in ("native", "erc20")}


def _edges(edges: Any) -> set[Edge]:
    return {(d["tx_hash"], d["locator"], str(d["amount"]), str(d["amount_raw"])) for d in edges}


def test_every_format_is_registered_and_declared() -> None:
    assert list(EXPORTERS) == ["graphml", "gexf", "node-link", "cytoscape", "dot", "neo4j"]
    with pytest.raises(TypeError, match="must declare SUFFIX, HELP"):
        type("Half", (Exporter,), {"NAME": "half", "write": lambda self, graph, path: None})


def test_graphml_round_trip(case: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store, _ = case
    out = tmp_path / "trace.graphml"
    summary = _export(capsys, store, out, "graphml")
    graph = nx.read_graphml(out)
    assert isinstance(graph, nx.MultiDiGraph)
    assert (graph.number_of_nodes(), graph.number_of_edges()) == (summary["nodes"], summary["edges"])
    assert _edges(d for _, _, d in graph.edges(data=True)) == _traced(capsys, store)
    assert graph.nodes[ALICE]["hop"] == 0 and graph.nodes[ALICE]["address"] == ALICE
    big = [d for _, _, d in graph.edges(data=True) if d["amount_raw"] == str(2**200 + 1)]
    assert len(big) == 1 and big[0]["symbol"] == "BIG" and isinstance(big[0]["block"], int)


def test_gexf_round_trip(case: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store, _ = case
    out = tmp_path / "trace.gexf"
    _export(capsys, store, out, "gexf")
    graph = nx.read_gexf(out)
    assert _edges(d for _, _, d in graph.edges(data=True)) == _traced(capsys, store)
    assert graph.nodes[ALICE]["address"] == ALICE and int(graph.nodes[ALICE]["hop"]) == 0


def test_node_link_round_trip(case: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store, _ = case
    out = tmp_path / "trace.json"
    _export(capsys, store, out, "node-link")
    graph = nx.node_link_graph(json.loads(out.read_text()), edges="edges")
    assert graph.is_multigraph() and graph.is_directed()
    assert _edges(d for _, _, d in graph.edges(data=True)) == _traced(capsys, store)
    assert all(k == f"{d['tx_hash']}:{d['locator']}" for _, _, k, d in graph.edges(keys=True, data=True))


def test_cytoscape_json(case: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store, _ = case
    out = tmp_path / "trace.cyjs"
    summary = _export(capsys, store, out, "cytoscape")
    data = json.loads(out.read_text())
    nodes, edges = data["elements"]["nodes"], data["elements"]["edges"]
    assert (len(nodes), len(edges)) == (summary["nodes"], summary["edges"])
    ids = {n["data"]["id"] for n in nodes}
    assert ALICE in ids and all({"address", "chain", "labels", "actor", "category", "cluster", "hop", "name"}
                                <= n["data"].keys() for n in nodes)
    assert all(e["data"]["source"] in ids and e["data"]["target"] in ids for e in edges)
    assert _edges(e["data"] for e in edges) == _traced(capsys, store)


def test_neo4j_csv(case: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store, _ = case
    out = tmp_path / "neo4j"
    summary = _export(capsys, store, out, "neo4j")
    assert summary["path"] == f"{out / 'nodes.csv'}, {out / 'relationships.csv'}"
    with (out / "nodes.csv").open(newline="") as f:
        nodes = list(csv.reader(f))
    with (out / "relationships.csv").open(newline="") as f:
        rels = list(csv.reader(f))
    assert nodes[0] == NODE_HEADER and rels[0] == RELATIONSHIP_HEADER
    assert len(nodes) - 1 == summary["nodes"] and len(rels) - 1 == summary["edges"]
    ids = [row[0] for row in nodes[1:]]
    assert len(set(ids)) == len(ids) and ALICE in ids
    assert all(row[-1] in ("Address", "Entity") and row[6].isdigit() for row in nodes[1:])
    assert all(row[0] in ids and row[1] in ids and row[2] == "TRANSFER" and row[9].isdigit() for row in rels[1:])
    assert {(r[7], r[8], r[5], r[6]) for r in rels[1:]} == _traced(capsys, store)


def test_dot_parses(case: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store, _ = case
    out = tmp_path / "trace.dot"
    _export(capsys, store, out, "dot")
    done = subprocess.run(["dot", "-Tsvg", str(out)], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and not done.stderr, done.stderr
    text = out.read_text()
    for tx_hash, locator, amount, _ in _traced(capsys, store):
        assert f'tx_hash="{tx_hash}"' in text and f'locator="{locator}"' in text and f'amount="{amount}"' in text


def test_the_stored_graph_around_addresses(case: tuple[Path, Path], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    store, _ = case
    out = tmp_path / "around.graphml"
    _export(capsys, store, out, "graphml", "--around")
    graph = nx.read_graphml(out)
    stored = _stored(capsys, store)
    assert _edges(d for _, _, d in graph.edges(data=True)) == stored
    assert any(raw == str(BIG) for *_, raw in stored)  # a uint256 beyond every numeric type, kept exact
    assert graph.nodes[ALICE]["hop"] == 0 and graph.nodes[BOB]["hop"] == 1
    # two addresses at once, the format from the suffix
    out = tmp_path / "around.json"
    assert main(["export-graph", ALICE, BOB, "--around", "--chain", "31337", "--store", str(store),
                 "--out", str(out)]) == 0
    assert json.loads(out.read_text())["nodes"][0]["hop"] == 0


def test_hostile_label_text_is_escaped(case: tuple[Path, Path], tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    store, labels = case
    dot, graphml = tmp_path / "evil.dot", tmp_path / "evil.graphml"
    for out, name in ((dot, "dot"), (graphml, "graphml")):
        _export(capsys, store, out, name, "--around", "--labels", str(labels))
    text = dot.read_text()
    assert dot_quote(EVIL) in text and EVIL not in text
    assert dot_quote(EVIL) == '"Evil \\"<script>alert(1)</script>\\" \\\\ broker\\nsecond line"'
    done = subprocess.run(["dot", "-Tsvg", str(dot)], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and not done.stderr, done.stderr
    assert "<script>" not in done.stdout and "&lt;script&gt;" in done.stdout
    bob = nx.read_graphml(graphml).nodes[BOB]
    assert (bob["labels"], bob["actor"], bob["category"]) == (EVIL, "evil-actor", "gpu-broker")
    folder = tmp_path / "neo4j"
    summary = _export(capsys, store, folder, "neo4j", "--around", "--labels", str(labels))
    lines = (folder / "nodes.csv").read_text().splitlines()  # one line per node: neo4j-admin's default reading
    assert len(lines) == summary["nodes"] + 1
    (row,) = [r for r in csv.reader(lines) if r[0] == BOB]
    assert row[2] == EVIL.replace("\n", " ")


@pytest.mark.parametrize(("args", "message"), [
    (["--as", "pdf", "--out", "g.pdf"], "Error: unknown graph format 'pdf'; use one of graphml, gexf, node-link, "
                                        "cytoscape, dot, neo4j\n"),
    (["--out", "g.xyz"], "Error: cannot tell the graph format from 'g.xyz'; give --as, one of graphml, gexf, "
                         "node-link, cytoscape, dot, neo4j\n"),
    (["--out", "g.dot", BOB], "Error: a trace starts from one address, and 2 are given; give one ADDRESS, or add "
                              "--around to export the stored graph around them all\n"),
    (["--out", "g.dot", "--policy", "lifo"], "Error: unknown policy 'lifo'; use one of haircut, poison, fifo\n"),
])
def test_bad_input_is_one_line(case: tuple[Path, Path], tmp_path: Path, args: list[str], message: str,
                               capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    store, _ = case
    monkeypatch.chdir(tmp_path)
    before = store.read_bytes()
    capsys.readouterr()
    assert main(["export-graph", ALICE, "--store", str(store), *args]) == 1
    assert capsys.readouterr().err == message
    assert store.read_bytes() == before and not list(tmp_path.iterdir())


def test_an_address_not_in_the_store(case: tuple[Path, Path], tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    store, _ = case
    out = tmp_path / "g.graphml"
    for extra in ([], ["--around"]):
        capsys.readouterr()
        assert main(["export-graph", UNKNOWN, "--store", str(store), "--out", str(out), *extra]) == 1
        trace_code = main(["trace", UNKNOWN, "--store", str(store)])
        err = capsys.readouterr().err.splitlines()
        assert trace_code == 1 and err[0] == err[1]
        assert err[0].startswith(f"Error: the address {UNKNOWN} is not in the store on any stored chain")
    assert not out.exists()
