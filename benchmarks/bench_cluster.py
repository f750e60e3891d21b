"""Clustering benchmark: build_clusters over 10M synthetic transfers with planted ground truth.

    .venv/bin/python benchmarks/bench_cluster.py [--transfers 10000000] [--naive-transfers 1000000]
                                                 [--runs 1] [--memory-limit 3GB] [--store PATH] [--keep]

DuckDB SQL writes the world straight into a trailscan store: random native and USDT payments among
transfers/6 addresses, exchange withdrawals, and planted patterns with known owners (deposit-address reuse
into Binance 14, airdrops whose recipients forward to collectors, self-authorizations), plus look-alike
traps that must stay apart. Each measurement runs in a fresh subprocess, so its peak memory (VmHWM,
DuckDB included) is its own:

  trailscan   build_clusters(store, load_labels(), ClusterOptions()) on the whole store, every SQL statement
              timed; pairwise precision and recall of the clusters against the planted owners
  naive       on the first --naive-transfers transfers: pandas reads the store, pandas merges find the
              deposit/sweep pairs, networkx takes the connected components (the research-code way); beside
              it, build_clusters with deposit-reuse only on a store holding the same transfers

Goal (issue): 10M transfers clustered in <= 30 s and <= 4 GB on the 2-core machine. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
GOAL_SECONDS = 30.0
GOAL_MEMORY_MB = 4096.0
GENERATOR = "1"  # bump when the world changes: a kept --store of another version is not reused

CHAIN = "eip155:1"
EXCHANGE = "0x28c6c06298d514db089934071355e5743bf21d60"  # Binance 14, an exchange in the shipped labels
USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
UNLIMITED = str(2**256 - 1)  # the usual "infinite" approval
B0 = 19_000_000  # first block
T0 = 1_700_000_000  # its time; 12 s blocks
PER_BLOCK = 150  # noise transactions per block (tx_index 0-149); planted ones follow from 150
TAU = 10_000  # deposit-reuse's default tau: the outside-tau trap sweeps 50 blocks later than this
DERIVED = ("links", "link_reviews", "derived_labels", "clusters", "cluster_runs")


# -- the world -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """How many of each pattern a world of ``transfers`` transfers holds; planted roles take disjoint id ranges
    in the upper half of the address population, so they also send and receive noise."""

    transfers: int
    population: int  # addresses of the noise
    span: int  # blocks the noise fills
    shared_entities: int  # 2-5 customers paying into one deposit address (the links to find)
    single_customers: int  # one customer per deposit address (no link; work and derived labels)
    airdrops: int
    recipients: int  # per airdrop (>= the heuristic's min_recipients, 1000)
    farms: int  # per airdrop: groups of recipients forwarding to one collector
    farm_size: int
    self_auth: int  # approve O -> EOA S, then S moves O's tokens (one in four with an unlimited approval)
    router_approvals: int  # approvals to router contracts, then a swap (never a link)
    traps: int  # of each deposit trap (outside tau, value mismatch) and each approval trap

    @classmethod
    def for_transfers(cls, n: int) -> Plan:
        return cls(transfers=n, population=max(20_000, n // 6), span=-(-n // PER_BLOCK),
                   shared_entities=n // 1_000, single_customers=n // 100, airdrops=max(1, n // 1_000_000),
                   recipients=2_000, farms=20, farm_size=10, self_auth=n // 5_000, router_approvals=n // 100,
                   traps=max(1, n // 20_000))

    @property
    def half(self) -> int:
        return self.population // 2

    @property
    def room(self) -> int:
        """Blocks a planted event may start in, leaving room for its follow-ups."""
        return max(1, self.span - 400)

    def offsets(self) -> dict[str, int]:
        sizes = {"shared": self.shared_entities * 5, "single": self.single_customers,
                 "airdrop": self.airdrops * self.recipients, "self_auth": self.self_auth,
                 "tau_trap": 2 * self.traps, "value_trap": 2 * self.traps, "reverse_trap": self.traps,
                 "unused_trap": self.traps}
        out, at = {}, self.half
        for role, size in sizes.items():
            out[role] = at
            at += size
        if at > self.population:
            raise SystemExit(f"--transfers {self.transfers} is too small for the planted patterns")
        return out


MACROS = (
    # a lower-case 40-hex address per (role, integer)
    "CREATE OR REPLACE TEMP MACRO addr(role, i) AS '0x' || md5(role || ':' || i::BIGINT::VARCHAR)"
    " || lpad(lower(to_hex(hash(role, i::BIGINT) >> 32)), 8, '0')",
    "CREATE OR REPLACE TEMP MACRO pop(i) AS addr('pop', i)",
    "CREATE OR REPLACE TEMP MACRO h(i, salt, n) AS (hash(i::BIGINT, salt) % n)::BIGINT",  # deterministic 'random'
    "CREATE OR REPLACE TEMP MACRO txhash(k) AS '0x' || md5('tx:' || k) || md5('tx2:' || k)",
)

PLANTED = """CREATE OR REPLACE TEMP TABLE planted (txkey VARCHAR, logi INTEGER, block BIGINT, sub INTEGER,
    rec VARCHAR, kind VARCHAR, from_a VARCHAR, to_a VARCHAR, asset VARCHAR, amount VARCHAR, sender VARCHAR,
    ent_from VARCHAR, pat_from VARCHAR, ent_to VARCHAR, pat_to VARCHAR)"""
# a planted row: one transfer or approval; txkey names its transaction (rows of one tx share it); sender is
# the tx sender to record in tx_senders (as enrichment would); ent_/pat_ give the true owner of each end


def deposits_sql(p: Plan, tag: str, entities: int, kmin: int, kmax: int, nmax: int, off: int, role: str,
                 pattern: str) -> str:
    """Each entity's 1..kmax customers pay 1..nmax times into the entity's deposit address, each payment swept
    to the exchange 1-300 blocks later: the same tokens, or the coins less the sweep's gas (< alpha)."""
    return f"""
    INSERT INTO planted
    WITH cust AS (
        SELECT e, e * {kmax} + j AS slot, h(e, '{tag}:asset', 2) = 0 AS native
        FROM range({entities}) t(e), range({kmax}) r(j)
        WHERE j < {kmin} + h(e, '{tag}:k', {kmax - kmin + 1})
    ), dep AS (
        SELECT c.*, slot * {nmax} + n AS key FROM cust c, range({nmax}) r(n) WHERE n < 1 + h(slot, '{tag}:n', {nmax})
    ), v AS (
        SELECT e, key, pop({off} + slot) AS customer, addr('{role}', e) AS deposit,
               CASE WHEN native THEN 'native' ELSE 'erc20' END AS kind,
               CASE WHEN native THEN 'native' ELSE '{USDT}' END AS asset,
               {B0} + h(key, '{tag}:b', {p.room}) AS db, 1 + h(key, '{tag}:lag', 300) AS lag,
               CASE WHEN native THEN (50000000 + h(key, '{tag}:v', 20000000000))::HUGEINT * 1000000000
                    ELSE (10 + h(key, '{tag}:v', 50000))::HUGEINT * 1000000 + h(key, '{tag}:c', 1000000) END AS amt,
               CASE WHEN native THEN (21000 * (10 + h(key, '{tag}:g', 90)))::HUGEINT * 1000000000 ELSE 0 END AS gas
        FROM dep
    )
    SELECT '{tag}d:' || key, 0, db, 0, 'transfer', kind, customer, deposit, asset, amt::VARCHAR, NULL,
           '{tag}:' || e, '{pattern}', 'depaddr:' || deposit, 'trap: exchange deposit address' FROM v
    UNION ALL
    SELECT '{tag}w:' || key, 0, db + lag, 0, 'transfer', kind, deposit, '{EXCHANGE}', asset, (amt - gas)::VARCHAR,
           NULL, 'depaddr:' || deposit, 'trap: exchange deposit address', NULL, NULL FROM v
    """


def deposit_trap_sql(p: Plan, tag: str, off: int, pattern: str, steps: tuple[tuple[int, int, int], ...]) -> str:
    """Two customers of one deposit address that must stay apart: (block offset, who, amount in USD) per step;
    who 1 and 2 are the customers paying in, 0 is a sweep to the exchange."""
    selects = []
    for n, (lag, who, usd) in enumerate(steps):
        frm, to = ("d", f"'{EXCHANGE}'") if who == 0 else (f"q{who}", "d")
        ends = ("'depaddr:' || d, 'trap: exchange deposit address', NULL, NULL" if who == 0 else
                f"'trap:' || q{who}, '{pattern}', 'depaddr:' || d, 'trap: exchange deposit address'")
        selects.append(f"SELECT '{tag}{n}:' || t, 0, b + {lag}, 0, 'transfer', 'erc20', {frm}, {to}, '{USDT}',"
                       f" ({usd * 10**6} + t)::VARCHAR, NULL, {ends} FROM v")
    return f"""
    INSERT INTO planted
    WITH v AS (SELECT t, pop({off} + 2 * t) AS q1, pop({off} + 2 * t + 1) AS q2, addr('{tag}dep', t) AS d,
                      {B0} + h(t, '{tag}:b', {p.room}) AS b FROM range({p.traps}) r(t))
    {" UNION ALL ".join(selects)}
    """


def airdrops_sql(p: Plan, off: int) -> str:
    """Each airdrop sends one amount of its token to ``recipients`` addresses, 100 a block; farm recipients
    forward it to their farm's collector; of the others, a quarter sell it to a DEX contract (a candidate link
    the contract guard refuses) and one in twenty forwards it alone to a fresh address (no aggregation)."""
    r, farmed = p.recipients, p.farms * p.farm_size
    farm = f"'air:' || a || ':' || (r % {p.farms})"
    return f"""
    INSERT INTO planted
    WITH v AS (
        SELECT a, r, a * {r} + r AS k, pop({off} + a * {r} + r) AS rcpt, addr('src', a) AS src,
               addr('atok', a) AS tok, ((100 + a)::HUGEINT * 1000000000000000000)::VARCHAR AS amt,
               {B0} + ((2 * a + 1) * {p.span}) // {2 * p.airdrops} AS b0, h(a * {r} + r, 'air:fate', 20) AS fate,
               r < {farmed} AS farmed
        FROM range({p.airdrops}) t(a), range({r}) u(r)
    ), w AS (
        SELECT *, CASE WHEN farmed THEN {farm} ELSE 'trap:' || rcpt END AS ent,
               CASE WHEN farmed THEN 'airdrop' ELSE 'trap: airdrop recipient' END AS pat,
               CASE WHEN farmed THEN addr('col', a * {p.farms} + r % {p.farms})
                    WHEN fate < 5 THEN addr('dex', a % 2) ELSE addr('lt', k) END AS target
        FROM v
    )
    SELECT 'ad:' || k, 0, b0 + r // 100, 0, 'transfer', 'erc20', src, rcpt, tok, amt, NULL, NULL, NULL, ent, pat
    FROM w
    UNION ALL
    SELECT 'af:' || k, 0, b0 + {r // 100 + 10} + h(k, 'air:fw', 2000), 0, 'transfer', 'erc20', rcpt, target, tok, amt,
           NULL, ent, pat, CASE WHEN farmed THEN ent WHEN fate >= 5 THEN 'trap:' || target END,
           CASE WHEN farmed THEN 'airdrop' WHEN fate >= 5 THEN 'trap: airdrop recipient' END
    FROM w WHERE farmed OR fate < 6
    """


def approvals_sql(p: Plan, offs: dict[str, int]) -> list[str]:
    """Self-authorizations (variant 0: approve and use in one tx, by log index; 1: an unlimited approval; 2, 3:
    use 1-100 blocks later), use-before-approval and unused-approval traps, and router (contract) approvals."""
    common = (f"{B0} + h(i, '{{t}}:b', {p.room}) AS b, 1 + h(i, '{{t}}:lag', 100) AS lag,"
              f" pop(h(i, '{{t}}:pay', {p.half})) AS payee, ((1 + h(i, '{{t}}:v', 5000)) * 1000000)::VARCHAR AS amt")
    pattern = "CASE WHEN i % 4 = 1 THEN 'self-authorization (unlimited approval)' ELSE 'self-authorization' END"
    return [f"""
    INSERT INTO planted
    WITH v AS (SELECT i, pop({offs['self_auth']} + i) AS owner, addr('spn', i) AS spender, {pattern} AS pat,
                      {common.format(t='sa')} FROM range({p.self_auth}) r(i))
    SELECT CASE WHEN i % 4 = 0 THEN 'sa:' ELSE 'sap:' END || i, 0, b, 0, 'approval', 'erc20', owner, spender,
           '{USDT}', CASE WHEN i % 4 = 1 THEN '{UNLIMITED}' ELSE '10000000000' END, NULL, 'sa:' || i, pat,
           'sa:' || i, pat FROM v
    UNION ALL
    SELECT CASE WHEN i % 4 = 0 THEN 'sa:' ELSE 'sat:' END || i, CASE WHEN i % 4 = 0 THEN 1 ELSE 0 END,
           CASE WHEN i % 4 = 0 THEN b ELSE b + lag END, 0, 'transfer', 'erc20', owner, payee, '{USDT}', amt, spender,
           'sa:' || i, pat, NULL, NULL FROM v
    """, f"""
    INSERT INTO planted  -- used before the approval: even i in an earlier tx of the same block, odd i earlier in one tx
    WITH v AS (SELECT i, pop({offs['reverse_trap']} + i) AS owner, addr('rspn', i) AS spender,
                      {common.format(t='rt')} FROM range({p.traps}) r(i))
    SELECT CASE WHEN i % 2 = 0 THEN 'rt1:' ELSE 'rt:' END || i, 0, b, 0, 'transfer', 'erc20', owner, payee,
           '{USDT}', amt, spender, 'trap:' || owner, 'trap: used before approval', NULL, NULL FROM v
    UNION ALL
    SELECT CASE WHEN i % 2 = 0 THEN 'rt2:' ELSE 'rt:' END || i, i % 2, b, 1, 'approval', 'erc20', owner, spender,
           '{USDT}', '10000000000', NULL, 'trap:' || owner, 'trap: used before approval', 'trap:' || spender,
           'trap: used before approval' FROM v
    """, f"""
    INSERT INTO planted
    WITH v AS (SELECT i, pop({offs['unused_trap']} + i) AS owner, addr('uspn', i) AS spender,
                      {common.format(t='ua')} FROM range({p.traps}) r(i))
    SELECT 'ua:' || i, 0, b, 0, 'approval', 'erc20', owner, spender, '{USDT}', '10000000000', NULL,
           'trap:' || owner, 'trap: unused approval', 'trap:' || spender, 'trap: unused approval' FROM v
    """, f"""
    INSERT INTO planted  -- a router contract's allowance, then a swap the owner sends (no sender read: a contract)
    WITH v AS (SELECT i, pop(h(i, 'ro:o', {p.half})) AS owner, addr('router', i % 3) AS router,
                      {common.format(t='ro')} FROM range({p.router_approvals}) r(i))
    SELECT 'ra:' || i, 0, b, 0, 'approval', 'erc20', owner, router, '{USDT}',
           CASE WHEN i % 2 = 0 THEN '{UNLIMITED}' ELSE '10000000000' END, NULL, NULL, NULL, NULL, NULL FROM v
    UNION ALL
    SELECT 'rs:' || i, 0, b + lag, 0, 'transfer', 'erc20', owner, router, '{USDT}', amt, NULL, NULL, NULL, NULL, NULL
    FROM v
    """]


def noise_sql(p: Plan, count: int) -> str:
    """``count`` payments: 60% native, 40% USDT (one in 200 of zero value); senders uniform over the
    population, recipients skewed towards low ids (hubs); one in 50 is a withdrawal from the exchange."""
    return f"""
    INSERT INTO transfers
    WITH r AS (
        SELECT i, {B0} + i // {PER_BLOCK} AS block, (i % {PER_BLOCK})::INTEGER AS txi,
               h(i, 'n:kind', 10) < 6 AS native, h(i, 'n:wd', 50) = 0 AS withdrawal, h(i, 'n:zero', 200) = 0 AS zero,
               h(i, 'n:from', {p.population}) AS fid,
               least({p.population - 1},
                     floor({p.population} * pow(h(i, 'n:to', 1000000007) / 1000000007.0, 2)))::BIGINT AS tid
        FROM range({count}) t(i)
    ), x AS (
        SELECT r.*, CASE WHEN withdrawal THEN '{EXCHANGE}' ELSE f.address END AS sender, t.address AS receiver
        FROM r JOIN pop f ON f.id = r.fid JOIN pop t ON t.id = r.tid
    )
    SELECT '{CHAIN}', x.block, k.hash, {T0} + (x.block - {B0}) * 12, txhash('n:' || i),
           CASE WHEN native THEN 'call:' ELSE 'log:' || h(i, 'n:log', 200) END,
           CASE WHEN native THEN 'native' ELSE 'erc20' END, sender, receiver,
           CASE WHEN native THEN 'native' ELSE '{USDT}' END, NULL,
           CASE WHEN native THEN ((1 + h(i, 'n:v', 5000000000))::HUGEINT * 1000000000)::VARCHAR
                WHEN zero THEN '0' ELSE (1 + h(i, 'n:v', 10000000000))::VARCHAR END,
           CASE WHEN native THEN 18 ELSE 6 END, CASE WHEN native THEN 'trace_filter' ELSE 'eth_getLogs' END,
           txi, CASE WHEN native THEN sender END
    FROM x JOIN blk k ON k.block = x.block
    """


def generate(path: Path, plan: Plan) -> dict[str, Any]:
    """Write the world into a new store at ``path`` (the Store creates the schema); returns its counts."""
    from trailscan.store import Store

    offs = plan.offsets()
    with Store(path) as store:
        con = store.con
        for macro in MACROS:
            con.execute(macro)
        con.execute("CREATE OR REPLACE TEMP TABLE pop AS SELECT i AS id, pop(i) AS address"
                    f" FROM range({plan.population}) t(i)")
        con.execute(PLANTED)
        con.execute(deposits_sql(plan, "dr", plan.shared_entities, 2, 5, 2, offs["shared"], "dep", "deposit reuse"))
        con.execute(deposits_sql(plan, "sd", plan.single_customers, 1, 1, 3, offs["single"], "sdep",
                                 "trap: one customer per deposit address"))
        con.execute(deposit_trap_sql(plan, "tt", offs["tau_trap"], "trap: sweep outside tau",
                                     ((0, 1, 50), (5, 0, 50), (10, 2, 70), (10 + TAU + 50, 0, 70))))
        con.execute(deposit_trap_sql(plan, "vt", offs["value_trap"], "trap: value mismatch",
                                     ((0, 1, 100), (5, 0, 100), (10, 2, 300), (15, 0, 250))))
        con.execute(airdrops_sql(plan, offs["airdrop"]))
        for sql in approvals_sql(plan, offs):
            con.execute(sql)
        planted = int(con.execute("SELECT count(*) FROM planted WHERE rec = 'transfer'").fetchall()[0][0])
        if planted >= plan.transfers:
            raise SystemExit(f"--transfers {plan.transfers} is too small for the planted patterns")
        last = con.execute(f"SELECT greatest(max(block), {B0 + plan.span}) FROM planted").fetchall()[0][0]
        con.execute(f"CREATE OR REPLACE TEMP TABLE blk AS SELECT b AS block, '0x' || md5('block:' || b)"
                    f" || md5('block2:' || b) AS hash FROM range({B0}, {last + 1}) t(b)")
        # planted transactions follow the noise in their block (tx_index from 150), in (sub, txkey) order
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE ptx AS
            SELECT block, txkey, ({PER_BLOCK} + row_number() OVER (PARTITION BY block ORDER BY sub, txkey) - 1)::INTEGER
                   AS tx_index
            FROM (SELECT block, txkey, min(sub) AS sub FROM planted GROUP BY ALL)
        """)
        with store.transaction():
            con.execute(noise_sql(plan, plan.transfers - planted))
            con.execute(f"""
                INSERT INTO transfers
                SELECT '{CHAIN}', p.block, k.hash, {T0} + (p.block - {B0}) * 12, txhash(p.txkey),
                       CASE WHEN p.kind = 'native' THEN 'call:' ELSE 'log:' || p.logi END, p.kind, p.from_a, p.to_a,
                       p.asset, NULL, p.amount, CASE WHEN p.asset = '{USDT}' THEN 6 ELSE 18 END,
                       CASE WHEN p.kind = 'native' THEN 'trace_filter' ELSE 'eth_getLogs' END, x.tx_index,
                       CASE WHEN p.kind = 'native' THEN p.from_a END
                FROM planted p JOIN ptx x USING (block, txkey) JOIN blk k ON k.block = p.block
                WHERE p.rec = 'transfer'
            """)
            con.execute(f"""
                INSERT INTO approvals
                SELECT '{CHAIN}', p.block, k.hash, {T0} + (p.block - {B0}) * 12, txhash(p.txkey), p.logi, 'erc20',
                       p.from_a, p.to_a, p.asset, p.amount, 'eth_getLogs', x.tx_index
                FROM planted p JOIN ptx x USING (block, txkey) JOIN blk k ON k.block = p.block
                WHERE p.rec = 'approval'
            """)
            con.execute(f"""
                INSERT INTO tx_senders
                SELECT DISTINCT ON (p.txkey) '{CHAIN}', txhash(p.txkey), p.block, x.tx_index, p.sender, p.asset
                FROM planted p JOIN ptx x USING (block, txkey) WHERE p.sender IS NOT NULL
            """)
            con.execute(f"""
                INSERT INTO tokens
                SELECT '{CHAIN}', '{USDT}', 'USDT', 'Tether USD', 6
                UNION ALL SELECT '{CHAIN}', addr('atok', a), 'AIR' || a, 'Airdrop ' || a, 18
                FROM range({plan.airdrops}) t(a)
            """)
            # every address has a known code status: the DEXes and routers are contracts, the rest EOAs
            con.execute(f"""
                INSERT INTO address_info
                SELECT '{CHAIN}', address, address IN (SELECT addr('dex', i) FROM range(2) t(i)
                                                       UNION ALL SELECT addr('router', i) FROM range(3) t(i)),
                       NULL, {last}
                FROM (SELECT from_address AS address FROM transfers UNION SELECT to_address FROM transfers
                      UNION SELECT owner FROM approvals UNION SELECT spender FROM approvals)
            """)
            con.execute("""
                CREATE OR REPLACE TABLE bench_truth AS
                SELECT DISTINCT address, entity, pattern FROM (
                    SELECT from_a AS address, ent_from AS entity, pat_from AS pattern FROM planted
                    WHERE ent_from IS NOT NULL
                    UNION ALL SELECT to_a, ent_to, pat_to FROM planted WHERE ent_to IS NOT NULL)
            """)
            clash = con.execute("SELECT count(*) FROM (SELECT address FROM bench_truth GROUP BY 1 HAVING count(*) > 1)"
                                ).fetchall()[0][0]
            if clash:
                raise RuntimeError(f"generator bug: {clash} planted addresses have two owners")
            counts = world_counts(con)
            con.execute("CREATE OR REPLACE TABLE bench_meta (key VARCHAR, value VARCHAR)")
            con.execute("INSERT INTO bench_meta VALUES ('generator', ?), ('plan', ?), ('counts', ?)",
                        [GENERATOR, json.dumps(asdict(plan)), json.dumps(counts)])
        con.execute("CHECKPOINT")
    return counts


def world_counts(con: Any) -> dict[str, Any]:
    one = lambda sql: con.execute(sql).fetchall()[0][0]  # noqa: E731
    lo, hi = con.execute("SELECT min(block_number), max(block_number) FROM transfers").fetchall()[0]
    return {
        "transfers": one("SELECT count(*) FROM transfers"),
        "approvals": one("SELECT count(*) FROM approvals"),
        "tx_senders": one("SELECT count(*) FROM tx_senders"),
        "addresses": one("SELECT count(*) FROM address_info"),
        "blocks": int(hi) - int(lo) + 1,
        "planted_transfers": one("SELECT count(*) FROM planted WHERE rec = 'transfer'"),
        "entities": {str(pat): int(n) for pat, n in con.execute(
            "SELECT pattern, count(DISTINCT entity) FROM bench_truth GROUP BY 1 ORDER BY 1").fetchall()},
    }


def reuse_or_generate(path: Path, plan: Plan) -> tuple[dict[str, Any], float | None]:
    """A kept store of the same plan is reused; a new path is generated."""
    import duckdb

    if path.exists():
        with duckdb.connect(str(path)) as con:
            try:
                meta = dict(con.execute("SELECT key, value FROM bench_meta").fetchall())
            except duckdb.CatalogException:
                meta = {}
            if meta.get("generator") != GENERATOR or json.loads(meta.get("plan", "{}")) != asdict(plan):
                raise SystemExit(f"{path} exists and is not a bench_cluster world of --transfers {plan.transfers}; "
                                 "remove it or pass another --store")
            return json.loads(meta["counts"]), None
    start = time.perf_counter()
    counts = generate(path, plan)
    return counts, time.perf_counter() - start


def make_subset(full: Path, path: Path, transfers: int) -> dict[str, int]:
    """A store holding the first ``transfers`` transfers (block, tx index, locator order), the approvals and
    senders up to their last block, and the code status of every address they name."""
    from trailscan.store import Store

    for stale in path.parent.glob(path.name + "*"):
        stale.unlink()
    with Store(path) as store:
        con = store.con
        con.execute("ATTACH '{}' AS src (READ_ONLY)".format(str(full).replace("'", "''")))
        with store.transaction():
            con.execute(f"INSERT INTO transfers SELECT * FROM src.transfers ORDER BY block_number, tx_index, locator"
                        f" LIMIT {int(transfers)}")
            last = con.execute("SELECT max(block_number) FROM transfers").fetchall()[0][0]
            con.execute("INSERT INTO approvals SELECT * FROM src.approvals WHERE block_number <= ?", [last])
            con.execute("INSERT INTO tx_senders SELECT * FROM src.tx_senders WHERE block_number <= ?", [last])
            con.execute("INSERT INTO tokens SELECT * FROM src.tokens")
            con.execute("""
                INSERT INTO address_info SELECT * FROM src.address_info WHERE address IN (
                    SELECT from_address FROM transfers UNION SELECT to_address FROM transfers
                    UNION SELECT owner FROM approvals UNION SELECT spender FROM approvals)
            """)
        con.execute("DETACH src")
        counts = {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0])
                  for t in ("transfers", "approvals", "address_info")}
        counts["last_block"] = int(last)
        con.execute("CHECKPOINT")
    return counts


# -- measurements in child processes -------------------------------------------------------------


def status_mb(key: str) -> float | None:
    """A memory figure of this process from /proc/self/status (VmHWM: peak resident, VmRSS: resident), in MB."""
    with suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return None


def maxrss_mb() -> float:
    """This process's peak resident memory in MB: VmHWM, which starts afresh at exec. (ru_maxrss does not: on
    Linux a child inherits the high-water mark of the parent it was forked from, here the generator's.)"""
    peak = status_mb("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> bool:
    """Restart VmHWM from the current resident size (Linux: write 5 to /proc/self/clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class Recorder:
    """Wall time and peak memory of the engine's steps and of every SQL statement the store's connection runs.

    VmHWM is restarted before each step and statement, so each gets its own peak; every reading is folded into
    ``peak`` first, so ``peak`` stays the whole process's high-water mark."""

    def __init__(self) -> None:
        self.steps: list[dict[str, Any]] = []
        self.open: list[dict[str, Any]] = []
        self.loose: list[dict[str, Any]] = []  # statements outside any step
        self.peak = 0.0
        self.resettable = reset_peak()

    def fold(self) -> float:
        value = maxrss_mb()
        self.peak = max(self.peak, value)
        for entry in self.open:
            entry["peak_mb"] = max(entry["peak_mb"], value)
        return value

    def restart(self) -> None:
        self.fold()
        if self.resettable:
            reset_peak()

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        self.restart()
        entry: dict[str, Any] = {"step": name, "seconds": 0.0, "peak_mb": 0.0, "statements": []}
        self.open.append(entry)
        start = time.perf_counter()
        try:
            yield
        finally:
            entry["seconds"] = time.perf_counter() - start
            self.fold()
            entry["rss_mb"] = status_mb("VmRSS")
            self.open.remove(entry)
            self.steps.append(entry)

    def run(self, sql: str, call: Callable[[], Any]) -> Any:
        self.restart()
        start = time.perf_counter()
        out = call()
        seconds = time.perf_counter() - start
        peak = self.fold()
        text = " ".join(sql.split())
        m = re.match(r"(CREATE OR REPLACE TEMP TABLE|CREATE TEMP TABLE|INSERT INTO|DELETE FROM)\s+(\w+)", text, re.I)
        entry = {"statement": f"{m.group(1).split()[0].lower()} {m.group(2)}" if m else text[:60],
                 "seconds": seconds, "peak_mb": peak if self.resettable else None, "rss_mb": status_mb("VmRSS")}
        (self.open[-1]["statements"] if self.open else self.loose).append(entry)
        return out

    def timed(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.step(name):
                return fn(*args, **kwargs)
        return wrapper


class TimedRelation:
    def __init__(self, rel: Any, sql: str, rec: Recorder) -> None:
        self._rel, self._sql, self._rec = rel, sql, rec

    def to_arrow_table(self, *args: Any, **kwargs: Any) -> Any:
        return self._rec.run(self._sql, lambda: self._rel.to_arrow_table(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rel, name)


class TimedConnection:
    """Stands in for ``store.con``: measures execute() and sql() relations, passes everything else through."""

    def __init__(self, con: Any, rec: Recorder) -> None:
        self._con, self._rec = con, rec

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        return self._rec.run(sql, lambda: self._con.execute(sql, *args, **kwargs))

    def sql(self, query: str, *args: Any, **kwargs: Any) -> TimedRelation:
        return TimedRelation(self._con.sql(query, *args, **kwargs), query, self._rec)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def child_baseline() -> dict[str, Any]:
    import trailscan.clustering  # noqa: F401
    from trailscan.labels import load_labels

    load_labels()
    return {"maxrss_mb": maxrss_mb()}


def child_cluster(store_path: str, heuristics: str = "", memory_limit: str = "") -> dict[str, Any]:
    """build_clusters, every step and statement measured (the wrappers cost microseconds per call)."""
    from trailscan.clustering import ClusterOptions, build_clusters, engine
    from trailscan.heuristics import registry
    from trailscan.labels import load_labels
    from trailscan.store import Store

    start = time.perf_counter()
    labels = load_labels()
    labels_s = time.perf_counter() - start
    rec = Recorder()
    for name in ("prepare_views", "judge_links", "components", "_stable_ids", "_summarise", "_commit"):
        if hasattr(engine, name):  # the engine's own steps: a renamed one falls into "rest of build_clusters"
            setattr(engine, name, rec.timed(name, getattr(engine, name)))
    for cls in registry().values():
        cls.run = rec.timed(f"heuristic {cls.NAME}", cls.run)  # type: ignore[method-assign]
    options = ClusterOptions(heuristics=tuple(heuristics.split(",")) if heuristics else None)
    with Store(store_path) as store:
        if memory_limit:
            store.con.execute("SET memory_limit = ?", [memory_limit])
        store.con = TimedConnection(store.con, rec)  # type: ignore[assignment]
        start = time.perf_counter()
        summary = build_clusters(store, labels, options)
        seconds = time.perf_counter() - start
        rec.fold()
    return {"seconds": seconds, "maxrss_mb": rec.peak, "labels_s": labels_s, "steps": rec.steps,
            "loose": rec.loose, "summary": {k: v for k, v in summary.as_dict().items() if k != "flagged"},
            "flagged": len(summary.flagged)}


def child_naive(store_path: str, out: str) -> dict[str, Any]:
    """Deposit reuse the way research code does it: pandas merges, then networkx connected components.

    The same rules as trailscan's deposit-reuse: a sweep is an EOA (not a service) paying a labeled exchange;
    a deposit is an earlier transfer of the same asset into that EOA within tau blocks, value-matched (native:
    within alpha; tokens: within 1%); the customers (EOAs, not services) of one deposit address are linked."""
    import duckdb
    import networkx as nx
    import numpy as np

    from trailscan.labels import load_labels
    from trailscan.labels.taxonomy import EXCHANGE_CATEGORIES, SERVICE_CATEGORIES

    labels = load_labels()
    tags = [t for t in labels.tags(chain=CHAIN) if t.kind == "address"]
    services = {t.address for t in tags if t.category in SERVICE_CATEGORIES} | {"0x" + "0" * 40}
    exchanges = {t.address for t in tags if t.category in EXCHANGE_CATEGORIES}
    tau, alpha, tolerance = TAU, 10**16, 0.01
    phases: dict[str, float] = {}
    start = time.perf_counter()
    with duckdb.connect(store_path, read_only=True) as con:
        df = con.execute("SELECT block_number, tx_index, locator, from_address, to_address, asset, amount"
                         " FROM transfers WHERE kind IN ('native', 'erc20')").df()
        info = con.execute("SELECT address, is_contract FROM address_info").df()
    phases["read into pandas"] = time.perf_counter() - start
    mark = time.perf_counter()
    df = df[(df["amount"] != "0") & (df["from_address"] != df["to_address"])]
    df["value"] = df["amount"].astype("float64")
    df["seq"] = df["locator"].str.extract(r"^log:(\d+)", expand=False).astype("float64").fillna(0)
    df = df.sort_values(["block_number", "tx_index", "seq"], kind="stable").reset_index(drop=True)
    df["ord"] = np.arange(len(df))
    eoas = set(info.loc[~info["is_contract"], "address"])
    phases["prepare"] = time.perf_counter() - mark
    mark = time.perf_counter()
    sweeps = df[df["to_address"].isin(exchanges)]  # the small filters on the few rows, not isin() over every row
    sweeps = sweeps[[a in eoas and a not in services for a in sweeps["from_address"]]]
    m = df.merge(sweeps, left_on=["to_address", "asset"], right_on=["from_address", "asset"], suffixes=("_d", "_w"))
    m = m[(m["ord_d"] < m["ord_w"]) & (m["block_number_w"].astype("int64") - m["block_number_d"].astype("int64") <= tau)
          & (m["from_address_d"] != m["to_address_w"])]
    diff = (m["value_d"] - m["value_w"]).abs()
    m = m[np.where(m["asset"] == "native", diff <= alpha, diff <= m["value_d"] * tolerance)]
    pairs = m[["to_address_d", "from_address_d"]].drop_duplicates()
    pairs.columns = ["deposit", "customer"]
    pairs = pairs[[a in eoas and a not in services for a in pairs["customer"]]]
    phases["merges"] = time.perf_counter() - mark
    mark = time.perf_counter()
    graph = nx.Graph()
    for _, customers in pairs.groupby("deposit")["customer"]:
        c = list(customers)
        graph.add_edges_from((c[0], x) for x in c[1:])
    clusters = [sorted(c) for c in nx.connected_components(graph) if len(c) > 1]
    phases["networkx"] = time.perf_counter() - mark
    seconds = time.perf_counter() - start
    Path(out).write_text(json.dumps(sorted(clusters)))
    return {"seconds": seconds, "maxrss_mb": maxrss_mb(), "phases": phases, "clusters": len(clusters),
            "edges": graph.number_of_edges(), "transfers": len(df)}


def clear_derived(path: Path) -> None:
    """Empty what build_clusters writes, so that every run does the same work (no previous clusters to keep)."""
    import duckdb

    with duckdb.connect(str(path)) as con:
        for table in DERIVED:
            con.execute(f"DELETE FROM {table}")
        con.execute("CHECKPOINT")


def best_of(runs: int, mode: str, *args: str) -> dict[str, Any]:
    """The fastest of ``runs`` measurements, with every run's seconds and peak; a cluster run starts from a store
    without derived tables."""
    results = []
    for _ in range(runs):
        if mode == "cluster":
            clear_derived(Path(args[0]))
        results.append(run_child(mode, "--child-args", *args))
    best = dict(min(results, key=lambda r: r["seconds"]))
    best["runs"] = [r["seconds"] for r in results]
    best["peaks"] = [r["maxrss_mb"] for r in results]
    return best


def run_child(mode: str, *args: str) -> dict[str, Any]:
    return run_script_child(Path(__file__), mode, *args)


def run_script_child(script: Path, mode: str, *args: str) -> dict[str, Any]:
    """Run ``script --child MODE ARGS`` in a fresh interpreter (its own peak memory); its last line is JSON."""
    proc = subprocess.run([sys.executable, str(script.resolve()), "--child", mode, *args],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"the {mode} measurement failed (exit {proc.returncode})")
    data: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return data


# -- quality -------------------------------------------------------------------------------------


def quality(path: Path) -> dict[str, Any]:
    """Pairwise precision and recall of the clusters over the planted addresses (owners and traps)."""
    import duckdb

    pairs = "sum(n * (n - 1) // 2)"
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("""
            CREATE TEMP TABLE m AS SELECT t.entity, t.pattern, c.cluster_id FROM bench_truth t
            LEFT JOIN clusters c ON c.chain = 'eip155:1' AND c.address = t.address
        """)
        truth = dict(con.execute(f"SELECT pattern, {pairs} FROM (SELECT entity, any_value(pattern) AS pattern,"
                                 " count(*) AS n FROM m GROUP BY 1) GROUP BY 1 HAVING sum(n) > count(*)").fetchall())
        hit = dict(con.execute(f"SELECT pattern, {pairs} FROM (SELECT entity, any_value(pattern) AS pattern,"
                               " cluster_id, count(*) AS n FROM m WHERE cluster_id IS NOT NULL GROUP BY entity,"
                               " cluster_id) GROUP BY 1").fetchall())
        found = con.execute(f"SELECT coalesce({pairs}, 0) FROM (SELECT count(*) AS n FROM m WHERE cluster_id IS NOT"
                            " NULL GROUP BY cluster_id)").fetchall()[0][0]
        unplanted = con.execute("SELECT count(*) FROM clusters WHERE address NOT IN (SELECT address FROM bench_truth)"
                                ).fetchall()[0][0]
    tp = sum(int(hit.get(p, 0)) for p in truth)
    return {"precision": tp / int(found) if found else None, "recall": tp / sum(int(v) for v in truth.values()),
            "true_pairs": sum(int(v) for v in truth.values()), "found_pairs": int(found), "true_positive": tp,
            "recall_by_pattern": {str(p): int(hit.get(p, 0)) / int(n) for p, n in truth.items()},
            "clustered_unplanted": int(unplanted)}


def same_clusters(store: Path, naive_file: Path) -> tuple[int, int, int]:
    """(clusters trailscan found, naive found, clusters found by only one of them) on the subset."""
    import duckdb

    with duckdb.connect(str(store), read_only=True) as con:
        rows = con.execute("SELECT cluster_id, list(address ORDER BY address) FROM clusters GROUP BY 1").fetchall()
    ours = {tuple(members) for _, members in rows}
    theirs = {tuple(c) for c in json.loads(naive_file.read_text())}
    return len(ours), len(theirs), len(ours ^ theirs)


# -- the run -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transfers", type=int, default=10_000_000, help="transfers in the world (default 10M)")
    parser.add_argument("--naive-transfers", type=int, default=1_000_000,
                        help="transfers of the subset the naive way is compared on (default 1M; 0 skips it)")
    parser.add_argument("--store", type=Path, help="store file to build (default: in a temporary folder); an "
                        "existing bench_cluster store of the same --transfers is reused")
    parser.add_argument("--keep", action="store_true", help="keep the store files (printed at the end)")
    parser.add_argument("--runs", type=int, default=1, help="runs of each measurement; the fastest is shown with "
                        "all of them, and the largest peak memory (default 1)")
    parser.add_argument("--memory-limit", default="", help="run the full measurement with DuckDB's SET memory_limit "
                        "(e.g. 3GB; default: DuckDB's own, 80%% of RAM)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-args", nargs="*", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.runs = max(1, args.runs)
    if args.transfers < 100_000:
        parser.error("--transfers must be at least 100000 (an airdrop alone is 2000 transfers)")
    return args


def fmt_steps(result: dict[str, Any]) -> list[str]:
    """The steps in order with their statements of 0.05 s or more: seconds, peak and resident MB after."""
    mb = lambda v: "-" if v is None else f"{v:.0f}"  # noqa: E731
    lines = [f"  {'step / statement':<42} {'seconds':>8} {'peak MB':>8} {'RSS after':>10}"]
    covered = 0.0
    for entry in result["steps"]:
        covered += entry["seconds"]
        lines.append(f"  {entry['step']:<42} {entry['seconds']:8.2f} {mb(entry['peak_mb']):>8} "
                     f"{mb(entry.get('rss_mb')):>10}")
        lines += [f"      {st['statement']:<38} {st['seconds']:8.2f} {mb(st['peak_mb']):>8} {mb(st['rss_mb']):>10}"
                  for st in entry["statements"] if st["seconds"] >= 0.05]
    lines.append(f"  {'rest of build_clusters':<42} {result['seconds'] - covered:8.2f}")
    lines += [f"      {st['statement']:<38} {st['seconds']:8.2f} {mb(st['peak_mb']):>8} {mb(st['rss_mb']):>10}"
              for st in result["loose"] if st["seconds"] >= 0.05]
    return lines


def report(args: argparse.Namespace, counts: dict[str, Any], gen_s: float | None, size_gb: float,
           base: dict[str, Any], full: dict[str, Any], q: dict[str, Any], subset: dict[str, Any] | None) -> list[str]:
    s = full["summary"]
    ok = lambda good: "yes" if good else "NO"  # noqa: E731
    several = len(full["runs"]) > 1
    runs = f" (runs: {', '.join(f'{r:.2f}' for r in full['runs'])})" if several else ""
    seconds = f"{full['seconds']:.2f}{' best of ' + str(len(full['runs'])) if several else ''}{runs}"
    peak = max(full["peaks"])
    peaks = f"largest of {', '.join(f'{p:.0f}' for p in full['peaks'])}; " if several else ""
    memory = f"{peak:.0f} ({peaks}interpreter, imports and labels alone: {base['maxrss_mb']:.0f})"
    precision = (f"{q['precision']:.4f}" if q["precision"] is not None else "-") + \
        f" ({q['true_positive']:,} of {q['found_pairs']:,} pairs)"
    recall = f"{q['recall']:.4f} ({q['true_positive']:,} of {q['true_pairs']:,} pairs)"
    setting = f"SET memory_limit = '{args.memory_limit}'" if args.memory_limit else "no DuckDB setting changed"
    lines = [
        f"world: {counts['transfers']:,} transfers ({counts['planted_transfers']:,} planted), "
        f"{counts['approvals']:,} approvals, {counts['tx_senders']:,} tx senders, {counts['addresses']:,} addresses, "
        f"{counts['blocks']:,} blocks; store {size_gb:.2f} GB"
        + (f", generated in {gen_s:.1f} s" if gen_s is not None else " (reused)"),
        "planted owners: " + ", ".join(f"{n:,} {p}" for p, n in counts["entities"].items() if not p.startswith("trap"))
        + "; traps: " + ", ".join(f"{n:,} {p[6:]}" for p, n in counts["entities"].items() if p.startswith("trap")),
        "",
        f"build_clusters(store, load_labels(), ClusterOptions()) on the whole store ({setting}):",
        f"{'measure':34} {'measured':58} {'goal':>9}  ok",
        f"{'build_clusters (s)':34} {seconds:58} {'<= 30':>9}  {ok(full['seconds'] <= GOAL_SECONDS)}",
        f"{'peak memory (MB)':34} {memory:58} {'<= 4096':>9}  {ok(peak <= GOAL_MEMORY_MB)}",
        f"{'precision (pairs)':34} {precision:58}",
        f"{'recall (pairs)':34} {recall:58}",
    ]
    lines += [f"{'  recall, ' + p:50} {r:.4f}" for p, r in q["recall_by_pattern"].items()]
    lines += [
        "",
        f"links accepted: {s['links']}; refused: {s['refused']}; pending: {s['pending']}; flagged: {full['flagged']}",
        f"clusters: {s['clusters']:,} holding {s['addresses']:,} addresses ({s['sizes']}); "
        f"derived labels: {s['derived_labels']:,}; clustered addresses outside the planted truth: "
        f"{q['clustered_unplanted']:,}",
    ]
    if subset is not None:
        naive, ours, theirs = subset["naive"], subset["trailscan"], subset["agreement"]
        lines += [
            "",
            f"naive vs trailscan on the first {subset['counts']['transfers']:,} transfers (deposit reuse only, "
            "labels loaded before the clock starts):",
            f"  {'naive: pandas merges + networkx':40} {naive['seconds']:8.2f} s {max(naive['peaks']):8.0f} MB peak"
            f"   ({', '.join(f'{k} {v:.2f}' for k, v in naive['phases'].items())})",
            f"  {'trailscan: build_clusters':40} {ours['seconds']:8.2f} s {max(ours['peaks']):8.0f} MB peak",
            f"  {'ratio naive / trailscan':40} {naive['seconds'] / ours['seconds']:8.1f}x",
            f"  clusters: trailscan {theirs[0]:,}, naive {theirs[1]:,}, found by only one of them: {theirs[2]:,}",
        ]
    lines += ["", f"steps of build_clusters on {counts['transfers']:,} transfers (seconds; statements >= 0.05 s):"]
    lines += fmt_steps(full)
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        runs: dict[str, Callable[..., dict[str, Any]]] = {
            "baseline": child_baseline, "cluster": child_cluster, "naive": child_naive}
        print(json.dumps(runs[args.child](*args.child_args)))
        return 0
    load_start = os.getloadavg()[0]
    if load_start > 0.5:
        print(f"note: 1-minute load average is {load_start:.2f}; other work on this machine skews the figures",
              file=sys.stderr)
    plan = Plan.for_transfers(args.transfers)
    tmp = Path(tempfile.mkdtemp(prefix="trailscan-bench-cluster-"))
    path = args.store.resolve() if args.store else tmp / "world.duckdb"
    try:
        print(f"building the world: {args.transfers:,} transfers into {path} ...", file=sys.stderr, flush=True)
        counts, gen_s = reuse_or_generate(path, plan)
        size_gb = path.stat().st_size / 1e9
        subset_path = tmp / "subset.duckdb"
        sub_counts = None
        if args.naive_transfers > 0:
            sub_counts = make_subset(path, subset_path, min(args.naive_transfers, args.transfers))
        print("measuring: interpreter, imports and labels ...", file=sys.stderr, flush=True)
        base = run_child("baseline")
        print("measuring: build_clusters on the whole store ...", file=sys.stderr, flush=True)
        full = best_of(args.runs, "cluster", str(path), "", args.memory_limit)
        q = quality(path)
        subset = None
        if sub_counts is not None:
            print("measuring: naive pandas + networkx on the subset ...", file=sys.stderr, flush=True)
            naive_file = tmp / "naive-clusters.json"
            naive = best_of(args.runs, "naive", str(subset_path), str(naive_file))
            print("measuring: build_clusters (deposit reuse) on the subset ...", file=sys.stderr, flush=True)
            ours = best_of(args.runs, "cluster", str(subset_path), "deposit-reuse")
            subset = {"counts": sub_counts, "naive": naive, "trailscan": ours,
                      "agreement": same_clusters(subset_path, naive_file)}
        lines = report(args, counts, gen_s, size_gb, base, full, q, subset)
        print("\n".join(lines))
        RESULTS.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        out = RESULTS / f"cluster-{stamp}.json"
        out.write_text(json.dumps({
            "when": stamp, "plan": asdict(plan), "world": counts, "generate_s": gen_s, "store_gb": size_gb,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                        "load_average_1m": {"start": load_start, "end": os.getloadavg()[0]}},
            "baseline": base, "trailscan": full, "quality": q, "subset": subset}, indent=2) + "\n")
        print(f"figures written to {out.relative_to(HERE.parent)}")
        if subset is not None and subset["agreement"][2]:
            print(f"*** MISMATCH: {subset['agreement'][2]} clusters were found by only one of naive and trailscan ***",
                  file=sys.stderr)
            return 1
    finally:
        if args.keep:
            print(f"kept: {path}" + (f" and {tmp / 'subset.duckdb'}" if args.naive_transfers > 0 else ""))
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
