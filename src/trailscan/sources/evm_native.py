"""Native-coin value (top-level and internal) through the best "rung" an endpoint supports.

Each rung is a declared class; ``RUNGS`` lists them best first. Value moved by a failed transaction or
inside a reverted call (or below one) is never recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import RpcProtocolError
from ..model import (
    METHOD_BLOCK_SCAN,
    METHOD_DEBUG_TRACE,
    METHOD_OTS,
    METHOD_TRACE_BLOCK,
    METHOD_TRACE_FILTER,
)
from .rpc import JsonRpcError, RpcClient, raise_for_range

ZERO = "0x0000000000000000000000000000000000000000"


@dataclass(frozen=True, slots=True)
class Move:
    """A native value movement inside a transaction; ``path`` is the trace address ('' = top level)."""

    tx_hash: str
    block_number: int
    block_hash: str
    path: str
    sender: str
    receiver: str
    value: int
    tx_index: int | None = None  # position of the transaction in its block
    tx_from: str | None = None  # the transaction's sender (the root call's caller)


def _int(value: Any) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value, 16) if value.startswith("0x") else int(value)
    raise RpcProtocolError(f"the RPC endpoint answered a malformed number {value!r}")


def _pairs(answers: list[Any]) -> Iterator[tuple[Any, Any]]:
    """The answers of a batch sent as (a, b) pairs of calls; a node error in either is raised."""
    for i in range(0, len(answers), 2):
        first, second = answers[i], answers[i + 1]
        for answer in (first, second):
            if isinstance(answer, JsonRpcError):
                raise answer
        yield first, second


def moves_from_flat_traces(traces: Iterable[dict[str, Any]]) -> list[Move]:
    """Parity-style traces (trace_transaction / trace_block / trace_filter) of whole transactions."""
    items = list(traces)
    errored = {(t.get("transactionHash"), tuple(t.get("traceAddress") or ())) for t in items if t.get("error")}
    roots = {t.get("transactionHash"): str((t.get("action") or {}).get("from") or "").lower() or None
             for t in items if not t.get("traceAddress")}
    out: list[Move] = []
    for t in items:
        tx = t.get("transactionHash")
        if tx is None:  # block rewards carry no transaction
            continue
        path = tuple(t.get("traceAddress") or ())
        if any((tx, path[:k]) in errored for k in range(len(path) + 1)):
            continue
        action = t.get("action") or {}
        kind = t.get("type")
        if kind == "call" and action.get("callType", "call") == "call":
            sender, receiver, value = action.get("from"), action.get("to"), action.get("value", "0x0")
        elif kind == "create":
            sender, receiver, value = action.get("from"), (t.get("result") or {}).get("address"), action.get("value")
        elif kind in ("suicide", "selfdestruct"):
            sender, receiver, value = action.get("address"), action.get("refundAddress"), action.get("balance")
        else:
            continue
        amount = _int(value or "0x0")
        if amount and sender and receiver:
            position = t.get("transactionPosition")
            out.append(Move(tx, _int(t.get("blockNumber", 0)), str(t.get("blockHash", "")),
                            ".".join(str(p) for p in path), sender.lower(), receiver.lower(), amount,
                            _int(position) if position is not None else None, roots.get(tx)))
    return out


def moves_from_call_frame(frame: dict[str, Any], tx: str, number: int, block_hash: str,
                          tx_index: int | None = None) -> list[Move]:
    """A callTracer frame tree (debug_trace*): errored frames and everything below them are skipped."""
    root = str(frame.get("from") or "").lower() or None
    out: list[Move] = []
    stack: list[tuple[dict[str, Any], tuple[int, ...]]] = [(frame, ())]
    while stack:
        node, path = stack.pop()
        if node.get("error"):
            continue
        kind = str(node.get("type", "")).upper()
        if kind in ("CALL", "CREATE", "CREATE2", "SELFDESTRUCT"):
            amount = _int(node.get("value") or "0x0")
            sender, receiver = node.get("from"), node.get("to")
            if amount and sender and receiver:
                out.append(Move(tx, number, block_hash, ".".join(map(str, path)), sender.lower(),
                                receiver.lower(), amount, tx_index, root))
        for i, child in enumerate(node.get("calls") or []):
            stack.append((child, (*path, i)))
    return out


class Rung:
    """A way to find native value movements. Subclasses declare NAME and PROBE and implement collect()."""

    NAME: ClassVar[str]
    BLOCKWISE: ClassVar[bool] = False  # True: cost grows with every block scanned, not with activity

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not isinstance(cls.__dict__.get("NAME"), str) or "probe" not in cls.__dict__:
            raise TypeError(f"rung {cls.__name__} must declare NAME and probe()")

    @staticmethod
    def probe(head: int) -> tuple[str, list[Any]]:
        """The cheap call whose success shows the endpoint supports this rung."""
        raise NotImplementedError

    def __init__(self, client: RpcClient) -> None:
        self.client = client

    def collect(self, addresses: Sequence[str], lo: int, hi: int) -> list[Move]:
        raise NotImplementedError

    def _tx_moves(self, tx_hashes: Sequence[str]) -> list[Move]:
        """Full traces of the given transactions (so that reverted ancestors are known)."""
        out: list[Move] = []
        for start in range(0, len(tx_hashes), 50):
            chunk = tx_hashes[start:start + 50]
            answers = self.client.batch([("trace_transaction", [h]) for h in chunk])
            if any(isinstance(a, JsonRpcError) and a.kind == "unsupported" for a in answers):
                out += self._tx_moves_debug(chunk)
                continue
            for answer in answers:
                if isinstance(answer, JsonRpcError):
                    raise answer
                out += moves_from_flat_traces(answer or [])
        return out

    def _tx_moves_debug(self, tx_hashes: Sequence[str]) -> list[Move]:
        calls: list[tuple[str, list[Any]]] = []
        for h in tx_hashes:
            calls += [("debug_traceTransaction", [h, {"tracer": "callTracer"}]), ("eth_getTransactionByHash", [h])]
        out: list[Move] = []
        for h, (frame, tx) in zip(tx_hashes, _pairs(self.client.batch(calls)), strict=True):
            position = tx.get("transactionIndex")
            out += moves_from_call_frame(frame or {}, h, _int(tx["blockNumber"]), tx["blockHash"],
                                         _int(position) if position is not None else None)
        return out


class OtsRung(Rung):
    """Otterscan's per-address index (Erigon, anvil): pages of transactions touching the address."""

    NAME = METHOD_OTS
    @staticmethod
    def probe(head: int) -> tuple[str, list[Any]]:
        return "ots_getApiLevel", []

    PAGE = 50

    def collect(self, addresses: Sequence[str], lo: int, hi: int) -> list[Move]:
        hashes: dict[str, None] = {}
        for address in addresses:
            before = hi + 1
            for _ in range(1_000_000):  # bounded: each page moves strictly back in time
                page = self.client.call("ots_searchTransactionsBefore", [address, before, self.PAGE])
                txs = page.get("txs") or []
                numbers = [_int(tx["blockNumber"]) for tx in txs]
                for tx, number in zip(txs, numbers, strict=True):
                    if lo <= number <= hi:
                        hashes[tx["hash"]] = None
                if page.get("lastPage") or not numbers or min(numbers) <= lo or min(numbers) >= before:
                    break
                before = min(numbers)
        return self._tx_moves(list(hashes))


class TraceFilterRung(Rung):
    """trace_filter by fromAddress / toAddress (Erigon, Nethermind, Reth, anvil)."""

    NAME = METHOD_TRACE_FILTER
    @staticmethod
    def probe(head: int) -> tuple[str, list[Any]]:
        return "trace_filter", [{"fromBlock": hex(head), "toBlock": hex(head), "toAddress": [ZERO]}]


    def collect(self, addresses: Sequence[str], lo: int, hi: int) -> list[Move]:
        hashes: dict[str, None] = {}
        for side in ("fromAddress", "toAddress"):
            flt = {"fromBlock": hex(lo), "toBlock": hex(hi), side: list(addresses)}
            try:
                traces = self.client.call("trace_filter", [flt])
            except JsonRpcError as exc:
                raise_for_range(exc, self.client.endpoint)
            for t in traces or []:
                tx = t.get("transactionHash")
                if tx and _int((t.get("action") or {}).get("value") or (t.get("action") or {}).get("balance")
                               or "0x0"):
                    hashes[tx] = None
        return self._tx_moves(list(hashes))


class TraceBlockRung(Rung):
    NAME = METHOD_TRACE_BLOCK
    @staticmethod
    def probe(head: int) -> tuple[str, list[Any]]:
        return "trace_block", [hex(head)]

    BLOCKWISE = True

    def collect(self, addresses: Sequence[str], lo: int, hi: int) -> list[Move]:
        out: list[Move] = []
        for answer in self.client.batch([("trace_block", [hex(n)]) for n in range(lo, hi + 1)]):
            if isinstance(answer, JsonRpcError):
                raise answer
            out += moves_from_flat_traces(answer or [])
        return out


class DebugTraceRung(Rung):
    NAME = METHOD_DEBUG_TRACE
    @staticmethod
    def probe(head: int) -> tuple[str, list[Any]]:
        return "debug_traceBlockByNumber", [hex(head), {"tracer": "callTracer"}]

    BLOCKWISE = True

    def collect(self, addresses: Sequence[str], lo: int, hi: int) -> list[Move]:
        numbers = list(range(lo, hi + 1))
        calls: list[tuple[str, list[Any]]] = []
        for n in numbers:
            calls += [("debug_traceBlockByNumber", [hex(n), {"tracer": "callTracer"}]),
                      ("eth_getBlockByNumber", [hex(n), False])]
        out: list[Move] = []
        for n, (traces, block) in zip(numbers, _pairs(self.client.batch(calls)), strict=True):
            tx_hashes = block.get("transactions") or []
            for j, item in enumerate(traces or []):
                tx = item.get("txHash") or (tx_hashes[j] if j < len(tx_hashes) else None)
                if tx is None:
                    raise RpcProtocolError("debug_traceBlockByNumber answered more traces than transactions")
                out += moves_from_call_frame(item.get("result") or {}, tx, n, block["hash"], j)
        return out


class BlockScanRung(Rung):
    """Last resort: full blocks and receipts; sees top-level value only, no internal transfers."""

    NAME = METHOD_BLOCK_SCAN
    @staticmethod
    def probe(head: int) -> tuple[str, list[Any]]:
        return "eth_getBlockByNumber", [hex(head), False]

    BLOCKWISE = True

    def collect(self, addresses: Sequence[str], lo: int, hi: int) -> list[Move]:
        watched = set(addresses)
        blocks = self.client.batch([("eth_getBlockByNumber", [hex(n), True]) for n in range(lo, hi + 1)])
        candidates: list[dict[str, Any]] = []
        for block in blocks:
            if isinstance(block, JsonRpcError):
                raise block
            for tx in block.get("transactions") or []:
                sender, receiver = (tx.get("from") or "").lower(), (tx.get("to") or "").lower()
                if _int(tx.get("value") or "0x0") and (sender in watched or receiver in watched):
                    candidates.append(tx)
        receipts = self.client.batch([("eth_getTransactionReceipt", [tx["hash"]]) for tx in candidates])
        out: list[Move] = []
        for tx, receipt in zip(candidates, receipts, strict=True):
            if isinstance(receipt, JsonRpcError):
                raise receipt
            if receipt and receipt.get("status") == "0x1":
                receiver = (tx.get("to") or receipt.get("contractAddress") or "").lower()
                out.append(Move(tx["hash"], _int(tx["blockNumber"]), tx["blockHash"], "", tx["from"].lower(),
                                receiver, _int(tx["value"]), _int(tx.get("transactionIndex") or "0x0"),
                                tx["from"].lower()))
        return out


RUNGS: tuple[type[Rung], ...] = (OtsRung, TraceFilterRung, TraceBlockRung, DebugTraceRung, BlockScanRung)
RUNG_BY_NAME = {r.NAME: r for r in RUNGS}
