"""Reading what a trace needs, on demand, through the normal fetch path (same checkpoints, so a second trace
reuses them), within a request budget.

For ``--direction out`` an address first reached at block b needs only its transfers from b on; what it held
at b comes from its balance at b - 1 (``eth_getBalance``, ``balanceOf`` by ``eth_call``) where the node keeps
that state. For ``--direction in`` it needs its history up to b. ``--since`` / ``--until`` bound every fetch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..ingest import FetchOptions, Progress, fetch
from ..sources.evm import EvmSource
from ..sources.rpc import JsonRpcError
from ..store import Store
from .graph import Node

_BALANCE_OF = "0x70a08231"


@dataclass
class Need:
    """What one reached node needs: the block the traced value first reached it, and the assets it carried."""

    first_block: int
    assets: set[str] = field(default_factory=set)


@dataclass
class Read:
    address: str
    blocks: tuple[int, int]
    how: str

    def as_dict(self) -> dict[str, Any]:
        return {"address": self.address, "from_block": self.blocks[0], "to_block": self.blocks[1], "how": self.how}


class OnDemand:
    def __init__(self, store: Store, source: EvmSource, *, budget: int, direction: str, since: int | None,
                 until: int | None, progress: Progress | None = None) -> None:
        self.store, self.source, self.budget, self.direction = store, source, budget, direction
        self.since, self.until, self.progress = since, until, progress
        self.start = source.client.stats.requests
        self.head = source.head()
        self.openings = 0  # opening balances read from the node (kept in the store's balances table)
        self.reads: list[Read] = []
        self.unexpanded: list[str] = []
        self.no_state = 0
        self.fetched_from: dict[str, int] = {}  # node id -> first block fetched
        self.refreshed: set[str] = set()  # nodes fetched by the last call (their timelines must be read again)

    @property
    def spent(self) -> int:
        return self.source.client.stats.requests - self.start

    def wallet(self, node: Node) -> None:
        lo, hi = self.since or 0, min(self.until if self.until is not None else self.head, self.head)
        self._fetch(node.members, lo, hi)

    def __call__(self, nodes: Iterable[Node], needs: dict[str, Need]) -> list[str]:
        before = len(self.unexpanded)
        self.refreshed = set()
        for node in nodes:
            need = needs[node.id]
            if self.direction == "out":
                lo, hi = need.first_block, min(self.until if self.until is not None else self.head, self.head)
                if self.fetched_from.get(node.id, 1 << 62) <= lo:
                    continue
            else:
                lo, hi = self.since or 0, need.first_block
                if self.fetched_from.get(node.id, -1) >= hi:
                    continue
            if self.spent >= self.budget:
                self.unexpanded += sorted(node.members)
                continue
            self._fetch(node.members, lo, hi)
            self.fetched_from[node.id] = lo if self.direction == "out" else hi
            self.refreshed.add(node.id)
            if self.direction == "out" and lo > 0:
                for member in sorted(node.members):
                    self._openings(member, lo, need.assets)
        left = self.unexpanded[before:]
        if not left:
            return []
        return [f"the request budget ({self.budget}) ran out: {len(left)} reached address(es) were traced only "
                "from what the store already held: " + ", ".join(left[:10]) + (" ..." if len(left) > 10 else "")]

    def _fetch(self, members: Iterable[str], lo: int, hi: int) -> None:
        addresses = sorted(members)
        summary = fetch(self.store, self.source, addresses, options=FetchOptions(from_block=lo, to_block=hi),
                        progress=self.progress)
        how = "fetched " + ("(already stored)" if not summary.requests else f"via eth_getLogs and "
                            f"{summary.native_method or 'no native method'}")
        self.reads += [Read(a, (lo, hi), how) for a in addresses]

    def _openings(self, address: str, block: int, assets: set[str]) -> None:
        """Balances at block - 1 of the assets the traced value brought, where the node keeps that state, into the
        store: a later trace starts the address's holding there too, with or without an RPC."""
        wanted = sorted(assets)
        at = hex(block - 1)
        calls: list[tuple[str, list[Any]]] = [
            ("eth_getBalance", [address, at]) if a == "native" else
            ("eth_call", [{"to": a, "data": _BALANCE_OF + "0" * 24 + address[2:]}, at]) for a in wanted]
        found: list[tuple[str, str, int, int]] = []
        for asset, answer in zip(wanted, self.source.client.batch(calls), strict=True):
            if isinstance(answer, JsonRpcError) or not isinstance(answer, str) or not answer.startswith("0x"):
                self.no_state += 1
                continue
            try:
                held = int(answer, 16) if asset == "native" else int(answer[2:66] or "0", 16)
            except ValueError:
                self.no_state += 1
                continue
            found.append((address, asset, block - 1, held))
        self.store.put_balances(self.source.chain.key, found)
        self.openings += len(found)

    def notes(self) -> list[str]:
        out = []
        if self.openings:
            out.append(f"{self.openings} opening balance(s) read from the node at the block before the traced "
                       "value arrived (eth_getBalance / balanceOf)")
        if self.no_state:
            out.append(f"{self.no_state} opening balance(s) could not be read (the node keeps no state that old): "
                       "the least balance that explains the payments was assumed")
        return out
