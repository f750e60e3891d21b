"""Non-EVM source benchmark: a Solana wallet's history, from a loopback node answering in Solana's wire format.

  (a) trailscan fetch      SolanaSource.fetch: token accounts, paged signatures, batched getTransaction, parse
                           SOL and SPL transfers, map owners, commit pages with coverage into DuckDB
  (b) raw RPC              the same requests over the same keep-alive client, answers parsed as JSON and dropped:
                           the ceiling that the server and the transport allow

There is no Solana node here; the server is tests/support/replay.py, so both (a) and (b) pay its cost and the
ratio says what trailscan adds on top of the transport.

Run: .venv/bin/python benchmarks/bench_sources.py [--transactions 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import base58

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.replay import Replay  # noqa: E402
from trailscan.chains import get_chain  # noqa: E402
from trailscan.sources.rpc import RpcClient  # noqa: E402
from trailscan.sources.solana import (  # noqa: E402
    FINALIZED,
    MAINNET_GENESIS,
    SIGNATURE_PAGE,
    SYSTEM_PROGRAM,
    TOKEN_PROGRAMS,
    TX_CHUNK,
    SolanaSource,
)
from trailscan.store import Store  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"


def key(name: str) -> str:
    return base58.b58encode(hashlib.sha256(name.encode()).digest()).decode()


def world(n: int) -> tuple[str, dict[str, Any], dict[str, list[tuple[str, int]]]]:
    """A wallet with ``n`` transactions: alternately a SOL payment out and a USDC payment in (Token-2022)."""
    wallet, usdc_account = key("bench wallet"), key("bench wallet usdc")
    txs: dict[str, Any] = {}
    lists: dict[str, list[tuple[str, int]]] = {wallet: [], usdc_account: []}
    for i in range(n):
        sig = base58.b58encode(hashlib.sha512(f"bench {i}".encode()).digest()).decode()
        slot = 1_000 + i // 3
        other = key(f"counterparty {i % 500}")
        if i % 2:
            keys = [wallet, other, SYSTEM_PROGRAM]
            ix = {"parsed": {"info": {"source": wallet, "destination": other, "lamports": 1_000 + i},
                             "type": "transfer"}, "program": "system", "programId": SYSTEM_PROGRAM}
            balances: list[Any] = []
            lists[wallet].append((sig, slot))
        else:
            source_account = key(f"counterparty usdc {i % 500}")
            keys = [other, source_account, usdc_account, TOKEN_PROGRAMS[1]]
            ix = {"parsed": {"info": {"authority": other, "source": source_account, "destination": usdc_account,
                                      "mint": USDC, "tokenAmount": {"amount": str(10**6 + i), "decimals": 6}},
                             "type": "transferChecked"}, "program": "spl-token-2022", "programId": TOKEN_PROGRAMS[1]}
            balances = [{"accountIndex": 1, "mint": USDC, "owner": other, "programId": TOKEN_PROGRAMS[1],
                         "uiTokenAmount": {"amount": "0", "decimals": 6}},
                        {"accountIndex": 2, "mint": USDC, "owner": wallet, "programId": TOKEN_PROGRAMS[1],
                         "uiTokenAmount": {"amount": "0", "decimals": 6}}]
            lists[usdc_account].append((sig, slot))
        txs[sig] = {"slot": slot, "blockTime": 1_750_000_000 + slot, "version": 0,
                    "meta": {"err": None, "fee": 5000, "innerInstructions": [], "preTokenBalances": balances,
                             "postTokenBalances": balances, "logMessages": []},
                    "transaction": {"signatures": [sig], "message": {
                        "accountKeys": [{"pubkey": k, "signer": j == 0, "source": "transaction", "writable": True}
                                        for j, k in enumerate(keys)], "instructions": [ix],
                        "recentBlockhash": key(f"bh {slot}")}}}
    for items in lists.values():
        items.reverse()  # newest first, as the node lists them
    return wallet, txs, lists


def server(wallet: str, txs: dict[str, Any], lists: dict[str, list[tuple[str, int]]]) -> Replay:
    def signatures(params: list[Any]) -> list[dict[str, Any]]:
        items = lists.get(params[0], [])
        if "before" in params[1]:
            items = items[[s for s, _ in items].index(params[1]["before"]) + 1:]
        return [{"signature": s, "slot": slot, "err": None, "blockTime": None, "confirmationStatus": "finalized"}
                for s, slot in items[:params[1]["limit"]]]

    def accounts(params: list[Any]) -> dict[str, Any]:
        owned = [key("bench wallet usdc")] if params[1]["programId"] == TOKEN_PROGRAMS[1] else []
        return {"context": {"slot": 1}, "value": [{"pubkey": a, "account": {}} for a in owned]}

    return Replay(rpc={"getGenesisHash": lambda p: MAINNET_GENESIS, "getSlot": lambda p: 10**6,
                       "getSignaturesForAddress": signatures, "getTokenAccountsByOwner": accounts,
                       "getTransaction": lambda p: txs.get(p[0])})


def trailscan_fetch(url: str, wallet: str) -> int:
    with tempfile.TemporaryDirectory() as tmp, RpcClient([url]) as client, Store(Path(tmp) / "b.duckdb") as store:
        summary = SolanaSource(client, get_chain("solana")).fetch(store, [wallet])
        return sum(summary.records.values())


def raw_fetch(url: str, wallet: str) -> int:
    """The requests trailscan makes, answers parsed as JSON and dropped."""
    with RpcClient([url]) as client:
        client.batch([("getTokenAccountsByOwner", [wallet, {"programId": p}, {"encoding": "jsonParsed"}])
                      for p in TOKEN_PROGRAMS])
        seen: list[str] = []
        for subject in (wallet, key("bench wallet usdc")):
            before = None
            while True:
                options: dict[str, Any] = {"limit": SIGNATURE_PAGE, **FINALIZED}
                if before:
                    options["before"] = before
                page = client.call("getSignaturesForAddress", [subject, options])
                seen += [item["signature"] for item in page]
                if len(page) < SIGNATURE_PAGE:
                    break
                before = page[-1]["signature"]
        options = {"encoding": "jsonParsed", "maxSupportedTransactionVersion": 0, **FINALIZED}
        got = 0
        for start in range(0, len(seen), TX_CHUNK):
            got += len(client.batch([("getTransaction", [s, options]) for s in seen[start:start + TX_CHUNK]]))
        return got


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transactions", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    wallet, txs, lists = world(args.transactions)
    rows = []
    with server(wallet, txs, lists) as node:
        for name, run in (("(b) raw RPC (ceiling)", raw_fetch), ("(a) trailscan fetch (Solana)", trailscan_fetch)):
            best, count = float("inf"), 0
            for _ in range(args.repeat):
                started = time.perf_counter()
                count = run(node.url, wallet)
                best = min(best, time.perf_counter() - started)
            rows.append({"method": name, "items": count, "seconds": round(best, 3),
                         "per_s": round(count / best)})
    ceiling = rows[0]["per_s"]
    print(f"{args.transactions:,} transactions of one Solana wallet from a loopback node, best of {args.repeat}\n")
    print("| method | items | seconds | per s | x raw |\n|---|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['method']} | {row['items']:,} | {row['seconds']} | {row['per_s']:,} | "
              f"{row['per_s'] / ceiling:.2f}x |")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"sources-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps({"transactions": args.transactions, "rows": rows}, indent=1) + "\n")
    print(f"\nwritten: {out}")


if __name__ == "__main__":
    main()
