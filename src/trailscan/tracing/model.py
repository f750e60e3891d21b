"""The typed result of a trace: what the traced value reached, through which transfers, and how it was read.

Every renderer (table, JSON, CSV, Markdown; later HTML and graph export) reads this object only. Amounts are
kept exact: ``raw`` is the traced value in the asset's smallest unit as an exact fraction, shown as a decimal
string rounded down to 18 places past the asset's smallest unit only when rendered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, localcontext
from fractions import Fraction
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def fraction_text(value: Fraction, decimals: int | None, places: int = 18) -> str:
    """``value`` raw units as a decimal string in the asset's units, rounded down past ``places`` digits."""
    with localcontext() as ctx:
        ctx.prec = 200
        shown = Decimal(value.numerator) / Decimal(value.denominator) / (Decimal(10) ** (decimals or 0))
        text = format(shown.quantize(Decimal(1).scaleb(-((decimals or 0) + places)), rounding=ROUND_DOWN), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


@dataclass(frozen=True)
class Asset:
    chain: str
    address: str  # token contract, or "native"
    symbol: str
    decimals: int | None
    stablecoin: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"chain": self.chain, "asset": self.address, "symbol": self.symbol, "decimals": self.decimals}


@dataclass
class Amount:
    """Traced value of one asset: exact raw units, the display decimal, and its USD value when known."""

    asset: Asset
    raw: Fraction
    usd: Fraction | None = None

    def as_dict(self) -> dict[str, Any]:
        return {**self.asset.as_dict(), "raw": str(self.raw.numerator // self.raw.denominator),
                "exact_raw": f"{self.raw.numerator}/{self.raw.denominator}" if self.raw.denominator != 1 else None,
                "amount": fraction_text(self.raw, self.asset.decimals),
                "usd": fraction_text(self.usd, 0, 2) if self.usd is not None else None}


@dataclass(frozen=True)
class LabelRef:
    """Why an endpoint is named: the label, its category and actor, and where it comes from."""

    label: str
    category: str | None
    actor: str | None
    confidence: int
    source: str  # a tag's source and file, or a heuristic with its evidence transactions
    how: str  # direct | derived | via-cluster

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "category": self.category, "actor": self.actor, "confidence": self.confidence,
                "source": self.source, "how": self.how}


@dataclass
class Hop:
    """One transfer on a path, with the traced value it carried."""

    tx_hash: str
    locator: str
    block: int
    time: int | None
    sender: str
    receiver: str
    amount: Amount  # traced value carried
    transferred: int  # the whole transfer, raw

    def as_dict(self) -> dict[str, Any]:
        return {"tx_hash": self.tx_hash, "locator": self.locator, "block": self.block, "time": self.time,
                "from": self.sender, "to": self.receiver, "traced": self.amount.as_dict(),
                "transferred_raw": str(self.transferred)}


@dataclass
class Endpoint:
    """A node the traced value reached and stopped at (a service, a hub, the hop limit, or where it rests)."""

    node: str  # an address, or a cluster id at entity level
    addresses: list[str]
    labels: list[LabelRef]
    amounts: list[Amount]
    usd: Fraction | None
    share: Fraction | None  # of the traced USD value
    min_hops: int
    reason: str  # service | hub | hop-limit | rests | unfetched | linked (another leg goes on from it)
    cluster: str | None = None
    cluster_evidence: dict[str, int] = field(default_factory=dict)
    paths: list[list[Hop]] = field(default_factory=list)

    @property
    def direct(self) -> bool:
        return self.min_hops == 1

    @property
    def category(self) -> str | None:
        return self.labels[0].category if self.labels else None

    @property
    def actor(self) -> str | None:
        return (self.labels[0].actor or self.labels[0].label) if self.labels else None

    def as_dict(self) -> dict[str, Any]:
        return {"node": self.node, "addresses": self.addresses, "actor": self.actor, "category": self.category,
                "labels": [lab.as_dict() for lab in self.labels], "amounts": [a.as_dict() for a in self.amounts],
                "usd": fraction_text(self.usd, 0, 2) if self.usd is not None else None,
                "share": fraction_text(self.share * 100, 0, 2) if self.share is not None else None,
                "min_hops": self.min_hops, "direct": self.direct, "stopped_because": self.reason,
                "cluster": self.cluster, "cluster_evidence": self.cluster_evidence,
                "paths": [[h.as_dict() for h in p] for p in self.paths]}


@dataclass
class GraphNode:
    """A node of the traced graph: the wallet, an endpoint or an address the value passed through."""

    id: str  # an address, or a cluster id at entity level
    addresses: list[str]
    labels: list[LabelRef]
    cluster: str | None
    hop: int  # 0 for the wallet

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "addresses": self.addresses, "labels": [lab.as_dict() for lab in self.labels],
                "cluster": self.cluster, "hop": self.hop}


@dataclass
class Flow:
    """One traced transfer between two nodes: the graph's edge, with the value it carried."""

    source: str  # node ids, in the direction of the trace
    target: str
    hop: Hop

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, **self.hop.as_dict()}


@dataclass
class TraceResult:
    query: dict[str, Any]  # the question: wallet, chain, direction, window, policy and every parameter
    traced: list[Amount]  # the wallet's traced value, per asset
    traced_usd: Fraction | None
    exposure: list[Endpoint]  # labeled endpoints, largest first
    unlabeled: list[Endpoint]  # unlabeled endpoints, largest first: the leads
    coverage: list[str]  # what the data could not show
    manifest: dict[str, Any]  # block heights, label sets, endpoints (redacted): enough to run it again
    reached: int = 0  # nodes the traced value reached
    nodes: list[GraphNode] = field(default_factory=list)  # the traced graph: every node the value touched
    flows: list[Flow] = field(default_factory=list)  # and every transfer that carried traced value

    def answer(self) -> str:
        """The answer in one sentence."""
        q = self.query
        total = ", ".join(f"{fraction_text(a.raw, a.asset.decimals, 2)} {a.asset.symbol}" for a in self.traced)
        if not self.traced:
            return f"{q['address']} has no {('outgoing' if q['direction'] == 'out' else 'incoming')} transfers " \
                   "in the window: nothing to trace."
        gpu = [e for e in self.exposure if e.category in ("gpu-marketplace", "gpu-broker", "cloud-provider",
                                                          "cloud-reseller", "data-centre")]
        verb = "sent" if q["direction"] == "out" else "received"
        who = q["address"] if len(q["wallet_addresses"]) == 1 else \
            f"{q['address']} (with its cluster {q['wallet_node']}, {len(q['wallet_addresses'])} addresses)"
        head = f"{who} {verb} {total} in the window; "
        if not self.exposure:
            return head + f"under {q['policy']} it reached no labeled entity within {q['hops']} hops."
        names = ", ".join(f"{e.actor} ({e.category}, {_money(e)})" for e in (gpu or self.exposure)[:3])
        what = "GPU-compute sellers" if gpu else "labeled entities"
        return head + f"under {q['policy']} it reached {len(self.exposure)} labeled endpoint(s); {what}: {names}."

    def by_actor(self) -> list[dict[str, Any]]:
        """Exposure summed per (actor, category): endpoints of one actor (a hot wallet, deposit addresses) add up."""
        groups: dict[tuple[str, str], list[Endpoint]] = {}
        for e in self.exposure:
            groups.setdefault((e.actor or "", e.category or ""), []).append(e)
        out = []
        for (actor, category), ends in groups.items():
            totals: dict[str, Amount] = {}
            for e in ends:
                for a in e.amounts:
                    known = totals.get(a.asset.address)
                    if known is None:
                        totals[a.asset.address] = Amount(a.asset, a.raw, a.usd)
                    else:
                        known.raw += a.raw
                        known.usd = None if known.usd is None or a.usd is None else known.usd + a.usd
            usd_parts = [e.usd for e in ends if e.usd is not None]
            usd = sum(usd_parts, Fraction(0)) if usd_parts else None
            out.append({"actor": actor, "category": category, "endpoints": len(ends),
                        "amounts": [t.as_dict() for t in totals.values()],
                        "usd": fraction_text(usd, 0, 2) if usd is not None else None,
                        "share": fraction_text(usd / self.traced_usd * 100, 0, 2)
                        if usd is not None and self.traced_usd else None,
                        "min_hops": min(e.min_hops for e in ends), "direct": any(e.direct for e in ends)})
        return sorted(out, key=lambda g: (-Fraction(g["usd"] or 0), g["actor"]))

    def to_frame(self) -> pd.DataFrame:
        """The exposure as a pandas DataFrame: one row per endpoint and asset, labeled endpoints first, with the
        columns of ``trace --format csv`` (amounts as exact decimal strings, ``amount_raw`` in base units)."""
        import pandas as pd

        from .tables import CSV_COLUMNS, csv_rows

        return pd.DataFrame(csv_rows(self), columns=CSV_COLUMNS)

    def as_dict(self) -> dict[str, Any]:
        return {"query": self.query, "answer": self.answer(), "by_actor": self.by_actor(),
                "traced": [a.as_dict() for a in self.traced],
                "traced_usd": fraction_text(self.traced_usd, 0, 2) if self.traced_usd is not None else None,
                "exposure": [e.as_dict() for e in self.exposure],
                "unlabeled_endpoints": [e.as_dict() for e in self.unlabeled], "coverage": self.coverage,
                "reached": self.reached, "manifest": self.manifest,
                "graph": {"nodes": [n.as_dict() for n in self.nodes], "edges": [f.as_dict() for f in self.flows]}}


def _money(e: Endpoint) -> str:
    if e.usd is not None:
        return f"{fraction_text(e.usd, 0, 2)} USD"
    return ", ".join(f"{fraction_text(a.raw, a.asset.decimals, 4)} {a.asset.symbol}" for a in e.amounts)
