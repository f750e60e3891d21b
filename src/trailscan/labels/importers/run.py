"""Running an import: read with the importer, check every tag, then write one pack atomically (or nothing)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import InputError, LabelError
from .. import taxonomy
from ..model import Tag
from ..tagpack import CONFIDENCE_MARKER, parse_items, parse_pack
from ..writer import atomic_write, pack_text, tag_fields
from ..yamlread import Value, YMap
from . import get_importer
from .base import Draft, ImportContext, ImportOptions, read_text


@dataclass
class ImportReport:
    format: str
    written: Path
    tags: int
    skipped: dict[str, int] = field(default_factory=dict)
    no_confidence: int = 0  # tags whose source gave no confidence (marked in the pack)
    confidence_given: str | None = None  # the confidence they got, e.g. "unknown (5)"

    @property
    def confidence_note(self) -> str | None:
        """'N tags had no confidence: set to unknown (5)', or None when every tag had its own."""
        count = self.no_confidence
        if not count:
            return None
        return f"{count} tag{'' if count == 1 else 's'} had no confidence: set to {self.confidence_given}"


def run_import(
    fmt: str, path: Path, to_dir: Path, options: ImportOptions | None = None, *,
    name: str | None = None, replace: bool = False,
) -> ImportReport:
    """Import ``path`` in format ``fmt`` into a new pack in ``to_dir``; any problem means nothing is written."""
    importer = get_importer(fmt)()
    options = options or ImportOptions()
    given = _confidence_text(options.confidence or importer.DEFAULT_CONFIDENCE)
    target = to_dir / (name or f"{importer.NAME}-{_slug(path.stem)}.yaml")
    if target.exists() and not replace:
        raise LabelError("the target pack already exists", path=str(target),
                         hint="use --replace to overwrite it, or --name to choose another file")
    ctx = ImportContext(path, read_text(path), options)
    per_tag = importer.PER_TAG_CONFIDENCE
    tags = _checked_tags(importer.rows(ctx), importer.defaults(ctx), _overrides(options, per_tag), ctx, per_tag)
    unique = _dedupe(tags, ctx)
    if not unique:
        raise ctx.fail("no labels found in the file", hint=f"is it {importer.FILE_HINT} ({importer.HELP})?")
    header = {"title": f"Imported from {importer.DATASET} ({path.name[:100]})", "creator": "trailscan labels import"}
    text = pack_text(header, [tag_fields(t) for t in unique])
    reread = parse_pack(text, str(target))
    if reread.problems or len(reread.tags) != len(unique):  # pragma: no cover - a writer bug, never the input
        raise LabelError("internal error: the written pack does not read back", path=str(target))
    atomic_write(target, text)
    defaulted = sum(1 for t in unique if t.confidence_defaulted)
    return ImportReport(importer.NAME, target, len(unique), dict(ctx.skipped), defaulted,
                        given if defaulted else None)


def _confidence_text(text: str) -> str:
    """How a confidence option reads in the summary ('service_data (50)', '30'); refuses an invalid one."""
    parsed = taxonomy.parse_confidence(text)
    if parsed is None:
        raise InputError(f"unknown confidence {text[:60]!r}", hint=f"use 0-100 or one of {taxonomy.confidence_help()}")
    name = text.strip()
    return f"{name} ({parsed[0]})" if name in taxonomy.CONFIDENCE else str(parsed[0])


def _overrides(options: ImportOptions, per_tag_confidence: bool) -> dict[str, str]:
    """Options that replace every tag's value; --confidence only fills in where the format has per-tag ones."""
    out = {"source": options.source, "category": options.category}
    if not per_tag_confidence:
        out["confidence"] = options.confidence
    return {k: v for k, v in out.items() if v}


def _checked_tags(drafts: Iterable[Draft], defaults: dict[str, str], overrides: dict[str, str],
                  ctx: ImportContext, per_tag_confidence: bool) -> list[Tag]:
    items: list[YMap] = []
    for draft in drafts:
        values: dict[str, Value] = {**defaults, **draft.fields, **overrides}
        if per_tag_confidence and "confidence" not in draft.fields:
            values[CONFIDENCE_MARKER] = "true"  # the confidence is the default: say so in the pack
        line = draft.line if draft.line is not None else 0
        items.append(YMap(line, values, dict.fromkeys(values, line)))
    result = parse_items(items, ctx.shown)
    if result.problems:
        first = result.problems[0]
        more = len(result.problems) - 1
        at = first.line if first.line else None
        suffix = f" ({more} more problem{'s' if more > 1 else ''}; nothing was imported)" if more else \
            " (nothing was imported)"
        raise LabelError(first.message + suffix, path=ctx.shown, line=at, hint=first.hint)
    return result.tags


def _dedupe(tags: list[Tag], ctx: ImportContext) -> list[Tag]:
    seen: set[tuple[str, str, str, str | None]] = set()
    unique = []
    for tag in tags:
        key = (tag.chain, tag.address, tag.label, tag.category)
        if key in seen:
            ctx.skip("duplicate rows")
            continue
        seen.add(key)
        unique.append(tag)
    return unique


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:60] or "labels"
