"""Adding one tag to a case label directory, keeping the file's comments and refusing exact duplicates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, LabelError
from . import taxonomy
from .loader import read_dir
from .model import Tag
from .tagpack import network_name, parse_items, parse_pack, resolve_network
from .writer import atomic_write, pack_text, tag_item_text
from .yamlread import Value, YMap

DEFAULT_PACK = "case.yaml"


@dataclass(frozen=True)
class NewTag:
    address: str
    label: str
    category: str
    source: str
    chain: str
    actor: str | None = None
    confidence: str = "manual_transaction"
    context: str | None = None


def add_tag(new: NewTag, to_dir: Path, *, pack: str = DEFAULT_PACK) -> tuple[Path, Tag]:
    """Append ``new`` to ``to_dir/pack`` (created if missing); the whole file is re-checked before writing."""
    target = to_dir / pack
    tag = _checked(new, str(target))
    if to_dir.is_dir():
        _refuse_duplicate(tag, read_dir(to_dir).tags)
    fields = _fields(new, tag)
    if target.exists():
        old = target.read_bytes().decode("utf-8", errors="strict")
        before = parse_pack(old, str(target))
        if before.problems:
            raise before.problems[0].error()
        text = old + ("" if old.endswith("\n") else "\n") + tag_item_text(fields)
    else:
        before = None
        text = pack_text({"title": "Case labels", "creator": "trailscan labels add"}, [fields], lift=False)
    after = parse_pack(text, str(target))
    expected = [*(before.tags if before else []), tag]
    if after.problems or [_essence(t) for t in after.tags] != [_essence(t) for t in expected]:
        raise LabelError("cannot append to this pack: it would not read back as its tags plus the new one "
                         "(its header adds fields to every tag)", path=str(target),
                         hint="add the tag by hand, or use another --file")
    atomic_write(target, text)
    return target, after.tags[-1]


def _essence(tag: Tag) -> tuple[object, ...]:
    """What a tag says, without where it was read from (a header's confidence_defaulted counts too)."""
    return (*tuple(tag)[:10], tag.confidence_defaulted)


def _checked(new: NewTag, shown: str) -> Tag:
    if not taxonomy.is_category(new.category):
        raise InputError(f"unknown category {new.category[:60]!r}", hint="see 'trailscan labels categories'")
    if taxonomy.parse_confidence(new.confidence) is None:
        raise InputError(f"unknown confidence {new.confidence[:60]!r}",
                         hint=f"use 0-100 or one of {taxonomy.confidence_help()}")
    values: dict[str, Value] = {k: v for k, v in _fields(new, None).items()}
    result = parse_items([YMap(1, values, dict.fromkeys(values, 1))], shown)
    if result.problems:
        raise InputError(result.problems[0].message, hint=result.problems[0].hint)
    return result.tags[0]


def _fields(new: NewTag, tag: Tag | None) -> dict[str, str]:
    chain = resolve_network(new.chain)
    fields = {
        "asset" if new.address.isalpha() and chain.family == "cosmos" else "address":
            tag.address if tag else new.address,
        "label": new.label, "category": new.category, "confidence": new.confidence,
        "network": network_name(chain), "source": new.source,
    }
    if new.actor:
        fields["actor"] = new.actor
    if new.context:
        fields["context"] = new.context
    return fields


def _refuse_duplicate(tag: Tag, existing: list[Tag]) -> None:
    for other in existing:
        if (other.chain, other.address, other.label, other.category) == (tag.chain, tag.address, tag.label,
                                                                         tag.category):
            raise InputError(f"{tag.address} already has this label ({other.where})")
