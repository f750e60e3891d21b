"""Build clusters: run the enabled heuristics over the store, guard every candidate link, take connected
components, keep cluster ids stable across runs, and commit links, labels and clusters in one transaction.

All bulk work is set-based (DuckDB SQL; scipy.sparse for components), so it runs over millions of transfers
and can move unchanged onto an engine that reads the Parquet export. Fetched data is only read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from ..errors import InputError
from ..heuristics import Heuristic, get_heuristic, registry
from ..heuristics.base import CANDIDATE_LABELS, CANDIDATE_LINKS
from ..labels import LabelSet
from ..labels.taxonomy import EXCHANGE_CATEGORIES, SERVICE_CATEGORIES
from ..model import FUNGIBLE_SQL
from ..store import Store, check_memory
from .components import Component, components

ZERO = "0x0000000000000000000000000000000000000000"
DEFAULT_MAX_SIZE = 10_000
DEFAULT_MEMORY = "3.5GB"


@dataclass(frozen=True)
class ClusterOptions:
    """What to run: heuristic names (None: those enabled by default), their parameters, and the guards."""

    heuristics: tuple[str, ...] | None = None
    params: dict[str, dict[str, str]] = field(default_factory=dict)  # heuristic -> parameter -> text
    min_confidence: int = 0
    max_size: int = DEFAULT_MAX_SIZE
    memory_limit: str | None = DEFAULT_MEMORY  # DuckDB's limit while clustering (it spills to disk beyond it)

    def selected(self) -> list[Heuristic]:
        names = self.heuristics if self.heuristics is not None else tuple(
            n for n, cls in registry().items() if cls.ENABLED)
        if not names:
            raise InputError("no heuristic selected", hint="name at least one with --heuristics")
        for name in self.params:
            if name not in names:
                get_heuristic(name)  # an unknown name gets its own error
                raise InputError(f"parameters given for {name!r}, which is not selected",
                                 hint="add it to --heuristics, or drop its --param")
        out = []
        for name in dict.fromkeys(names):
            cls = get_heuristic(name)
            declared = {p.name: p for p in cls.PARAMS}
            given = self.params.get(name, {})
            for key in given:
                if key not in declared:
                    known = ", ".join(declared) or "none"
                    raise InputError(f"heuristic {name} has no parameter {key!r}", hint=f"its parameters: {known}")
            out.append(cls({k: declared[k].parse(name, v) for k, v in given.items()}))
        if not 0 <= self.min_confidence <= 100:
            raise InputError(f"--min-confidence {self.min_confidence} is outside 0-100", hint="use 0 to 100")
        if self.max_size < 2:
            raise InputError(f"--max-size {self.max_size} is too small", hint="use 2 or more")
        check_memory(self.memory_limit)
        return out


@dataclass
class ClusterSummary:
    run_id: int
    links: dict[str, int]  # accepted links per heuristic
    refused: dict[str, int]  # refused candidate links per reason kind
    pending: int  # links waiting for an address's code status
    clusters: int
    addresses: int
    sizes: dict[str, int]  # size bucket -> clusters
    largest: list[tuple[str, str, int]]  # (chain, cluster id, size)
    flagged: list[dict[str, Any]]  # links a size cap held back, for review
    derived_labels: int
    elapsed: float = 0.0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "links": self.links, "refused": self.refused, "pending": self.pending,
                "clusters": self.clusters, "addresses": self.addresses, "sizes": self.sizes,
                "largest": [{"chain": c, "cluster": i, "size": n} for c, i, n in self.largest],
                "flagged": self.flagged, "derived_labels": self.derived_labels, "elapsed_s": self.elapsed,
                "notes": self.notes}


def prepare_views(store: Store, labels: LabelSet) -> list[str]:
    """Temp tables every heuristic reads (see heuristics.base); returns the chains the store holds."""
    con = store.con
    chains = [str(r[0]) for r in con.execute("SELECT DISTINCT chain FROM transfers ORDER BY 1").fetchall()]
    seq = "CASE WHEN {a}.locator LIKE 'log:%' THEN TRY_CAST(split_part({a}.locator, ':', 2) AS BIGINT) ELSE 0 END"
    order = ("{a}.block_number::HUGEINT * 1000000000000 + coalesce({a}.tx_index, s.tx_index, 0)::HUGEINT * 1000000"
             " + {seq}")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE xfers AS
        SELECT t.chain, t.block_number, coalesce(t.tx_index, s.tx_index, 0) AS tx_index, t.tx_hash, t.locator,
               t.kind, t.from_address, t.to_address, t.asset, t.amount, t.decimals,
               TRY_CAST(t.amount AS HUGEINT) AS amt,
               coalesce(t.tx_from, s.tx_from, CASE WHEN t.locator = 'call:' THEN t.from_address END) AS tx_from,
               {order.format(a='t', seq=seq.format(a='t'))} AS ord
        FROM transfers t LEFT JOIN tx_senders s ON s.chain = t.chain AND s.tx_hash = t.tx_hash
        WHERE t.kind IN {FUNGIBLE_SQL} AND t.amount <> '0' AND t.from_address <> t.to_address
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE appr AS
        SELECT a.*, TRY_CAST(a.amount AS HUGEINT) AS amt,
               {order.format(a='a', seq='a.log_index')} AS ord
        FROM approvals a LEFT JOIN tx_senders s ON s.chain = a.chain AND s.tx_hash = a.tx_hash
        WHERE a.kind = 'erc20'
    """)
    rows: dict[str, list[Any]] = {"chain": [], "address": [], "label": [], "category": [], "actor": []}
    for key in chains:
        seen: set[str] = set()
        for tag in labels.tags(chain=key):
            if tag.category in SERVICE_CATEGORIES and tag.kind == "address" and tag.address not in seen:
                seen.add(tag.address)
                for col, value in zip(rows, (key, tag.address, tag.label, tag.category, tag.actor), strict=True):
                    rows[col].append(value)
        for col, value in zip(rows, (key, ZERO, "mint and burn address", "service", None), strict=True):
            rows[col].append(value)
    con.register("service_tags", pa.table({k: pa.array(v, pa.string()) for k, v in rows.items()}))
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE services AS SELECT * FROM service_tags")
    finally:
        con.unregister("service_tags")
    cats = ", ".join(f"'{c}'" for c in sorted(EXCHANGE_CATEGORIES))
    con.execute(f"CREATE OR REPLACE TEMP TABLE exchanges AS SELECT * FROM services WHERE category IN ({cats})")
    con.execute("CREATE OR REPLACE TEMP TABLE contracts AS SELECT chain, address FROM address_info WHERE is_contract"
                " UNION SELECT chain, address FROM tokens")
    con.execute("CREATE OR REPLACE TEMP TABLE eoas AS SELECT chain, address FROM address_info WHERE NOT is_contract"
                " AND NOT EXISTS (SELECT 1 FROM tokens k WHERE k.chain = address_info.chain"
                " AND k.address = address_info.address)")
    return chains


def run_heuristics(store: Store, heuristics: Sequence[Heuristic]) -> None:
    """Fill ``candidate_links`` / ``candidate_labels`` from every heuristic (views must be prepared)."""
    store.con.execute(CANDIDATE_LINKS)
    store.con.execute(CANDIDATE_LABELS)
    for h in heuristics:
        h.run(store.con)


def judge_links(store: Store) -> None:
    """Guard every candidate: never through a service or a contract; wait where code status is unknown."""
    store.con.execute("""
        CREATE OR REPLACE TEMP TABLE judged AS
        WITH c AS (SELECT * FROM candidate_links
                   QUALIFY row_number() OVER (PARTITION BY chain, a, b, heuristic ORDER BY evidence) = 1),
             svc AS (SELECT chain, address, any_value(label) AS label FROM services GROUP BY ALL)
        SELECT c.*,
               CASE WHEN sa.address IS NOT NULL OR sb.address IS NOT NULL THEN 'refused'
                    WHEN ca.address IS NOT NULL OR cb.address IS NOT NULL THEN 'refused'
                    WHEN ea.address IS NULL OR eb.address IS NULL THEN 'pending'
                    ELSE 'accepted' END AS status,
               CASE WHEN sa.address IS NOT NULL THEN 'service: ' || c.a || ' is ' || sa.label
                    WHEN sb.address IS NOT NULL THEN 'service: ' || c.b || ' is ' || sb.label
                    WHEN ca.address IS NOT NULL THEN 'contract: ' || c.a || ' is a contract'
                    WHEN cb.address IS NOT NULL THEN 'contract: ' || c.b || ' is a contract'
                    WHEN ea.address IS NULL THEN 'unchecked: the code of ' || c.a || ' was not read yet'
                    WHEN eb.address IS NULL THEN 'unchecked: the code of ' || c.b || ' was not read yet'
                    ELSE '' END AS reason
        FROM c
        LEFT JOIN svc sa ON sa.chain = c.chain AND sa.address = c.a
        LEFT JOIN svc sb ON sb.chain = c.chain AND sb.address = c.b
        LEFT JOIN contracts ca ON ca.chain = c.chain AND ca.address = c.a
        LEFT JOIN contracts cb ON cb.chain = c.chain AND cb.address = c.b
        LEFT JOIN eoas ea ON ea.chain = c.chain AND ea.address = c.a
        LEFT JOIN eoas eb ON eb.chain = c.chain AND eb.address = c.b
    """)


def unchecked_addresses(store: Store) -> list[tuple[str, str]]:
    """(chain, address) of link ends whose code status is unknown (the judged candidates must exist)."""
    rows = store.con.execute("""
        SELECT DISTINCT chain, address FROM (SELECT chain, a AS address FROM judged UNION ALL
                                             SELECT chain, b FROM judged)
        WHERE (chain, address) NOT IN (SELECT (chain, address) FROM eoas)
          AND (chain, address) NOT IN (SELECT (chain, address) FROM contracts)
          AND (chain, address) NOT IN (SELECT (chain, address) FROM services)
        ORDER BY 1, 2
    """).fetchall()
    return [(str(c), str(a)) for c, a in rows]


def sweepers(store: Store, chain: str) -> list[str]:
    """Unlabeled payers of a labeled exchange whose code status is unknown (the views must be prepared)."""
    return [str(r[0]) for r in store.con.execute("""
        SELECT DISTINCT x.from_address FROM xfers x JOIN exchanges e ON e.chain = x.chain AND e.address = x.to_address
        WHERE x.chain = ? AND x.from_address NOT IN (SELECT address FROM services WHERE chain = x.chain)
          AND x.from_address NOT IN (SELECT address FROM eoas WHERE chain = x.chain)
          AND x.from_address NOT IN (SELECT address FROM contracts WHERE chain = x.chain)
        ORDER BY 1
    """, [chain]).fetchall()]


def build_clusters(store: Store, labels: LabelSet, options: ClusterOptions | None = None) -> ClusterSummary:
    """Derive links and clusters from the store's data; commits them atomically and returns the summary."""
    opts = options or ClusterOptions()
    heuristics = opts.selected()
    started = time.monotonic()
    began = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if not store.counts()["transfers"]:
        raise InputError(f"the store {store.path} holds no transfers to cluster",
                         hint="run 'trailscan fetch' first, or pass --store PATH")
    settings: dict[str, Any] = {"heuristics": {h.NAME: h.params for h in heuristics},
                                "min_confidence": opts.min_confidence, "max_size": opts.max_size}
    settings["inputs"] = _fingerprint(store, labels, settings)
    unchanged = _unchanged(store, settings)
    if unchanged is not None:
        unchanged.elapsed = round(time.monotonic() - started, 3)
        return unchanged
    with store.memory_limit(opts.memory_limit):
        return _build(store, labels, opts, heuristics, settings, started, began)


def _build(store: Store, labels: LabelSet, opts: ClusterOptions, heuristics: list[Heuristic],
           settings: dict[str, Any], started: float, began: dt.datetime) -> ClusterSummary:
    con = store.con
    chains = prepare_views(store, labels)
    run_heuristics(store, heuristics)
    judge_links(store)
    edges = con.sql("SELECT chain, a, b, heuristic, confidence FROM judged WHERE status = 'accepted'"
                    " AND confidence >= ? ORDER BY confidence DESC, heuristic, chain, a, b",
                    params=[opts.min_confidence]).to_arrow_table()
    found = components(edges, opts.max_size)
    run_id = int(con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM cluster_runs").fetchall()[0][0])
    assigned = _stable_ids(store, found.members)
    summary = _summarise(store, run_id, assigned, found)
    waiting = sum(len(sweepers(store, chain)) for chain in chains)
    if waiting:
        summary.notes.append(f"{waiting} payer(s) of an exchange have no known code status, so they cannot be "
                             "recognised as deposit addresses yet: run again with --rpc")
    summary.elapsed = round(time.monotonic() - started, 3)
    _commit(store, run_id, began, assigned, found, heuristics, settings, summary)
    summary.elapsed = round(time.monotonic() - started, 3)
    return summary


def _fingerprint(store: Store, labels: LabelSet, settings: dict[str, Any]) -> str:
    """What a run depends on: the settings, the fetched data (counts, and the newest block with its hash, which
    a reorg changes) and the service labels the guards use."""
    con = store.con
    data = con.execute("""
        SELECT (SELECT count(*) FROM transfers), (SELECT count(*) FROM approvals), (SELECT count(*) FROM address_info),
               (SELECT count(*) FROM tx_senders),
               (SELECT list(struct_pack(c := chain, n := number, h := hash) ORDER BY chain)::VARCHAR FROM
                   (SELECT chain, max(number) AS number, arg_max(hash, number) AS hash FROM blocks GROUP BY chain))
    """).fetchall()[0]
    digest = hashlib.sha256(json.dumps([list(map(str, data)), settings], sort_keys=True).encode())
    for (chain,) in con.execute("SELECT DISTINCT chain FROM transfers ORDER BY 1").fetchall():
        for tag in labels.tags(chain=str(chain)):
            if tag.category in SERVICE_CATEGORIES:
                digest.update(f"{tag.chain}|{tag.address}|{tag.category}|{tag.actor}|{tag.label}\n".encode())
    return digest.hexdigest()


def _unchanged(store: Store, settings: dict[str, Any]) -> ClusterSummary | None:
    """The last run's summary when nothing it depends on has changed since (then nothing is recomputed)."""
    row = store.con.execute("SELECT run_id, settings, summary FROM cluster_runs ORDER BY run_id DESC LIMIT 1"
                            ).fetchall()
    if not row or json.loads(row[0][1]) != json.loads(json.dumps(settings)):
        return None
    last = json.loads(row[0][2])
    summary = ClusterSummary(
        run_id=int(row[0][0]), links=last["links"], refused=last["refused"], pending=last["pending"],
        clusters=last["clusters"], addresses=last["addresses"], sizes=last["sizes"],
        largest=[(x["chain"], x["cluster"], x["size"]) for x in last["largest"]], flagged=last["flagged"],
        derived_labels=last["derived_labels"], notes=list(last["notes"]))
    summary.notes.append(f"nothing changed since run {row[0][0]} (same data, labels and settings): clusters kept")
    return summary


def _stable_ids(store: Store, members: pa.Table) -> pa.Table:
    """(chain, address, cluster_id): a component keeps the id of the previous cluster most of its members
    had (the larger component wins a split); a new component is named after its smallest address."""
    con = store.con
    con.register("members", members)
    try:
        con.execute("""
            CREATE OR REPLACE TEMP TABLE votes AS
            SELECT m.comp, p.cluster_id, count(*) AS n FROM members m
            JOIN clusters p ON p.chain = m.chain AND p.address = m.address GROUP BY ALL
        """)
        con.execute("""
            CREATE OR REPLACE TEMP TABLE kept AS
            SELECT comp, arg_min(cluster_id, (-n, cluster_id)) AS cluster_id FROM (
                SELECT * FROM votes QUALIFY row_number() OVER (PARTITION BY cluster_id ORDER BY n DESC, comp) = 1
            ) GROUP BY comp
        """)
        fresh = con.execute("""
            SELECT m.comp, min(m.chain), min(m.address) FROM members m
            WHERE m.comp NOT IN (SELECT comp FROM kept) GROUP BY m.comp ORDER BY m.comp
        """).fetchall()
        used = {str(r[0]) for r in con.execute("SELECT cluster_id FROM kept").fetchall()}
        names: dict[str, list[Any]] = {"comp": [], "cluster_id": []}
        for comp, chain, smallest in fresh:
            salt = 0
            while True:
                digest = hashlib.sha256(f"{chain}|{smallest}|{salt}".encode()).hexdigest()[:12]
                name = f"c-{digest}"
                if name not in used:
                    break
                salt += 1
            used.add(name)
            names["comp"].append(comp)
            names["cluster_id"].append(name)
        con.register("fresh_names", pa.table({"comp": pa.array(names["comp"], pa.int64()),
                                              "cluster_id": pa.array(names["cluster_id"], pa.string())}))
        try:
            return con.sql("""
                SELECT m.chain, m.address, coalesce(k.cluster_id, f.cluster_id) AS cluster_id FROM members m
                LEFT JOIN kept k ON k.comp = m.comp LEFT JOIN fresh_names f ON f.comp = m.comp
            """).to_arrow_table()
        finally:
            con.unregister("fresh_names")
    finally:
        con.unregister("members")


_BUCKETS = ((2, 2, "2"), (3, 10, "3-10"), (11, 100, "11-100"), (101, 1000, "101-1000"), (1001, 10**12, ">1000"))


def _summarise(store: Store, run_id: int, assigned: pa.Table, found: Component) -> ClusterSummary:
    con = store.con
    links = {str(h): int(n) for h, n in con.execute(
        "SELECT heuristic, count(*) FROM judged WHERE status = 'accepted' GROUP BY 1 ORDER BY 1").fetchall()}
    refused = {str(k): int(n) for k, n in con.execute(
        "SELECT split_part(reason, ':', 1), count(*) FROM judged WHERE status = 'refused' GROUP BY 1 ORDER BY 1"
    ).fetchall()}
    pending = int(con.execute("SELECT count(*) FROM judged WHERE status = 'pending'").fetchall()[0][0])
    derived = int(con.execute("SELECT count(*) FROM (SELECT DISTINCT chain, address, label FROM candidate_labels)"
                              ).fetchall()[0][0])
    con.register("assigned", assigned)
    try:
        sizes = con.execute("SELECT chain, cluster_id, count(*) AS n FROM assigned GROUP BY ALL"
                            " ORDER BY n DESC, cluster_id").fetchall()
    finally:
        con.unregister("assigned")
    buckets = {name: sum(1 for _, _, n in sizes if lo <= n <= hi) for lo, hi, name in _BUCKETS}
    return ClusterSummary(
        run_id=run_id, links=links, refused=refused, pending=pending,
        clusters=len(sizes), addresses=sum(int(n) for _, _, n in sizes),
        sizes={k: v for k, v in buckets.items() if v},
        largest=[(str(c), str(i), int(n)) for c, i, n in sizes[:5]],
        flagged=found.flagged, derived_labels=derived,
    )


def _commit(store: Store, run_id: int, began: dt.datetime, assigned: pa.Table, found: Component,
            heuristics: Sequence[Heuristic], settings: dict[str, Any], summary: ClusterSummary) -> None:
    """Replace the derived tables in one transaction: a crash leaves the previous run's clusters intact."""
    con = store.con
    params = {h.NAME: h.params_json() for h in heuristics}
    con.register("assigned", assigned)
    con.register("flagged_links", pa.table({
        "chain": pa.array([f["chain"] for f in found.flagged], pa.string()),
        "a": pa.array([f["a"] for f in found.flagged], pa.string()),
        "b": pa.array([f["b"] for f in found.flagged], pa.string()),
        "heuristic": pa.array([f["heuristic"] for f in found.flagged], pa.string()),
        "reason": pa.array([f["reason"] for f in found.flagged], pa.string()),
    }))
    con.register("heuristic_params", pa.table({"heuristic": pa.array(list(params), pa.string()),
                                               "params": pa.array(list(params.values()), pa.string())}))
    try:
        # links keep the time they were first derived
        con.execute("""
            CREATE OR REPLACE TEMP TABLE new_links AS
            SELECT j.chain, j.a, j.b, j.heuristic, j.confidence, j.evidence, p.params,
                   coalesce(o.derived_at, ?::TIMESTAMP) AS derived_at, ?::INTEGER AS run_id
            FROM judged j JOIN heuristic_params p ON p.heuristic = j.heuristic
            LEFT JOIN (SELECT chain, a, b, heuristic, min(derived_at) AS derived_at FROM links GROUP BY ALL) o
              ON o.chain = j.chain AND o.a = j.a AND o.b = j.b AND o.heuristic = j.heuristic
            WHERE j.status = 'accepted'
        """, [began, run_id])
        with store.transaction():
            for table in ("links", "link_reviews", "derived_labels", "clusters"):
                con.execute(f"DELETE FROM {table}")
            con.execute("INSERT INTO links SELECT * FROM new_links")
            con.execute("""
                INSERT INTO link_reviews
                SELECT chain, a, b, heuristic, confidence, status, reason, evidence, ? FROM judged
                WHERE status <> 'accepted'
                UNION ALL
                SELECT j.chain, j.a, j.b, j.heuristic, j.confidence, 'flagged', f.reason, j.evidence, ?
                FROM flagged_links f JOIN judged j
                  ON j.chain = f.chain AND j.a = f.a AND j.b = f.b AND j.heuristic = f.heuristic
            """, [run_id, run_id])
            con.execute("""
                INSERT INTO derived_labels
                SELECT chain, address, label, category, actor, heuristic, confidence, evidence, ? FROM candidate_labels
                QUALIFY row_number() OVER (PARTITION BY chain, address, label ORDER BY evidence) = 1
            """, [run_id])
            con.execute("INSERT INTO clusters SELECT chain, address, cluster_id, ? FROM assigned", [run_id])
            con.execute("INSERT INTO cluster_runs VALUES (?, ?, ?, ?, ?)",
                        [run_id, began, dt.datetime.now(dt.UTC).replace(tzinfo=None), json.dumps(settings),
                         json.dumps(summary.as_dict())])
    finally:
        for name in ("assigned", "flagged_links", "heuristic_params"):
            con.unregister(name)
