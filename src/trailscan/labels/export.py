"""Exporting the label set in force: one TagPack, or CSV with one row per tag."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from .model import Tag
from .writer import pack_text, tag_fields

EXPORT_FORMATS = ("tagpack", "csv")
CSV_COLUMNS = ("chain", "address", "kind", "label", "category", "confidence", "source", "actor", "context",
               "origin", "layer", "where")


def export_text(tags: Iterable[Tag], fmt: str) -> str:
    """The tags as TagPack YAML (``tagpack``) or CSV (``csv``)."""
    if fmt == "tagpack":
        header = {"title": "trailscan label export", "creator": "trailscan labels export"}
        return pack_text(header, [tag_fields(t) for t in tags])
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for tag in tags:
            row = tag.as_row()
            writer.writerow(["" if row[c] is None else row[c] for c in CSV_COLUMNS])
        return buf.getvalue()
    raise ValueError(f"unknown export format {fmt!r}")
