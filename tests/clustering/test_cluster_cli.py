"""Clustering's bad input, the schema-2 upgrade in place, and what fetch now records for ordering and senders."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from trailscan.cli import main
from trailscan.devnet import Anvil
from trailscan.store import SCHEMA_VERSION, Store

from ..world import ALICE, World

UNKNOWN = "0x1111111111111111111111111111111111111111"


@pytest.fixture()
def fetched(world_node: tuple[Anvil, World], tmp_path: Path) -> Path:
    node, _ = world_node
    store = tmp_path / "case.duckdb"
    assert main(["fetch", "--rpc", node.url, "--chain", "31337", "--address", ALICE, "--store", str(store)]) == 0
    return store


@pytest.mark.parametrize(("args", "message"), [
    (["--heuristics", "nope"], "Error: unknown heuristic 'nope'; use one of deposit-reuse, airdrop, "
                               "self-authorization, first-funder, consolidation, program-payment"),
    (["--param", "deposit-reuse.tau=abc"], "Error: deposit-reuse.tau must be a whole number, not 'abc'; "
                                           "most blocks between a deposit and its sweep (default 10000)"),
    (["--param", "deposit-reuse.tau=0"], "Error: deposit-reuse.tau = 0 is out of range; use 1 or more"),
    (["--param", "deposit-reuse.beta=1"], "Error: heuristic deposit-reuse has no parameter 'beta'; its parameters: "
                                          "tau, alpha, token_tolerance, native_decimals"),
    (["--param", "tau"], "Error: --param 'tau' is not HEURISTIC.NAME=VALUE; for example deposit-reuse.tau=3200"),
    (["--param", "airdrop.min_recipients=5", "--heuristics", "deposit-reuse"],
     "Error: parameters given for 'airdrop', which is not selected; add it to --heuristics, or drop its --param"),
    (["--min-confidence", "101"], "Error: --min-confidence 101 is outside 0-100; use 0 to 100"),
    (["--max-size", "1"], "Error: --max-size 1 is too small; use 2 or more"),
    (["--memory-limit", "lots"], "Error: --memory-limit 'lots' is not a memory size; use e.g. 3.5GB or 800MB"),
])
def test_bad_options_get_one_line_and_leave_the_store_untouched(
        fetched: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = fetched.read_bytes()
    capsys.readouterr()
    assert main(["cluster", "--store", str(fetched), *args]) == 1
    err = capsys.readouterr().err
    assert err == message + "\n"
    assert fetched.read_bytes() == before


def test_an_empty_or_missing_store_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none.duckdb"
    assert main(["cluster", "--store", str(missing)]) == 1
    assert capsys.readouterr().err.startswith(f"Error: no store at {missing}; ")
    assert not missing.exists()
    empty = tmp_path / "empty.duckdb"
    Store(empty).close()
    assert main(["cluster", "--store", str(empty)]) == 1
    assert capsys.readouterr().err == (f"Error: the store {empty} holds no transfers to cluster; run 'trailscan fetch' "
                                       "first, or pass --store PATH\n")


def test_show_and_explain_refuse_addresses_not_in_the_store(fetched: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cluster", "show", UNKNOWN, "--store", str(fetched)]) == 1
    assert capsys.readouterr().err == (f"Error: the address {UNKNOWN} is not in the store on any stored chain; "
                                       "fetch it first ('trailscan fetch --address ...'), or check --store and "
                                       "--chain\n")
    assert main(["explain", ALICE, "0x12", "--store", str(fetched)]) == 1
    assert capsys.readouterr().err.startswith("Error: invalid address '0x12'")
    assert main(["cluster", "show", ALICE, "--store", str(fetched)]) == 0
    assert "none (no accepted link)" in capsys.readouterr().out


def test_fetch_records_transaction_order_and_native_senders(fetched: Path, world_node: tuple[Anvil, World]) -> None:
    node, _ = world_node
    with Store(fetched, read_only=True) as db:
        rows = db.con.execute("SELECT tx_hash, locator, kind, from_address, tx_index, tx_from FROM transfers"
                              ).fetchall()
    assert rows
    for tx, locator, kind, sender, tx_index, tx_from in rows:
        receipt = node.receipt(tx)
        assert tx_index == int(receipt["transactionIndex"], 16)
        if kind == "native":
            assert tx_from == receipt["from"].lower()
            if locator == "call:":
                assert tx_from == sender
        else:
            assert tx_from is None  # a log does not name its transaction's sender


def test_a_schema_1_store_upgrades_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)")
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.execute("CREATE TABLE transfers (chain VARCHAR NOT NULL, block_number UBIGINT NOT NULL, block_hash VARCHAR"
                " NOT NULL, block_time BIGINT, tx_hash VARCHAR NOT NULL, locator VARCHAR NOT NULL, kind VARCHAR NOT"
                " NULL, from_address VARCHAR NOT NULL, to_address VARCHAR NOT NULL, asset VARCHAR NOT NULL, token_id"
                " VARCHAR, amount VARCHAR NOT NULL, decimals INTEGER, method VARCHAR NOT NULL)")
    con.execute("CREATE TABLE approvals (chain VARCHAR NOT NULL, block_number UBIGINT NOT NULL, block_hash VARCHAR"
                " NOT NULL, block_time BIGINT, tx_hash VARCHAR NOT NULL, log_index INTEGER NOT NULL, kind VARCHAR NOT"
                " NULL, owner VARCHAR NOT NULL, spender VARCHAR NOT NULL, asset VARCHAR NOT NULL, amount VARCHAR NOT"
                " NULL, method VARCHAR NOT NULL)")
    for ddl in ("CREATE TABLE tokens (chain VARCHAR NOT NULL, address VARCHAR NOT NULL, symbol VARCHAR, name VARCHAR,"
                " decimals INTEGER, PRIMARY KEY (chain, address))",
                "CREATE TABLE blocks (chain VARCHAR NOT NULL, number UBIGINT NOT NULL, hash VARCHAR NOT NULL,"
                " time BIGINT, finalized BOOLEAN NOT NULL, PRIMARY KEY (chain, number))",
                "CREATE TABLE coverage (chain VARCHAR NOT NULL, scope VARCHAR NOT NULL, subject VARCHAR NOT NULL,"
                " lo UBIGINT NOT NULL, hi UBIGINT NOT NULL, method VARCHAR NOT NULL)"):
        con.execute(ddl)
    con.execute("INSERT INTO transfers VALUES ('eip155:1', 5, '0xab', 1, '0xcd', 'log:0', 'erc20', ?, ?, ?, NULL,"
                " '115792089237316195423570985008687907853269984665640564039457584007913129639935', 6, 'eth_getLogs')",
                [ALICE, UNKNOWN, UNKNOWN])
    con.close()
    with Store(path) as db:
        assert db.schema_version() == SCHEMA_VERSION == 4
        assert db.openings("eip155:1", [ALICE]) == {}  # schema 3 added the balances table
        assert db.con.execute("SELECT from_account, to_account FROM transfers").fetchall() == [(None, None)]
        kept = db.transfers(ALICE)
    assert len(kept) == 1 and kept[0].amount == 2**256 - 1
