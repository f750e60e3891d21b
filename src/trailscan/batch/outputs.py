"""The batch's output files: summary.csv, summary.xlsx and index.html, each written whole or not at all."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from .html import index_html
from .model import SUMMARY_COLUMNS, BatchSummary
from .state import write_atomic
from .xlsx import summary_xlsx


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def summary_csv(summary: BatchSummary) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(SUMMARY_COLUMNS)
    for outcome in summary.outcomes:
        row = outcome.row()
        writer.writerow([cell(row.get(c)) for c in SUMMARY_COLUMNS])
    return buf.getvalue().encode()


def write_outputs(summary: BatchSummary) -> dict[str, Path]:
    """Write the three summary files into the batch folder; returns them by name."""
    files = {"summary.csv": summary_csv(summary), "summary.xlsx": summary_xlsx(summary),
             "index.html": index_html(summary).encode()}
    out: dict[str, Path] = {}
    for name, data in files.items():
        write_atomic(summary.out_dir / name, data)
        out[name] = summary.out_dir / name
    out["state.jsonl"] = summary.out_dir / "state.jsonl"
    out["wallets"] = summary.out_dir / "wallets"
    return out
