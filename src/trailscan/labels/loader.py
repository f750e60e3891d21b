"""Finding and reading label directories: the shipped set, ``--labels DIR`` and ``$TRAILSCAN_LABELS``.

A label directory holds TagPacks (``*.yaml``/``*.yml``, searched recursively, hidden paths skipped), an
optional ``actors.yaml`` and an optional ``tokens.yaml``. The shipped set is package data
(``trailscan/labels/data``), a copy of the repository's ``labels/`` kept identical by a test.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..errors import LabelError
from ..gcpause import paused_gc
from .actorpack import read_actors
from .derived import derived_tags
from .model import SHIPPED, Actor, Problem, Tag, TokenInfo
from .registry import LabelSet
from .tagpack import read_pack
from .tokens import read_tokens

ENV_VAR = "TRAILSCAN_LABELS"
ACTORS_FILE = "actors.yaml"
TOKENS_FILE = "tokens.yaml"


def shipped_dir() -> Path:
    return Path(str(resources.files("trailscan.labels") / "data"))


def label_dirs(cli_dirs: Sequence[Path] | None = None) -> list[Path]:
    """Case label directories: those given on the command line, else ``$TRAILSCAN_LABELS`` (':'-separated)."""
    if cli_dirs:
        return list(cli_dirs)
    value = os.environ.get(ENV_VAR, "")
    return [Path(part) for part in value.split(os.pathsep) if part.strip()]


@dataclass
class DirContent:
    """Everything read from one label directory, with every problem found."""

    path: Path
    layer: str
    tags: list[Tag] = field(default_factory=list)
    actors: list[Actor] = field(default_factory=list)
    tokens: list[TokenInfo] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # reported by validate; the labels still load
    files: list[str] = field(default_factory=list)


def label_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise LabelError("label directory not found", path=str(directory),
                         hint="give an existing directory with --labels or $TRAILSCAN_LABELS")
    found = [
        p for p in directory.rglob("*")
        if p.suffix in (".yaml", ".yml") and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(directory).parts)
    ]
    return sorted(found)


def read_dir(directory: Path, layer: str | None = None, *, fast: bool = True) -> DirContent:
    """Read every file of one label directory; problems are collected, not raised (a missing one raises)."""
    content = DirContent(directory, layer if layer is not None else str(directory))
    with paused_gc():
        for path in label_files(directory):
            shown = str(path)
            content.files.append(shown)
            if path.name == ACTORS_FILE:
                actors, problems = read_actors(path, display=shown)
                content.actors.extend(actors)
            elif path.name == TOKENS_FILE:
                tokens, problems = read_tokens(path, display=shown)
                content.tokens.extend(tokens)
            else:
                pack = read_pack(path, display=shown, layer=content.layer, fast=fast)
                content.tags.extend(pack.tags)
                content.warnings.extend(pack.warnings)
                problems = pack.problems
            content.problems.extend(problems)
    return content


def read_dirs(extra_dirs: Sequence[Path] | None = None, include_shipped: bool = True) -> list[DirContent]:
    dirs = [(shipped_dir(), SHIPPED)] if include_shipped else []
    chosen = label_dirs() if extra_dirs is None else list(extra_dirs)
    dirs += [(Path(d), str(d)) for d in chosen]
    return [read_dir(path, layer) for path, layer in dirs]


def load_labels(extra_dirs: Sequence[Path | str] | None = None, include_shipped: bool = True) -> LabelSet:
    """The label set in force: shipped labels (unless excluded) overridden by case label directories.

    ``extra_dirs`` None means ``$TRAILSCAN_LABELS``. A malformed file raises LabelError ("path:line: ...").
    """
    contents = read_dirs([Path(d) for d in extra_dirs] if extra_dirs is not None else None, include_shipped)
    for content in contents:
        if content.problems:
            raise content.problems[0].error()
    with paused_gc():
        return LabelSet(
            [derived_tags() if include_shipped else [], *(c.tags for c in contents)],
            actors=[a for c in contents for a in c.actors],
            tokens=[t for c in contents for t in c.tokens],
        )
