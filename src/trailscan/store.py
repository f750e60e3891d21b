"""The embedded store: the only module that knows the on-disk schema (DuckDB).

Guarantees:
- idempotent: a record is identified by (chain, tx_hash, locator); writing it again inserts nothing;
- resumable: records and the coverage checkpoint that says "this query is done for these blocks" are
  committed in one transaction, so a killed fetch resumes with no gap and no duplicate;
- reorg-aware: blocks above the finality point are kept with their hash and re-checked later;
- schema-versioned: ``meta.schema_version`` plus ordered migrations.
Amounts are stored as decimal strings (uint256 does not fit any native integer column).
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from .errors import InputError, StoreError
from .model import Approval, Token, Transfer

SCHEMA_VERSION = 4

TRANSFER_COLUMNS: tuple[tuple[str, str, pa.DataType], ...] = (
    ("chain", "VARCHAR NOT NULL", pa.string()),
    ("block_number", "UBIGINT NOT NULL", pa.uint64()),
    ("block_hash", "VARCHAR NOT NULL", pa.string()),
    ("block_time", "BIGINT", pa.int64()),
    ("tx_hash", "VARCHAR NOT NULL", pa.string()),
    ("locator", "VARCHAR NOT NULL", pa.string()),
    ("kind", "VARCHAR NOT NULL", pa.string()),
    ("from_address", "VARCHAR NOT NULL", pa.string()),
    ("to_address", "VARCHAR NOT NULL", pa.string()),
    ("asset", "VARCHAR NOT NULL", pa.string()),
    ("token_id", "VARCHAR", pa.string()),
    ("amount", "VARCHAR NOT NULL", pa.string()),
    ("decimals", "INTEGER", pa.int32()),
    ("method", "VARCHAR NOT NULL", pa.string()),
    # schema 2: the transaction's position in its block, and its sender where the record itself shows it
    # (native value: the root call's caller). A log does not name the sender: see the tx_senders table.
    ("tx_index", "INTEGER", pa.int32()),
    ("tx_from", "VARCHAR", pa.string()),
    # schema 4: where a chain moves tokens between accounts that wallets own (Solana's token accounts), the
    # accounts; from_address and to_address are then their owners, so that tracing follows wallets
    ("from_account", "VARCHAR", pa.string()),
    ("to_account", "VARCHAR", pa.string()),
)
APPROVAL_COLUMNS: tuple[tuple[str, str, pa.DataType], ...] = (
    ("chain", "VARCHAR NOT NULL", pa.string()),
    ("block_number", "UBIGINT NOT NULL", pa.uint64()),
    ("block_hash", "VARCHAR NOT NULL", pa.string()),
    ("block_time", "BIGINT", pa.int64()),
    ("tx_hash", "VARCHAR NOT NULL", pa.string()),
    ("log_index", "INTEGER NOT NULL", pa.int32()),
    ("kind", "VARCHAR NOT NULL", pa.string()),
    ("owner", "VARCHAR NOT NULL", pa.string()),
    ("spender", "VARCHAR NOT NULL", pa.string()),
    ("asset", "VARCHAR NOT NULL", pa.string()),
    ("amount", "VARCHAR NOT NULL", pa.string()),
    ("method", "VARCHAR NOT NULL", pa.string()),
    ("tx_index", "INTEGER", pa.int32()),  # schema 2
)
_V1_COLUMNS = {"transfers": 14, "approvals": 12}  # the columns a schema-1 table was created with


def _ddl(name: str, columns: Sequence[tuple[str, str, pa.DataType]]) -> str:
    return f"CREATE TABLE {name} (" + ", ".join(f"{c} {t}" for c, t, _ in columns[:_V1_COLUMNS[name]]) + ")"


def _added(name: str, columns: Sequence[tuple[str, str, pa.DataType]], end: int | None = None) -> tuple[str, ...]:
    """The columns added after schema 1, up to ``end`` (exclusive; None: all)."""
    start = _V1_COLUMNS[name]
    return tuple(f"ALTER TABLE {name} ADD COLUMN {c} {t}" for c, t, _ in columns[start:end])


# Ordered migrations: index i brings a store from version i to i + 1.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
        _ddl("transfers", TRANSFER_COLUMNS),
        _ddl("approvals", APPROVAL_COLUMNS),
        "CREATE TABLE tokens (chain VARCHAR NOT NULL, address VARCHAR NOT NULL, symbol VARCHAR, name VARCHAR,"
        " decimals INTEGER, PRIMARY KEY (chain, address))",
        "CREATE TABLE blocks (chain VARCHAR NOT NULL, number UBIGINT NOT NULL, hash VARCHAR NOT NULL,"
        " time BIGINT, finalized BOOLEAN NOT NULL, PRIMARY KEY (chain, number))",
        "CREATE TABLE coverage (chain VARCHAR NOT NULL, scope VARCHAR NOT NULL, subject VARCHAR NOT NULL,"
        " lo UBIGINT NOT NULL, hi UBIGINT NOT NULL, method VARCHAR NOT NULL)",
    ),
    (  # 2: what clustering reads (tx order and senders, contract status) and what it derives
        *_added("transfers", TRANSFER_COLUMNS, 16),
        *_added("approvals", APPROVAL_COLUMNS),
        "CREATE TABLE tx_senders (chain VARCHAR NOT NULL, tx_hash VARCHAR NOT NULL, block_number UBIGINT NOT NULL,"
        " tx_index INTEGER, tx_from VARCHAR NOT NULL, tx_to VARCHAR, PRIMARY KEY (chain, tx_hash))",
        "CREATE TABLE address_info (chain VARCHAR NOT NULL, address VARCHAR NOT NULL, is_contract BOOLEAN NOT NULL,"
        " delegated_to VARCHAR, checked_block UBIGINT NOT NULL, PRIMARY KEY (chain, address))",
        "CREATE TABLE links (chain VARCHAR NOT NULL, a VARCHAR NOT NULL, b VARCHAR NOT NULL,"
        " heuristic VARCHAR NOT NULL, confidence INTEGER NOT NULL, evidence VARCHAR NOT NULL,"
        " params VARCHAR NOT NULL, derived_at TIMESTAMP NOT NULL, run_id INTEGER NOT NULL)",
        "CREATE TABLE link_reviews (chain VARCHAR NOT NULL, a VARCHAR NOT NULL, b VARCHAR NOT NULL,"
        " heuristic VARCHAR NOT NULL, confidence INTEGER NOT NULL, status VARCHAR NOT NULL,"
        " reason VARCHAR NOT NULL, evidence VARCHAR NOT NULL, run_id INTEGER NOT NULL)",
        "CREATE TABLE derived_labels (chain VARCHAR NOT NULL, address VARCHAR NOT NULL, label VARCHAR NOT NULL,"
        " category VARCHAR NOT NULL, actor VARCHAR, heuristic VARCHAR NOT NULL, confidence INTEGER NOT NULL,"
        " evidence VARCHAR NOT NULL, run_id INTEGER NOT NULL)",
        "CREATE TABLE clusters (chain VARCHAR NOT NULL, address VARCHAR NOT NULL, cluster_id VARCHAR NOT NULL,"
        " run_id INTEGER NOT NULL, PRIMARY KEY (chain, address))",
        "CREATE TABLE cluster_runs (run_id INTEGER PRIMARY KEY, started TIMESTAMP NOT NULL,"
        " finished TIMESTAMP NOT NULL, settings VARCHAR NOT NULL, summary VARCHAR NOT NULL)",
    ),
    (  # 3: balances read from the node, the opening balance of an address whose history is stored from a block on
        "CREATE TABLE balances (chain VARCHAR NOT NULL, address VARCHAR NOT NULL, asset VARCHAR NOT NULL,"
        " block_number UBIGINT NOT NULL, raw VARCHAR NOT NULL, PRIMARY KEY (chain, address, asset, block_number))",
    ),
    (  # 4: token accounts of chains that move tokens between accounts owned by wallets
        "ALTER TABLE transfers ADD COLUMN from_account VARCHAR",
        "ALTER TABLE transfers ADD COLUMN to_account VARCHAR",
    ),
)

EXPORTABLE = ("transfers", "approvals", "tokens", "blocks", "coverage", "tx_senders", "address_info", "links",
              "link_reviews", "derived_labels", "clusters", "balances")


@dataclass
class Batch:
    """Rows to commit atomically: records, block headers, token metadata and coverage checkpoints."""

    transfers: dict[str, list[Any]]
    approvals: dict[str, list[Any]]
    blocks: dict[int, tuple[str, int | None, bool]]  # number -> (hash, time, finalized)
    coverage: list[tuple[str, str, int, int, str]]  # (scope, subject, lo, hi, method)
    # transactions' senders and targets, where the source reads them with the records
    senders: list[tuple[str, int, int | None, str, str | None]] = field(default_factory=list)

    @classmethod
    def empty(cls) -> Batch:
        return cls({c: [] for c, _, _ in TRANSFER_COLUMNS}, {c: [] for c, _, _ in APPROVAL_COLUMNS}, {}, [], [])

    @property
    def size(self) -> int:
        return len(self.transfers["tx_hash"]) + len(self.approvals["tx_hash"])


def merge_ranges(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge inclusive integer ranges that overlap or touch."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def subtract_ranges(lo: int, hi: int, covered: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of [lo, hi] not inside any of ``covered`` (which must be merged and sorted)."""
    gaps: list[tuple[int, int]] = []
    cursor = lo
    for c_lo, c_hi in covered:
        if c_hi < cursor:
            continue
        if c_lo > hi:
            break
        if c_lo > cursor:
            gaps.append((cursor, c_lo - 1))
        cursor = max(cursor, c_hi + 1)
        if cursor > hi:
            break
    if cursor <= hi:
        gaps.append((cursor, hi))
    return gaps


class Store:
    """A trailscan store file. One writer process at a time (DuckDB's own lock)."""

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise StoreError(f"no store at {self.path}", hint="run 'trailscan fetch' first, or pass --store PATH")
        if not read_only and self.path.parent and not self.path.parent.exists():
            raise StoreError(f"the folder of the store {self.path} does not exist",
                             hint="create it or pick another --store")
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            raise _lock_or_io_error(self.path, exc) from None
        except duckdb.Error as exc:
            raise StoreError(f"cannot open the store {self.path}: {_one_line(exc)}",
                             hint="is it a trailscan store (a DuckDB file)?") from None
        self._lock = threading.Lock()
        self._migrate(read_only)

    def close(self) -> None:
        self.con.close()

    def for_thread(self) -> Store:
        """This store for another thread: the same database through a cursor of its own (a DuckDB connection
        serves one thread at a time). Writes stay one at a time across all views (they share the lock), so the
        check that keeps a record from being stored twice always sees what the other threads committed. Close
        the view when the thread is done."""
        view = copy.copy(self)
        view.con = self.con.cursor()
        return view

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -------------------------------------------------------------------------------------

    def schema_version(self) -> int:
        tables = {r[0] for r in self.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "meta" not in tables:
            if tables:
                raise StoreError(f"{self.path} is a DuckDB file but not a trailscan store",
                                 hint="pass another --store path")
            return 0
        row = self.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self, read_only: bool) -> None:
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the store {self.path} has schema version {version}, newer than this trailscan ({SCHEMA_VERSION})",
                hint="upgrade trailscan",
            )
        if version == SCHEMA_VERSION:
            return
        if read_only:
            raise StoreError(f"the store {self.path} needs a schema upgrade", hint="open it once without read-only")
        with self.transaction():
            for step in MIGRATIONS[version:]:
                for statement in step:
                    self.con.execute(statement)
            self.con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
            )

    @contextmanager
    def memory_limit(self, limit: str | None) -> Iterator[None]:
        """DuckDB's memory limit for the duration of a bulk job (None: DuckDB's default, 80% of the RAM); beyond
        it, DuckDB spills to disk."""
        if limit is None:
            yield
            return
        check_memory(limit)
        try:
            self.con.execute(f"SET memory_limit = '{limit}'")
        except duckdb.Error:
            raise InputError(f"--memory-limit {limit[:20]!r} is not a memory size DuckDB accepts",
                             hint="use e.g. 3.5GB or 800MB") from None
        try:
            yield
        finally:
            self.con.execute("RESET memory_limit")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing; a database failure (disk full, I/O error) becomes a StoreError after rollback."""
        with self._lock:
            self.con.execute("BEGIN TRANSACTION")
            try:
                yield
                self.con.execute("COMMIT")
            except duckdb.Error as exc:
                self._rollback()
                raise StoreError(f"writing to the store {self.path} failed: {_one_line(exc)}",
                                 hint="nothing of this batch was written; check free disk space and run again") from exc
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        with suppress(duckdb.Error):  # the transaction may already be gone (DuckDB aborts it on some errors)
            self.con.execute("ROLLBACK")

    # -- writing ------------------------------------------------------------------------------------

    def write(self, chain: str, batch: Batch) -> dict[str, int]:
        """Commit a batch atomically; returns how many new records of each kind were inserted
        (transfer kinds as stored; approvals under "approval")."""
        with self.transaction():
            if batch.blocks:
                numbers = list(batch.blocks)
                values = list(batch.blocks.values())
                self._insert_arrow("INSERT OR REPLACE INTO blocks SELECT * FROM arrow_rows", {
                    "chain": pa.array([chain] * len(numbers), pa.string()),
                    "number": pa.array(numbers, pa.uint64()),
                    "hash": pa.array([v[0] for v in values], pa.string()),
                    "time": pa.array([v[1] for v in values], pa.int64()),
                    "finalized": pa.array([v[2] for v in values], pa.bool_()),
                })
            if batch.coverage:
                scope, subject, lo, hi, method = zip(*batch.coverage, strict=True)
                self._insert_arrow("INSERT INTO coverage SELECT * FROM arrow_rows", {
                    "chain": pa.array([chain] * len(scope), pa.string()), "scope": pa.array(scope, pa.string()),
                    "subject": pa.array(subject, pa.string()), "lo": pa.array(lo, pa.uint64()),
                    "hi": pa.array(hi, pa.uint64()), "method": pa.array(method, pa.string()),
                })
            if batch.senders:
                self._senders(chain, batch.senders)
            # after the headers: rows without a block time take it from the blocks table
            counts = self._insert_new("transfers", _staged(TRANSFER_COLUMNS, batch.transfers), ("tx_hash", "locator"))
            approvals = self._insert_new("approvals", _staged(APPROVAL_COLUMNS, batch.approvals),
                                         ("tx_hash", "log_index"))
            if approvals:
                counts["approval"] = sum(approvals.values())
        return counts

    def put_senders(self, chain: str, rows: Sequence[tuple[str, int, int | None, str, str | None]]) -> None:
        """Store transactions' senders and targets: (tx_hash, block, tx_index, tx_from, tx_to). Bulk rows go in
        as Arrow here and below: DuckDB's executemany inserts row by row (about 3 ms a row)."""
        if rows:
            with self.transaction():
                self._senders(chain, rows)

    def put_code_status(self, chain: str, rows: Sequence[tuple[str, bool, str | None, int]]) -> None:
        """Store addresses' code status: (address, is_contract, delegated_to, checked_block)."""
        if not rows:
            return
        address, contract, delegated, block = zip(*rows, strict=True)
        with self.transaction():
            self._insert_arrow("INSERT OR REPLACE INTO address_info SELECT * FROM arrow_rows", {
                "chain": pa.array([chain] * len(address), pa.string()), "address": pa.array(address, pa.string()),
                "is_contract": pa.array(contract, pa.bool_()), "delegated_to": pa.array(delegated, pa.string()),
                "checked_block": pa.array(block, pa.uint64())})

    def _senders(self, chain: str, rows: Sequence[tuple[str, int, int | None, str, str | None]]) -> None:
        tx, block, index, sender, target = zip(*rows, strict=True)
        self._insert_arrow("INSERT OR REPLACE INTO tx_senders SELECT * FROM arrow_rows", {
            "chain": pa.array([chain] * len(tx), pa.string()), "tx_hash": pa.array(tx, pa.string()),
            "block_number": pa.array(block, pa.uint64()), "tx_index": pa.array(index, pa.int32()),
            "tx_from": pa.array(sender, pa.string()), "tx_to": pa.array(target, pa.string())})

    def _insert_arrow(self, sql: str, columns: dict[str, pa.Array]) -> None:
        self.con.register("arrow_rows", pa.table(columns))
        try:
            self.con.execute(sql)
        finally:
            self.con.unregister("arrow_rows")

    def _insert_new(self, table: str, staged: pa.Table | None, key: tuple[str, ...]) -> dict[str, int]:
        """Insert the rows not stored yet (identity: chain + key), restricted to the batch's block span.

        Missing block times come from ``blocks``; missing ERC-20 decimals from ``tokens``."""
        if staged is None:
            return {}
        self.con.register("staged", staged)
        try:
            lo, hi = self.con.execute("SELECT min(block_number), max(block_number) FROM staged").fetchone() or (0, 0)
            cond = " AND ".join(f"t.{k} = s.{k}" for k in ("chain", *key))
            filled = "s.* REPLACE (coalesce(s.block_time, b.time) AS block_time"
            if table == "transfers":
                filled += ", coalesce(s.decimals, CASE WHEN s.kind = 'erc20' THEN k.decimals END) AS decimals"
            self.con.execute(
                "CREATE OR REPLACE TEMP TABLE fresh AS SELECT DISTINCT ON "
                f"(s.chain, {', '.join('s.' + k for k in key)}) {filled}) FROM staged s"
                " LEFT JOIN blocks b ON b.chain = s.chain AND b.number = s.block_number"
                + (" LEFT JOIN tokens k ON k.chain = s.chain AND k.address = s.asset" if table == "transfers" else "")
                + f" WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.block_number BETWEEN ? AND ? AND {cond})",
                [lo, hi],
            )
            self.con.execute(f"INSERT INTO {table} SELECT * FROM fresh")
            rows = self.con.execute("SELECT kind, count(*) FROM fresh GROUP BY kind").fetchall()
            self.con.execute("DROP TABLE fresh")
            return {str(k): int(n) for k, n in rows}
        finally:
            self.con.unregister("staged")

    def _count(self, table: str) -> int:
        row = self.con.execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(row[0]) if row else 0

    def put_tokens(self, tokens: Iterable[Token]) -> None:
        rows = [(t.chain, t.address, t.symbol, t.name, t.decimals) for t in tokens]
        if rows:
            with self.transaction():
                self.con.executemany("INSERT OR REPLACE INTO tokens VALUES (?, ?, ?, ?, ?)", rows)

    # -- coverage and reorgs --------------------------------------------------------------------------

    def covered(self, chain: str, scopes: Sequence[str], subject: str) -> list[tuple[int, int]]:
        """Merged block ranges already fetched for ``subject`` under any of ``scopes``."""
        marks = ", ".join("?" for _ in scopes)
        rows = self.con.execute(
            f"SELECT lo, hi FROM coverage WHERE chain = ? AND subject = ? AND scope IN ({marks})",
            [chain, subject, *scopes],
        ).fetchall()
        return merge_ranges((int(lo), int(hi)) for lo, hi in rows)

    # -- balances -------------------------------------------------------------------------------------

    def put_balances(self, chain: str, rows: Iterable[tuple[str, str, int, int]]) -> None:
        """Store balances read from the node: (address, asset, block, raw held at the end of that block)."""
        data = [(chain, a, asset, block, str(raw)) for a, asset, block, raw in rows]
        if data:
            with self.transaction():
                self.con.executemany("INSERT OR REPLACE INTO balances VALUES (?, ?, ?, ?, ?)", data)

    def openings(self, chain: str, addresses: Sequence[str], *,
                 until: int | None = None) -> dict[tuple[str, str], tuple[int, int]]:
        """(address, asset) -> (block, raw): the latest stored balance (before ``until``) at a block no fetched
        range of the address contains: it sums up the address's records up to that block, so a trace starts the
        holding there; once the history before is fetched, it no longer applies."""
        if not addresses:
            return {}
        rows = self.con.execute("""
            SELECT b.address, b.asset, max(b.block_number), arg_max(b.raw, b.block_number) FROM balances b
            WHERE b.chain = ? AND b.address IN (SELECT UNNEST(?::VARCHAR[])) AND b.block_number < ?
              AND NOT EXISTS (SELECT 1 FROM coverage c WHERE c.chain = b.chain AND c.subject = b.address
                              AND c.lo <= b.block_number AND c.hi >= b.block_number)
            GROUP BY b.address, b.asset
        """, [chain, list(addresses), until if until is not None else 1 << 62]).fetchall()
        return {(str(a), str(asset)): (int(block), int(raw)) for a, asset, block, raw in rows}

    def unfinalized_blocks(self, chain: str) -> list[tuple[int, str]]:
        rows = self.con.execute(
            "SELECT number, hash FROM blocks WHERE chain = ? AND NOT finalized ORDER BY number", [chain]
        ).fetchall()
        return [(int(n), str(h)) for n, h in rows]

    def mark_finalized(self, chain: str, up_to: int) -> None:
        with self.transaction():
            self.con.execute(
                "UPDATE blocks SET finalized = true WHERE chain = ? AND number <= ? AND NOT finalized", [chain, up_to]
            )

    def rollback_from(self, chain: str, block: int) -> int:
        """Forget everything at or above ``block`` (a reorg): records, headers and coverage. Returns records removed."""
        with self.transaction():
            removed = 0
            for table in ("transfers", "approvals"):
                row = self.con.execute(
                    f"SELECT count(*) FROM {table} WHERE chain = ? AND block_number >= ?", [chain, block]
                ).fetchone()
                removed += int(row[0]) if row else 0
                self.con.execute(f"DELETE FROM {table} WHERE chain = ? AND block_number >= ?", [chain, block])
            self.con.execute("DELETE FROM tx_senders WHERE chain = ? AND block_number >= ?", [chain, block])
            self.con.execute("DELETE FROM balances WHERE chain = ? AND block_number >= ?", [chain, block])
            self.con.execute("DELETE FROM blocks WHERE chain = ? AND number >= ?", [chain, block])
            self.con.execute("DELETE FROM coverage WHERE chain = ? AND lo >= ?", [chain, block])
            self.con.execute("UPDATE coverage SET hi = ? WHERE chain = ? AND hi >= ?", [block - 1, chain, block])
        return removed

    def tokens(self, chain: str) -> dict[str, Token]:
        sql = "SELECT address, symbol, name, decimals FROM tokens WHERE chain = ?"
        rows = self.con.execute(sql, [chain]).fetchall()
        return {a: Token(chain, a, s, n, d) for a, s, n, d in rows}

    def block_times(self, chain: str, numbers: Iterable[int]) -> dict[int, tuple[str, int | None]]:
        wanted = sorted(set(numbers))
        if not wanted:
            return {}
        rows = self.con.execute(
            "SELECT number, hash, time FROM blocks WHERE chain = ? AND number BETWEEN ? AND ?",
            [chain, wanted[0], wanted[-1]],
        ).fetchall()
        keep = set(wanted)
        return {int(n): (str(h), t) for n, h, t in rows if int(n) in keep}

    # -- reading ------------------------------------------------------------------------------------

    def transfers(
        self,
        address: str | None = None,
        *,
        chain: str | None = None,
        kind: str | None = None,
        asset: str | None = None,
        direction: str = "both",
        from_block: int | None = None,
        to_block: int | None = None,
        limit: int | None = None,
    ) -> list[Transfer]:
        """Stored transfers, oldest first; ``direction`` is in, out or both relative to ``address``."""
        where, params = _filters(address, chain, kind, asset, direction, from_block, to_block,
                                 ("from_address", "to_address"))
        sql = (
            "SELECT t.chain, block_number, block_hash, block_time, tx_hash, locator, kind, from_address, to_address,"
            " asset, amount, coalesce(t.decimals, k.decimals), method, token_id, k.symbol FROM transfers t"
            " LEFT JOIN tokens k ON k.chain = t.chain AND k.address = t.asset"
            f"{where} ORDER BY block_number, tx_hash, locator"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [
            Transfer(c, int(bn), bh, bt, tx, loc, kd, fa, ta, a, int(am), dec, m,
                     int(tid) if tid is not None else None, sym)
            for c, bn, bh, bt, tx, loc, kd, fa, ta, a, am, dec, m, tid, sym in self.con.execute(sql, params).fetchall()
        ]

    def approvals(self, address: str | None = None, *, chain: str | None = None,
                  limit: int | None = None) -> list[Approval]:
        where, params = _filters(address, chain, None, None, "both", None, None, ("owner", "spender"))
        sql = ("SELECT chain, block_number, block_hash, block_time, tx_hash, log_index, kind, owner, spender, asset,"
               f" amount, method FROM approvals{where} ORDER BY block_number, tx_hash, log_index")
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [Approval(c, int(bn), bh, bt, tx, li, k, o, s, a, int(am), m)
                for c, bn, bh, bt, tx, li, k, o, s, a, am, m in self.con.execute(sql, params).fetchall()]

    def counts(self) -> dict[str, int]:
        return {t: self._count(t) for t in EXPORTABLE}

    # -- export -------------------------------------------------------------------------------------

    def export_csv(self, table: str, path: Path) -> int:
        _check_table(table)
        self.con.execute(f"COPY (SELECT * FROM {table} ORDER BY ALL) TO '{_sql_path(path)}' (HEADER, DELIMITER ',')")
        return self._count(table)

    def export_parquet(self, table: str, folder: Path, *, block_span: int = 1_000_000) -> int:
        """Hive-partitioned Parquet: ``folder/<table>/chain_part=eip155-1/block_range=<start>/*.parquet``."""
        _check_table(table)
        number = "number" if table == "blocks" else "block_number"
        if table not in ("transfers", "approvals", "blocks", "tx_senders"):  # no block number to split by
            part, extra = "PARTITION_BY (chain_part)", ""
        else:
            part = "PARTITION_BY (chain_part, block_range)"
            extra = f", ({number} // {int(block_span)}) * {int(block_span)} AS block_range"
        target = folder / table
        target.parent.mkdir(parents=True, exist_ok=True)
        self.con.execute(
            f"COPY (SELECT *, replace(chain, ':', '-') AS chain_part{extra} FROM {table}) "
            f"TO '{_sql_path(target)}' (FORMAT PARQUET, {part}, OVERWRITE_OR_IGNORE)"
        )
        return self._count(table)


def check_memory(limit: str | None) -> None:
    """Refuse a memory size DuckDB would not understand, before anything runs."""
    if limit is not None and not re.fullmatch(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", limit, re.I):
        raise InputError(f"--memory-limit {limit[:20]!r} is not a memory size", hint="use e.g. 3.5GB or 800MB")


def _staged(columns: Sequence[tuple[str, str, pa.DataType]], data: dict[str, list[Any]]) -> pa.Table | None:
    """A batch's rows as one Arrow table (None when there are none)."""
    rows = len(data["tx_hash"])
    if not rows:
        return None
    # a column a source does not fill (an EVM record has no token accounts) is null
    return pa.table({c: pa.array(data[c] if len(data[c]) == rows else [None] * rows, type=t) for c, _, t in columns})


def _filters(address: str | None, chain: str | None, kind: str | None, asset: str | None, direction: str,
             from_block: int | None, to_block: int | None, sides: tuple[str, str]) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if address is not None:
        if direction == "out":
            clauses.append(f"{sides[0]} = ?")
            params.append(address)
        elif direction == "in":
            clauses.append(f"{sides[1]} = ?")
            params.append(address)
        else:
            clauses.append(f"({sides[0]} = ? OR {sides[1]} = ?)")
            params += [address, address]
    for col, value in (("t.chain" if sides[0] == "from_address" else "chain", chain), ("kind", kind), ("asset", asset)):
        if value is not None:
            clauses.append(f"{col} = ?")
            params.append(value)
    if from_block is not None:
        clauses.append("block_number >= ?")
        params.append(from_block)
    if to_block is not None:
        clauses.append("block_number <= ?")
        params.append(to_block)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _check_table(table: str) -> None:
    if table not in EXPORTABLE:
        raise StoreError(f"unknown table {table!r}", hint=f"choose one of {', '.join(EXPORTABLE)}")


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


def _lock_or_io_error(path: Path, exc: BaseException) -> StoreError:
    text = str(exc)
    if "lock" in text.lower():
        pid = re.search(r"PID (\d+)", text)
        who = f" (process {pid.group(1)})" if pid else ""
        return StoreError(f"the store {path} is in use by another trailscan process{who}",
                          hint="wait for it to finish, or use another --store")
    return StoreError(f"cannot open the store {path}: {_one_line(exc)}")
