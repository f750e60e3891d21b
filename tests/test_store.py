"""The store file: schema versions, exports that distributed engines can read, and locking."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from trailscan.chains import get_chain
from trailscan.devnet import Anvil
from trailscan.errors import StoreError
from trailscan.ingest import FetchOptions, fetch
from trailscan.sources.evm import EvmSource
from trailscan.sources.rpc import RpcClient
from trailscan.store import SCHEMA_VERSION, Store, merge_ranges, subtract_ranges

from .world import World


def test_range_arithmetic() -> None:
    assert merge_ranges([(5, 9), (1, 3), (4, 4), (20, 30), (25, 40)]) == [(1, 9), (20, 40)]
    assert subtract_ranges(0, 50, [(1, 9), (20, 40)]) == [(0, 0), (10, 19), (41, 50)]
    assert subtract_ranges(10, 15, [(0, 100)]) == []
    assert subtract_ranges(10, 15, []) == [(10, 15)]


def test_new_store_has_current_schema_and_newer_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        assert store.schema_version() == SCHEMA_VERSION
        store.con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="schema version 99, newer than this trailscan"):
        Store(path)


def test_foreign_duckdb_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE stuff (x INTEGER)")
    con.close()
    with pytest.raises(StoreError, match="not a trailscan store"):
        Store(path)


def test_a_store_in_use_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "busy.duckdb"
    Store(path).close()
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb,sys; c=duckdb.connect({str(path)!r}); "
                               "print('ready', flush=True); sys.stdin.read()"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"ready"
        with pytest.raises(StoreError, match="in use by another trailscan process"):
            Store(path)
    finally:
        holder.communicate(b"")


def test_exports_read_back_exactly(tmp_path: Path, world_node: tuple[Anvil, World]) -> None:
    node, world = world_node
    with RpcClient([node.url]) as client, Store(tmp_path / "s.duckdb") as store:
        fetch(store, EvmSource(client, get_chain(31337)), world.watched, options=FetchOptions(to_block=world.head))
        n = store.export_csv("transfers", tmp_path / "transfers.csv")
        store.export_parquet("transfers", tmp_path / "parquet", block_span=10)
        stored = sorted((t.tx_hash, t.locator, str(t.amount)) for t in store.transfers())
    assert n == len(world.transfers)
    con = duckdb.connect()
    from_csv = con.execute(f"SELECT tx_hash, locator, amount FROM read_csv('{tmp_path / 'transfers.csv'}', "
                           "all_varchar=true) ORDER BY ALL").fetchall()
    assert sorted(from_csv) == stored
    files = sorted(p.relative_to(tmp_path / "parquet").parts[:3] for p in (tmp_path / "parquet").rglob("*.parquet"))
    assert files and all(f[0] == "transfers" and f[1] == "chain_part=eip155-31337" for f in files)
    assert {f[2] for f in files} >= {"block_range=0", "block_range=10"}
    glob = tmp_path / "parquet" / "transfers" / "**" / "*.parquet"
    back = con.execute(f"SELECT tx_hash, locator, amount, block_range FROM read_parquet('{glob}', "
                       "hive_partitioning=true)").fetchall()
    assert sorted((a, b, c) for a, b, c, _ in back) == stored
    assert all(int(r) % 10 == 0 for *_, r in back)


def test_an_opening_balance_applies_only_before_the_fetched_history(tmp_path: Path) -> None:
    """A balance read at block b opens an address's history fetched from b + 1; once the history before b is
    fetched too, the records take over; a reorg below b forgets it. Amounts stay exact uint256."""
    from trailscan.store import Batch

    a, usdt, big = "0x" + "ab" * 20, "0x" + "cd" * 20, 2**255 + 7
    with Store(tmp_path / "s.duckdb") as store:
        batch = Batch.empty()
        batch.coverage.append(("logs:from", a, 55, 100, "eth_getLogs"))
        store.write("eip155:1", batch)
        store.put_balances("eip155:1", [(a, usdt, 54, big), (a, "native", 54, 3), (a, usdt, 70, 1)])
        assert store.openings("eip155:1", [a]) == {(a, usdt): (54, big), (a, "native"): (54, 3)}
        assert store.openings("eip155:1", [a], until=54) == {}
        assert store.openings("eip155:2", [a]) == {}
        batch = Batch.empty()
        batch.coverage.append(("logs:from", a, 0, 54, "eth_getLogs"))
        store.write("eip155:1", batch)
        assert store.openings("eip155:1", [a]) == {}
        store.rollback_from("eip155:1", 50)
        assert store.con.execute("SELECT count(*) FROM balances").fetchall()[0][0] == 0
