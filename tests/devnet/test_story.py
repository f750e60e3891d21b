"""The story world of issue 9: builds with 10,000+ transfers, its truth matches the chain, its labels load."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from trailscan.devnet import Anvil
from trailscan.devnet.story import (
    PACK,
    TRANSFER_TOPIC,
    Story,
    build_story,
    label_pack,
    load_state,
    save_state,
    start_from_state,
)
from trailscan.errors import TrailscanError
from trailscan.labels import load_labels


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[Anvil, Story]]:
    with Anvil.start(chain_id=1) as node:
        yield node, build_story(node)


def test_at_least_ten_thousand_transfers(world: tuple[Anvil, Story]) -> None:
    node, story = world
    logs = node.rpc("eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest", "topics": [TRANSFER_TOPIC]})
    assert len(logs) >= 10_000
    assert story.transfer_logs == len(logs)
    assert story.noise_transfers >= 10_000


def test_truth_matches_the_chain(world: tuple[Anvil, Story]) -> None:
    node, story = world
    data = json.loads(json.dumps(story.to_json()))
    logs = node.rpc("eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest", "topics": [TRANSFER_TOPIC]})
    seen = {"0x" + topic[-40:] for log in logs for topic in log["topics"][1:3]}
    seen |= {log["address"].lower() for log in logs}
    for trail in data["trails"]:  # the forwarder appears as a transaction's target
        tx = node.rpc("eth_getTransactionByHash", trail["tx_hash"])
        seen |= {tx["from"].lower(), tx["to"].lower()}
    for name, actor in data["actors"].items():
        for address in actor["addresses"]:
            assert address in seen, f"{name}: {address} not in the chain data"
    for trail in data["trails"]:
        receipt = node.receipt(trail["tx_hash"])
        assert receipt is not None and receipt["status"] == "0x1", trail["name"]
        assert set(trail["traced"]) == {"haircut", "poison", "fifo"}
        if trail["asset"] == "ETH":
            tx = node.rpc("eth_getTransactionByHash", trail["tx_hash"])
            assert tx["to"].lower() in (trail["sender"], trail["receiver"]) and int(tx["value"], 16) == int(
                trail["amount"])
            if trail["internal"]:  # the contract's call to the receiver carries the value
                calls = node.rpc("debug_traceTransaction", trail["tx_hash"], {"tracer": "callTracer"})["calls"]
                assert [(c["to"].lower(), int(c["value"], 16)) for c in calls] == [
                    (trail["receiver"], int(trail["amount"]))]
            continue
        moves = [(("0x" + log["topics"][1][-40:]), "0x" + log["topics"][2][-40:], int(log["data"], 16))
                 for log in receipt["logs"] if log["topics"][0] == TRANSFER_TOPIC]
        assert moves == [(trail["sender"], trail["receiver"], int(trail["amount"]))], trail["name"]
    broker = story.trail("intermediary-broker").traced
    assert len(set(broker.values())) == 3  # the time-order trap separates the policies
    for cluster in data["clusters"]:
        assert len(cluster["addresses"]) >= 2 and cluster["evidence"]
        for tx_hash in cluster["evidence"]:
            assert node.receipt(tx_hash)["status"] == "0x1"


def test_planted_figures_follow_the_policies(world: tuple[Anvil, Story]) -> None:
    """Replay the intermediary's and the broker's USDT in time order with trailscan's policies."""
    from fractions import Fraction

    from trailscan.tracing.policies import POLICIES

    _, story = world
    for policy in ("haircut", "poison", "fifo"):
        mid = POLICIES[policy]().state()
        mid.receive(500_000 * 10**6, Fraction(0))
        assert mid.send(300_000 * 10**6) == story.trail("vendor-before").traced[policy]
        mid.receive(600_000 * 10**6, Fraction(600_000 * 10**6))
        carried = mid.send(500_000 * 10**6)
        assert carried == story.trail("intermediary-broker").traced[policy]
        mid.receive(250_000 * 10**6, Fraction(0))
        assert mid.send(110_000 * 10**6) == story.trail("intermediary-okx-deposit").traced[policy]
        broker = POLICIES[policy]().state()
        broker.receive(500_000 * 10**6, carried)
        for name in ("broker-investor-1", "broker-investor-2", "broker-data-centre"):
            assert broker.send(story.trail(name).amount) == story.trail(name).traced[policy]


def test_case_label_pack_names_the_fictional_actors(world: tuple[Anvil, Story]) -> None:
    _, story = world
    assert PACK.read_text() == label_pack()
    labels = load_labels([PACK.parent], include_shipped=True)
    for actor in story.actors.values():
        if actor.fictional and actor.label:
            tags = labels.lookup("eip155:1", actor.addresses[0])
            assert any(t.label == actor.label and "(fictional)" in t.label for t in tags), actor.label
            assert all("fictional" in t.source for t in tags)
    broker = labels.lookup("eip155:1", story.actors["gpu-broker"].addresses[0])
    assert broker[0].category == "gpu-broker"
    assert labels.lookup("eip155:1", story.actors["binance"].addresses[0])  # shipped label still applies


def test_state_round_trip(world: tuple[Anvil, Story], tmp_path: Path) -> None:
    node, story = world
    path = save_state(node, tmp_path / "story.state")
    probes = [a for actor in ("gpu-broker", "intermediary", "data-centre") for a in story.actors[actor].addresses]
    usdt = story.tokens["USDT"]

    def balances(n: Anvil) -> list[str]:
        return [n.rpc("eth_call", {"to": usdt, "data": "0x70a08231" + "0" * 24 + a[2:]}, "latest") for a in probes]

    with start_from_state(path) as fresh:
        assert fresh.block_number() == node.block_number() == story.head_block
        logs = fresh.rpc("eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest", "topics": [TRANSFER_TOPIC]})
        assert len(logs) == story.transfer_logs
        assert balances(fresh) == balances(node)
        assert [fresh.rpc("eth_getBalance", a, "latest") for a in probes] == [
            node.rpc("eth_getBalance", a, "latest") for a in probes]


def test_a_large_state_needs_the_size_limit_lifted(world: tuple[Anvil, Story], tmp_path: Path) -> None:
    node, _ = world
    path = save_state(node, tmp_path / "story.state")
    with Anvil.start(chain_id=1) as plain, pytest.raises(TrailscanError, match="could not load"):
        load_state(plain, path)


def test_trailscan_finds_the_planted_figures(world: tuple[Anvil, Story], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """fetch, cluster and trace from the treasury: the tool's exposure equals the truth under every policy."""
    from trailscan.cli import main

    node, story = world
    store, labels = str(tmp_path / "story.duckdb"), str(PACK.parent)
    names = ("ai-company", "ai-company-deposit", "intermediary", "intermediary-deposit", "gpu-broker",
             "payment-forwarder", "other-client")
    fetch = ["fetch", "--rpc", node.url, "--store", store]
    for address in (a for name in names for a in story.actors[name].addresses):
        fetch += ["--address", address]
    assert main(fetch) == 0
    assert main(["cluster", "--rpc", node.url, "--store", store, "--labels", labels]) == 0
    deposit, okx_deposit = story.actors["ai-company-deposit"].addresses[0], story.actors["intermediary-deposit"]
    for policy in ("haircut", "poison", "fifo"):
        capsys.readouterr()
        assert main(["trace", story.seed, "--store", store, "--labels", labels, "--policy", policy,
                     "--format", "json"]) == 0
        result = json.loads(capsys.readouterr().out)["results"][0]
        ends = {e["node"]: {a["asset"]: int(a["exact_raw"] or a["raw"]) for a in e["amounts"]}
                for e in result["exposure"] + result["unlabeled_endpoints"]}
        broker = story.trail("intermediary-broker")
        assert ends[broker.receiver][broker.asset] == broker.traced[policy]
        assert ends[broker.receiver]["native"] == story.trail("eth-forward").traced[policy]
        assert ends[okx_deposit.addresses[0]][broker.asset] == story.trail("intermediary-okx-deposit").traced[policy]
        entity_deposits = story.trail("treasury-deposit").traced[policy] + story.trail("ops-deposit").traced[policy]
        assert ends[deposit][broker.asset] == entity_deposits
        (intermediary, held), = story.held.items()
        rests = [int(a["exact_raw"] or a["raw"]) for e in result["exposure"] + result["unlabeled_endpoints"]
                 if intermediary in e["addresses"] for a in e["amounts"] if a["asset"] == broker.asset]
        assert sum(rests) == held[policy]
        for name in ("glm-golem", "rndr-escrow"):
            trail = story.trail(name)
            assert ends[trail.receiver][trail.asset] == trail.traced[policy]


def test_truth_round_trips_through_json(world: tuple[Anvil, Story]) -> None:
    _, story = world
    again = Story.from_json(json.loads(json.dumps(story.to_json())))
    assert again == story
    assert again.trail("intermediary-broker").traced["fifo"] == 300_000 * 10**6
