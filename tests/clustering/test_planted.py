"""Clustering on a real anvil against planted ground truth: precision 1.0 with the traps, recall >= 0.9."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from trailscan.cli import main
from trailscan.devnet import Anvil
from trailscan.store import Store

from ..cluster_world import EXCHANGE_PACK, TAU, ClusterWorld, addr, build_cluster_world

PARAMS = ["--param", f"deposit-reuse.tau={TAU}", "--param", "airdrop.min_recipients=20"]


@pytest.fixture(scope="module")
def clustered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Anvil, ClusterWorld, Path, Path]]:
    """The world fetched (only the wallets an analyst would fetch) and clustered through the CLI with --rpc."""
    base = tmp_path_factory.mktemp("cluster")
    labels = base / "case-labels"
    labels.mkdir()
    with Anvil.start(chain_id=1) as node:
        world = build_cluster_world(node)
        (labels / "exchange.yaml").write_text(EXCHANGE_PACK.format(address=world.exchange_contract))
        (labels / "customer.yaml").write_text(EXCHANGE_PACK.replace("category: exchange", "category: other").replace(
            "Example on-chain exchange", "Example customer").replace("example-exchange", "example-customer").format(
            address=addr("a1")))
        # a second, disagreeing attribution of the same entity: a conflict to report, never to resolve
        firm = EXCHANGE_PACK.replace("category: exchange", "category: organization")
        (labels / "other.yaml").write_text(firm.replace("Example on-chain exchange", "Example trading firm").replace(
            "example-exchange", "example-firm").format(address=addr("y2")))
        store = base / "case.duckdb"
        fetch = ["fetch", "--rpc", node.url, "--store", str(store)]
        for a in world.fetched:
            fetch += ["--address", a]
        assert main(fetch) == 0
        assert main(["cluster", "--rpc", node.url, "--store", str(store), "--labels", str(labels), *PARAMS,
                     "--format", "json"]) == 0
        yield node, world, store, labels


def _clusters(store: Path) -> dict[str, set[str]]:
    with Store(store, read_only=True) as db:
        rows = db.con.execute("SELECT cluster_id, address FROM clusters").fetchall()
    out: dict[str, set[str]] = {}
    for cid, a in rows:
        out.setdefault(cid, set()).add(a)
    return out


def _pairs(groups: list[set[str]], within: set[str]) -> set[frozenset[str]]:
    return {frozenset(p) for g in groups for p in itertools.combinations(sorted(g & within), 2)}


def test_precision_and_recall_against_the_planted_truth(clustered: tuple[Anvil, ClusterWorld, Path, Path]) -> None:
    _, world, store, _ = clustered
    truth = _pairs(world.entities, world.planted)
    found = _pairs(list(_clusters(store).values()), world.planted)
    true_positive = len(truth & found)
    precision = true_positive / len(found) if found else 0.0
    recall = true_positive / len(truth)
    assert precision == 1.0, sorted(map(sorted, found - truth))
    assert recall >= 0.9, sorted(map(sorted, truth - found))
    for name, apart in world.traps.items():
        for x, y in itertools.combinations(apart, 2):
            assert frozenset((x, y)) not in found, name


def test_deposit_addresses_are_labeled_with_their_exchange_and_never_merged(
        clustered: tuple[Anvil, ClusterWorld, Path, Path]) -> None:
    _, world, store, _ = clustered
    with Store(store, read_only=True) as db:
        derived = {a: (label, cat, json.loads(ev)) for a, label, cat, ev in db.con.execute(
            "SELECT address, label, category, evidence FROM derived_labels").fetchall()}
        clustered_addresses = {a for (a,) in db.con.execute("SELECT address FROM clusters").fetchall()}
    for deposit, exchange in world.deposits.items():
        label, category, evidence = derived[deposit]
        assert category == "exchange-deposit"
        assert label.startswith("deposit address of ")
        assert [e["role"] for e in evidence] == ["deposit", "sweep"]
        assert evidence[1]["to"] == exchange
        assert deposit not in clustered_addresses
    assert world.exchange not in clustered_addresses
    assert "Example on-chain exchange (fictional)" in derived[addr("deposit 5")][0]


def test_refused_links_name_their_guard(clustered: tuple[Anvil, ClusterWorld, Path, Path]) -> None:
    _, _, store, _ = clustered
    with Store(store, read_only=True) as db:
        reviews = db.con.execute("SELECT a, b, heuristic, status, reason FROM link_reviews").fetchall()
    vault = addr("vault contract")
    refused = [r for r in reviews if vault in (r[0], r[1])]
    assert refused and all(r[3] == "refused" and r[4] == f"contract: {vault} is a contract" for r in refused)
    assert not [r for r in reviews if r[3] == "pending"]  # --rpc read every code status it needed


def test_explain_prints_the_evidence_chain(clustered: tuple[Anvil, ClusterWorld, Path, Path],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    _, _, store, _ = clustered
    capsys.readouterr()
    assert main(["explain", addr("a2"), addr("a3"), "--store", str(store), "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)["results"][0]
    assert result["linked"] is True
    steps = result["steps"]
    assert [s["heuristic"] for s in steps] == ["deposit-reuse", "deposit-reuse"]
    assert steps[0]["from"] == addr("a2") and steps[-1]["to"] == addr("a3")
    assert steps[0]["params"]["tau"] == TAU
    amounts = {(e["role"], e["amount"]) for s in steps for e in s["evidence"]}
    assert ("deposit", str(500 * 10**6)) in amounts and ("deposit", str(10**18)) in amounts
    assert main(["explain", addr("q1"), addr("q2"), "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert out == f"not linked: {addr('q1')} has no link to any address (no heuristic found evidence for it)\n"


def test_cluster_show_inherits_labels_with_the_link_as_evidence(clustered: tuple[Anvil, ClusterWorld, Path, Path],
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _, _, store, labels = clustered
    capsys.readouterr()
    assert main(["cluster", "show", addr("a3"), "--store", str(store), "--labels", str(labels),
                 "--format", "json"]) == 0
    view = json.loads(capsys.readouterr().out)["results"][0]
    assert view["size"] == 3 and set(view["members"]) == {addr("a1"), addr("a2"), addr("a3")}
    inherited = [lab for lab in view["labels"] if lab["how"] == "via-cluster"]
    assert [lab["label"] for lab in inherited] == ["Example customer (fictional)"]
    assert inherited[0]["confidence"] == 90 * 80 // 100  # the tag's confidence times the weakest link's
    assert inherited[0]["path"][0]["heuristic"] == "deposit-reuse"
    assert view["evidence"] == {"deposit-reuse": 2}


def test_ids_are_stable_and_a_failed_run_keeps_the_previous_clusters(
        clustered: tuple[Anvil, ClusterWorld, Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    _, _, store, labels = clustered
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(store.read_bytes())
    before = _clusters(copy)
    with Store(copy, read_only=True) as db:
        runs = db.con.execute("SELECT count(*) FROM cluster_runs").fetchall()[0][0]
    # the same data, labels and settings: nothing is recomputed
    capsys.readouterr()
    assert main(["cluster", "--store", str(copy), "--labels", str(labels), *PARAMS, "--format", "json"]) == 0
    assert "nothing changed since run 1" in json.loads(capsys.readouterr().out)["results"][0]["notes"][-1]
    # other settings: everything is derived again, and every cluster keeps its id
    assert main(["cluster", "--store", str(copy), "--labels", str(labels), *PARAMS, "--min-confidence", "10"]) == 0
    assert _clusters(copy) == before
    with Store(copy, read_only=True) as db:
        assert db.con.execute("SELECT count(*) FROM cluster_runs").fetchall()[0][0] == runs + 1

    import trailscan.clustering.engine as engine

    def broken(*args: object) -> None:
        raise RuntimeError("disk gone")

    monkeypatch.setattr(engine, "_commit", broken)
    with pytest.raises(RuntimeError):
        main(["cluster", "--store", str(copy), "--labels", str(labels), *PARAMS, "--min-confidence", "20"])
    assert _clusters(copy) == before


def test_an_unlimited_allowance_links_owner_and_spender(clustered: tuple[Anvil, ClusterWorld, Path, Path]) -> None:
    _, _, store, _ = clustered
    found = _pairs(list(_clusters(store).values()), {addr("o2"), addr("s2")})
    assert found == {frozenset((addr("o2"), addr("s2")))}


def test_conflicting_labels_inside_a_cluster_are_reported(clustered: tuple[Anvil, ClusterWorld, Path, Path],
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    _, _, store, labels = clustered
    extra = labels.parent / "conflict-labels"
    extra.mkdir(exist_ok=True)
    (extra / "y1.yaml").write_text(EXCHANGE_PACK.replace("category: exchange", "category: user").replace(
        "Example on-chain exchange", "Example private wallet").replace("example-exchange", "example-person").format(
        address=addr("y1")))
    capsys.readouterr()
    assert main(["cluster", "show", addr("y1"), "--store", str(store), "--labels", str(labels), "--labels",
                 str(extra), "--format", "json"]) == 0
    view = json.loads(capsys.readouterr().out)["results"][0]
    assert set(view["members"]) == {addr("y1"), addr("y2")}
    assert view["conflicts"] == [
        "members carry labels of different categories: organization, user",
        "members are attributed to different actors: example-firm, example-person",
    ]
    assert {(lab["label"], lab["how"]) for lab in view["labels"]} == {
        ("Example private wallet (fictional)", "direct"), ("Example trading firm (fictional)", "via-cluster")}
