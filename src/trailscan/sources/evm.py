"""The EVM JSON-RPC source: chain identity, heads, block headers, token metadata and capability probes."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import RpcChainMismatch, RpcProtocolError
from ..model import Token
from .base import Source
from .evm_native import RUNGS, Rung
from .rpc import JsonRpcError

if TYPE_CHECKING:
    from ..ingest import FetchOptions, Progress
    from ..model import FetchSummary
    from ..store import Store

# 4-byte selectors of the ERC-20 metadata getters, and of balanceOf.
_SYMBOL, _NAME, _DECIMALS = "0x95d89b41", "0x06fdde03", "0x313ce567"
_BALANCE_OF = "0x70a08231"


@dataclass
class Capabilities:
    """What an endpoint answered: used by ``doctor`` and to pick the native-value rung."""

    chain_id: int
    head: int
    finalized: int | None
    safe: int | None
    latency_ms: float
    methods: dict[str, bool] = field(default_factory=dict)
    archive: bool | None = None

    @property
    def native_rung(self) -> str | None:
        for rung in RUNGS:
            if self.methods.get(rung.NAME):
                return rung.NAME
        return None


def _hex_int(value: Any, what: str) -> int:
    try:
        return int(value, 16)
    except (TypeError, ValueError):
        raise RpcProtocolError(f"the RPC endpoint answered a malformed {what}: {str(value)[:40]!r}") from None


class EvmSource(Source):
    """Reads one EVM chain through an :class:`RpcClient`: Transfer / Approval logs by eth_getLogs, native value by
    the best history method the endpoint serves (see ``evm_native``); the fetch job itself is ``ingest``."""

    NAME = "evm"
    HISTORY_METHODS = ("eth_getLogs", *(r.NAME for r in RUNGS))
    ENDPOINT = "an EVM JSON-RPC endpoint"

    def fetch(self, store: Store, addresses: Sequence[str], tokens: Sequence[str] = (),
              options: FetchOptions | None = None, progress: Progress | None = None) -> FetchSummary:
        from ..ingest import fetch

        return fetch(store, self, addresses, tokens, options, progress)

    def doctor(self) -> list[tuple[str, Any]]:
        caps = self.probe()
        return [("endpoint", self.client.endpoint), ("chain_id", caps.chain_id), ("head", caps.head),
                ("finalized", caps.finalized if caps.finalized is not None else "unsupported"),
                ("safe", caps.safe if caps.safe is not None else "unsupported"), ("latency_ms", caps.latency_ms),
                *((name, "yes" if ok else "no") for name, ok in caps.methods.items()),
                ("archive_state", {True: "yes", False: "no", None: "unknown"}[caps.archive]),
                ("native_value_via", caps.native_rung or "none")]

    def balances(self, wanted: Sequence[tuple[str, str]], height: int) -> list[int | None]:
        """eth_getBalance / balanceOf (eth_call) at ``height``, in one batch; None where the node keeps no
        state that old (or answers something unusable)."""
        at = hex(height)
        calls: list[tuple[str, list[Any]]] = [
            ("eth_getBalance", [address, at]) if asset == "native" else
            ("eth_call", [{"to": asset, "data": _BALANCE_OF + "0" * 24 + address[2:]}, at])
            for address, asset in wanted]
        out: list[int | None] = []
        for (_, asset), answer in zip(wanted, self.client.batch(calls) if calls else [], strict=True):
            if isinstance(answer, JsonRpcError) or not isinstance(answer, str) or not answer.startswith("0x"):
                out.append(None)
                continue
            try:
                out.append(int(answer, 16) if asset == "native" else int(answer[2:66] or "0", 16))
            except ValueError:
                out.append(None)
        return out

    def chain_id(self) -> int:
        return _hex_int(self.client.call("eth_chainId"), "chain id")

    def check_chain(self) -> None:
        """Refuse an endpoint that serves another chain than the one asked for."""
        actual = self.chain_id()
        if actual != self.chain.chain_id:
            raise RpcChainMismatch(
                f"the RPC endpoint serves chain id {actual}, not {self.chain.name} ({self.chain.chain_id})",
                endpoint=self.client.endpoint, hint=f"pass --chain {actual} or another --rpc",
            )

    def head(self) -> int:
        return _hex_int(self.client.call("eth_blockNumber"), "block number")

    def tagged_block(self, tag: str) -> int | None:
        """Number of the "finalized" / "safe" block, or None where the node does not support the tag."""
        try:
            block = self.client.call("eth_getBlockByNumber", [tag, False])
        except JsonRpcError:
            return None
        if not block:
            return None
        if not isinstance(block, dict):
            raise RpcProtocolError(f"the RPC endpoint answered a malformed {tag} block")
        return _hex_int(block.get("number"), "block number")

    def finalized(self, head: int) -> int:
        tagged = self.tagged_block("finalized")
        return tagged if tagged is not None else max(0, head - self.chain.finality_depth)

    def headers(self, numbers: Iterable[int]) -> dict[int, tuple[str, int]]:
        """(hash, timestamp) of each block; batched."""
        wanted = sorted(set(numbers))
        out: dict[int, tuple[str, int]] = {}
        for start in range(0, len(wanted), 100):
            chunk = wanted[start:start + 100]
            answers = self.client.batch([("eth_getBlockByNumber", [hex(n), False]) for n in chunk])
            for n, block in zip(chunk, answers, strict=True):
                if isinstance(block, JsonRpcError):
                    raise block
                if block is None:
                    raise RpcProtocolError(f"the RPC endpoint does not know block {n}")
                if not isinstance(block, dict) or not isinstance(block.get("hash"), str):
                    raise RpcProtocolError(f"the RPC endpoint answered a malformed block {n}")
                out[n] = (block["hash"], _hex_int(block.get("timestamp"), "timestamp"))
        return out

    def tokens(self, addresses: Sequence[str]) -> list[Token]:
        """symbol / name / decimals by eth_call; bytes32 symbols and missing getters are tolerated."""
        calls = [("eth_call", [{"to": a, "data": sel}, "latest"]) for a in addresses
                 for sel in (_SYMBOL, _NAME, _DECIMALS)]
        answers = self.client.batch(calls)
        out = []
        for i, address in enumerate(addresses):
            symbol, name, decimals = answers[3 * i: 3 * i + 3]
            out.append(Token(self.chain.key, address, abi_text(symbol), abi_text(name), small_int(decimals)))
        return out

    def rung(self, name: str) -> Rung:
        for cls in RUNGS:
            if name == cls.NAME:
                return cls(self.client)
        raise KeyError(name)

    def probe(self) -> Capabilities:
        """Ask the endpoint which history methods it supports (one batch) and how fast it answers."""
        timings = []
        head = 0
        for _ in range(3):
            start = time.perf_counter()
            head = self.head()
            timings.append((time.perf_counter() - start) * 1000)
        probes: dict[str, tuple[str, list[Any]]] = {r.NAME: r.probe(head) for r in RUNGS}
        probes["eth_getBlockReceipts"] = ("eth_getBlockReceipts", [hex(head)])
        probes["archive"] = ("eth_getBalance", ["0x0000000000000000000000000000000000000000", "0x1"])
        answers = self.client.batch(list(probes.values()))
        methods = {name: not isinstance(a, JsonRpcError) for name, a in zip(probes, answers, strict=True)}
        archive = methods.pop("archive") if head > 1 else None
        return Capabilities(
            chain_id=self.chain_id(), head=head, finalized=self.tagged_block("finalized"),
            safe=self.tagged_block("safe"), latency_ms=round(statistics.median(timings), 2),
            methods=methods, archive=archive,
        )


def abi_text(answer: Any) -> str | None:
    """A string an ``eth_call`` returned, ABI-encoded or as bytes32 (old tokens such as MKR); None if neither."""
    if isinstance(answer, JsonRpcError) or not isinstance(answer, str) or len(answer) < 66:
        return None
    try:
        raw = bytes.fromhex(answer[2:])
    except ValueError:
        return None
    if len(raw) == 32:  # bytes32 (old tokens such as MKR)
        text = raw.rstrip(b"\x00").decode("utf-8", "replace")
    else:  # ABI string: offset word, then a length word and the bytes
        offset = int.from_bytes(raw[:32], "big")
        if offset + 32 > len(raw):
            return None
        length = int.from_bytes(raw[offset:offset + 32], "big")
        if offset + 32 + length > len(raw):
            return None
        text = raw[offset + 32:offset + 32 + length].decode("utf-8", "replace")
    cleaned = "".join(ch for ch in str(text) if ch.isprintable()).strip()
    return cleaned[:64] or None


def small_int(answer: Any) -> int | None:
    """A uint8 an ``eth_call`` returned (ERC-20 decimals); None if it is not one."""
    if isinstance(answer, JsonRpcError) or not isinstance(answer, str) or len(answer) < 66:
        return None
    try:
        value = int(answer[2:66], 16)
    except ValueError:
        return None
    return value if value <= 255 else None
