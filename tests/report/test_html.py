"""The HTML trace report, opened in a real headless browser: self-contained, escaped, complete, and drawn."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from trailscan.cli import main
from trailscan.devnet import Anvil

from ..support.browser import dom as page_dom
from ..support.browser import screenshot
from ..trace_world import BROKER, BROKER_PACK, FORWARDER, HUB, I1, S1, S2, S3, H, M, T, TraceWorld, W, build_trace_world

HOSTILE = """title: Hostile labels
creator: trailscan tests
source: https://example.org/fictional
confidence: manual_transaction
network: ethereum
category: other
tags:
- address: '{address}'
  label: "<script>document.title='pwned'</script> \\"quoted\\" & <b>bold</b>"
  actor: x</td><img src=x onerror=alert(1)>
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TraceWorld, Path]]:
    base = tmp_path_factory.mktemp("report")
    labels, hostile = base / "case", base / "hostile"
    labels.mkdir()
    hostile.mkdir()
    (labels / "broker.yaml").write_text(BROKER_PACK)
    (hostile / "hub.yaml").write_text(HOSTILE.format(address=HUB))
    with Anvil.start(chain_id=1) as node:
        world = build_trace_world(node)
        store = base / "case.duckdb"
        fetch = ["fetch", "--rpc", node.url, "--store", str(store)]
        for a in (W, I1, T, S1, S2, S3, M, H, HUB, FORWARDER):
            fetch += ["--address", a]
        assert main(fetch) == 0
    page = base / "report.html"
    assert main(["trace", W, "--store", str(store), "--labels", str(labels), "--labels", str(hostile),
                 "--hub-limit", "5", "--format", "html", "--out", str(page)]) == 0
    yield world, page


def test_the_page_is_self_contained_and_complete(report: tuple[TraceWorld, Path]) -> None:
    world, page = report
    text = page.read_text()
    assert not re.search(r"<(script|link|iframe|object|embed)\b", text, re.I)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//(?!etherscan\.io/)""", text, re.I)
    for name in ("w-i1", "i1-broker", "w-t", "t-broker", "m-ofac", "glm", "w-forward", "h-broker"):
        assert world.txs[name] in text, name  # every hash in full, so a search of the saved page finds it
    for address in (W, I1, BROKER, T):
        assert address in text
    assert "<svg" in text and "Example GPU broker (fictional)" in text


def test_hostile_labels_show_as_text_and_run_nothing(report: tuple[TraceWorld, Path]) -> None:
    _, page = report
    dom = page_dom(page)
    assert "<title>trailscan trace of" in dom and "pwned" not in dom.split("</title>")[0]
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in dom
    assert "<img src=\"x\"" not in dom and "onerror=alert" not in dom.replace("&lt;img src=x onerror=alert", "")


def test_the_browser_renders_the_planted_figures(report: tuple[TraceWorld, Path]) -> None:
    world, page = report
    dom = page_dom(page)
    graph = dom[dom.index("<h2>Flow graph</h2>"):dom.index("<h2>Labeled endpoints</h2>")]
    assert "<svg" in graph and "Example GPU broker (fictional)" in graph
    assert ">700 USDT<" in graph and ">428.57 USDT<" in graph  # the two legs into the broker, on their edges
    endpoints = dom[dom.index("<h2>Labeled endpoints</h2>"):dom.index("<h2>Top paths</h2>")]
    assert "1128.571428571428 USDT" in endpoints and "1.5 ETH" in endpoints  # 700 + 3000/7 USDT
    assert "200 USDT" in endpoints and "25 GLM" in endpoints
    paths = dom[dom.index("<h2>Top paths</h2>"):dom.index("<h2>Largest unlabeled")]
    for name in ("w-i1", "i1-broker", "t-broker", "m-ofac"):
        assert world.txs[name] in paths


def test_the_browser_draws_the_report(report: tuple[TraceWorld, Path]) -> None:
    _, page = report
    shot = page.with_suffix(".png")
    data = screenshot(page, shot, "1400,2200")
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000  # a drawn page, not a blank one


def test_html_needs_an_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", W, "--store", str(tmp_path / "x.duckdb"), "--format", "html"]) == 1
    assert capsys.readouterr().err == "Error: --format html writes a report file; add --out FILE.html\n"


def test_the_manifest_runs_the_same_trace_again(report: tuple[TraceWorld, Path],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    _, page = report
    manifest = page.with_name(page.name + ".manifest.json")
    saved = json.loads(manifest.read_text())
    labels = [a for layer in saved["manifest"]["label_sets"][1:] for a in ("--labels", layer["layer"])]
    capsys.readouterr()
    assert main(["trace", "--manifest", str(manifest), *labels, "--format", "json"]) == 0
    again = json.loads(capsys.readouterr().out)["results"][0]
    assert again["query"] | {"elapsed_s": 0} == saved["query"] | {"elapsed_s": 0}
    assert again["coverage"][-1] == f"run again from {manifest}: same store head, label sets and version"
    assert main(["trace", "--manifest", str(manifest), *labels, "--format", "json", "--policy", "fifo"]) == 1
    assert capsys.readouterr().err == (f"Error: --manifest takes the question from {manifest}; it conflicts with "
                                       "--policy; drop one of them\n")
    # without the case labels, the same trace says the label sets differ
    assert main(["trace", "--manifest", str(manifest), "--format", "json"]) == 0
    assert "the label sets differ" in json.loads(capsys.readouterr().out)["results"][0]["coverage"][-1]


def test_a_file_that_is_no_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "m.json"
    bad.write_text('{"hello": 1}')
    assert main(["trace", "--manifest", str(bad)]) == 1
    assert capsys.readouterr().err == (f"Error: the manifest {bad} does not describe a trace; give a "
                                       "FILE.manifest.json or a 'trace --format json' result\n")
