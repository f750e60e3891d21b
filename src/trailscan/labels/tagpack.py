"""TagPack files: read one pack into tags (header fields inherited by every tag) and report what is wrong.

The format is GraphSense's TagPack: a header whose fields every tag inherits, then ``tags:``. A tag needs
``label``, ``source``, ``network`` (or ``currency``), ``confidence`` and either ``address`` or, for a
non-address asset such as a Cosmos denom, ``asset`` (a trailscan extension, as is ``origin``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..chains import Chain, get_chain
from ..errors import AddressError, ChainError, LabelError
from . import taxonomy
from .model import KIND_ADDRESS, KIND_ASSET, Problem, Tag
from .yamlread import Value, YMap, decode, parse_file

HEADER_ONLY = frozenset({"title", "creator", "description", "lastmod", "is_public", "tags"})
TAG_FIELDS = frozenset(
    {
        "address", "asset", "label", "source", "category", "concepts", "confidence", "currency", "network",
        "actor", "context", "is_cluster_definer", "tx_hash", "lastmod", "origin",
    }
)
PER_TAG_ONLY = frozenset({"address", "asset", "tx_hash"})
MAX_LENGTH = {"label": 500, "source": 2000, "context": 20000}
DEFAULT_MAX_LENGTH = 500

# Network codes used by GraphSense packs that are not trailscan chain names or aliases.
NETWORK_ALIASES = {"akt": "akash", "akash": "akash"}
_LOWER_EVM = re.compile(r"0x[0-9a-f]{40}")
_ASSET_ID = re.compile(r"[a-z][a-zA-Z0-9/:._-]{1,127}")


def resolve_network(text: str) -> Chain:
    """The chain a TagPack ``network``/``currency`` value names (ETH, TRX, SOL, ethereum, eip155:137, ...)."""
    key = text.strip().lower()
    return get_chain(NETWORK_ALIASES.get(key, key))


@dataclass
class PackResult:
    path: str
    tags: list[Tag] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    header: dict[str, Value] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)  # tags on networks trailscan does not know, by name


def read_pack(
    path: Path, *, display: str | None = None, layer: str = "", fast: bool = True, skip_unknown: bool = False
) -> PackResult:
    """Read and check one TagPack file; problems are collected, never raised (except I/O)."""
    shown = display or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LabelError(f"cannot read label file: {exc.strerror}", path=shown) from None
    return parse_pack(data, shown, layer=layer, fast=fast, skip_unknown=skip_unknown)


def parse_pack(
    data: bytes | str, path: str, *, layer: str = "", fast: bool = True, skip_unknown: bool = False
) -> PackResult:
    """Parse TagPack text; ``skip_unknown`` counts tags on unknown networks (BTC, ...) instead of failing."""
    result = PackResult(path)
    try:
        text = decode(data, path) if isinstance(data, bytes) else data
        doc = parse_file(text, path, "tags", fast=fast)
    except LabelError as exc:
        result.problems.append(Problem.from_error(exc))
        return result
    if not isinstance(doc, YMap):
        result.problems.append(Problem(path, 1, "a TagPack is a mapping with a header and a 'tags:' list"))
        return result
    _PackBuilder(result, layer, skip_unknown).build(doc)
    return result


def parse_items(items: list[YMap], path: str, *, layer: str = "") -> PackResult:
    """Check tags given as field mappings (e.g. by an importer), as if they were a pack without header."""
    result = PackResult(path)
    _PackBuilder(result, layer, False).build(YMap(1, {"tags": list(items)}, {"tags": 1}))
    return result


class _PackBuilder:
    """Turns a parsed pack into tags; caches per-value work so 500k tags stay fast."""

    def __init__(self, result: PackResult, layer: str, skip_unknown: bool) -> None:
        self.result = result
        self.skip_unknown = skip_unknown
        self.path = result.path
        self.layer = layer
        self._chains: dict[str, Chain | str] = {}
        self._confidence: dict[str, int | str] = {}

    def problem(self, line: int | None, message: str, hint: str | None = None) -> None:
        self.result.problems.append(Problem(self.path, line, message, hint))

    def build(self, doc: YMap) -> None:
        header = {k: v for k, v in doc.values.items() if k != "tags"}
        self.result.header = header
        for key in header:
            if key not in TAG_FIELDS and key not in HEADER_ONLY:
                self.problem(doc.line_of(key), f"unknown header field {key[:60]!r}", _field_hint())
            elif key in PER_TAG_ONLY:
                self.problem(doc.line_of(key), f"{key!r} belongs on each tag, not in the header")
        inherited = {k: v for k, v in header.items() if k in TAG_FIELDS and k not in PER_TAG_ONLY}
        tags = doc.values.get("tags")
        if not isinstance(tags, list):
            self.problem(doc.line_of("tags") if "tags" in doc.values else 1, "missing 'tags:' list")
            return
        append = self.result.tags.append
        for item in tags:
            if not isinstance(item, YMap):
                self.problem(doc.line_of("tags"), "each entry under 'tags:' must be a mapping")
                continue
            tag = self.tag(item, inherited)
            if tag is not None:
                append(tag)

    def tag(self, item: YMap, inherited: dict[str, Value]) -> Tag | None:
        fields = item.values
        if not fields.keys() <= TAG_FIELDS:
            for key in fields.keys() - TAG_FIELDS:
                self.problem(item.line_of(key), f"unknown tag field {key[:60]!r}", _field_hint())
            return None
        merged = {**inherited, **fields}
        where: Callable[[str], int] = lambda key: item.line_of(key) if key in fields else item.line  # noqa: E731
        texts = self.texts(merged, where)
        if texts is None:
            return None
        missing = [k for k in ("label", "source", "confidence") if not texts.get(k)]
        if not texts.get("network") and not texts.get("currency"):
            missing.append("network")
        if missing:
            self.problem(item.line, f"tag is missing {', '.join(missing)}", "set it on the tag or in the header")
            return None
        network = texts.get("network") or texts["currency"]
        chain = self.chain(network, where("network" if "network" in merged else "currency"))
        confidence = self.confidence(texts["confidence"], where("confidence"))
        category = self.category(texts.get("category"), merged.get("concepts"), where)
        if chain is None or confidence is None or category == "":
            return None
        ident = self.identity(chain, texts, item)
        if ident is None:
            return None
        address, kind = ident
        return Tag(chain.key, address, texts["label"], texts["source"], category, confidence,
                   texts.get("actor"), texts.get("context"), texts.get("origin"), kind, self.path, item.line,
                   self.layer)

    def texts(self, merged: dict[str, Value], where: Callable[[str], int]) -> dict[str, str] | None:
        out: dict[str, str] = {}
        ok = True
        for key, value in merged.items():
            if key == "concepts" or value is None:
                continue
            if not isinstance(value, str):
                self.problem(where(key), f"{key!r} must be a single value, not a list or mapping")
                ok = False
                continue
            limit = MAX_LENGTH.get(key, DEFAULT_MAX_LENGTH)
            if len(value) > limit:
                self.problem(where(key), f"{key!r} is {len(value)} characters long; the limit is {limit}")
                ok = False
                continue
            out[key] = value
        return out if ok else None

    def chain(self, text: str, line: int) -> Chain | None:
        cached = self._chains.get(text)
        if cached is None:
            try:
                cached = resolve_network(text)
            except ChainError as exc:
                cached = str(exc)
            self._chains[text] = cached
        if isinstance(cached, str):
            if self.skip_unknown:
                self.result.skipped[text] = self.result.skipped.get(text, 0) + 1
            else:
                self.problem(line, cached)
            return None
        return cached

    def confidence(self, text: str, line: int) -> int | None:
        cached = self._confidence.get(text)
        if cached is None:
            parsed = taxonomy.parse_confidence(text)
            cached = parsed[0] if parsed else f"unknown confidence {text[:60]!r}"
            self._confidence[text] = cached
        if isinstance(cached, str):
            self.problem(line, cached, f"use a number 0-100 or one of {taxonomy.confidence_help()}")
            return None
        return cached

    def category(self, text: str | None, concepts: Value, where: Callable[[str], int]) -> str | None:
        """The tag's category; '' when invalid (a problem is recorded), None when absent."""
        if text is None and isinstance(concepts, list):
            names = [c for c in concepts if isinstance(c, str)]
            text = next((c for c in names if taxonomy.is_category(c)), names[0] if names else None)
            if text is None:
                return None
            line = where("concepts")
        else:
            line = where("category")
        if text is None or taxonomy.is_category(text):
            return text
        self.problem(line, f"unknown category {text[:60]!r}", "see 'trailscan labels categories'")
        return ""

    def identity(self, chain: Chain, texts: dict[str, str], item: YMap) -> tuple[str, str] | None:
        address, asset = texts.get("address"), texts.get("asset")
        if (address is None) == (asset is None):
            self.problem(item.line, "a tag needs exactly one of 'address' or 'asset'")
            return None
        if asset is not None:
            if not _ASSET_ID.fullmatch(asset):
                self.problem(item.line_of("asset"), f"invalid asset id {asset[:60]!r}",
                             "an asset id is a denom such as 'uakt'")
                return None
            return asset, KIND_ASSET
        assert address is not None
        if chain.family == "evm" and _LOWER_EVM.fullmatch(address):
            return address, KIND_ADDRESS
        try:
            return chain.address(address), KIND_ADDRESS
        except AddressError as exc:
            self.problem(item.line_of("address"), f"{exc.message} on {chain.name}", exc.hint)
            return None


def _field_hint() -> str:
    return "tag fields are " + ", ".join(sorted(TAG_FIELDS))
