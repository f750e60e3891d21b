"""Provider limits, faults and kills during a fetch: bisection, retries, and resume with no gap or duplicate."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from trailscan.chains import get_chain
from trailscan.devnet import Anvil
from trailscan.errors import RpcProtocolError
from trailscan.ingest import FetchOptions, fetch
from trailscan.model import Transfer
from trailscan.sources.evm import EvmSource
from trailscan.sources.rpc import RpcClient
from trailscan.store import Store

from .support.faultproxy import (
    ALWAYS,
    FaultProxy,
    garbage,
    http_status,
    max_block_range,
    reset,
    rewrite,
    too_many_results,
)
from .world import ALICE, DEPLOYER, World

LOCAL = get_chain(31337)
TRAILSCAN = [sys.executable, "-c", "import sys; from trailscan.cli import main; sys.exit(main())"]


def _key(t: Transfer) -> tuple[str, str, str, str, str, str, int, int | None]:
    return (t.tx_hash, t.locator, t.kind, t.from_address, t.to_address, t.asset, t.amount, t.token_id)


def test_provider_limits_are_bisected_and_regrown(node: Anvil, store: Store) -> None:
    token = node.deploy("Token")
    node.call(DEPLOYER, token, "mint(address,uint256)", ["address", "uint256"], [DEPLOYER, 10**30])
    expected = 0
    for _ in range(40):  # 40 transfers spread over ~400 blocks
        node.call(DEPLOYER, token, "transfer(address,uint256)", ["address", "uint256"], [ALICE, 1])
        expected += 1
        node.mine(9)
    with FaultProxy(node.url) as proxy:
        proxy.add(max_block_range(50))
        proxy.add(too_many_results(6))
        with RpcClient([proxy.url], backoff_base=0.01) as client:
            summary = fetch(store, EvmSource(client, LOCAL), [ALICE], options=FetchOptions(native=False))
        spans = [(int(f["toBlock"], 16) - int(f["fromBlock"], 16) + 1) for [f] in proxy.params("eth_getLogs")]
        refused = [s.fired for s in proxy.requests("eth_getLogs")]
    assert summary.records == {"erc20": expected}
    assert [t.amount for t in store.transfers(ALICE)] == [1] * expected
    assert any(refused), "the provider limits never triggered"
    assert max(spans) > 50 and min(spans) < 50
    small = spans.index(min(spans))
    assert max(spans[small:]) > min(spans), "ranges never grew back after successes"


def test_transient_faults_do_not_change_the_result(tmp_path: Path, world_node: tuple[Anvil, World]) -> None:
    node, world = world_node
    with FaultProxy(node.url) as proxy:
        proxy.add(http_status(429, retry_after=0.05, method="eth_getLogs"))
        proxy.add(http_status(503, method="eth_getLogs", nth=2))
        proxy.add(reset(method="eth_getLogs", nth=3))
        proxy.add(garbage(method="ots_searchTransactionsBefore"))
        with RpcClient([proxy.url], backoff_base=0.01) as client, Store(tmp_path / "s.duckdb") as store:
            summary = fetch(store, EvmSource(client, LOCAL), world.watched, options=FetchOptions(to_block=world.head))
            assert sorted(map(_key, store.transfers())) == sorted(world.transfers)
    assert summary.retries >= 4


def _run_fetch(url: str, store: Path, head: int) -> subprocess.Popen[bytes]:
    args = [*TRAILSCAN, "fetch", "--rpc", url, "--chain", "31337", "-a", ALICE, "--to-block", str(head),
            "--max-range", "2", "--batch-rows", "2", "--rps", "60", "--store", str(store)]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONHASHSEED": "0"})


def test_kill_at_random_points_then_resume(tmp_path: Path, world_node: tuple[Anvil, World]) -> None:
    node, world = world_node
    path = tmp_path / "killed.duckdb"
    seed = int(time.time())
    rng = random.Random(seed)
    kills = 0
    for _ in range(4):
        proc = _run_fetch(node.url, path, world.head)
        try:
            proc.wait(timeout=rng.uniform(0.8, 2.5))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
    final = _run_fetch(node.url, path, world.head)
    _, err = final.communicate(timeout=120)
    assert final.returncode == 0, err.decode()
    assert kills >= 1, f"no run was killed (seed {seed})"
    with Store(path, read_only=True) as store:
        stored = store.transfers()
        assert sorted(map(_key, stored)) == sorted(t for t in world.transfers if ALICE in (t[3], t[4])), seed
        assert len({(t.tx_hash, t.locator) for t in stored}) == len(stored), f"duplicates (seed {seed})"
        assert sorted((a.tx_hash, a.log_index) for a in store.approvals()) == sorted(
            (a[0], a[1]) for a in world.approvals)


@pytest.mark.parametrize("times", [ALWAYS])
def test_dead_provider_mid_fetch_keeps_committed_work(tmp_path: Path, world_node: tuple[Anvil, World],
                                                      times: int | None) -> None:
    node, world = world_node
    path = tmp_path / "dead.duckdb"
    with FaultProxy(node.url) as proxy:
        proxy.add(reset(method="eth_getLogs", nth=5, times=times))  # the 5th of ~16 batched range requests
        with RpcClient([proxy.url], backoff_base=0.01, max_retries=1) as client, Store(path) as store:
            source = EvmSource(client, LOCAL)
            options = FetchOptions(to_block=world.head, max_range=2, initial_range=2, flush_rows=1,
                                   flush_seconds=0)
            with pytest.raises(Exception, match="RPC endpoint"):
                fetch(store, source, world.watched, options=options)
            partial = store.counts()["coverage"]
            assert partial > 0
        proxy.clear()
        with RpcClient([proxy.url]) as client, Store(path) as store:
            fetch(store, EvmSource(client, LOCAL), world.watched, options=FetchOptions(to_block=world.head))
            assert sorted(map(_key, store.transfers())) == sorted(world.transfers)


def test_a_lying_node_is_refused_and_the_store_kept(tmp_path: Path, world_node: tuple[Anvil, World]) -> None:
    node, world = world_node
    path = tmp_path / "lied.duckdb"
    with RpcClient([node.url]) as client, Store(path) as store:
        fetch(store, EvmSource(client, LOCAL), world.watched, options=FetchOptions(to_block=world.head // 2))
        before = sorted(map(_key, store.transfers()))

    def shift(_request: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        for log in answer.get("result") or []:
            log["blockNumber"] = hex(int(log["blockNumber"], 16) + 10_000)  # a log from outside the range
        return answer

    with FaultProxy(node.url) as proxy:
        proxy.add(rewrite(shift, method="eth_getLogs", times=ALWAYS))
        with RpcClient([proxy.url], backoff_base=0.01) as client, Store(path) as store:
            with pytest.raises(RpcProtocolError, match=r"answered a log in block \d+, outside"):
                fetch(store, EvmSource(client, LOCAL), world.watched, options=FetchOptions(to_block=world.head))
            assert sorted(map(_key, store.transfers())) == before
