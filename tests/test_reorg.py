"""Reorgs: records above the finality point are re-checked by block hash; replaced ones are removed."""

from __future__ import annotations

from trailscan.chains import get_chain
from trailscan.devnet import Anvil
from trailscan.ingest import fetch
from trailscan.sources.evm import EvmSource
from trailscan.sources.rpc import RpcClient
from trailscan.store import Store

from .world import ALICE, BOB, DEPLOYER

LOCAL = get_chain(31337)


def _mint(node: Anvil, token: str, to: str, amount: int) -> str:
    return node.call(DEPLOYER, token, "mint(address,uint256)", ["address", "uint256"], [to, amount])


def test_reorged_records_are_replaced(node: Anvil, store: Store) -> None:
    token = node.deploy("Token")
    kept = _mint(node, token, ALICE, 1)
    snapshot = node.rpc("evm_snapshot")
    orphaned = _mint(node, token, ALICE, 100)
    orphan_block = int(node.receipt(orphaned)["blockNumber"], 16)
    with RpcClient([node.url]) as client:
        source = EvmSource(client, LOCAL)
        fetch(store, source, [ALICE])
        assert {t.tx_hash for t in store.transfers(ALICE)} == {kept, orphaned}

        assert node.rpc("evm_revert", snapshot) is True
        replacement = node.call(DEPLOYER, token, "transfer(address,uint256)", ["address", "uint256"], [BOB, 0])
        node.send(BOB, ALICE, value=5)  # same height, different block: a new hash at orphan_block
        node.mine(2)
        assert node.rpc("eth_getBlockByNumber", hex(orphan_block), False)["hash"] != store.block_times(
            LOCAL.key, [orphan_block])[orphan_block][0]

        summary = fetch(store, source, [ALICE])
    assert orphan_block in summary.reorged_blocks
    hashes = {t.tx_hash for t in store.transfers(ALICE)}
    assert orphaned not in hashes and kept in hashes
    assert replacement not in hashes  # the replacement block's token transfer does not involve alice
    native = store.transfers(ALICE, kind="native")
    assert [(t.from_address, t.amount) for t in native] == [(BOB, 5)]
    for t in store.transfers():
        assert t.block_hash == node.rpc("eth_getBlockByNumber", hex(t.block_number), False)["hash"]


def test_finalized_blocks_are_not_rechecked(node: Anvil, store: Store) -> None:
    token = node.deploy("Token")
    _mint(node, token, ALICE, 7)
    node.mine(100)  # anvil's finalized block trails the head by 64
    with RpcClient([node.url]) as client:
        source = EvmSource(client, LOCAL)
        fetch(store, source, [ALICE])
        finalized = source.finalized(source.head())
        assert all(n > finalized for n, _ in store.unfinalized_blocks(LOCAL.key))
        assert store.block_times(LOCAL.key, [2])  # the mint's block is stored, and finalized
        assert 2 not in dict(store.unfinalized_blocks(LOCAL.key))
