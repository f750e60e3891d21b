"""The importer plug-in contract: a class with metadata attributes (checked at definition) and ``rows()``.

An importer only turns one file of a public format into draft tags (plain text fields plus the input line).
Checking the drafts, refusing the whole file on any problem and writing the pack happen in ``run.py``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from abc import abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ...chains import get_chain
from ...errors import ChainError, LabelError
from .. import taxonomy
from ..tagpack import network_name
from ..yamlread import decode

# Block explorers (folder names in the scraped label sets) -> trailscan chain names.
SCANNERS = {
    "etherscan": "ethereum", "ethereum": "ethereum", "eth": "ethereum",
    "bscscan": "bsc", "bsc": "bsc",
    "polygonscan": "polygon", "polygon": "polygon",
    "arbiscan": "arbitrum", "arbitrum": "arbitrum",
    "optimism": "optimism", "optimistic": "optimism", "optimistic-etherscan": "optimism",
    "basescan": "base", "base": "base",
    "snowtrace": "avalanche", "snowscan": "avalanche", "avalanche": "avalanche",
}


@dataclass(frozen=True)
class ImportOptions:
    """What the user may add or override on the command line."""

    chain: str | None = None
    source: str | None = None
    category: str | None = None
    confidence: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)


@dataclass
class Draft:
    """One tag as text fields, and the line of the input file it came from."""

    line: int | None
    fields: dict[str, str]


@dataclass
class ImportContext:
    """The input file, its text, and the options; helpers for importers that need them."""

    path: Path
    text: str
    options: ImportOptions
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def shown(self) -> str:
        return str(self.path)

    def fail(self, message: str, line: int | None = None, hint: str | None = None) -> LabelError:
        return LabelError(message, path=self.shown, line=line, hint=hint)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


class Importer:
    """Base of every label importer. Subclasses set the metadata below and implement ``rows``."""

    NAME: ClassVar[str]  # the FORMAT argument of `trailscan labels import`
    HELP: ClassVar[str]  # one line for --help and the docs
    DATASET: ClassVar[str]  # the public data set, "owner/repo" where it is one
    FILE_HINT: ClassVar[str]  # the file it reads, as the data set names it
    DEFAULT_CONFIDENCE: ClassVar[str]  # a name of the GraphSense scale
    ORIGIN: ClassVar[str | None] = None  # marks every imported tag (e.g. "etherscan": no open licence)
    # True where the format gives each tag its own confidence (TagPacks): a tag without one gets --confidence
    # (else DEFAULT_CONFIDENCE) and is counted and marked as defaulted; --confidence never replaces a tag's own.
    PER_TAG_CONFIDENCE: ClassVar[bool] = False
    ABSTRACT: ClassVar[bool] = False  # True on shared bases: skips the metadata check

    _REQUIRED = ("NAME", "HELP", "DATASET", "FILE_HINT", "DEFAULT_CONFIDENCE")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("ABSTRACT", False):
            return  # a shared base for several importers, never registered
        missing = [name for name in cls._REQUIRED if not getattr(cls, name, None)]
        if missing:
            raise TypeError(f"importer {cls.__name__} lacks metadata: {', '.join(missing)}")
        if not re.fullmatch(r"[a-z][a-z0-9-]*", cls.NAME):
            raise TypeError(f"importer {cls.__name__}: NAME {cls.NAME!r} must be lower-case words joined by '-'")
        if cls.DEFAULT_CONFIDENCE not in taxonomy.CONFIDENCE:
            raise TypeError(f"importer {cls.__name__}: DEFAULT_CONFIDENCE {cls.DEFAULT_CONFIDENCE!r} is not "
                            "a GraphSense confidence name")

    @abstractmethod
    def rows(self, ctx: ImportContext) -> Iterator[Draft]:
        """Draft tags read from ``ctx.text``; raise ctx.fail(...) for a file that is not in this format."""

    def defaults(self, ctx: ImportContext) -> dict[str, str]:
        """Fields every draft gets unless it sets them: the options, else this importer's defaults."""
        opts = ctx.options
        out = {"confidence": opts.confidence or self.DEFAULT_CONFIDENCE}
        if opts.source:
            out["source"] = opts.source
        if opts.category:
            out["category"] = opts.category
        if opts.chain:
            out["network"] = network_name(get_chain(opts.chain))
        if self.ORIGIN:
            out["origin"] = self.ORIGIN
        return out


# ---------------------------------------------------------------------------------------------------------
# helpers shared by importers


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LabelError(f"cannot read import file: {exc.strerror}", path=str(path)) from None
    return decode(data, str(path))


def load_json(ctx: ImportContext) -> Any:
    """The JSON document, refusing duplicate keys (which json would silently collapse)."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise ctx.fail(f"duplicate JSON key {key[:60]!r}", line_of(ctx.text, key))
            out[key] = value
        return out

    try:
        return json.loads(ctx.text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise ctx.fail(f"invalid JSON: {exc.msg}", exc.lineno) from None


def csv_rows(ctx: ImportContext) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of every non-empty CSV record."""
    reader = csv.reader(io.StringIO(ctx.text, newline=""))
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                yield reader.line_num, cells
    except csv.Error as exc:
        raise ctx.fail(f"invalid CSV: {exc}", reader.line_num) from None


def line_of(text: str, needle: str) -> int | None:
    """Line of the first occurrence of ``needle`` (to point at a JSON entry); None when absent."""
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def chain_from_path(ctx: ImportContext, *folders: str) -> str | None:
    """Chain name from a scanner folder in the path (data/<scanner>/...), unless --chain is given."""
    if ctx.options.chain:
        return network_name(get_chain(ctx.options.chain))
    for part in reversed(ctx.path.parts[:-1]):
        if part.lower() in SCANNERS:
            return SCANNERS[part.lower()]
    for name in folders:
        if name.lower() in SCANNERS:
            return SCANNERS[name.lower()]
    return None


def require_chain(ctx: ImportContext, *folders: str) -> str:
    chain = chain_from_path(ctx, *folders)
    if chain is None:
        raise ctx.fail("cannot tell which chain these labels are for",
                       hint="give --chain (the file's folder names no known block explorer)")
    return chain


def chain_for_id(text: str) -> str | None:
    try:
        return network_name(get_chain(text.strip())) if text.strip().isdigit() else None
    except ChainError:
        return None


def category_for(*names: str) -> str | None:
    """The first of ``names`` that is a category (scraped label folders such as 'exchange' often are)."""
    for name in names:
        key = name.strip().lower()
        if taxonomy.is_category(key):
            return key
    return None
