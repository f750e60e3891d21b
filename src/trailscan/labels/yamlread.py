"""Safe YAML reading with line numbers: plain data only, no aliases, no tags, no duplicate keys.

Two readers produce the same result (a YMap tree whose scalars are strings or None):

* ``parse_events`` drives libyaml's event parser (``yaml.parse`` with ``CSafeLoader``, or the pure-Python
  ``SafeLoader`` when libyaml is missing) and builds plain values itself. Nothing is ever constructed from
  YAML tags, aliases and anchors are refused (so an anchor bomb never expands), duplicate keys are refused,
  and every mapping remembers the line of each key.
* ``read_list_fast`` reads the flat layout label packs use for their long list (``- key: value`` lines) with
  C-speed regular expressions. It accepts only lines whose meaning is unambiguous and returns None for
  anything else, so the event reader decides every other case. Tests check both readers agree.

Scalars are kept as text: ``0xabc...`` stays a string (YAML 1.1 would make it an int) and ``yes`` stays
``"yes"``; only a plain ``~``/``null``/empty value becomes None.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Union

import yaml

from ..errors import LabelError

Value = Union[str, None, list["Value"], "YMap"]

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NULLS = frozenset({"~", "null", "Null", "NULL", ""})
_MAX_DEPTH = 32


@dataclass(slots=True)
class YMap:
    """A YAML mapping: values by key, the mapping's line, and each key's line (None: key i is on line + i)."""

    line: int
    values: dict[str, Value]
    lines: dict[str, int] | None = None

    def line_of(self, key: str) -> int:
        if self.lines is not None:
            return self.lines.get(key, self.line)
        for offset, name in enumerate(self.values):
            if name == key:
                return self.line + offset
        return self.line


def decode(data: bytes, path: str) -> str:
    """UTF-8 text of a label file; a bad byte is reported with its line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise LabelError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x})", path=path, line=line,
            hint="save the file as UTF-8",
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


# ---------------------------------------------------------------------------------------------------------
# event reader


def parse_events(text: str, path: str) -> Value:
    """The single YAML document in ``text`` as plain values (None for an empty document)."""
    events = yaml.parse(text, Loader=_LOADER)
    try:
        return _document(events, path)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(str(exc.problem or exc.context or "syntax error").split())
        raise LabelError(f"invalid YAML: {what}", path=path, line=line) from None
    except yaml.YAMLError as exc:
        raise LabelError(f"invalid YAML: {' '.join(str(exc).split())}", path=path) from None


def _line(event: yaml.Event) -> int:
    mark = event.start_mark
    return mark.line + 1 if mark is not None else 0


def _document(events: Iterator[yaml.Event], path: str) -> Value:
    value: Value = None
    documents = 0
    for event in events:
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise LabelError("more than one YAML document", path=path, line=_line(event))
            value = _node(events, next(events), path, 0)
    return value


def _node(events: Iterator[yaml.Event], event: yaml.Event, path: str, depth: int) -> Value:
    line = _line(event)
    if isinstance(event, yaml.AliasEvent):
        raise LabelError("YAML aliases (*name) are not allowed in label files", path=path, line=line)
    if isinstance(event, yaml.DocumentEndEvent):
        return None
    if getattr(event, "anchor", None) is not None:
        raise LabelError("YAML anchors (&name) are not allowed in label files", path=path, line=line)
    tag = getattr(event, "tag", None)
    if tag is not None and tag != "!":
        raise LabelError(f"explicit YAML tag {str(tag)[:80]!r} is not allowed in label files", path=path, line=line)
    if depth > _MAX_DEPTH:
        raise LabelError("nesting is too deep", path=path, line=line)
    if isinstance(event, yaml.ScalarEvent):
        plain = event.style is None or event.style == ""
        return None if plain and event.value in _NULLS else str(event.value)
    if isinstance(event, yaml.SequenceStartEvent):
        items: list[Value] = []
        for child in events:
            if isinstance(child, yaml.SequenceEndEvent):
                return items
            items.append(_node(events, child, path, depth + 1))
    if isinstance(event, yaml.MappingStartEvent):
        return _mapping(events, line, path, depth)
    raise LabelError(f"unexpected YAML event {type(event).__name__}", path=path, line=line)


def _mapping(events: Iterator[yaml.Event], line: int, path: str, depth: int) -> YMap:
    result = YMap(line, {}, {})
    assert result.lines is not None
    for key_event in events:
        if isinstance(key_event, yaml.MappingEndEvent):
            return result
        key_line = _line(key_event)
        key = _node(events, key_event, path, depth + 1)
        if not isinstance(key, str):
            raise LabelError("a mapping key must be text", path=path, line=key_line)
        if key in result.values:
            raise LabelError(
                f"duplicate key {key[:60]!r} (first on line {result.lines[key]})", path=path, line=key_line
            )
        result.values[key] = _node(events, next(events), path, depth + 1)
        result.lines[key] = key_line
    return result


# ---------------------------------------------------------------------------------------------------------
# fast reader for the flat list layout


# Text the fast reader leaves to libyaml: control characters, tabs, CR and YAML 1.1's extra line breaks.
_UNUSUAL = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_LINES: dict[str, re.Pattern[str]] = {}
_QUOTED = re.compile(r"""(?:'((?:[^']|'')*)'|"([^"\\]*)")(?: +#.*)? *""")
_PLAIN_START = frozenset("-?:,[]{}#&*!|>'\"%@` ")
_FIRST_ITEM = re.compile(r"^([ ]*)- ", re.MULTILINE)


_PRINTABLE_ASCII = bytes(range(0x20, 0x7F)) + b"\n"


def _is_plain_text(text: str) -> bool:
    if text.isascii():
        return not text.encode("ascii").translate(None, _PRINTABLE_ASCII)
    return _UNUSUAL.search(text) is None


def read_list_fast(region: str, first_line: int, path: str) -> list[YMap] | None:
    """Items of a flat ``- key: value`` list starting on ``first_line``; None when the text needs libyaml."""
    first = _FIRST_ITEM.search(region)
    if first is None or len(first.group(1)) > 8 or not _is_plain_text(region):
        return None
    indent = first.group(1)
    if indent not in _LINES:
        item = rf"^{indent}(?:(- )|  )([A-Za-z_][A-Za-z0-9_]*): (.*)$"
        _LINES[indent] = re.compile(rf"{item}|^ *(?:#.*)?$", re.MULTILINE)
    found = _LINES[indent].findall(region)
    if len(found) != region.count("\n") + 1:
        return None  # some line is not in the simple form
    return _items(found, first_line, path)


def _scalar(raw: str) -> tuple[bool, Value]:
    """(understood, value) of a one-line scalar as YAML reads it; not understood means: ask libyaml."""
    head = raw[:1]
    if head == "'" or head == '"':
        quoted = _QUOTED.fullmatch(raw)
        if quoted is None:
            return False, None
        single, double = quoted.groups()
        return True, single.replace("''", "'") if single is not None else double
    if " #" in raw:
        raw = raw[: raw.index(" #")]
    raw = raw.rstrip(" ")
    if not raw or head in _PLAIN_START or ": " in raw or raw[-1] == ":":
        return False, None
    return True, None if raw in _NULLS else raw


def _items(found: list[tuple[str, str, str]], first_line: int, path: str) -> list[YMap] | None:
    """Group ``(dash, key, raw value)`` line tuples into items (a hot loop: keep the common case inline)."""
    items: list[YMap] = []
    append = items.append
    values: dict[str, Value] = {}
    previous = -2
    special, nulls, scalar = _PLAIN_START, _NULLS, _scalar
    for offset, (dash, key, raw) in enumerate(found):
        if dash:
            values = {}
            append(YMap(first_line + offset, values))
        elif not key:
            continue
        elif offset != previous + 1 or not items:
            return None  # a key outside an item, or an item broken by a blank or comment line
        previous = offset
        if raw[:1] not in special and ": " not in raw and " #" not in raw and raw[-1:] not in (" ", ":", ""):
            value: Value = None if raw in nulls else raw
        elif raw[:1] == "'" and raw[-1:] == "'" and len(raw) > 1 and "'" not in raw[1:-1]:
            value = raw[1:-1]
        else:
            understood, value = scalar(raw)
            if not understood:
                return None
        if key in values:
            raise LabelError(
                f"duplicate key {key!r} (first on line {items[-1].line_of(key)})", path=path,
                line=first_line + offset,
            )
        values[key] = value
    return items


# ---------------------------------------------------------------------------------------------------------
# one file with a long list under a top-level key


_TOP_KEY = {name: re.compile(rf"^{name}:[ ]*(?:\#[^\n]*)?\n", re.MULTILINE) for name in ("tags", "actors")}


def parse_file(text: str, path: str, list_key: str, *, fast: bool = True) -> Value:
    """The document in ``text``; the list under ``list_key`` is read with the fast reader when it can be."""
    if fast:
        value = _parse_split(text, path, list_key)
        if value is not None:
            return value
    return parse_events(text, path)


def _parse_split(text: str, path: str, list_key: str) -> YMap | None:
    pattern = _TOP_KEY.get(list_key)
    found = pattern.search(text) if pattern else None
    if found is None:
        return None
    head_text = text[: found.start()]
    region = text[found.end() :]
    if region.endswith("\n"):
        region = region[:-1]
    if not region.strip():
        return None
    list_line = head_text.count("\n") + 1
    try:
        head = parse_events(head_text, path)
    except LabelError:
        return None  # let the full reader report it with the whole file in view
    if head is not None and not isinstance(head, YMap):
        return None
    items = read_list_fast(region, list_line + 1, path)
    if items is None:
        return None
    result = head if head is not None else YMap(1, {}, {})
    assert result.lines is not None
    result.values[list_key] = list(items)
    result.lines[list_key] = list_line
    return result
