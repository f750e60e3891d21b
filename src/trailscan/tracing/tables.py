"""A trace result as flat rows (exposure, paths, unlabeled endpoints, coverage) for table, CSV and Markdown."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .model import Amount, Endpoint, TraceResult, fraction_text

EXPOSURE_COLUMNS = ["actor", "category", "amount", "usd", "share_pct", "min_hops", "direct", "stopped", "node",
                    "label_source"]
CSV_COLUMNS = ["node", "addresses", "actor", "category", "label", "confidence", "label_source", "how", "asset",
               "symbol", "amount", "amount_raw", "usd", "share_pct", "min_hops", "direct", "stopped", "cluster",
               "cluster_evidence", "path_txs"]
PATH_COLUMNS = ["endpoint", "path", "hop", "block", "time_utc", "from", "to", "traced", "tx_hash", "locator"]
# on a terminal: the label without its source (the source and evidence are in the other formats and the report)
EXPOSURE_TABLE_COLUMNS = ["actor", "category", "amount", "usd", "share_pct", "min_hops", "stopped", "node", "label"]
PATH_TABLE_COLUMNS = ["endpoint", "path", "hop", "block", "from", "to", "traced", "tx_hash"]


def _money(amounts: list[Amount], places: int = 6) -> str:
    return "; ".join(f"{fraction_text(a.raw, a.asset.decimals, places)} {a.asset.symbol}" for a in amounts)


def _when(ts: int | None) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if ts is not None else ""


def _label_source(e: Endpoint) -> str:
    if not e.labels:
        return ""
    top = e.labels[0]
    return f"{top.label} ({top.how}, confidence {top.confidence}): {top.source}"


def exposure_rows(result: TraceResult, *, unlabeled: bool = False) -> list[dict[str, Any]]:
    rows = []
    for e in (result.unlabeled if unlabeled else result.exposure):
        node = e.node + (f" ({len(e.addresses)} addresses, links: " + ", ".join(
            f"{k} {v}" for k, v in e.cluster_evidence.items()) + ")" if e.cluster else "")
        rows.append({"actor": e.actor or "", "category": e.category or "", "amount": _money(e.amounts),
                     "usd": fraction_text(e.usd, 0, 2) if e.usd is not None else "",
                     "share_pct": fraction_text(e.share * 100, 0, 2) if e.share is not None else "",
                     "min_hops": e.min_hops, "direct": e.direct, "stopped": e.reason, "node": node,
                     "label_source": _label_source(e),
                     "label": f"{e.labels[0].label} ({e.labels[0].how}, confidence {e.labels[0].confidence})"
                     if e.labels else ""})
    return rows


def actor_rows(result: TraceResult) -> list[dict[str, Any]]:
    return [{"actor": g["actor"], "category": g["category"],
             "amount": "; ".join(f"{a['amount']} {a['symbol']}" for a in g["amounts"]), "usd": g["usd"] or "",
             "share_pct": g["share"] or "", "min_hops": g["min_hops"], "direct": g["direct"],
             "endpoints": g["endpoints"]} for g in result.by_actor()]


def csv_rows(result: TraceResult) -> list[dict[str, Any]]:
    """One row per endpoint and asset, labeled endpoints first: everything a spreadsheet needs, in full."""
    rows = []
    for e in result.exposure + result.unlabeled:
        top = e.labels[0] if e.labels else None
        for a in e.amounts:
            rows.append({"node": e.node, "addresses": e.addresses, "actor": e.actor, "category": e.category,
                         "label": top.label if top else None, "confidence": top.confidence if top else None,
                         "label_source": top.source if top else None, "how": top.how if top else None,
                         "asset": a.asset.address, "symbol": a.asset.symbol,
                         "amount": fraction_text(a.raw, a.asset.decimals),
                         "amount_raw": str(a.raw.numerator // a.raw.denominator),
                         "usd": fraction_text(a.usd, 0, 2) if a.usd is not None else None,
                         "share_pct": fraction_text(e.share * 100, 0, 2) if e.share is not None else None,
                         "min_hops": e.min_hops, "direct": e.direct, "stopped": e.reason, "cluster": e.cluster,
                         "cluster_evidence": "; ".join(f"{k} {v}" for k, v in e.cluster_evidence.items()),
                         "path_txs": [h.tx_hash for p in e.paths[:1] for h in p]})
    return rows


def path_rows(result: TraceResult, *, endpoints: int = 10) -> list[dict[str, Any]]:
    rows = []
    for e in (result.exposure + result.unlabeled)[:endpoints]:
        name = e.actor or e.node
        for n, path in enumerate(e.paths, 1):
            for i, h in enumerate(path, 1):
                rows.append({"endpoint": name, "path": n, "hop": i, "block": h.block, "time_utc": _when(h.time),
                             "from": h.sender, "to": h.receiver, "traced": _money([h.amount]), "tx_hash": h.tx_hash,
                             "locator": h.locator})
    return rows


def coverage_rows(result: TraceResult) -> list[dict[str, Any]]:
    return [{"coverage": c} for c in result.coverage] or [{"coverage": "nothing missing that trailscan can tell"}]
