"""The typed results of a batch: one Outcome per wallet row and the BatchSummary of the run."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..tracing.model import TraceResult, fraction_text
from .rules import Flag
from .wallets import Wallet

# USD columns of the summary: the categories each adds up (by an endpoint's first label).
USD_COLUMNS: dict[str, tuple[str, ...]] = {
    "usd_gpu_marketplace": ("gpu-marketplace",),
    "usd_gpu_broker": ("gpu-broker",),
    "usd_cloud": ("cloud-provider", "cloud-reseller", "data-centre"),
    "usd_exchange": ("exchange", "exchange-deposit"),
    "usd_sanctioned": ("sanctioned",),
    "usd_mixer": ("mixer", "mixing_service"),
}
FIGURES = ("traced_usd", *USD_COLUMNS, "min_hops_sanctioned", "top_actor", "categories", "labeled_endpoints",
           "answer")
SUMMARY_COLUMNS = ("row", "reference", "chain", "address", "status", "error", "flags", *FIGURES, "report")
EXPOSURE_COLUMNS = ("row", "reference", "chain", "address", "node", "actor", "category", "usd", "share",
                    "min_hops", "direct", "stopped_because", "amounts")


@dataclass
class Outcome:
    """What the batch holds for one wallet row: traced (now or in an earlier run) or failed, with its error."""

    wallet: Wallet
    status: str  # ok | error
    error: str | None = None
    report: str | None = None  # the wallet's JSON report, relative to the output folder
    flags: list[Flag] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    exposures: list[dict[str, Any]] = field(default_factory=list)
    skipped: bool = False  # finished in an earlier run

    @property
    def chain(self) -> str:
        return self.wallet.chain or self.wallet.chain_text

    @property
    def address(self) -> str:
        return self.wallet.address or self.wallet.address_text

    def row(self) -> dict[str, Any]:
        """The summary row (summary.csv, the wallets sheet, index.html)."""
        return {"row": self.wallet.row, "reference": self.wallet.reference, "chain": self.chain,
                "address": self.address, "status": self.status, "error": self.error,
                "flags": "; ".join(f.text for f in self.flags),
                **{k: self.figures.get(k) for k in FIGURES}, "report": self.report}

    def exposure_rows(self) -> list[dict[str, Any]]:
        head = {"row": self.wallet.row, "reference": self.wallet.reference, "chain": self.chain,
                "address": self.address}
        return [{**head, **e} for e in self.exposures]

    def as_dict(self) -> dict[str, Any]:
        return {**self.row(), "flag_details": [f.as_dict() for f in self.flags], "skipped": self.skipped}


def _text(value: Fraction | None) -> str | None:
    return fraction_text(value, 0, 2) if value is not None else None


def figures_of(result: TraceResult) -> dict[str, Any]:
    """The summary figures of one trace: USD per category group, nearest sanctioned hop, top actor."""
    out: dict[str, Any] = {"traced_usd": _text(result.traced_usd)}
    for column, categories in USD_COLUMNS.items():
        ends = [e for e in result.exposure if e.category in categories]
        out[column] = _text(sum((e.usd for e in ends if e.usd is not None), Fraction(0)))
    sanctioned = [e.min_hops for e in result.exposure if e.category == "sanctioned"]
    out["min_hops_sanctioned"] = min(sanctioned) if sanctioned else None
    actors = result.by_actor()
    out["top_actor"] = f"{actors[0]['actor']} ({actors[0]['category']})" if actors else None
    out["categories"] = "; ".join(sorted({e.category for e in result.exposure if e.category}))
    out["labeled_endpoints"] = len(result.exposure)
    out["answer"] = result.answer()
    return out


def exposures_of(result: TraceResult) -> list[dict[str, Any]]:
    """One row per labeled endpoint of a trace."""
    rows = []
    for e in result.exposure:
        amounts = "; ".join(f"{a['amount']} {a['symbol']}" for a in (x.as_dict() for x in e.amounts))
        rows.append({"node": e.node, "actor": e.actor, "category": e.category, "usd": _text(e.usd),
                     "share": _text(e.share * 100) if e.share is not None else None, "min_hops": e.min_hops,
                     "direct": e.direct, "stopped_because": e.reason, "amounts": amounts})
    return rows


@dataclass
class BatchSummary:
    """A batch run: every wallet's outcome and the files written."""

    out_dir: Path
    outcomes: list[Outcome]
    files: dict[str, Path]
    policy_changed: bool = False  # earlier runs in this folder used another policy: everything ran again
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def traced(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "ok" and not o.skipped)

    @property
    def skipped(self) -> int:
        return sum(1 for o in self.outcomes if o.skipped)

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "error")

    @property
    def flagged(self) -> int:
        return sum(1 for o in self.outcomes if o.flags)

    def as_dict(self) -> dict[str, Any]:
        return {"wallets": len(self.outcomes), "traced": self.traced, "skipped": self.skipped,
                "failed": self.failed, "flagged": self.flagged, "policy_changed": self.policy_changed,
                "out": str(self.out_dir), "files": {k: str(v) for k, v in self.files.items()}}
