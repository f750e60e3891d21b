"""An in-memory index of one chain's transfers for repeated traces (batch runs, the library, benchmarks).

Reading a frontier's transfers from the store scans every row of the transfers table once per round, which
costs about a second per round at 10M transfers. The index reads the table once into columnar arrays
(Arrow) and sorts the transfer numbers by address id (numpy), so a round becomes a slice per address. It
also counts each address's distinct payees and payers, which the hub test needs. Build it once, then pass it
to every :func:`trailscan.tracing.trace` over the same store (threads may share it); it reflects the store as it
was when built.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

import numpy as np
import pyarrow as pa

from ..model import FUNGIBLE_SQL
from ..store import Store
from .graph import Row, position


class TraceIndex:
    def __init__(self, store: Store, chain: str, *, memory_limit: str | None = "2GB") -> None:
        with store.memory_limit(memory_limit):
            self._build(store, chain)

    def _build(self, store: Store, chain: str) -> None:
        started = time.monotonic()
        self.chain = chain
        self._con = store.con.cursor()  # its own result set: the store's connection may hold an unfinished one
        self._lock = threading.Lock()
        # ids are DuckDB's 64-bit hashes of the addresses: computed in the scan, at no cost. Two addresses with
        # one hash would only share a slice; rows are matched to addresses by their text afterwards.
        table = self._con.sql(f"""
            SELECT t.block_number, coalesce(t.tx_index, s.tx_index, 1073741824) AS tx_index, t.tx_hash, t.locator,
                   t.block_time, t.from_address, t.to_address, t.asset, t.amount,
                   hash(t.from_address) AS from_id, hash(t.to_address) AS to_id
            FROM transfers t LEFT JOIN tx_senders s ON s.chain = t.chain AND s.tx_hash = t.tx_hash
            WHERE t.chain = ? AND t.kind IN {FUNGIBLE_SQL} AND t.amount <> '0'
        """, params=[chain]).to_arrow_reader(1 << 17)  # streamed: DuckDB never holds the whole result at once
        self.batches = [b for b in table if b.num_rows]
        table = pa.Table.from_batches(self.batches, schema=table.schema)
        self.starts = np.cumsum([0] + [b.num_rows for b in self.batches])
        src = table.column("from_id").to_numpy()
        dst = table.column("to_id").to_numpy()
        count = len(src)
        ends = np.concatenate([src, dst])
        order = np.argsort(ends, kind="stable")
        self.ends = ends[order]
        self.edge_rows = np.concatenate([np.arange(count), np.arange(count)])[order]
        self.degree_ids, self.degree_counts = self._degrees(chain)
        self.built_s = round(time.monotonic() - started, 3)

    def _degrees(self, chain: str) -> tuple[np.ndarray, np.ndarray]:
        """Sorted address ids with the larger of their distinct payees and distinct payers."""
        table = self._con.sql(f"""
            SELECT id, max(n) AS n FROM (
                SELECT hash(from_address) AS id, count(DISTINCT to_address) AS n FROM transfers
                WHERE chain = $1 AND kind IN {FUNGIBLE_SQL} AND amount <> '0' GROUP BY from_address
                UNION ALL
                SELECT hash(to_address), count(DISTINCT from_address) FROM transfers
                WHERE chain = $1 AND kind IN {FUNGIBLE_SQL} AND amount <> '0' GROUP BY to_address
            ) GROUP BY id ORDER BY id
        """, params=[chain]).to_arrow_table()
        return table.column("id").to_numpy(), table.column("n").to_numpy()

    def _hashes(self, addresses: list[str]) -> list[int]:
        if not addresses:
            return []
        with self._lock:  # one cursor, shared by every thread that traces with this index
            rows = self._con.execute("SELECT hash(a) FROM (SELECT UNNEST(?::VARCHAR[]) AS a,"
                                     " generate_subscripts(?, 1) AS i) ORDER BY i", [addresses, addresses]).fetchall()
        return [int(r[0]) for r in rows]

    def rows_for(self, addresses: Iterable[str]) -> list[Row]:
        """Every transfer touching any of ``addresses`` (each once)."""
        wanted = list(dict.fromkeys(addresses))
        hashes = np.asarray(self._hashes(wanted), dtype=np.uint64)
        if not len(hashes):
            return []
        lo = np.searchsorted(self.ends, hashes, side="left")
        hi = np.searchsorted(self.ends, hashes, side="right")
        slices = [self.edge_rows[a:b] for a, b in zip(lo, hi, strict=True) if b > a]
        if not slices:
            return []
        picked = np.unique(np.concatenate(slices))
        out: list[Row] = []
        cuts = np.searchsorted(picked, self.starts)
        for k, batch in enumerate(self.batches):
            part = picked[cuts[k]:cuts[k + 1]]
            if not len(part):
                continue
            taken = batch.take(pa.array(part - self.starts[k]))
            cols = [taken.column(c).to_pylist() for c in ("block_number", "tx_index", "tx_hash", "locator",
                                                          "block_time", "from_address", "to_address", "asset",
                                                          "amount")]
            out += [Row((int(b), int(i), position(loc)), tx, loc, int(b), when, f, t, a, int(am))
                    for b, i, tx, loc, when, f, t, a, am in zip(*cols, strict=True)]
        return out

    def degree(self, addresses: Iterable[str]) -> dict[str, int]:
        """The larger of distinct payees and distinct payers, per address the index knows."""
        wanted = list(dict.fromkeys(addresses))
        hashes = np.asarray(self._hashes(wanted), dtype=np.uint64)
        at = np.searchsorted(self.degree_ids, hashes)
        out = {}
        for address, h, i in zip(wanted, hashes.tolist(), at.tolist(), strict=True):
            known = i < len(self.degree_ids) and int(self.degree_ids[i]) == h
            out[address] = int(self.degree_counts[i]) if known else 0
        return out
