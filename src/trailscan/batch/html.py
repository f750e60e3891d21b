"""index.html: a self-contained page listing every wallet of a batch, linking each wallet's report.

Every value (references and addresses from the wallets file, labels, errors) is escaped with html.escape.
"""

from __future__ import annotations

import html
from urllib.parse import quote

from .model import BatchSummary, Outcome

_STYLE = """body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#eee}
tr.flagged{background:#fff2cc}tr.error{background:#f4cccc}code{font-size:12px}"""


def html_report(json_report: str) -> str:
    """Where a wallet's HTML trace report lies, beside its JSON (``wallets/<n>-<address>.html``)."""
    return json_report[: -len(".json")] + ".html" if json_report.endswith(".json") else json_report + ".html"


def wallet_report(outcome: Outcome) -> str | None:
    """The link to a wallet's HTML trace report, relative to index.html (None for a wallet that failed)."""
    return html_report(outcome.report) if outcome.report else None


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _row(outcome: Outcome) -> str:
    row = outcome.row()
    link = wallet_report(outcome)
    report = f'<a href="{_e(quote(link))}">report</a>' if link else ""
    css = "error" if outcome.status == "error" else "flagged" if outcome.flags else ""
    flags = "<br>".join(f"{_e(f.text)}: {_e(f.detail)}" for f in outcome.flags)
    cells = [_e(row["row"]), _e(row["reference"]), _e(row["chain"]), f"<code>{_e(row['address'])}</code>",
             _e(row["status"]), _e(row["error"]), flags, _e(row["traced_usd"]), _e(row["top_actor"]), report]
    return f'<tr class="{css}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def index_html(summary: BatchSummary) -> str:
    m = summary.manifest
    counts = summary.as_dict()
    head = ["#", "reference", "chain", "address", "status", "error", "flags", "traced USD", "top actor", "report"]
    lines = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>trailscan batch</title>", f"<style>{_STYLE}</style></head><body>",
             "<h1>trailscan batch</h1>",
             f"<p>{counts['wallets']} wallets: {counts['traced']} traced, {counts['skipped']} already finished, "
             f"{counts['failed']} failed, {counts['flagged']} flagged. Policy {_e(m.get('policy'))} "
             f"(sha256 <code>{_e(m.get('policy_sha256'))}</code>), store {_e(m.get('store'))}, "
             f"trailscan {_e(m.get('trailscan'))}.</p>",
             "<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr></thead><tbody>",
             *(_row(o) for o in summary.outcomes), "</tbody></table>",
             '<p><a href="summary.csv">summary.csv</a> · <a href="summary.xlsx">summary.xlsx</a></p>',
             "</body></html>", ""]
    return "\n".join(lines)
