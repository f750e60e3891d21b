"""`trailscan labels ...`: list, show, search, validate, add, import, export and match labels.

Parse, call trailscan.labels, render through output.render. No label logic lives here.
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..chains import get_chain
from ..errors import InputError
from ..labels import LabelSet, load_labels, taxonomy
from ..labels.edit import DEFAULT_PACK, NewTag, add_tag
from ..labels.export import EXPORT_FORMATS, export_text
from ..labels.importers import importers
from ..labels.importers.base import ImportOptions
from ..labels.importers.run import run_import
from ..labels.loader import label_dirs
from ..labels.model import ERROR
from ..labels.validate import validate as validate_dirs
from ..labels.writer import atomic_write
from ..output import Format, render
from .common import FormatOpt, LabelsOpt

app = typer.Typer(
    help="Work with label sets: list, show, search, validate, add, import, export, match.",
    no_args_is_help=True,
    rich_markup_mode=None,
)



class ExportAs(enum.StrEnum):
    """File formats of `labels export --as` (kept apart from --format, which shapes printed results)."""

    tagpack = "tagpack"
    csv = "csv"


assert {e.value for e in ExportAs} == set(EXPORT_FORMATS)
TAG_COLUMNS = ["chain", "address", "label", "category", "confidence", "source"]
ChainFilter = Annotated[
    str | None,
    typer.Option("--chain", "-c", help="Only this chain (name, alias, CAIP-2 key or EVM chain id).",
                 show_default=False),
]
CategoryFilter = Annotated[
    str | None, typer.Option("--category", help="Only this category (see 'trailscan labels categories').",
                             show_default=False),
]
NoShipped = Annotated[bool, typer.Option("--no-shipped", help="Leave out the labels shipped with trailscan.")]


def _load(labels: list[Path] | None, no_shipped: bool = False) -> LabelSet:
    return load_labels(label_dirs(labels), include_shipped=not no_shipped)


def _chain_key(chain: str | None) -> str | None:
    return get_chain(chain).key if chain else None


def _warn_conflicts(labels: LabelSet, keys: set[tuple[str, str]], fmt: Format) -> list[dict[str, Any]]:
    found = [c for c in labels.conflicts if (c.chain, c.address) in keys]
    if fmt is not Format.json:  # JSON carries them in the envelope's "conflicts"
        for conflict in found:
            typer.echo(f"warning: conflicting labels for {conflict.address} on {conflict.chain}: "
                       f"{conflict.reason}", err=True)
    return [c.as_row() for c in found]


@app.command("list")
def list_command(
    category: CategoryFilter = None,
    chain: ChainFilter = None,
    labels: LabelsOpt = None,
    no_shipped: NoShipped = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """List the labels in force (shipped labels overridden by case labels)."""
    label_set = _load(labels, no_shipped)
    if category is not None and not taxonomy.is_category(category):
        raise InputError(f"unknown category {category[:60]!r}", hint="see 'trailscan labels categories'")
    rows = [t.as_row() for t in label_set.tags(category=category, chain=_chain_key(chain))]
    render(rows, fmt, command="labels list", columns=TAG_COLUMNS, title="labels")


@app.command("show")
def show(
    address: Annotated[str, typer.Argument(help="An address (any chain) or an asset id such as uakt.")],
    chain: ChainFilter = None,
    labels: LabelsOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Show every tag for one address: in force, overridden by case labels, or in conflict."""
    label_set = _load(labels)
    rows: list[dict[str, Any]] = []
    keys = set(label_set.resolve(address, _chain_key(chain)))
    for chain_key, canonical in sorted(keys):
        conflict = label_set.has_conflict(chain_key, canonical)
        for tag in label_set.lookup(chain_key, canonical):
            actor = label_set.actors.get(tag.actor or "")
            rows.append({"status": "conflict" if conflict else "in force", **tag.as_row(),
                         "actor_name": actor.name if actor else None})
        for tag in label_set.overridden(chain_key, canonical):
            rows.append({"status": "overridden", **tag.as_row(), "actor_name": None})
    conflicts = _warn_conflicts(label_set, keys, fmt)
    render(rows, fmt, command="labels show", columns=["status", "layer", *TAG_COLUMNS, "where"],
           title=f"labels for {address[:100]}", extra={"conflicts": conflicts})


@app.command("search")
def search(
    text: Annotated[str, typer.Argument(help="Text to find in labels, addresses, categories, actors, context.")],
    labels: LabelsOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Find labels by text (case-insensitive)."""
    rows = [t.as_row() for t in _load(labels).search(text)]
    render(rows, fmt, command="labels search", columns=TAG_COLUMNS, title=f"labels matching {text[:100]!r}")


@app.command("match")
def match(
    addresses: Annotated[list[str], typer.Argument(help="Addresses (or asset ids) to match.")],
    chain: ChainFilter = None,
    labels: LabelsOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Match addresses against the labels: every match with its confidence, source and reason."""
    label_set = _load(labels)
    rows: list[dict[str, Any]] = []
    keys: set[tuple[str, str]] = set()
    for text in addresses:
        for chain_key, canonical in label_set.resolve(text, _chain_key(chain)):
            keys.add((chain_key, canonical))
            rows += [{"input": text, **m.as_row()} for m in label_set.match_address(chain_key, canonical)]
    conflicts = _warn_conflicts(label_set, keys, fmt)
    render(rows, fmt, command="labels match",
           columns=["input", "chain", "label", "category", "confidence", "source", "reason", "conflict"],
           title="matches", extra={"conflicts": conflicts})


@app.command("validate")
def validate(
    directory: Annotated[Path | None, typer.Argument(help="A label directory; default: shipped + case labels.",
                                                     show_default=False)] = None,
    labels: LabelsOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Check label files: schema, address format and checksum per chain, duplicates, conflicting categories.

    Exit 1 on any error. Warnings (imported tags whose source gave no confidence) are listed but exit 0.
    """
    problems = validate_dirs(directory, label_dirs(labels))
    render([p.as_row() for p in problems], fmt, command="labels validate",
           columns=["severity", "where", "message", "hint"], title="problems")
    errors = sum(1 for p in problems if p.severity == ERROR)
    warnings = len(problems) - errors
    noted = f"; {warnings} warning{'s' if warnings != 1 else ''}" if warnings else ""
    if errors:
        typer.echo(f"{errors} problem{'s' if errors != 1 else ''} found{noted}", err=True)
        raise typer.Exit(1)
    if warnings:
        typer.echo(f"no problems found{noted}", err=True)


@app.command("add")
def add(
    address: Annotated[str, typer.Argument(help="The address (or a Cosmos denom) to label.")],
    label: Annotated[str, typer.Option("--label", help="The label text.")],
    category: Annotated[str, typer.Option("--category", help="A category (see 'trailscan labels categories').")],
    source: Annotated[str, typer.Option("--source", help="Where the label comes from (URL, document, case note).")],
    to: Annotated[Path, typer.Option("--to", help="The case label directory to write to (created if missing).")],
    chain: Annotated[str, typer.Option("--chain", "-c", help="Chain of the address.")] = "ethereum",
    actor: Annotated[str | None, typer.Option("--actor", help="Actor id.", show_default=False)] = None,
    confidence: Annotated[str, typer.Option("--confidence", help="Confidence name or 0-100.")] = "manual_transaction",
    context: Annotated[str | None, typer.Option("--context", help="Free text context.", show_default=False)] = None,
    file: Annotated[str, typer.Option("--file", help="Pack file name inside --to.")] = DEFAULT_PACK,
    fmt: FormatOpt = Format.table,
) -> None:
    """Add one label to a case label directory (appended to its pack; comments kept)."""
    new = NewTag(address, label, category, source, chain, actor, confidence, context)
    target, tag = add_tag(new, to, pack=_pack_name(file))
    render([{"written": str(target), **tag.as_row()}], fmt, command="labels add",
           columns=["written", "chain", "address", "label", "category", "confidence"], title="added")


@app.command("import")
def import_command(
    format_name: Annotated[str, typer.Argument(metavar="FORMAT", help="Import format: " + ", ".join(importers()))],
    path: Annotated[Path, typer.Argument(help="The file to import.")],
    to: Annotated[Path, typer.Option("--to", help="The case label directory to write the new pack to.")],
    chain: Annotated[str | None, typer.Option("--chain", "-c", help="Chain, when the file or its path does not "
                                              "name one.", show_default=False)] = None,
    source: Annotated[str | None, typer.Option("--source", help="Override the source of every tag.",
                                               show_default=False)] = None,
    category: Annotated[str | None, typer.Option("--category", help="Category for every tag.",
                                                 show_default=False)] = None,
    confidence: Annotated[str | None, typer.Option("--confidence", help="Confidence (name or 0-100) for every "
                                                   "tag; tagpack: only for tags that give none (default unknown).",
                                                   show_default=False)] = None,
    mapping: Annotated[list[str] | None, typer.Option("--map", help="csv format: FIELD=COLUMN (repeatable).",
                                                      show_default=False)] = None,
    name: Annotated[str | None, typer.Option("--name", help="File name of the new pack.",
                                             show_default=False)] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite an existing pack of that name.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Import a public label set file into a new pack; all or nothing.

    The summary says how many tags were skipped and how many had no confidence (and what they were given).
    """
    options = ImportOptions(chain, source, category, confidence, _mapping(mapping or []))
    report = run_import(format_name, path, to, options, name=_pack_name(name) if name else None, replace=replace)
    skipped = "; ".join(f"{count} {why}" for why, count in report.skipped.items()) or None
    render([{"format": report.format, "written": str(report.written), "tags": report.tags, "skipped": skipped,
             "no_confidence": report.confidence_note}],
           fmt, command="labels import", title="imported")


@app.command("export")
def export(
    as_: Annotated[ExportAs, typer.Option("--as", help="File format of the export.")] = ExportAs.tagpack,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here instead of standard output.",
                                             show_default=False)] = None,
    category: CategoryFilter = None,
    chain: ChainFilter = None,
    labels: LabelsOpt = None,
    no_shipped: NoShipped = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Export the labels in force as one TagPack or as CSV (--as); --format only shapes the summary."""
    label_set = _load(labels, no_shipped)
    tags = list(label_set.tags(category=category, chain=_chain_key(chain)))
    text = export_text(tags, as_.value)
    if out is None:
        sys.stdout.write(text)
        return
    atomic_write(out, text)
    render([{"written": str(out), "as": as_.value, "tags": len(tags)}], fmt, command="labels export", title="exported")


@app.command("categories")
def categories(fmt: FormatOpt = Format.table) -> None:
    """List the category taxonomy and the confidence scale."""
    rows: list[dict[str, Any]] = [
        {"kind": "category", "name": name, "meaning": meaning} for name, meaning in taxonomy.CATEGORIES.items()
    ]
    rows += [{"kind": "confidence", "name": name, "meaning": str(score)}
             for name, score in taxonomy.CONFIDENCE.items()]
    render(rows, fmt, command="labels categories", title="categories and confidence")


@app.command("tokens")
def tokens(chain: ChainFilter = None, labels: LabelsOpt = None, fmt: FormatOpt = Format.table) -> None:
    """List the token registry: symbol, decimals (empty = unknown) and whether it is a stablecoin."""
    key = _chain_key(chain)
    rows = [t.as_row() for t in _load(labels).tokens.values() if key is None or t.chain == key]
    render(rows, fmt, command="labels tokens", title="tokens")


@app.command("actors")
def actors(labels: LabelsOpt = None, fmt: FormatOpt = Format.table) -> None:
    """List the actors (entities) tags can point at."""
    rows = [{"id": a.id, "name": a.name, "category": a.category, "website": a.website,
             "aliases": list(a.aliases), "jurisdictions": list(a.jurisdictions), "sources": list(a.sources)}
            for a in _load(labels).actors.values()]
    render(rows, fmt, command="labels actors", columns=["id", "name", "category", "website", "sources"],
           title="actors")


@app.command("conflicts")
def conflicts(labels: LabelsOpt = None, fmt: FormatOpt = Format.table) -> None:
    """List addresses whose tags disagree (category or actor); trailscan never picks one silently."""
    rows = [c.as_row() for c in _load(labels).conflicts]
    render(rows, fmt, command="labels conflicts", title="conflicts")


@app.command("formats")
def formats(fmt: FormatOpt = Format.table) -> None:
    """List the import formats with the data set and file each one reads."""
    rows = [{"format": c.NAME, "dataset": c.DATASET, "file": c.FILE_HINT, "confidence": c.DEFAULT_CONFIDENCE,
             "origin": c.ORIGIN, "help": c.HELP} for c in importers().values()]
    render(rows, fmt, command="labels formats", columns=["format", "dataset", "file", "confidence", "origin"],
           title="import formats")


def _mapping(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        for part in pair.split(","):
            field, sep, column = part.partition("=")
            if not sep or not field.strip() or not column.strip():
                raise InputError(f"--map {part[:60]!r} is not FIELD=COLUMN", hint="e.g. --map address=Wallet")
            out[field.strip()] = column.strip()
    return out


def _pack_name(name: str) -> str:
    if "/" in name or "\\" in name or name.startswith("."):
        raise InputError(f"{name[:60]!r} is not a plain file name", hint="give a name such as case.yaml")
    return name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"
