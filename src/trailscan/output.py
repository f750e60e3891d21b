"""Rendering of command results in the three shared formats: table, json, csv.

JSON output is one stable envelope for every command::

    {"schema": "trailscan/1", "command": "transfers", "success": true, "error": null, "results": [...]}

Every value in ``results`` is a string, integer, boolean or null; token amounts are decimal strings.
"""

from __future__ import annotations

import csv
import enum
import io
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

import orjson
from rich.console import Console
from rich.markup import escape
from rich.table import Table

SCHEMA = "trailscan/1"


class Format(enum.StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


def _md(value: Any) -> str:
    """A Markdown table cell: pipes, backslashes, HTML and line breaks escaped: chain data stays one text cell."""
    text = _cell(value).replace("\\", "\\\\").replace("|", "\\|").replace("&", "&amp;").replace("<", "&lt;")
    text = text.replace(">", "&gt;").replace("`", "\\`")
    return " ".join(text.split()) or " "


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "; ".join(_cell(v) for v in value)
    return str(value)


def json_envelope(command: str, results: Any, *, error: str | None = None, **extra: Any) -> bytes:
    body: dict[str, Any] = {"schema": SCHEMA, "command": command, "success": error is None, "error": error}
    body.update(extra)
    body["results"] = results
    return orjson.dumps(body, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n"


def render(
    rows: Sequence[Mapping[str, Any]],
    fmt: Format,
    *,
    command: str,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    out: TextIO | None = None,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Print ``rows`` (dicts with the same keys) in ``fmt``; ``columns`` picks and orders table/csv columns."""
    out = out or sys.stdout
    cols = list(columns) if columns else (list(rows[0].keys()) if rows else [])
    if fmt is Format.json:
        out.write(json_envelope(command, list(rows), **dict(extra or {})).decode())
    elif fmt is Format.markdown:
        lines = [f"### {_md(title)}", ""] if title else []
        if not rows:
            lines.append("nothing found")
        else:
            lines.append("| " + " | ".join(_md(c) for c in cols) + " |")
            lines.append("|" + "---|" * len(cols))
            lines += ["| " + " | ".join(_md(row.get(c)) for c in cols) + " |" for row in rows]
        out.write("\n".join(lines) + "\n\n")
    elif fmt is Format.csv:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(cols)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in cols])
        out.write(buf.getvalue())
    else:
        # Off a terminal (a pipe, a file, a test) nothing should fold: use a wide virtual screen.
        console = Console(file=out, soft_wrap=False, highlight=False)
        if not console.is_terminal:
            console = Console(file=out, soft_wrap=False, highlight=False, width=250)
        if not rows:
            console.print(escape(f"{title}: nothing found" if title else "nothing found"))
            return
        table = Table(title=escape(title) if title else None, show_lines=False)
        for c in cols:
            table.add_column(escape(c), overflow="fold")
        for row in rows:
            table.add_row(*(escape(_cell(row.get(c))) for c in cols))
        console.print(table)
