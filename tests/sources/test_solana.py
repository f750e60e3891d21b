"""The Solana source against a loopback server answering in Solana's JSON-RPC wire format (jsonParsed)."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import base58
import pytest

from trailscan.chains import get_chain
from trailscan.cli import main
from trailscan.errors import RpcChainMismatch, RpcProtocolError
from trailscan.sources.base import open_source
from trailscan.sources.rpc import JsonRpcError, RpcClient
from trailscan.sources.solana import MAINNET_GENESIS, SYSTEM_PROGRAM, TOKEN_PROGRAMS, SolanaSource
from trailscan.store import Store

from ..support.replay import Replay, RpcFault

NOS = "nosXBVoaCTtYdLvKY6Csb4AC8JCdQKKAaWYtx2ZMoo7"  # Nosana's NOS mint (6 decimals)
USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"


def key(name: str) -> str:
    """A fictional account: base58 of a name's sha256; no one holds its key."""
    return base58.b58encode(hashlib.sha256(f"trailscan-solana:{name}".encode()).digest()).decode()


def sig(name: str) -> str:
    return base58.b58encode(hashlib.sha512(name.encode()).digest()).decode()


RENTER, HOST, PAYER = key("renter"), key("gpu host"), key("fee payer")
RENTER_NOS, HOST_NOS, RENTER_USDC, HOST_USDC = key("renter nos"), key("host nos"), key("renter usdc"), key("host usdc")
PROGRAM = key("a marketplace program")
NOSANA_JOBS = "nosJhNRqr2bc9g1nfGDcXXTXvYUmxD4cVwy2pMWhrYM"  # labeled gpu-marketplace in the shipped labels
VAULT, VAULT_NOS = key("a job's escrow vault (program-derived)"), key("the vault's NOS account")


def _keys(*accounts: str) -> list[dict[str, Any]]:
    return [{"pubkey": a, "signer": i == 0, "source": "transaction", "writable": True} for i, a in enumerate(accounts)]


def _balance(index: int, mint: str, owner: str, amount: int, decimals: int, program: str) -> dict[str, Any]:
    return {"accountIndex": index, "mint": mint, "owner": owner, "programId": program,
            "uiTokenAmount": {"amount": str(amount), "decimals": decimals, "uiAmount": amount / 10**decimals,
                              "uiAmountString": str(amount / 10**decimals)}}


def _system(source: str, destination: str, lamports: int) -> dict[str, Any]:
    return {"parsed": {"info": {"destination": destination, "lamports": lamports, "source": source},
                       "type": "transfer"}, "program": "system", "programId": SYSTEM_PROGRAM, "stackHeight": None}


BASE_TIME = [1_700_000_000]  # block time of slot 0 (a test may move the world in time)


def _tx(slot: int, signature: str, keys: list[str], instructions: list[dict[str, Any]], *,
        inner: list[dict[str, Any]] | None = None, balances: list[dict[str, Any]] | None = None,
        err: Any = None) -> dict[str, Any]:
    return {"blockTime": BASE_TIME[0] + slot, "slot": slot, "version": 0,
            "meta": {"err": err, "fee": 5000, "status": {"Ok": None} if err is None else {"Err": err},
                     "innerInstructions": inner or [], "logMessages": [], "preBalances": [0] * len(keys),
                     "postBalances": [0] * len(keys), "preTokenBalances": balances or [],
                     "postTokenBalances": balances or [], "rewards": [], "computeUnitsConsumed": 1000},
            "transaction": {"signatures": [signature],
                            "message": {"accountKeys": _keys(*keys), "instructions": instructions,
                                        "recentBlockhash": key(f"blockhash {slot}")}}}


def _world() -> tuple[dict[str, dict[str, Any]], dict[str, list[tuple[str, int, Any]]]]:
    """Transactions by signature, and each account's signature list (newest first, as the node gives them)."""
    txs: dict[str, dict[str, Any]] = {}
    # 1. the renter pays the host 2 SOL (system transfer, outer instruction)
    txs[sig("sol")] = _tx(100, sig("sol"), [RENTER, HOST, SYSTEM_PROGRAM], [_system(RENTER, HOST, 2 * 10**9)])
    # 2. a marketplace program pays the renter's NOS account back inside a CPI: an inner `transfer` (no mint in
    #    the instruction: it comes from the token balances), the receiving wallet named only by its token account
    cpi = {"parsed": {"info": {"amount": str(2**70 + 1), "authority": PROGRAM, "destination": RENTER_NOS,
                               "source": HOST_NOS}, "type": "transfer"},
           "program": "spl-token", "programId": TOKEN_PROGRAMS[0], "stackHeight": 2}
    txs[sig("refund")] = _tx(
        120, sig("refund"), [PAYER, HOST_NOS, RENTER_NOS, PROGRAM, TOKEN_PROGRAMS[0]],
        [{"accounts": [HOST_NOS, RENTER_NOS], "data": "3Bxs4h24hBtQy9rw", "programId": PROGRAM, "stackHeight": None}],
        inner=[{"index": 0, "instructions": [cpi]}],
        balances=[_balance(1, NOS, HOST, 10**30, 6, TOKEN_PROGRAMS[0]),
                  _balance(2, NOS, RENTER, 10**30, 6, TOKEN_PROGRAMS[0])])
    # 3. the renter pays the host USDC with Token-2022 transferChecked (outer)
    checked = {"parsed": {"info": {"authority": RENTER, "destination": HOST_USDC, "mint": USDC,
                                   "source": RENTER_USDC,
                                   "tokenAmount": {"amount": "1500000", "decimals": 6, "uiAmount": 1.5,
                                                   "uiAmountString": "1.5"}}, "type": "transferChecked"},
               "program": "spl-token-2022", "programId": TOKEN_PROGRAMS[1], "stackHeight": None}
    txs[sig("usdc")] = _tx(140, sig("usdc"), [RENTER, RENTER_USDC, HOST_USDC, TOKEN_PROGRAMS[1]], [checked],
                           balances=[_balance(1, USDC, RENTER, 5 * 10**6, 6, TOKEN_PROGRAMS[1]),
                                     _balance(2, USDC, HOST, 0, 6, TOKEN_PROGRAMS[1])])
    # 4. a failed transfer: listed with its error, moves nothing
    failed = {"InstructionError": [0, {"Custom": 1}]}
    txs[sig("failed")] = _tx(150, sig("failed"), [RENTER, HOST, SYSTEM_PROGRAM], [_system(RENTER, HOST, 7)],
                             err=failed)
    # 5. the renter posts a GPU job: Nosana's jobs program takes 25 NOS into the job's vault (an inner transfer)
    post = {"parsed": {"info": {"authority": RENTER, "destination": VAULT_NOS, "mint": NOS, "source": RENTER_NOS,
                                "tokenAmount": {"amount": "25000000", "decimals": 6, "uiAmount": 25.0,
                                                "uiAmountString": "25"}}, "type": "transferChecked"},
            "program": "spl-token", "programId": TOKEN_PROGRAMS[0], "stackHeight": 2}
    txs[sig("job")] = _tx(
        160, sig("job"), [RENTER, RENTER_NOS, VAULT_NOS, NOSANA_JOBS, TOKEN_PROGRAMS[0]],
        [{"accounts": [RENTER, RENTER_NOS, VAULT_NOS], "data": "5g8Hk", "programId": NOSANA_JOBS,
          "stackHeight": None}], inner=[{"index": 0, "instructions": [post]}],
        balances=[_balance(1, NOS, RENTER, 10**9, 6, TOKEN_PROGRAMS[0]),
                  _balance(2, NOS, VAULT, 0, 6, TOKEN_PROGRAMS[0])])
    # 6. later than the head asked for
    txs[sig("late")] = _tx(900, sig("late"), [RENTER, HOST, SYSTEM_PROGRAM], [_system(RENTER, HOST, 9)])
    lists = {
        RENTER: [(sig("late"), 900, None), (sig("job"), 160, None), (sig("failed"), 150, failed),
                 (sig("usdc"), 140, None),
                 (sig("sol"), 100, None)],
        RENTER_NOS: [(sig("job"), 160, None), (sig("refund"), 120, None)],
        RENTER_USDC: [(sig("usdc"), 140, None)],
    }
    # many older signatures of the renter, to make paging happen (1,000 a page): transfers elsewhere
    for n in range(1_100):
        s = sig(f"noise {n}")
        txs[s] = _tx(90 - n // 20, s, [PAYER, key("x"), SYSTEM_PROGRAM, RENTER], [_system(PAYER, key("x"), 1)])
        lists[RENTER].append((s, 90 - n // 20, None))
    return txs, lists


@pytest.fixture()
def node() -> Iterator[Replay]:
    with solana_node() as server:
        yield server


@contextlib.contextmanager
def solana_node(base_time: int = 1_700_000_000) -> Iterator[Replay]:
    """A loopback Solana mainnet node holding the renter's world, slot 0 at ``base_time``."""
    BASE_TIME[0] = base_time
    txs, lists = _world()

    def signatures(params: list[Any]) -> list[dict[str, Any]]:
        address, options = params[0], params[1]
        items = lists.get(address, [])
        if "before" in options:
            items = items[[s for s, _, _ in items].index(options["before"]) + 1:]
        return [{"signature": s, "slot": slot, "err": err, "memo": None, "blockTime": BASE_TIME[0] + slot,
                 "confirmationStatus": "finalized"} for s, slot, err in items[:options["limit"]]]

    def token_accounts(params: list[Any]) -> dict[str, Any]:
        owned = {(RENTER, TOKEN_PROGRAMS[0]): [RENTER_NOS], (RENTER, TOKEN_PROGRAMS[1]): [RENTER_USDC]}
        return {"context": {"slot": 500}, "value": [{"pubkey": a, "account": {}} for a in
                                                    owned.get((params[0], params[1]["programId"]), [])]}

    def transaction(params: list[Any]) -> dict[str, Any] | None:
        assert params[1] == {"encoding": "jsonParsed", "maxSupportedTransactionVersion": 0,
                             "commitment": "finalized"}
        return txs.get(params[0])

    with Replay(rpc={"getGenesisHash": lambda p: MAINNET_GENESIS, "getSlot": lambda p: 500,
                     "getVersion": lambda p: {"solana-core": "2.1.0", "feature-set": 1},
                     "getSignaturesForAddress": signatures, "getTokenAccountsByOwner": token_accounts,
                     "getTransaction": transaction}) as server:
        yield server


def _source(url: str) -> SolanaSource:
    source = open_source(RpcClient([url], max_retries=3, backoff_base=0.001), get_chain("solana"))
    assert isinstance(source, SolanaSource)
    return source


def test_native_spl_and_token_2022_transfers_with_owners(node: Replay, tmp_path: Path) -> None:
    source = _source(node.url)
    source.check_chain()
    with Store(tmp_path / "s.duckdb") as store:
        summary = source.fetch(store, [RENTER])
        assert summary.to_block == 500
        rows = {t.tx_hash: t for t in store.transfers(RENTER, chain="solana:mainnet")}
        accounts = dict(((h, loc), (a, b)) for h, loc, a, b in store.con.execute(
            "SELECT tx_hash, locator, from_account, to_account FROM transfers").fetchall())
    # not the failed one, not the one after the head
    assert set(rows) == {sig("sol"), sig("refund"), sig("usdc"), sig("job")}
    sol = rows[sig("sol")]
    assert (sol.kind, sol.asset, sol.amount, sol.decimals, sol.locator) == ("native", "native", 2 * 10**9, 9, "ix:0")
    assert (sol.from_address, sol.to_address, sol.block_number, sol.block_time) == (RENTER, HOST, 100,
                                                                                    1_700_000_100)
    refund = rows[sig("refund")]  # inner instruction, amount above 2**64, owners from the token balances
    assert (refund.kind, refund.asset, refund.amount, refund.locator) == ("spl", NOS, 2**70 + 1, "ix:0.0")
    assert (refund.from_address, refund.to_address, refund.decimals) == (HOST, RENTER, 6)
    assert accounts[(sig("refund"), "ix:0.0")] == (HOST_NOS, RENTER_NOS)
    usdc = rows[sig("usdc")]
    assert (usdc.kind, usdc.asset, usdc.amount, usdc.from_address, usdc.to_address) == (
        "spl", USDC, 1_500_000, RENTER, HOST)
    assert usdc.display_amount == "1.5"


def test_paging_resume_and_rate_limits(node: Replay, tmp_path: Path) -> None:
    source = _source(node.url)
    node.fail_next(2, 429)
    with Store(tmp_path / "s.duckdb") as store:
        first = source.fetch(store, [RENTER])
        pages = [p for verb, _, methods in node.seen if verb == "POST" for p in methods
                 if p == "getSignaturesForAddress"]
        assert len(pages) >= 2 + 2  # the renter's list took two pages; one for each token account
        assert first.retries >= 2 and sum(first.records.values()) == 4
        node.seen.clear()
        again = source.fetch(store, [RENTER])
        assert sum(again.records.values()) == 0
        assert not any("getSignaturesForAddress" in m for verb, _, m in node.seen if verb == "POST")


def test_wrong_endpoints_and_malformed_answers(node: Replay, tmp_path: Path) -> None:
    node.rpc["getGenesisHash"] = lambda p: "EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG"
    with pytest.raises(RpcChainMismatch, match="serves Solana devnet, not mainnet-beta"):
        _source(node.url).check_chain()
    del node.rpc["getGenesisHash"]  # an EVM node: method not found
    with pytest.raises(RpcChainMismatch, match="does not answer Solana's getGenesisHash"):
        _source(node.url).check_chain()
    node.rpc["getTransaction"] = lambda p: {"slot": 100, "meta": {"err": None}, "transaction": {}}
    with Store(tmp_path / "s.duckdb") as store, pytest.raises(RpcProtocolError, match="malformed transaction"):
        _source(node.url).fetch(store, [RENTER])
    def pruned(params: list[Any]) -> None:  # what a node without long-term storage answers (code -32009)
        raise RpcFault(-32009, "Slot 100 was skipped, or missing in long-term storage")

    node.rpc["getTransaction"] = pruned
    with Store(tmp_path / "s.duckdb") as store, pytest.raises(JsonRpcError, match="missing in long-term storage"):
        _source(node.url).fetch(store, [RENTER])
    with Store(tmp_path / "s.duckdb") as store:
        assert store.counts()["transfers"] == 0  # nothing half-written


def test_the_cli_fetches_and_traces_solana(node: Replay, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "case.duckdb")
    assert main(["doctor", "--chain", "solana", "--rpc", node.url, "--format", "json"]) == 0
    doctor = json.loads(capsys.readouterr().out)["results"][0]
    assert (doctor["cluster"], doctor["head_slot (finalized)"], doctor["getSignaturesForAddress"]) == (
        "mainnet-beta", 500, "yes")
    assert main(["fetch", "--chain", "solana", "--rpc", node.url, "--address", RENTER, "--store", store]) == 0
    capsys.readouterr()
    assert main(["transfers", RENTER, "--store", store, "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)["results"]
    # 2**70 + 1 raw units of a 6-decimal token, exact
    assert {(t["kind"], t["amount"]) for t in listed} == {("native", "2"), ("spl", "1180591620717411.303425"),
                                                           ("spl", "1.5"), ("spl", "25")}
    assert main(["trace", RENTER, "--store", store, "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)["results"][0]
    ends = {e["node"]: e for e in result["unlabeled_endpoints"] + result["exposure"]}
    assert {a["asset"]: a["raw"] for a in ends[HOST]["amounts"]} == {"native": str(2 * 10**9), USDC: "1500000"}
    # a hex address for Solana, and a Solana endpoint given for Ethereum, are one-line errors
    assert main(["fetch", "--chain", "solana", "--rpc", node.url, "--address", "0x" + "ab" * 20,
                 "--store", store]) == 1
    assert main(["fetch", "--chain", "ethereum", "--rpc", node.url, "--address", "0x" + "ab" * 20,
                 "--store", store]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all(line.startswith("Error: ") for line in err)


def test_a_payment_to_a_marketplace_program_is_recognised(node: Replay, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The job's vault is in no label set; the transaction calls Nosana's jobs program, which is: clustering's
    program-payment heuristic labels the vault, and the trace ends at a GPU marketplace."""
    store = str(tmp_path / "case.duckdb")
    assert main(["fetch", "--chain", "solana", "--rpc", node.url, "--address", RENTER, "--store", store]) == 0
    with Store(store, read_only=True) as db:
        assert db.con.execute("SELECT tx_from, tx_to FROM tx_senders WHERE tx_hash = ?",
                              [sig("job")]).fetchall() == [(RENTER, NOSANA_JOBS)]
    assert main(["cluster", "--chain", "solana", "--store", store]) == 0
    capsys.readouterr()
    assert main(["trace", RENTER, "--store", store, "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)["results"][0]
    (vault,) = [e for e in result["exposure"] if e["node"] == VAULT]
    assert vault["category"] == "gpu-marketplace" and vault["direct"]
    assert vault["labels"][0]["label"] == "payment account of Nosana Jobs program"
    assert {a["asset"]: a["raw"] for a in vault["amounts"]} == {NOS: "25000000"}
    assert sig("job") in vault["labels"][0]["source"]  # the evidence names the transaction
