"""trailscan batch end to end on the planted trails: flags from exact figures, error rows, resume, outputs."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from trailscan.batch import read_policy, read_wallets, run_batch
from trailscan.batch import runner as batch_runner
from trailscan.cli import main
from trailscan.labels import load_labels
from trailscan.store import Store

from ..trace_world import BROKER, I1, S1, T, W

UNKNOWN = "0x1111111111111111111111111111111111111111"
# The treasury's exposure to the broker under haircut: 700 USDT via the intermediary, and 500 * 600/700 via
# T (which held 100 clean USDT when it paid 500): 7900/7 = 1128.571428... USD. What stays at T: 1200/7.
POLICY = """\
trace:
  hops: 4
  policy: haircut
rules:
  - name: broker-at-least
    flag: broker 1128.57 or more
    category: gpu-broker
    min_usd: 1128.5714285714
  - name: broker-above-exact
    flag: broker above the exact figure
    category: [gpu-broker]
    min_usd: 1128.5714285715
  - name: broker-direct
    flag: paid the broker directly
    category: gpu-broker
    direct: true
    min_usd: 700
  - name: sanctioned-near
    flag: sanctioned within 3 hops
    category: sanctioned
    within_hops: 3
  - name: lead
    flag: large unlabeled endpoint
    unlabeled: true
    min_usd: 171.4285714285
"""
WALLETS = f"""\ufeffAddress,CHAIN,Reference,notes
{W},,treasury,ignored
{I1},ethereum,intermediary,
{S1},1,split,
0x123,,bad address,
{W},dogechain,unknown chain,
{UNKNOWN},,no data,
"""


def _files(tmp_path: Path, policy: str = POLICY, wallets: str = WALLETS) -> tuple[Path, Path]:
    (tmp_path / "policy.yaml").write_text(policy)
    (tmp_path / "wallets.csv").write_text(wallets)
    return tmp_path / "policy.yaml", tmp_path / "wallets.csv"


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as f:
        return {r["reference"]: r for r in csv.DictReader(f)}


def _cli(trails: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    store, labels = trails
    policy, wallets = tmp_path / "policy.yaml", tmp_path / "wallets.csv"
    capsys.readouterr()
    assert main(["batch", str(wallets), "--policy", str(policy), "--out", str(tmp_path / "out"), "--store",
                 str(store), "--labels", str(labels), "--format", "json", *extra]) == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out)["results"][0]
    return result


def test_flags_come_from_exact_figures_and_bad_rows_get_errors(trails: tuple[Path, Path], tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    _files(tmp_path)
    result = _cli(trails, tmp_path, capsys, "--workers", "3")
    assert (result["wallets"], result["traced"], result["skipped"], result["failed"], result["flagged"]) == \
        (6, 3, 0, 3, 3)
    rows = _rows(tmp_path / "out" / "summary.csv")
    treasury, inter, split = rows["treasury"], rows["intermediary"], rows["split"]
    assert treasury["flags"] == "broker 1128.57 or more; large unlabeled endpoint"
    assert (treasury["usd_gpu_broker"], treasury["traced_usd"], treasury["min_hops_sanctioned"]) == \
        ("1128.57", "1900", "4")
    assert treasury["top_actor"] == "example-gpu-broker (gpu-broker)"
    assert inter["flags"] == "paid the broker directly" and inter["usd_gpu_broker"] == "700"
    assert split["flags"] == "sanctioned within 3 hops" and split["min_hops_sanctioned"] == "3"
    details = {(w["reference"], f["rule"]): f["detail"] for w in result["wallet_results"] for f in w["flag_details"]}
    assert details[("treasury", "lead")] == f"1 unlabeled endpoint(s), largest {T} with 171.42 USD"
    assert details[("treasury", "broker-at-least")] == "1128.57 USD to gpu-broker (example-gpu-broker)"
    assert details[("split", "sanctioned-near")] == "sanctioned at 3 hop(s) (OFAC SDN listed address)"
    assert rows["bad address"]["status"] == "error"
    assert rows["bad address"]["error"] == ("invalid address '0x123': not a 20-byte hex address; an EVM address is "
                                            "0x followed by 40 hex digits")
    assert rows["unknown chain"]["error"].startswith("unknown chain 'dogechain'; use one of ethereum")
    assert rows["no data"]["error"] == (f"the store has no transfers of {UNKNOWN} on eip155:1; fetch it first "
                                        "('trailscan fetch --address ...') or check --store")
    report = json.loads((tmp_path / "out" / treasury["report"]).read_text())
    assert report["query"]["address"] == W and treasury["report"] == f"wallets/0001-{W}.json"
    assert {e["node"] for e in report["exposure"]} >= {BROKER}


def test_a_rerun_skips_finished_wallets_and_a_new_policy_runs_all(trails: tuple[Path, Path], tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    _files(tmp_path)
    first = _cli(trails, tmp_path, capsys)
    before = (tmp_path / "out" / "summary.csv").read_text()
    again = _cli(trails, tmp_path, capsys)
    assert (again["traced"], again["skipped"], again["failed"], again["policy_changed"]) == (0, 3, 3, False)
    assert (tmp_path / "out" / "summary.csv").read_text() == before
    assert len((tmp_path / "out" / "state.jsonl").read_text().splitlines()) == first["traced"] == 3
    (tmp_path / "policy.yaml").write_text(POLICY.replace("hops: 4", "hops: 3"))
    changed = _cli(trails, tmp_path, capsys)
    assert (changed["traced"], changed["skipped"], changed["policy_changed"]) == (3, 0, True)
    assert _rows(tmp_path / "out" / "summary.csv")["treasury"]["min_hops_sanctioned"] == ""  # 4 hops out of reach


def test_a_killed_batch_keeps_what_finished(trails: tuple[Path, Path], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    store_path, label_dir = trails
    policy_path, wallets_path = _files(tmp_path)
    policy, wallets, labels = read_policy(policy_path), read_wallets(wallets_path), load_labels([label_dir])
    out = tmp_path / "out"
    real = batch_runner.trace
    calls: list[str] = []

    def dies_after_two(*args: Any, **kwargs: Any) -> Any:
        if len(calls) == 2:
            raise RuntimeError("killed")
        calls.append(args[3])
        return real(*args, **kwargs)

    monkeypatch.setattr(batch_runner, "trace", dies_after_two)
    with Store(store_path, read_only=True) as store, pytest.raises(RuntimeError, match="killed"):
        run_batch(store, labels, wallets, policy, out, workers=1, label_dirs=[label_dir])
    state = [json.loads(line) for line in (out / "state.jsonl").read_text().splitlines()]
    assert [s["address"] for s in state] == calls == [W, I1]
    assert sorted(p.name for p in (out / "wallets").iterdir()) == [
        f"0001-{W}.html", f"0001-{W}.json", f"0002-{I1}.html", f"0002-{I1}.json"]
    monkeypatch.setattr(batch_runner, "trace", real)
    done: list[tuple[int, int]] = []
    with Store(store_path, read_only=True) as store:
        summary = run_batch(store, labels, wallets, policy, out, workers=2, label_dirs=[label_dir],
                            progress=lambda n, total: done.append((n, total)))
    assert (summary.skipped, summary.traced, summary.failed) == (2, 1, 3)
    assert done == [(1, 1)]
    assert [o.flags[0].rule for o in summary.outcomes[:3]] == ["broker-at-least", "broker-direct", "sanctioned-near"]


def test_the_workbook_has_filterable_sheets(trails: tuple[Path, Path], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    _files(tmp_path)
    _cli(trails, tmp_path, capsys)
    book = load_workbook(tmp_path / "out" / "summary.xlsx")
    assert book.sheetnames == ["wallets", "exposures", "manifest"]
    ws = book["wallets"]
    assert ws.auto_filter.ref == "A1:T7" and ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    row = dict(zip(header, [c.value for c in ws[2]], strict=True))
    assert (row["reference"], row["address"], row["status"]) == ("treasury", W, "ok")
    assert float(row["usd_gpu_broker"]) == pytest.approx(1128.57)
    assert ws[2][0].fill.fgColor.rgb.endswith("FFF2CC")  # flagged
    assert ws[5][0].fill.fgColor.rgb.endswith("F4CCCC")  # failed
    exposures = [[c.value for c in r] for r in book["exposures"].iter_rows(min_row=2)]
    assert [r[3] for r in exposures].count(W) == 4 and book["exposures"].auto_filter.ref
    manifest = {r[0].value: r[1].value for r in book["manifest"].iter_rows(min_row=2)}
    assert manifest["policy"] == str(tmp_path / "policy.yaml") and len(manifest["policy_sha256"]) == 64
    assert manifest["head eip155:1"].startswith("block ") and manifest["wallets"] == "6"


def test_index_html_escapes_references_and_labels(trails: tuple[Path, Path], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    store, _ = trails
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "broker.yaml").write_text(f"""title: hostile label
creator: trailscan tests
source: https://example.org/x
confidence: manual_transaction
network: ethereum
category: gpu-broker
tags:
- address: '{BROKER}'
  label: Broker <script>alert(2)</script>
""")
    _files(tmp_path, wallets=f"address,reference\n{I1},<script>alert(1)</script>\n")
    capsys.readouterr()
    assert main(["batch", str(tmp_path / "wallets.csv"), "--policy", str(tmp_path / "policy.yaml"), "--out",
                 str(tmp_path / "out"), "--store", str(store), "--labels", str(labels)]) == 0
    page = (tmp_path / "out" / "index.html").read_text()
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert f'href="wallets/0001-{I1}.html"' in page
    report = (tmp_path / "out" / "wallets" / f"0001-{I1}.html").read_text()
    assert report.startswith("<!DOCTYPE html>") and I1 in report  # each wallet's own HTML trace report
