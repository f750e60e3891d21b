"""What a trace reads from the store: the time-ordered transfers of the nodes it reaches, the nodes themselves
(an address, or its cluster at entity level), their labels and their fan-out. Set-based: one query per round
for the whole frontier, never one per address."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import pyarrow as pa

from ..labels import LabelSet
from ..model import FUNGIBLE_SQL
from ..store import Store
from .model import LabelRef

if TYPE_CHECKING:
    from .index import TraceIndex


_NUMBERS = re.compile(r"\d+")


class Row(NamedTuple):
    """One fungible transfer, with its exact position in time."""

    order: tuple[int, int, tuple[int, ...]]  # block, transaction index, position inside the transaction
    tx_hash: str
    locator: str
    block: int
    time: int | None
    sender: str
    receiver: str
    asset: str
    amount: int

    @property
    def key(self) -> tuple[str, str]:
        return (self.tx_hash, self.locator)


def position(locator: str) -> tuple[int, ...]:
    """Where a record sits inside its transaction, from the numbers of its locator in order: a log's index
    (``log:3``), a call's trace address (``call:0.1``, depth first), an instruction (``ix:2.0``), an event and
    coin (``event:10:0``)."""
    return tuple(int(p) for p in _NUMBERS.findall(locator.partition(":")[2]))


@dataclass(eq=False)
class Node:
    id: str  # the address, or the cluster id
    members: frozenset[str]
    cluster: str | None = None
    labels: list[LabelRef] = field(default_factory=list)
    hub: bool = False
    cluster_evidence: dict[str, int] = field(default_factory=dict)


class Graph:
    """Reads the store for one chain within one block window and asset filter."""

    def __init__(self, store: Store, labels: LabelSet, chain: str, *, until: int | None, assets: tuple[str, ...],
                 entities: bool, hub_limit: int, index: TraceIndex | None = None) -> None:
        self.store, self.labels, self.chain, self.index = store, labels, chain, index
        self.until, self.assets, self.entities, self.hub_limit = until, assets, entities, hub_limit
        self.node_of: dict[str, Node] = {}  # address -> node
        self.by_id: dict[str, Node] = {}
        self.timelines: dict[str, list[Row]] = {}
        # node id -> opening balances read from the node: (block, member, asset, raw held at the end of block)
        self.openings: dict[str, list[tuple[int, str, str, int]]] = {}
        self.has_clusters = entities and bool(store.con.execute(
            "SELECT count(*) FROM clusters WHERE chain = ?", [chain]).fetchall()[0][0])

    def nodes(self, addresses: Iterable[str]) -> list[Node]:
        """The nodes of ``addresses`` (made on first sight: members, labels, hub status)."""
        wanted = [a for a in dict.fromkeys(addresses) if a not in self.node_of]
        if wanted:
            self._make(wanted)
        return [self.node_of[a] for a in addresses]

    def _make(self, addresses: list[str]) -> None:
        con = self.store.con
        clusters: dict[str, list[str]] = {}
        if self.has_clusters:
            con.register("wanted", pa.table({"address": pa.array(addresses, pa.string())}))
            try:
                rows = con.execute("""
                    SELECT c.cluster_id, c.address FROM clusters c
                    WHERE c.chain = ? AND c.cluster_id IN (SELECT k.cluster_id FROM clusters k
                        JOIN wanted w ON w.address = k.address WHERE k.chain = ?)
                    ORDER BY c.cluster_id, c.address
                """, [self.chain, self.chain]).fetchall()
            finally:
                con.unregister("wanted")
            for cid, address in rows:
                clusters.setdefault(str(cid), []).append(str(address))
        made: list[Node] = []
        for cid, members in clusters.items():
            node = Node(cid, frozenset(members), cid)
            made.append(node)
            for m in members:
                self.node_of[m] = node
        for a in addresses:
            if a not in self.node_of:
                node = Node(a, frozenset((a,)))
                self.node_of[a] = node
                made.append(node)
        self._describe(made)
        self.by_id.update({n.id: n for n in made})

    def node_of_id(self, node_id: str) -> Node:
        return self.by_id[node_id]

    def _describe(self, nodes: list[Node]) -> None:
        members = sorted({m for n in nodes for m in n.members})
        derived: dict[str, list[LabelRef]] = {}
        con = self.store.con
        con.register("wanted", pa.table({"address": pa.array(members, pa.string())}))
        try:
            for address, label, category, actor, heuristic, confidence, evidence in con.execute("""
                SELECT d.address, d.label, d.category, d.actor, d.heuristic, d.confidence, d.evidence
                FROM derived_labels d JOIN wanted w ON w.address = d.address WHERE d.chain = ?
                ORDER BY d.address, d.label
            """, [self.chain]).fetchall():
                txs = ", ".join(dict.fromkeys(e["tx"] for e in json.loads(evidence)))
                derived.setdefault(str(address), []).append(LabelRef(
                    str(label), str(category), actor, int(confidence), f"heuristic {heuristic}: {txs}", "derived"))
            evidence_rows = con.execute("""
                SELECT c.cluster_id, l.heuristic, count(*) FROM links l
                JOIN clusters c ON c.chain = l.chain AND c.address = l.a
                WHERE l.chain = ? AND c.cluster_id IN (SELECT cluster_id FROM clusters k JOIN wanted w
                                                      ON w.address = k.address WHERE k.chain = ?)
                GROUP BY ALL ORDER BY 1, 2
            """, [self.chain, self.chain]).fetchall() if self.has_clusters else []
        finally:
            con.unregister("wanted")
        for cid, heuristic, count in evidence_rows:
            node = next((n for n in nodes if n.id == cid), None)
            if node is not None:
                node.cluster_evidence[str(heuristic)] = int(count)
        for node in nodes:
            for member in sorted(node.members):
                for tag in self.labels.lookup(self.chain, member):
                    node.labels.append(LabelRef(tag.label, tag.category, tag.actor, tag.confidence,
                                                f"{tag.source} ({tag.cited})",
                                                "direct" if len(node.members) == 1 else "via-cluster"))
                node.labels += derived.get(member, [])
            node.labels.sort(key=lambda lab: -lab.confidence)
        self._hubs(nodes)

    def _hubs(self, nodes: list[Node]) -> None:
        """Mark nodes with a member whose distinct payees or payers in the store exceed the hub limit."""
        members = sorted({m for n in nodes for m in n.members})
        if self.index is not None:
            degree = self.index.degree(members)
            for node in nodes:
                node.hub = any(degree.get(m, 0) > self.hub_limit for m in node.members)
            return
        con = self.store.con
        con.register("wanted", pa.table({"address": pa.array(members, pa.string())}))
        try:
            rows = con.execute("""
                SELECT address, max(n) FROM (
                    SELECT t.from_address AS address, count(DISTINCT t.to_address) AS n FROM transfers t
                    WHERE t.chain = ? AND t.from_address IN (SELECT address FROM wanted) GROUP BY 1
                    UNION ALL
                    SELECT t.to_address, count(DISTINCT t.from_address) FROM transfers t
                    WHERE t.chain = ? AND t.to_address IN (SELECT address FROM wanted) GROUP BY 1
                ) GROUP BY address
            """, [self.chain, self.chain]).fetchall()
        finally:
            con.unregister("wanted")
        degree = {str(a): int(n) for a, n in rows}
        for node in nodes:
            node.hub = any(degree.get(m, 0) > self.hub_limit for m in node.members)

    def unfetched(self, nodes: Iterable[Node]) -> set[str]:
        """Ids of nodes none of whose members was ever fetched as a wallet (the store holds only the transfers
        that touched fetched wallets, so what such a node did next is unknown)."""
        todo = list({n.id: n for n in nodes}.values())
        members = sorted({m for n in todo for m in n.members})
        if not members:
            return set()
        fetched = {str(r[0]) for r in self.store.con.execute(
            "SELECT DISTINCT subject FROM coverage WHERE chain = ? AND scope LIKE 'logs:%'"
            " AND subject IN (SELECT UNNEST(?::VARCHAR[]))", [self.chain, members]).fetchall()}
        return {n.id for n in todo if not (n.members & fetched)}

    def forget(self, node_ids: Iterable[str]) -> None:
        """Drop cached timelines (after a fetch added records for these nodes)."""
        nodes = [self.by_id[n] for n in node_ids if n in self.by_id]
        for node in nodes:
            self.timelines.pop(node.id, None)
            self.openings.pop(node.id, None)
        if nodes:
            self._hubs(nodes)  # what was fetched may show a hub

    def load(self, nodes: Iterable[Node]) -> None:
        """Read the transfers of every node not loaded yet, in one query, and sort each node's timeline."""
        todo = list({n.id: n for n in nodes if n.id not in self.timelines}.values())
        if not todo:
            return
        owner = {m: n.id for n in todo for m in n.members}
        for n in todo:
            self.timelines[n.id] = []
        for row in self._rows(sorted(owner)):
            a, b = owner.get(row.sender), owner.get(row.receiver)
            if a is not None:
                self.timelines[a].append(row)
            if b is not None and b != a:
                self.timelines[b].append(row)
        for n in todo:
            self.timelines[n.id].sort()
            self.openings[n.id] = []
        for (member, asset), (block, raw) in sorted(self.store.openings(self.chain, sorted(owner),
                                                                          until=self.until).items()):
            self.openings[owner[member]].append((block, member, asset, raw))
        for n in todo:
            self.openings[n.id].sort()
        # every counterparty becomes a node now, in one batch, rather than one query each when value reaches it
        self.nodes([a for n in todo for r in self.timelines[n.id] for a in (r.sender, r.receiver)
                    if a not in n.members])

    def _rows(self, addresses: list[str]) -> list[Row]:
        """The fungible transfers touching ``addresses`` within the window and asset filter."""
        if self.index is not None:
            assets = set(self.assets)
            return [r for r in self.index.rows_for(addresses)
                    if (self.until is None or r.block <= self.until) and (not assets or r.asset in assets)]
        con = self.store.con
        con.register("wanted", pa.table({"address": pa.array(addresses, pa.string())}))
        where = ["t.chain = ?", f"t.kind IN {FUNGIBLE_SQL}", "t.amount <> '0'"]
        params: list[object] = [self.chain]
        if self.until is not None:
            where.append("t.block_number <= ?")
            params.append(self.until)
        if self.assets:
            where.append("t.asset IN (SELECT UNNEST(?::VARCHAR[]))")
            params.append(list(self.assets))
        cond = " AND ".join(where)
        try:
            rows = con.execute(f"""
                SELECT t.block_number, coalesce(t.tx_index, s.tx_index), t.tx_hash, t.locator, t.block_time,
                       t.from_address, t.to_address, t.asset, t.amount
                FROM transfers t LEFT JOIN tx_senders s ON s.chain = t.chain AND s.tx_hash = t.tx_hash
                WHERE {cond} AND (t.from_address IN (SELECT address FROM wanted)
                                  OR t.to_address IN (SELECT address FROM wanted))
            """, params).fetchall()
        finally:
            con.unregister("wanted")
        return [Row((int(block), int(index) if index is not None else 1 << 30, position(locator)), tx, locator,
                    int(block), when, sender, receiver, asset, int(amount))
                for block, index, tx, locator, when, sender, receiver, asset, amount in rows]
