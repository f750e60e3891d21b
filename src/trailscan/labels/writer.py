"""Writing label files: TagPack text from tags, and atomic replacement so nothing is ever half-written."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from ..chains import get_chain
from .model import KIND_ASSET, Tag
from .tagpack import CONFIDENCE_MARKER, network_name

_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
# Tag fields in the order they are written; the header carries every field all tags share.
FIELD_ORDER = ("address", "asset", "label", "category", "confidence", CONFIDENCE_MARKER, "network", "source", "actor",
               "context", "origin")
HEADER_CANDIDATES = ("network", "category", "confidence", CONFIDENCE_MARKER, "source", "actor", "origin")


def tag_fields(tag: Tag) -> dict[str, Any]:
    """A tag as TagPack fields (network by chain name, asset tags under 'asset', the marker of a defaulted
    confidence only where it is set)."""
    fields: dict[str, Any] = {
        "asset" if tag.kind == KIND_ASSET else "address": tag.address,
        "label": tag.label,
        "category": tag.category,
        "confidence": tag.confidence,
        "network": network_name(get_chain(tag.chain)),
        "source": tag.source,
        "actor": tag.actor,
        "context": tag.context,
        "origin": tag.origin,
        CONFIDENCE_MARKER: True if tag.confidence_defaulted else None,
    }
    return {k: v for k, v in fields.items() if v is not None}


def pack_text(header: Mapping[str, Any], tags: Sequence[Mapping[str, Any]], *, lift: bool = True) -> str:
    """TagPack YAML: ``header`` first, fields shared by every tag lifted into it (``lift``), then ``tags:``.

    Do not lift for a pack that will grow: a later tag without an optional field would inherit it.
    """
    head = dict(header)
    head.setdefault("lastmod", dt.date.today().isoformat())
    shared = _shared_fields(tags) if lift else {}
    head.update(shared)
    body = [{k: v for k, v in t.items() if k not in shared} for t in tags]
    ordered = [dict(sorted(t.items(), key=lambda kv: _order(kv[0]))) for t in body]
    return _dump(head) + _dump({"tags": ordered})


def _shared_fields(tags: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    if not tags:
        return {}
    shared = {}
    for key in HEADER_CANDIDATES:
        values = {repr(t.get(key)) for t in tags}
        if len(values) == 1 and tags[0].get(key) is not None:
            shared[key] = tags[0][key]
    return shared


def _order(key: str) -> int:
    return FIELD_ORDER.index(key) if key in FIELD_ORDER else len(FIELD_ORDER)


def _dump(data: Mapping[str, Any]) -> str:
    text: str = yaml.dump(dict(data), Dumper=_DUMPER, sort_keys=False, allow_unicode=True, width=10**9,
                          default_flow_style=False)
    return text


def tag_item_text(fields: Mapping[str, Any]) -> str:
    """One ``- key: value`` list item, to append to an existing pack."""
    ordered = dict(sorted(fields.items(), key=lambda kv: _order(kv[0])))
    return _dump({"tags": [ordered]}).split("\n", 1)[1]


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def tags_to_fields(tags: Iterable[Tag]) -> list[dict[str, Any]]:
    return [tag_fields(t) for t in tags]
