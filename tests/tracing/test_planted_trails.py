"""Tracing on a real anvil: planted trails with exact expected exposure under haircut, poison and FIFO."""

from __future__ import annotations

import json
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from trailscan.cli import main
from trailscan.devnet import Anvil

from ..trace_world import (
    BINANCE_14,
    BROKER,
    BROKER_PACK,
    DEPOSIT,
    ETH,
    FORWARDER,
    GLM,
    GOLEM_LOCK,
    HUB,
    HUB_LIMIT,
    I1,
    OFAC_LISTED,
    R1,
    R2,
    REJECTER,
    S1,
    S2,
    S3,
    USD,
    USDT,
    H,
    M,
    P,
    T,
    TraceWorld,
    W,
    X,
    addr,
    build_trace_world,
)

FETCHED = [W, I1, DEPOSIT, T, S1, S2, S3, M, H, HUB, FORWARDER, R1, R2]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Anvil, TraceWorld, Path, Path]]:
    """The trails, fetched for every address on them and clustered (which labels the deposit address)."""
    base = tmp_path_factory.mktemp("trace")
    labels = base / "case-labels"
    labels.mkdir()
    (labels / "broker.yaml").write_text(BROKER_PACK)
    with Anvil.start(chain_id=1) as node:
        w = build_trace_world(node)
        store = base / "case.duckdb"
        fetch = ["fetch", "--rpc", node.url, "--store", str(store)]
        for a in FETCHED:
            fetch += ["--address", a]
        assert main(fetch) == 0
        assert main(["cluster", "--rpc", node.url, "--store", str(store), "--labels", str(labels)]) == 0
        yield node, w, store, labels


def _trace(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["trace", *args, "--format", "json"]) == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out)["results"][0]
    return result


def _exact(amount: dict[str, Any]) -> Fraction:
    return Fraction(amount["exact_raw"]) if amount["exact_raw"] else Fraction(int(amount["raw"]))


def _by_node(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["node"]: e for e in result["exposure"] + result["unlabeled_endpoints"]}


def _amount(endpoint: dict[str, Any], asset: str) -> Fraction:
    return sum((_exact(a) for a in endpoint["amounts"] if a["asset"] == asset), Fraction(0))


@pytest.mark.parametrize("policy", ["haircut", "poison", "fifo"])
def test_exact_exposure_under_each_policy(world: tuple[Anvil, TraceWorld, Path, Path], policy: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    _, w, store, labels = world
    result = _trace(capsys, W, "--store", str(store), "--labels", str(labels), "--policy", policy,
                    "--hub-limit", str(HUB_LIMIT))
    ends = _by_node(result)
    broker = ends[BROKER]
    assert broker["category"] == "gpu-broker" and broker["actor"] == "example-gpu-broker"
    assert _amount(broker, USDT) == w.broker_usdt(policy)
    assert _amount(broker, "native") == Fraction(3 * ETH, 2)
    assert broker["min_hops"] == 2 and broker["stopped_because"] == "service"
    deposit = ends[DEPOSIT]
    assert (deposit["category"], deposit["actor"], deposit["min_hops"]) == ("exchange-deposit", "binance", 2)
    assert _amount(deposit, USDT) == 300 * USD
    assert deposit["labels"][0]["how"] == "derived" and w.txs["sweep"] in deposit["labels"][0]["source"]
    golem = ends[GOLEM_LOCK]
    assert (golem["category"], golem["direct"], _amount(golem, GLM)) == ("gpu-marketplace", True, 25 * ETH)
    ofac = ends[OFAC_LISTED]
    assert (ofac["category"], ofac["min_hops"], _amount(ofac, USDT)) == ("sanctioned", 4, 200 * USD)
    assert (ends[HUB]["stopped_because"], _amount(ends[HUB], USDT)) == ("hub", 50 * USD)
    assert _amount(ends[FORWARDER], "native") == ETH // 2  # the reverted leg stays in the contract
    reached = {h[k] for e in ends.values() for p in e["paths"] for h in p for k in ("from", "to")} | set(ends)
    for never in (P, X, REJECTER, BINANCE_14, addr("hub customer 0")):
        assert never not in reached
    # every hop of every path carries value forward in time, from the wallet to the endpoint
    for e in ends.values():
        for path in e["paths"]:
            assert path[0]["from"] == W and path[-1]["to"] in e["addresses"]
            blocks = [h["block"] for h in path]
            assert blocks == sorted(blocks)
    groups = {(g["actor"], g["category"]): g for g in result["by_actor"]}
    broker_group = groups[("example-gpu-broker", "gpu-broker")]
    assert broker_group["endpoints"] == 1 and broker_group["amounts"] == broker["amounts"]
    assert groups[("binance", "exchange-deposit")]["usd"] == "300"
    tx_hashes = {h["tx_hash"] for p in broker["paths"] for h in p}
    assert {w.txs["w-i1"], w.txs["i1-broker"]} <= tx_hashes


def test_the_three_policies_disagree_exactly_on_the_time_order_trap(
        world: tuple[Anvil, TraceWorld, Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, _, store, labels = world
    figures = {}
    for policy in ("haircut", "poison", "fifo"):
        result = _trace(capsys, W, "--store", str(store), "--labels", str(labels), "--policy", policy)
        figures[policy] = _amount(_by_node(result)[BROKER], USDT)
    assert figures == {"haircut": Fraction(700 + Fraction(3000, 7)) * USD, "poison": 1200 * USD,
                       "fifo": 1100 * USD}


def test_a_trace_in_mirrors_time(world: tuple[Anvil, TraceWorld, Path, Path],
                                 capsys: pytest.CaptureFixture[str]) -> None:
    _, _, store, labels = world
    result = _trace(capsys, BROKER, "--store", str(store), "--labels", str(labels), "--direction", "in",
                    "--hops", "2")
    ends = _by_node(result)
    # the broker's 700 from I1 and 500 from T both go back to the treasury; T's earlier funder gets nothing
    assert _amount(ends[W], USDT) == 1200 * USD
    assert X not in ends
    assert _amount(ends[FORWARDER], "native") == Fraction(3 * ETH, 2)


def test_on_demand_fetch_from_the_wallet_alone(world: tuple[Anvil, TraceWorld, Path, Path], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    node, w, _, labels = world
    store = tmp_path / "fresh.duckdb"
    result = _trace(capsys, W, "--rpc", node.url, "--store", str(store), "--labels", str(labels),
                    "--hub-limit", str(HUB_LIMIT))
    ends = _by_node(result)
    assert _amount(ends[BROKER], USDT) == w.broker_usdt("haircut")
    # without a cluster run the deposit address is an ordinary hop: the exchange itself is reached
    assert ends[BINANCE_14]["category"] == "exchange" and _amount(ends[BINANCE_14], USDT) == 300 * USD
    assert ends[HUB]["stopped_because"] == "hub"
    reads = {r["address"]: r for r in result["manifest"]["reads"]}
    assert reads[T]["from_block"] > 0  # T is read from the block the traced value reached it
    assert any("opening balance" in c for c in result["coverage"])
    # a second trace reuses the checkpoints: nothing new to fetch
    again = _trace(capsys, W, "--rpc", node.url, "--store", str(store), "--labels", str(labels),
                   "--hub-limit", str(HUB_LIMIT))
    assert _by_node(again)[BROKER]["amounts"] == ends[BROKER]["amounts"]
    assert again["manifest"]["requests"] < result["manifest"]["requests"]


def test_entities_are_one_node_and_name_their_cluster(world: tuple[Anvil, TraceWorld, Path, Path],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    _, _, store, labels = world
    by_entity = _trace(capsys, W, "--store", str(store), "--labels", str(labels))
    (reseller,) = [e for e in by_entity["unlabeled_endpoints"] if R1 in e["addresses"]]
    assert reseller["addresses"] == sorted([R1, R2]) and reseller["cluster"] == reseller["node"]
    assert reseller["cluster_evidence"] == {"self-authorization": 1}
    assert (_amount(reseller, USDT), reseller["min_hops"]) == (50 * USD, 1)  # the move inside is no hop
    by_address = _by_node(_trace(capsys, W, "--store", str(store), "--labels", str(labels), "--addresses"))
    assert _amount(by_address[R1], USDT) == 20 * USD
    assert _amount(by_address[R2], USDT) == 30 * USD  # 20 paid to it, 10 drawn from R1's traced 30


def test_an_index_gives_the_same_trace_as_the_store(world: tuple[Anvil, TraceWorld, Path, Path]) -> None:
    from trailscan.labels import load_labels
    from trailscan.store import Store
    from trailscan.tracing import TraceIndex, TraceOptions, trace

    _, _, store, labels = world
    known = load_labels([labels])
    with Store(store, read_only=True) as db:
        index = TraceIndex(db, "eip155:1")
        for policy in ("haircut", "fifo"):
            for direction in ("out", "in"):
                opts = TraceOptions(policy=policy, direction=direction, hub_limit=HUB_LIMIT)
                wallet = W if direction == "out" else BROKER
                plain = trace(db, known, "eip155:1", wallet, opts).as_dict()
                fast = trace(db, known, "eip155:1", wallet, opts, index=index).as_dict()
                for result in (plain, fast):
                    result["query"].pop("elapsed_s")
                assert fast == plain


def test_the_request_budget_stops_the_frontier_and_says_where(world: tuple[Anvil, TraceWorld, Path, Path],
                                                               tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    node, _, _, labels = world
    store = tmp_path / "budget.duckdb"
    result = _trace(capsys, W, "--rpc", node.url, "--store", str(store), "--labels", str(labels), "--budget", "1")
    (note,) = [c for c in result["coverage"] if "request budget (1) ran out" in c]
    assert I1 in note and T in note  # the wallet's payees were reached but not fetched
    assert {r["address"] for r in result["manifest"]["reads"]} == {W}
    assert _by_node(result)[I1]["stopped_because"] == "unfetched"


@pytest.mark.parametrize("policy", ["haircut", "fifo"])
def test_opening_balances_outlive_the_on_demand_trace(world: tuple[Anvil, TraceWorld, Path, Path], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str], policy: str) -> None:
    """A trace from the store after an on-demand one (and after clustering) starts each partly fetched address
    from the opening balance read then, not from an empty holding: the broker's share stays the same."""
    node, w, _, labels = world
    store = tmp_path / "fresh.duckdb"
    args = ("--store", str(store), "--labels", str(labels), "--hub-limit", str(HUB_LIMIT), "--policy", policy)
    first = _trace(capsys, W, "--rpc", node.url, *args)
    assert _amount(_by_node(first)[BROKER], USDT) == w.broker_usdt(policy)
    offline = _trace(capsys, W, *args)
    assert _amount(_by_node(offline)[BROKER], USDT) == w.broker_usdt(policy)
    assert main(["cluster", "--rpc", node.url, "--store", str(store), "--labels", str(labels)]) == 0
    clustered = _trace(capsys, W, "--rpc", node.url, *args)
    assert _amount(_by_node(clustered)[BROKER], USDT) == w.broker_usdt(policy)
