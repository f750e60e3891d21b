"""batch with --rpc: each wallet fetched on demand through a real anvil; an endpoint that cannot serve a wallet
puts its error in that wallet's row, and the other wallets go on."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from trailscan.cli import main
from trailscan.devnet import Anvil, free_port
from trailscan.store import Store

from ..trace_world import BROKER_PACK, I1, W, build_trace_world
from .test_batch import POLICY


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as f:
        return {r["reference"]: r for r in csv.DictReader(f)}


def test_batch_fetches_each_wallet_on_demand(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels = tmp_path / "case"
    labels.mkdir()
    (labels / "broker.yaml").write_text(BROKER_PACK)
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "wallets.csv").write_text(f"address,chain,reference\n{W},ethereum,treasury\n{I1},,intermediary\n"
                                          f"{W},polygon,wrong chain\n")
    args = ["batch", str(tmp_path / "wallets.csv"), "--policy", str(tmp_path / "policy.yaml"), "--labels",
            str(labels)]
    with Anvil.start(chain_id=1) as node:
        build_trace_world(node)
        store = tmp_path / "fresh.duckdb"
        assert main([*args, "--rpc", node.url, "--store", str(store), "--out", str(tmp_path / "out"),
                     "--workers", "2"]) == 0
    with Store(store, read_only=True) as db:  # two workers fetched overlapping addresses: each record once
        assert db.con.execute("SELECT count(*) - count(DISTINCT (chain, tx_hash, locator)) FROM transfers"
                              ).fetchall()[0][0] == 0
    rows = _rows(tmp_path / "out" / "summary.csv")
    assert rows["treasury"]["status"] == "ok" and "broker 1128.57 or more" in rows["treasury"]["flags"]
    assert "broker above the exact figure" not in rows["treasury"]["flags"]  # exact, as from a full store
    assert rows["intermediary"]["status"] == "ok" and "paid the broker directly" in rows["intermediary"]["flags"]
    assert rows["wrong chain"]["status"] == "error"
    assert rows["wrong chain"]["error"].startswith("the RPC endpoint serves chain id 1, not polygon (137)")
    # an endpoint nobody answers: every wallet gets the error in its row, and the batch still completes
    dead = f"http://127.0.0.1:{free_port()}"
    assert main([*args, "--rpc", dead, "--store", str(tmp_path / "other.duckdb"), "--out", str(tmp_path / "o2"),
                 "--timeout", "2"]) == 0
    failed = _rows(tmp_path / "o2" / "summary.csv")
    assert {r["status"] for r in failed.values()} == {"error"}
    assert all("127.0.0.1" in r["error"] for r in failed.values())
