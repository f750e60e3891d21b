"""``labels validate``: every problem of label directories, each with its file and line.

Beyond what loading checks (YAML, schema, chain, address format and checksum, category, confidence):
duplicate tags, conflicting categories for one address inside a directory, unknown or duplicate actor
ids, and conflicts between case directories. Errors come first, then warnings (severity WARNING: imported
tags whose source gave no confidence), which leave the labels usable.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .loader import DirContent, read_dir, read_dirs, shipped_dir
from .model import ERROR, Problem, Tag
from .registry import LabelSet


def validate(
    directory: Path | None = None, case_dirs: Sequence[Path] | None = None, *, include_shipped: bool = True
) -> list[Problem]:
    """Problems of ``directory`` alone, or else of the shipped set plus ``case_dirs`` (None: $TRAILSCAN_LABELS).

    Errors first, then warnings (``Problem.severity``).
    """
    if directory is not None:
        contents = [read_dir(directory)]
        known = {a.id for a in read_dir(shipped_dir()).actors}
    else:
        contents = read_dirs(case_dirs, include_shipped)
        known = set()
    known |= {a.id for c in contents for a in c.actors}
    problems = [p for c in contents for p in check_content(c, known)]
    if directory is None and not any(c.problems for c in contents):
        problems += _cross_set_conflicts(contents)
    return sorted(problems, key=lambda p: p.severity != ERROR)


def check_content(content: DirContent, known_actors: set[str]) -> list[Problem]:
    problems = list(content.problems)
    problems += _duplicates(content.tags)
    problems += _actor_problems(content, known_actors)
    return problems + content.warnings


def _duplicates(tags: Sequence[Tag]) -> list[Problem]:
    problems: list[Problem] = []
    first: dict[tuple[str, str], Tag] = {}
    for tag in tags:
        key = (tag.chain, tag.address)
        seen = first.setdefault(key, tag)
        if seen is tag:
            continue
        if (seen.label, seen.category) == (tag.label, tag.category):
            problems.append(Problem(tag.pack, tag.line, f"duplicate tag for {tag.address} (first at {seen.where})",
                                    "remove one of them"))
        elif seen.category and tag.category and seen.category != tag.category:
            problems.append(Problem(
                tag.pack, tag.line,
                f"conflicting categories for {tag.address}: {tag.category} here, {seen.category} at {seen.where}",
                "keep the category the sources support",
            ))
    return problems


def _actor_problems(content: DirContent, known: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    ids: dict[str, str] = {}
    for actor in content.actors:
        if actor.id in ids:
            message = f"duplicate actor id {actor.id!r} (first at {ids[actor.id]})"
            problems.append(Problem(actor.pack, actor.line, message))
        ids.setdefault(actor.id, f"{actor.pack}:{actor.line}")
    for tag in content.tags:
        if tag.actor and tag.actor not in known:
            problems.append(Problem(tag.pack, tag.line, f"unknown actor {tag.actor[:60]!r}",
                                    "define it in an actors.yaml, or use an id from 'trailscan labels actors'"))
    return problems


def _cross_set_conflicts(contents: Sequence[DirContent]) -> list[Problem]:
    labels = LabelSet([c.tags for c in contents])
    problems = []
    for conflict in labels.conflicts:
        layers = {t.layer for t in conflict.tags}
        if len(layers) > 1:
            where = ", ".join(t.where for t in conflict.tags)
            first = conflict.tags[0]
            problems.append(Problem(first.pack, first.line,
                                    f"label sets disagree about {conflict.address}: {conflict.reason} ({where})"))
    return problems
