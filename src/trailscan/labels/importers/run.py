"""Running an import: read with the importer, check every tag, then write one pack atomically (or nothing)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import LabelError
from ..model import Tag
from ..tagpack import parse_items, parse_pack
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


def run_import(
    fmt: str, path: Path, to_dir: Path, options: ImportOptions | None = None, *,
    name: str | None = None, replace: bool = False,
) -> ImportReport:
    """Import ``path`` in format ``fmt`` into a new pack in ``to_dir``; any problem means nothing is written."""
    importer = get_importer(fmt)()
    options = options or ImportOptions()
    target = to_dir / (name or f"{importer.NAME}-{_slug(path.stem)}.yaml")
    if target.exists() and not replace:
        raise LabelError("the target pack already exists", path=str(target),
                         hint="use --replace to overwrite it, or --name to choose another file")
    ctx = ImportContext(path, read_text(path), options)
    tags = _checked_tags(importer.rows(ctx), importer.defaults(ctx), _overrides(options), ctx)
    unique = _dedupe(tags, ctx)
    if not unique:
        raise ctx.fail("no labels found in the file", hint=f"is it {importer.FILE_HINT} ({importer.HELP})?")
    header = {"title": f"Imported from {importer.DATASET} ({path.name[:100]})", "creator": "trailscan labels import"}
    text = pack_text(header, [tag_fields(t) for t in unique])
    reread = parse_pack(text, str(target))
    if reread.problems or len(reread.tags) != len(unique):  # pragma: no cover - a writer bug, never the input
        raise LabelError("internal error: the written pack does not read back", path=str(target))
    atomic_write(target, text)
    return ImportReport(importer.NAME, target, len(unique), dict(ctx.skipped))


def _overrides(options: ImportOptions) -> dict[str, str]:
    out = {"source": options.source, "category": options.category, "confidence": options.confidence}
    return {k: v for k, v in out.items() if v}


def _checked_tags(drafts: Iterable[Draft], defaults: dict[str, str], overrides: dict[str, str],
                  ctx: ImportContext) -> list[Tag]:
    items: list[YMap] = []
    for draft in drafts:
        values: dict[str, Value] = {**defaults, **draft.fields, **overrides}
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
