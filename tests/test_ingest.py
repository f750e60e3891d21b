"""The ingestion job (trailscan.ingest) on a real anvil: exact records of every kind, via every native rung."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from trailscan.chains import get_chain
from trailscan.devnet import Anvil
from trailscan.errors import InputError
from trailscan.ingest import FetchOptions, fetch
from trailscan.model import METHOD_BLOCK_SCAN, METHOD_LOGS, Transfer
from trailscan.sources.evm import EvmSource
from trailscan.sources.evm_native import RUNGS
from trailscan.sources.rpc import RpcClient
from trailscan.store import Store

from .world import ALICE, BIG, BOB, World

LOCAL = get_chain(31337)


@pytest.fixture()
def source(world_node: tuple[Anvil, World]) -> Iterator[EvmSource]:
    node, _ = world_node
    with RpcClient([node.url]) as client:
        yield EvmSource(client, LOCAL)


def _key(t: Transfer) -> tuple[str, str, str, str, str, str, int, int | None]:
    return (t.tx_hash, t.locator, t.kind, t.from_address, t.to_address, t.asset, t.amount, t.token_id)


def _fetch(store: Store, source: EvmSource, world: World, **opts: object) -> dict[str, int]:
    options = FetchOptions(to_block=world.head, **opts)  # type: ignore[arg-type]
    return fetch(store, source, world.watched, options=options).records


def test_records_are_exact_for_every_kind(store: Store, source: EvmSource, world_node: tuple[Anvil, World]) -> None:
    _, world = world_node
    counts = _fetch(store, source, world)
    stored = store.transfers()
    assert sorted(map(_key, stored)) == sorted(world.transfers)
    assert len({(t.tx_hash, t.locator) for t in stored}) == len(stored)
    assert counts == {"erc20": 6, "erc721": 2, "erc1155": 5, "native": 4, "approval": 3}
    approvals = store.approvals()
    assert sorted((a.tx_hash, a.log_index, a.kind, a.owner, a.spender, a.asset, a.amount) for a in approvals) == sorted(
        world.approvals)


def test_failed_and_reverted_value_is_not_recorded(store: Store, source: EvmSource,
                                                   world_node: tuple[Anvil, World]) -> None:
    _, world = world_node
    _fetch(store, source, world)
    assert not [t for t in store.transfers() if t.tx_hash == world.failed_tx]
    reverted = [t for t in store.transfers() if t.tx_hash == world.reverted_internal_tx]
    assert [(t.locator, t.to_address) for t in reverted] == [("call:", world.forwarder)]
    assert store.transfers(world.rejecter) == []


def test_block_data_and_provenance_are_kept(store: Store, source: EvmSource,
                                            world_node: tuple[Anvil, World]) -> None:
    node, world = world_node
    _fetch(store, source, world)
    for t in store.transfers():
        block = node.rpc("eth_getBlockByNumber", hex(t.block_number), False)
        assert t.block_hash == block["hash"]
        assert t.block_time == int(block["timestamp"], 16)
        assert t.chain == "eip155:31337"
        assert t.method == (METHOD_LOGS if t.kind != "native" else "ots_searchTransactions")


def test_token_metadata_exact_amounts_and_odd_tokens(store: Store, source: EvmSource,
                                                     world_node: tuple[Anvil, World]) -> None:
    _, world = world_node
    _fetch(store, source, world)
    tokens = store.tokens(LOCAL.key)
    assert (tokens[world.usdt].symbol, tokens[world.usdt].decimals) == ("USDT", 6)
    assert (tokens[world.mkr].symbol, tokens[world.mkr].decimals) == ("MKR", None)  # bytes32 symbol, no decimals()
    big = [t for t in store.transfers(ALICE, asset=world.big) if t.to_address == ALICE]
    assert [t.amount for t in big] == [BIG]
    assert big[0].display_amount == "57896044618658097711785492504343953926634992332820282019728.792003956564832313"
    usdt_out = store.transfers(ALICE, asset=world.usdt, direction="out")
    assert [(t.amount, t.decimals, t.display_amount) for t in usdt_out] == [(123_456_789, 6, "123.456789"),
                                                                             (1000, 6, "0.001")]


def test_refetch_inserts_nothing_and_skips_covered_ranges(store: Store, source: EvmSource,
                                                         world_node: tuple[Anvil, World]) -> None:
    _, world = world_node
    _fetch(store, source, world)
    before = store.counts()
    methods_before = dict(source.client.stats.methods)
    assert _fetch(store, source, world) == {}
    assert store.counts() == before
    # the second run re-checks unfinalized block hashes but makes no history query at all
    asked = {m for m, n in source.client.stats.methods.items() if n != methods_before.get(m, 0)}
    assert asked == {"eth_chainId", "eth_blockNumber", "eth_getBlockByNumber"}


def test_fetch_in_pieces_equals_fetch_at_once(tmp_path: Path, source: EvmSource,
                                              world_node: tuple[Anvil, World]) -> None:
    _, world = world_node
    with Store(tmp_path / "once.duckdb") as once, Store(tmp_path / "pieces.duckdb") as pieces:
        fetch(once, source, world.watched, options=FetchOptions(to_block=world.head))
        middle = world.head // 2
        fetch(pieces, source, world.watched, options=FetchOptions(from_block=middle, to_block=world.head))
        fetch(pieces, source, world.watched, options=FetchOptions(to_block=middle + 3))
        assert sorted(map(_key, pieces.transfers())) == sorted(map(_key, once.transfers()))
        assert pieces.counts()["transfers"] == once.counts()["transfers"]


@pytest.mark.parametrize("rung", [r.NAME for r in RUNGS])
def test_every_native_rung_finds_the_same_value(rung: str, store: Store, source: EvmSource,
                                                world_node: tuple[Anvil, World]) -> None:
    _, world = world_node
    summary = fetch(store, source, world.watched, options=FetchOptions(to_block=world.head, native_method=rung))
    native = sorted(map(_key, store.transfers(kind="native")))
    expected = sorted(t for t in world.transfers if t[2] == "native")
    if rung == METHOD_BLOCK_SCAN:  # top-level only, and it says so
        expected = [t for t in expected if (t[0], t[1]) not in world.internal]
        assert any("internal transfers not collected" in m for m in summary.missing)
    else:
        assert summary.missing == []
    assert native == expected
    assert {t.method for t in store.transfers(kind="native")} == {rung}


def test_token_wide_fetch_gets_every_transfer_of_the_token(store: Store, source: EvmSource,
                                                           world_node: tuple[Anvil, World]) -> None:
    _, world = world_node
    summary = fetch(store, source, tokens=[world.usdt], options=FetchOptions(to_block=world.head))
    assert summary.records == {"erc20": 3, "approval": 1}
    assert any("no --address" in m for m in summary.missing)


def test_small_ranges_cover_everything(store: Store, source: EvmSource, world_node: tuple[Anvil, World]) -> None:
    _, world = world_node
    fetch(store, source, world.watched, options=FetchOptions(to_block=world.head, initial_range=1, max_range=2,
                                                             native_range=1, flush_rows=3))
    assert sorted(map(_key, store.transfers())) == sorted(world.transfers)


def test_block_by_block_methods_are_bounded(store: Store, source: EvmSource,
                                            world_node: tuple[Anvil, World]) -> None:
    _, world = world_node
    options = FetchOptions(to_block=world.head, native_method=METHOD_BLOCK_SCAN, max_scan_blocks=5)
    with pytest.raises(InputError, match=rf"{world.head + 1} blocks is more than --max-scan-blocks 5"):
        fetch(store, source, world.watched, options=options)
    assert store.counts()["transfers"] == 0


def test_block_by_block_scan_covers_addresses_with_different_gaps(store: Store, source: EvmSource,
                                                                 world_node: tuple[Anvil, World]) -> None:
    _, world = world_node
    middle = world.head // 2
    fetch(store, source, [ALICE], options=FetchOptions(to_block=middle, native_method="trace_block"))
    fetch(store, source, [ALICE, BOB], options=FetchOptions(to_block=world.head, native_method="trace_block"))
    stored = {(t.tx_hash, t.locator) for t in store.transfers(kind="native")}
    expected = {(t[0], t[1]) for t in world.transfers if t[2] == "native"}
    assert expected <= stored  # alice's movements, whichever fetch covered them
    assert all(BOB in (t.from_address, t.to_address) or ALICE in (t.from_address, t.to_address)
               for t in store.transfers(kind="native"))
    assert store.covered(LOCAL.key, ["native"], BOB) == [(0, world.head)]
    assert store.covered(LOCAL.key, ["native"], ALICE) == [(0, world.head)]
