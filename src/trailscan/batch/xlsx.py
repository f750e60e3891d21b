"""summary.xlsx: the wallets sheet (filterable, flagged rows highlighted), the exposures sheet, the manifest."""

from __future__ import annotations

import io
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .model import EXPOSURE_COLUMNS, SUMMARY_COLUMNS, BatchSummary

_FLAGGED = PatternFill("solid", fgColor="FFF2CC")
_FAILED = PatternFill("solid", fgColor="F4CCCC")
_NUMERIC = {"traced_usd", "usd", "share", "labeled_endpoints", "min_hops", "min_hops_sanctioned", "row"} | {
    c for c in SUMMARY_COLUMNS if c.startswith("usd_")}
_MAX_WIDTH = 60


def _value(column: str, value: Any) -> Any:
    """Figures as numbers (exact decimals, so filters and sorting work); the rest as text."""
    if value is None:
        return None
    if column in _NUMERIC:
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text  # never a formula from chain data or input


def _sheet(ws: Worksheet, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    ws.append(list(columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([_value(c, row.get(c)) for c in columns])
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(rows) + 1, 2)}"
    for i, column in enumerate(columns, 1):
        longest = max([len(column)] + [len(str(row.get(column) or "")) for row in rows])
        ws.column_dimensions[get_column_letter(i)].width = min(longest + 2, _MAX_WIDTH)
        if column in _NUMERIC and column.startswith(("usd", "traced", "share")):
            for cells in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cells[0].number_format = "#,##0.00"


def summary_xlsx(summary: BatchSummary) -> bytes:
    book = Workbook()
    wallets = book.active
    assert wallets is not None
    wallets.title = "wallets"
    _sheet(wallets, SUMMARY_COLUMNS, [o.row() for o in summary.outcomes])
    for outcome, cells in zip(summary.outcomes, wallets.iter_rows(min_row=2), strict=False):
        fill = _FAILED if outcome.status == "error" else _FLAGGED if outcome.flags else None
        if fill is not None:
            for cell in cells:
                cell.fill = fill
    _sheet(book.create_sheet("exposures"), EXPOSURE_COLUMNS,
           [r for o in summary.outcomes for r in o.exposure_rows()])
    manifest = book.create_sheet("manifest")
    _sheet(manifest, ("key", "value"), manifest_rows(summary))
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def manifest_rows(summary: BatchSummary) -> list[dict[str, Any]]:
    m = summary.manifest
    rows = [{"key": k, "value": m.get(k)} for k in ("trailscan", "policy", "policy_sha256", "store", "workers",
                                                    "written")]
    rows += [{"key": f"labels {s['layer']}", "value": f"{s['files']} files, sha256 {s['sha256']}"}
             for s in m.get("labels", [])]
    for chain, head in sorted(m.get("heads", {}).items()):
        rows.append({"key": f"head {chain}", "value": f"block {head['block']} {head['hash']}" if head else "none"})
    counts = summary.as_dict()
    rows += [{"key": k, "value": counts[k]} for k in ("wallets", "traced", "skipped", "failed", "flagged")]
    return rows
