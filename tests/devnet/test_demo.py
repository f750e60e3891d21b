"""`trailscan demo` end to end: built once, then from the cached state (a node without old state), each run's
trace, clusters and flags equal the story's ground truth; the report draws in a real browser."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest

from trailscan.cli import main
from trailscan.devnet.demo import SCREENED, wallets_csv
from trailscan.devnet.story import Story

from ..support.browser import dom as page_dom
from ..support.browser import screenshot

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TRAILSCAN = [sys.executable, "-c", "from trailscan.cli import main; raise SystemExit(main())"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, str, str]]:
    """Two demo runs sharing one cache: the first builds the world, the second loads its state dump."""
    base = tmp_path_factory.mktemp("demo")
    patch = pytest.MonkeyPatch()
    patch.setenv("TRAILSCAN_CACHE", str(base / "cache"))
    patch.setenv("TRAILSCAN_RPC_URL", "http://192.0.2.1:8545")  # a user's default endpoint must not be used
    try:
        outputs = []
        for name in ("built", "cached"):
            out = base / name
            result = subprocess.run([*TRAILSCAN, "demo", "--out", str(out)],
                                    capture_output=True, text=True, timeout=600, check=False)
            assert result.returncode == 0, result.stderr
            outputs.append((out, result.stdout))
        yield outputs[0][0], outputs[1][0], outputs[0][1], outputs[1][1]
    finally:
        patch.undo()


def _exact(result: dict[str, object], address: str, asset: str) -> Fraction:
    total = Fraction(0)
    for e in result["exposure"] + result["unlabeled_endpoints"]:  # type: ignore[operator]
        if address in e["addresses"]:
            total += sum((Fraction(a["exact_raw"] or a["raw"]) for a in e["amounts"] if a["asset"] == asset),
                         Fraction(0))
    return total


@pytest.mark.parametrize("which", [0, 1])
def test_every_planted_figure_is_found(runs: tuple[Path, Path, str, str], which: int) -> None:
    out, stdout = runs[which], runs[2 + which]
    assert ("built (the next run loads it from a cache)" if which == 0 else "loaded from its cached state") in stdout
    checks = json.loads((out / "check.json").read_text())
    assert len(checks) == 17 and all(c["ok"] for c in checks), [c for c in checks if not c["ok"]]
    assert "ground truth check: 17 of 17 planted figures found" in stdout
    # the same figures straight from the trace's JSON, against the truth file the demo wrote
    story = Story.from_json(json.loads((out / "truth.json").read_text()))
    result = json.loads((out / "trace.json").read_text())["results"][0]
    assert result["query"]["policy"] == "haircut"
    for name in ("intermediary-broker", "glm-golem", "rndr-escrow", "intermediary-okx-deposit"):
        trail = story.trail(name)
        assert _exact(result, trail.receiver, trail.asset) == trail.traced["haircut"], name
    forward = story.trail("eth-forward")
    assert _exact(result, forward.receiver, "native") == forward.traced["haircut"] == 40 * 10**18
    deposit = story.trail("treasury-deposit")
    assert _exact(result, deposit.receiver, deposit.asset) == 250_000 * 10**6
    (intermediary, held), = story.held.items()
    assert _exact(result, intermediary, story.tokens["USDT"]) == held["haircut"]
    # every step ran through the RPC of the local chain, and the store holds what it fetched
    url = stdout.split("local chain: anvil at ")[1].split(" ")[0]
    assert url.startswith("http://127.0.0.1:") and f"--rpc {url}" in stdout
    assert "192.0.2.1" not in stdout
    for written in ("report.html", "report.html.manifest.json", "trace.gexf", "batch/summary.csv",
                    "batch/summary.xlsx", "batch/index.html", "case.duckdb", "labels/story.yaml"):
        assert (out / written).exists(), written


def test_the_batch_flags_the_planted_wallets(runs: tuple[Path, Path, str, str]) -> None:
    out = runs[1]
    import csv

    rows = {r["address"]: r for r in csv.DictReader((out / "batch" / "summary.csv").open())}
    story = Story.from_json(json.loads((out / "truth.json").read_text()))
    for _, actor, index, rules in SCREENED:
        row = rows[story.actors[actor].addresses[index]]
        assert row["status"] == "ok" and bool(row["flags"]) == bool(rules), (actor, row["flags"])


def test_the_examples_are_the_demo_case(runs: tuple[Path, Path, str, str]) -> None:
    out = runs[0]
    story = Story.from_json(json.loads((out / "truth.json").read_text()))
    assert (EXAMPLES / "wallets.csv").read_text() == wallets_csv(story) == (out / "wallets.csv").read_text()
    assert (EXAMPLES / "policy.yaml").read_text() == (out / "policy.yaml").read_text()


def test_the_api_example_gives_the_same_trace(runs: tuple[Path, Path, str, str], tmp_path: Path) -> None:
    out = runs[1]
    script = EXAMPLES / "trace_api.py"
    result = subprocess.run([sys.executable, str(script), str(out)], capture_output=True,
                            text=True, timeout=300, check=False, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    story = Story.from_json(json.loads((out / "truth.json").read_text()))
    broker = story.trail("intermediary-broker")
    assert f"{broker.receiver}" in result.stdout and "375000" in result.stdout


def test_the_report_draws_in_a_browser(runs: tuple[Path, Path, str, str], tmp_path: Path) -> None:
    page = runs[1] / "report.html"
    dom = page_dom(page)
    for text in ("Example GPU broker (fictional)", "375000 USDT", "25000 GLM", "12000 RNDR", "40 ETH",
                 "Golem lock-contract (mainnet)"):
        assert text in dom, text
    shot = tmp_path / "demo-report.png"
    data = screenshot(page, shot, "1400,2400")
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000


def test_a_folder_the_demo_did_not_write_is_left_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "notes.txt"
    mine.write_text("mine")
    assert main(["demo", "--out", str(tmp_path)]) == 1
    assert capsys.readouterr().err == (f"Error: --out {tmp_path} is not empty and was not written by trailscan demo; "
                                       "give a new or empty folder\n")
    assert mine.read_text() == "mine" and sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
