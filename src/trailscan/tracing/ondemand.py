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

from ..ingest import FetchOptions, Progress
from ..sources.base import Source
from ..store import Store
from .graph import Node

CHUNK = 50  # addresses fetched together: one set of history queries for all of them


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
    def __init__(self, store: Store, source: Source, *, budget: int, direction: str, since: int | None,
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
        """Fetch what ``nodes`` lack, ``CHUNK`` addresses to one fetch (their queries share requests), nodes
        reached at nearby blocks together; the budget is checked before each chunk."""
        before = len(self.unexpanded)
        self.refreshed = set()
        head = min(self.until if self.until is not None else self.head, self.head)
        todo: list[tuple[int, int, Node]] = []
        for node in nodes:
            need = needs[node.id]
            if self.direction == "out":
                lo, hi = need.first_block, head
                if self.fetched_from.get(node.id, 1 << 62) <= lo:
                    continue
            else:
                lo, hi = self.since or 0, need.first_block
                if self.fetched_from.get(node.id, -1) >= hi:
                    continue
            todo.append((lo, hi, node))
        todo.sort(key=lambda t: (t[0], t[1], t[2].id))
        chunk: list[tuple[int, int, Node]] = []
        for i, item in enumerate(todo):
            chunk.append(item)
            size = sum(len(n.members) for _, _, n in chunk)
            if size >= CHUNK or i == len(todo) - 1:
                self._chunk(chunk, needs)
                chunk = []
        left = self.unexpanded[before:]
        if not left:
            return []
        return [f"the request budget ({self.budget}) ran out: {len(left)} reached address(es) were traced only "
                "from what the store already held: " + ", ".join(left[:10]) + (" ..." if len(left) > 10 else "")]

    def _chunk(self, chunk: list[tuple[int, int, Node]], needs: dict[str, Need]) -> None:
        if self.spent >= self.budget:
            self.unexpanded += sorted(m for _, _, node in chunk for m in node.members)
            return
        lo, hi = min(t[0] for t in chunk), max(t[1] for t in chunk)
        self._fetch({m for _, _, node in chunk for m in node.members}, lo, hi)
        for _, _, node in chunk:
            self.fetched_from[node.id] = lo if self.direction == "out" else hi
            self.refreshed.add(node.id)
        if self.direction == "out" and lo > (self.since or 0):
            stateless = self._openings([(m, needs[node.id].assets) for _, _, node in chunk
                                        for m in sorted(node.members)], lo)
            if stateless:  # no opening balance from this node: the history before it, then, to be exact
                self._fetch(stateless, self.since or 0, lo - 1)

    def _fetch(self, members: Iterable[str], lo: int, hi: int) -> None:
        addresses = sorted(members)
        summary = self.source.fetch(self.store, addresses, options=FetchOptions(from_block=lo, to_block=hi),
                                    progress=self.progress)
        how = "fetched " + ("(already stored)" if not summary.requests else f"via eth_getLogs and "
                            f"{summary.native_method or 'no native method'}")
        self.reads += [Read(a, (lo, hi), how) for a in addresses]

    def _openings(self, wanted: list[tuple[str, set[str]]], block: int) -> set[str]:
        """Balances at block - 1 of the assets the traced value brought, where the node keeps that state, into the
        store: a later trace starts the address's holding there too, with or without an RPC. Returns the
        addresses whose balance the node could not give (it keeps no state that old)."""
        asked = [(address, asset) for address, assets in wanted for asset in sorted(assets)]
        found: list[tuple[str, str, int, int]] = []
        stateless: set[str] = set()
        for (address, asset), held in zip(asked, self.source.balances(asked, block - 1), strict=True):
            if held is None:
                stateless.add(address)
            else:
                found.append((address, asset, block - 1, held))
        found = [f for f in found if f[0] not in stateless]  # an address is opened from the node, or not at all
        self.store.put_balances(self.source.chain.key, found)
        self.openings += len(found)
        self.no_state += len(stateless)
        return stateless

    def notes(self) -> list[str]:
        out = []
        if self.openings:
            out.append(f"{self.openings} opening balance(s) read from the node at the block before the traced "
                       "value arrived (eth_getBalance / balanceOf)")
        if self.no_state:
            out.append(f"{self.no_state} address(es) had no opening balance from the node (it keeps no state that "
                       "old): their history before the traced value arrived was fetched instead")
        return out

