"""What clustering needs from the chain beyond a fetch, read on demand within a request budget:

- the code status of every address a candidate link would join (``eth_getCode`` at the head; an EIP-7702
  delegation designator ``0xef0100`` + address marks a delegated EOA, which is an EOA);
- the onward transfers of candidate deposit addresses: a deposit address is only recognised by what it
  forwards, so the recipients of fetched wallets are fetched through the normal fetch path (same checkpoints)
  over [first receipt, last receipt + tau];
- the sender of each transaction a self-authorization candidate rests on (a log does not name it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..chains import Chain
from ..errors import RpcProtocolError
from ..heuristics import Heuristic
from ..ingest import FetchOptions, Progress, fetch
from ..labels import LabelSet
from ..sources.evm import EvmSource
from ..sources.rpc import JsonRpcError
from ..store import Store
from .engine import judge_links, prepare_views, run_heuristics, sweepers, unchecked_addresses

DELEGATION_PREFIX = "0xef0100"  # EIP-7702: code of a delegated EOA


@dataclass
class EnrichSummary:
    code_checked: int = 0
    deposit_candidates: int = 0
    histories_fetched: int = 0
    senders_read: int = 0
    requests: int = 0
    unexpanded: list[str] = field(default_factory=list)  # candidates left unfetched by the budget

    def as_dict(self) -> dict[str, Any]:
        return {"code_checked": self.code_checked, "deposit_candidates": self.deposit_candidates,
                "histories_fetched": self.histories_fetched, "senders_read": self.senders_read,
                "requests": self.requests, "unexpanded": self.unexpanded}


def check_code(store: Store, source: EvmSource, addresses: Sequence[str]) -> int:
    """Read and store the code status of ``addresses`` (batched); returns how many were read."""
    if not addresses:
        return 0
    head = source.head()
    rows: list[tuple[str, bool, str | None, int]] = []
    for start in range(0, len(addresses), 100):
        chunk = addresses[start:start + 100]
        answers = source.client.batch([("eth_getCode", [a, hex(head)]) for a in chunk])
        for address, code in zip(chunk, answers, strict=True):
            if isinstance(code, JsonRpcError):
                raise code
            if not isinstance(code, str) or not code.startswith("0x"):
                raise RpcProtocolError(f"the RPC endpoint answered eth_getCode for {address} with something that"
                                       " is not hex code", endpoint=source.client.endpoint)
            code = code.lower()
            delegated = "0x" + code[8:48] if code.startswith(DELEGATION_PREFIX) and len(code) == 48 else None
            rows.append((address, len(code) > 2 and delegated is None, delegated, head))
    store.put_code_status(source.chain.key, rows)
    return len(rows)


def read_senders(store: Store, source: EvmSource, tx_hashes: Sequence[str]) -> int:
    """Store each transaction's sender and position (``eth_getTransactionByHash``, batched)."""
    rows: list[tuple[str, int, int | None, str, str | None]] = []
    for start in range(0, len(tx_hashes), 100):
        chunk = tx_hashes[start:start + 100]
        for tx_hash, tx in zip(chunk, source.client.batch(
                [("eth_getTransactionByHash", [h]) for h in chunk]), strict=True):
            if isinstance(tx, JsonRpcError):
                raise tx
            if not isinstance(tx, dict) or not isinstance(tx.get("from"), str) or tx.get("blockNumber") is None:
                raise RpcProtocolError(f"the RPC endpoint does not know the mined transaction {tx_hash}",
                                       endpoint=source.client.endpoint)
            index = tx.get("transactionIndex")
            rows.append((tx_hash, int(tx["blockNumber"], 16),
                         int(index, 16) if index is not None else None, tx["from"].lower(),
                         (tx.get("to") or "").lower() or None))
    store.put_senders(source.chain.key, rows)
    return len(rows)


def _deposit_candidates(store: Store, chain: Chain, focus: Sequence[str], tau: int) -> list[tuple[str, int, int]]:
    """(address, first block, last block + tau) of unlabeled recipients whose own history was never fetched."""
    senders = "SELECT UNNEST(?::VARCHAR[])" if focus else (
        "SELECT DISTINCT subject FROM coverage WHERE chain = ? AND scope LIKE 'logs:%'")
    rows = store.con.execute(f"""
        SELECT to_address, min(block_number), max(block_number) + ? FROM xfers x
        WHERE x.chain = ? AND from_address IN ({senders})
          AND to_address NOT IN (SELECT address FROM services WHERE chain = x.chain)
          AND to_address NOT IN (SELECT address FROM contracts WHERE chain = x.chain)
          AND to_address NOT IN (SELECT subject FROM coverage WHERE chain = x.chain AND scope LIKE 'logs:%')
        GROUP BY to_address ORDER BY min(block_number), to_address
    """, [tau, chain.key, list(focus) if focus else chain.key]).fetchall()
    return [(str(a), int(lo), int(hi)) for a, lo, hi in rows]


def enrich(store: Store, source: EvmSource, labels: LabelSet, heuristics: Sequence[Heuristic], *,
           budget: int, focus: Sequence[str] = (), progress: Progress | None = None) -> EnrichSummary:
    """Fetch what the selected heuristics need and the store lacks, stopping at ``budget`` requests."""
    out = EnrichSummary()
    client = source.client
    first = client.stats.requests

    def spent() -> int:
        return client.stats.requests - first

    prepare_views(store, labels)
    deposit = next((h for h in heuristics if h.NAME == "deposit-reuse"), None)
    if deposit is not None:
        tau = int(deposit.params["tau"])
        candidates = _deposit_candidates(store, source.chain, focus, tau)
        out.code_checked += check_code(store, source, [a for a, _, _ in candidates])
        prepare_views(store, labels)
        eoa = {str(r[0]) for r in store.con.execute("SELECT address FROM eoas WHERE chain = ?",
                                                    [source.chain.key]).fetchall()}
        candidates = [c for c in candidates if c[0] in eoa]
        out.deposit_candidates = len(candidates)
        head = source.head()
        for i, (address, lo, hi) in enumerate(candidates):
            if spent() >= budget:
                out.unexpanded = [a for a, _, _ in candidates[i:]]
                break
            fetch(store, source, [address], options=FetchOptions(from_block=lo, to_block=min(hi, head)),
                  progress=progress)
            out.histories_fetched += 1
        prepare_views(store, labels)
        # every payer of an exchange may be a deposit address: its sweeps count only once it is known as an EOA
        out.code_checked += check_code(store, source, sweepers(store, source.chain.key))
        prepare_views(store, labels)
    # senders of transferFrom candidates: the owner's outgoing transfers after an approval to a non-contract
    missing = [str(r[0]) for r in store.con.execute("""
        SELECT DISTINCT t.tx_hash FROM appr a
        JOIN xfers t ON t.chain = a.chain AND t.asset = a.asset AND t.from_address = a.owner AND t.ord > a.ord
        WHERE a.chain = ? AND a.amount <> '0' AND t.tx_from IS NULL
          AND a.spender NOT IN (SELECT address FROM contracts WHERE chain = a.chain)
        ORDER BY 1
    """, [source.chain.key]).fetchall()]
    if missing and spent() < budget:
        out.senders_read = read_senders(store, source, missing)
        prepare_views(store, labels)
    # code status of every end of a candidate link
    run_heuristics(store, heuristics)
    judge_links(store)
    unchecked = [a for c, a in unchecked_addresses(store) if c == source.chain.key]
    if unchecked and spent() < budget:
        out.code_checked += check_code(store, source, unchecked)
    out.requests = spent()
    return out
