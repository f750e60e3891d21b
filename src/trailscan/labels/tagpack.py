"""TagPack files: read one pack into tags (header fields inherited by every tag) and report what is wrong.

The format is GraphSense's TagPack: a header whose fields every tag inherits, then ``tags:``. A tag needs
``label``, ``source``, ``network`` (or ``currency``), ``confidence`` and either ``address`` or, for a
non-address asset such as a Cosmos denom, ``asset`` (a trailscan extension, as are ``origin`` and
``confidence_defaulted``).

Confidence: a tag of the user's own packs must have one. A tag that carries an import ``origin`` and has none
(older GraphSense packs have none) reads as ``unknown`` (5) with a warning. ``labels import`` writes the
confidence it gave such a tag together with ``confidence_defaulted: true``, which reads back with a warning
too, until someone who judged the source removes the marker. GraphSense's ``abuse`` is accepted; a tag with
neither ``category`` nor ``concepts`` takes it as its category when it names one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..chains import Chain, get_chain
from ..errors import AddressError, ChainError, LabelError
from . import taxonomy
from .model import KIND_ADDRESS, KIND_ASSET, WARNING, Problem, Tag
from .yamlread import Value, YMap, decode, parse_file

# Marks a tag whose source gave no confidence, so that the confidence it has is a default (see the docstring).
CONFIDENCE_MARKER = "confidence_defaulted"
# The confidence an imported tag without one reads as.
DEFAULT_CONFIDENCE = "unknown"
HEADER_ONLY = frozenset({"title", "creator", "description", "lastmod", "is_public", "tags"})
TAG_FIELDS = frozenset(
    {
        "address", "asset", "label", "source", "category", "concepts", "confidence", "currency", "network",
        "actor", "context", "is_cluster_definer", "tx_hash", "lastmod", "origin", "abuse", CONFIDENCE_MARKER,
    }
)
_TRUTH = {"true": True, "false": False}
PER_TAG_ONLY = frozenset({"address", "asset", "tx_hash"})
MAX_LENGTH = {"label": 500, "source": 2000, "context": 20000}
DEFAULT_MAX_LENGTH = 500
_SIMPLE_KEYS = frozenset({"address", "label", "context", "actor"})
_LIMITS = {**MAX_LENGTH, "concepts": -1}  # concepts is a list, never a text

# Network codes used by GraphSense packs that are not trailscan chain names or aliases.
NETWORK_ALIASES = {"akt": "akash", "akash": "akash"}
_LOWER_EVM = re.compile(r"0x[0-9a-f]{40}")
_ASSET_ID = re.compile(r"[a-z][a-zA-Z0-9/:._-]{1,127}")


def resolve_network(text: str) -> Chain:
    """The chain a TagPack ``network``/``currency`` value names (ETH, TRX, SOL, ethereum, eip155:137, ...)."""
    key = text.strip().lower()
    return get_chain(NETWORK_ALIASES.get(key, key))


def describe_confidence(score: int) -> str:
    """A score with the names the GraphSense scale gives it: 'unknown (5)', 'trusted_provider / ... (50)'."""
    names = [name for name, value in taxonomy.CONFIDENCE.items() if value == score]
    return f"{' / '.join(names)} ({score})" if names else str(score)


def network_name(chain: Chain) -> str:
    """How a pack names a chain: its trailscan name, or its CAIP-2 key for an unnamed EVM chain."""
    try:
        return chain.name if get_chain(chain.name).key == chain.key else chain.key
    except ChainError:
        return chain.key


@dataclass
class PackResult:
    path: str
    tags: list[Tag] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    header: dict[str, Value] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)  # tags on networks trailscan does not know, by name
    warnings: list[Problem] = field(default_factory=list)  # the pack still loads (severity WARNING)


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
    data: bytes | str, path: str, *, layer: str = "", fast: bool = True, skip_unknown: bool = False,
    missing_confidence: str | None = None,
) -> PackResult:
    """Parse TagPack text; ``skip_unknown`` counts tags on unknown networks (BTC, ...) instead of failing.

    ``missing_confidence`` (an importer reading a foreign pack) is the confidence of every tag that has none;
    such tags come back with ``confidence_defaulted`` set, and no problem is recorded for them.
    """
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
    _PackBuilder(result, layer, skip_unknown, missing_confidence).build(doc)
    return result


def parse_items(items: list[YMap], path: str, *, layer: str = "") -> PackResult:
    """Check tags given as field mappings (e.g. by an importer), as if they were a pack without header."""
    result = PackResult(path)
    _PackBuilder(result, layer, False, None).build(YMap(1, {"tags": list(items)}, {"tags": 1}))
    return result


class _PackBuilder:
    """Turns a parsed pack into tags; caches per-value work so 500k tags stay fast."""

    def __init__(self, result: PackResult, layer: str, skip_unknown: bool, missing_confidence: str | None) -> None:
        self.result = result
        self.skip_unknown = skip_unknown
        self.missing_confidence = missing_confidence
        self.path = result.path
        self.layer = layer
        self._chains: dict[str, Chain | str] = {}
        self._confidence: dict[str, int | str] = {}
        self.header_doc: YMap | None = None
        self.read_defaulted: list[Tag] = []  # imported tags without confidence, read as DEFAULT_CONFIDENCE
        self.marked = False  # some tag may carry CONFIDENCE_MARKER: true

    def problem(self, line: int | None, message: str, hint: str | None = None) -> None:
        self.result.problems.append(Problem(self.path, line, message, hint))

    def build(self, doc: YMap) -> None:
        header = {k: v for k, v in doc.values.items() if k != "tags"}
        self.result.header = header
        self.header_doc = doc
        for key in header:
            if key not in TAG_FIELDS and key not in HEADER_ONLY:
                self.problem(doc.line_of(key), f"unknown header field {key[:60]!r}", _field_hint())
            elif key in PER_TAG_ONLY:
                self.problem(doc.line_of(key), f"{key!r} belongs on each tag, not in the header")
        inherited = {k: v for k, v in header.items() if k in TAG_FIELDS and k not in PER_TAG_ONLY}
        base = self.texts(inherited, doc.line_of)
        tags = doc.values.get("tags")
        if not isinstance(tags, list):
            self.problem(doc.line_of("tags") if "tags" in doc.values else 1, "missing 'tags:' list")
            return
        if base is None:
            return  # the header is wrong: every tag would repeat the same problem
        if CONFIDENCE_MARKER in base and self.marker(base[CONFIDENCE_MARKER], doc) is None:
            return
        concepts = inherited.get("concepts")
        append = self.result.tags.append
        shortcut = self.shortcut(base, concepts)
        for item in tags:
            if not isinstance(item, YMap):
                self.problem(doc.line_of("tags"), "each entry under 'tags:' must be a mapping")
                continue
            if shortcut is not None:
                tag = shortcut(item)
                if tag is not None:
                    append(tag)
                    continue
            tag = self.tag(item, base, concepts)
            if tag is not None:
                append(tag)
        self.warn_defaulted()

    def shortcut(self, base: dict[str, str], concepts: Value) -> Callable[[YMap], Tag | None] | None:
        """A fast builder for tags that only set address/label/context/actor under a complete EVM header.

        It returns None for anything unusual, and the general path then checks (and reports) that tag.
        """
        network = base.get("network") or base.get("currency")
        source, confidence_text = base.get("source"), base.get("confidence")
        category = base.get("category")
        if not (network and source and confidence_text) or concepts is not None:
            return None
        marker = base.get(CONFIDENCE_MARKER)
        defaulted = _TRUTH.get(marker.lower()) if marker is not None else False
        if defaulted is None:
            return None
        self.marked = self.marked or defaulted
        if category is not None and not taxonomy.is_category(category):
            return None
        try:
            chain = resolve_network(network)
        except ChainError:
            return None
        parsed = taxonomy.parse_confidence(confidence_text)
        if parsed is None or chain.family != "evm":
            return None
        key, confidence, path, layer, origin = chain.key, parsed[0], self.path, self.layer, base.get("origin")
        label0, context0, actor0 = base.get("label"), base.get("context"), base.get("actor")
        simple, lower_evm = _SIMPLE_KEYS, _LOWER_EVM.fullmatch
        label_max, context_max = MAX_LENGTH["label"], MAX_LENGTH["context"]

        def build(item: YMap) -> Tag | None:
            fields = item.values
            if not fields.keys() <= simple:
                return None
            address, label = fields.get("address"), fields.get("label", label0)
            context, actor = fields.get("context", context0), fields.get("actor", actor0)
            if (
                address.__class__ is str and label.__class__ is str and 0 < len(label) <= label_max  # type: ignore[arg-type]
                and (context is None or (context.__class__ is str and len(context) <= context_max))  # type: ignore[arg-type]
                and (actor is None or (actor.__class__ is str and 0 < len(actor) <= DEFAULT_MAX_LENGTH))  # type: ignore[arg-type]
                and lower_evm(address)  # type: ignore[arg-type]
            ):
                return Tag(key, address, label, source, category, confidence, actor, context, origin,  # type: ignore[arg-type]
                           KIND_ADDRESS, path, item.line, layer, defaulted)
            return None

        return build

    def tag(self, item: YMap, base: dict[str, str], concepts: Value) -> Tag | None:
        """One tag from its own fields over the header's; the common case runs without extra calls."""
        fields = item.values
        if not fields.keys() <= TAG_FIELDS:
            for key in fields.keys() - TAG_FIELDS:
                self.problem(item.line_of(key), f"unknown tag field {key[:60]!r}", _field_hint())
            return None
        text = dict(base)
        for key, value in fields.items():  # inline form of texts(): this loop runs once per tag
            if value.__class__ is str and len(value) <= _LIMITS.get(key, DEFAULT_MAX_LENGTH):  # type: ignore[arg-type]
                text[key] = value  # type: ignore[assignment]
            elif value is None:
                text.pop(key, None)
            elif self.texts({key: value}, item.line_of) is None:
                return None
        get = text.get
        label, source, confidence_text = get("label"), get("source"), get("confidence")
        network = get("network") or get("currency")
        defaulted = False
        if CONFIDENCE_MARKER in text:
            marked = self.marker(text[CONFIDENCE_MARKER], item)
            if marked is None:
                return None
            defaulted = marked
            self.marked = self.marked or marked
        read_default = False
        if not confidence_text:
            fallback = self.missing_confidence or (DEFAULT_CONFIDENCE if get("origin") else None)
            if fallback:
                confidence_text, defaulted, read_default = fallback, True, self.missing_confidence is None
        if not (label and source and confidence_text and network):
            self.missing(item, text, bool(confidence_text))
            return None
        where = item.line_of if ("network" in fields or "currency" in fields) else self.header_line
        chain = self._chains.get(network)
        if chain is None or isinstance(chain, str):
            chain = self.chain(network, where("network" if "network" in fields else "currency"))
        confidence = self._confidence.get(confidence_text)
        if confidence is None or isinstance(confidence, str):
            confidence = self.confidence(confidence_text, self.line(item, "confidence"))
        category = get("category")
        if category is None or category not in taxonomy.CATEGORIES:
            category = self.category(category, fields.get("concepts", concepts), item, get("abuse"))
        if chain is None or confidence is None or category == "":
            return None
        address = get("address")
        if address is not None and "asset" not in text and chain.family == "evm" and _LOWER_EVM.fullmatch(address):
            kind = KIND_ADDRESS
        else:
            ident = self.identity(chain, text, item)
            if ident is None:
                return None
            address, kind = ident
        tag = Tag(chain.key, address, label, source, category, confidence, get("actor"), get("context"),
                  get("origin"), kind, self.path, item.line, self.layer, defaulted)
        if read_default:
            self.read_defaulted.append(tag)
        return tag

    def marker(self, value: str, item: YMap) -> bool | None:
        """The value of CONFIDENCE_MARKER (true or false); None after recording a problem."""
        parsed = _TRUTH.get(value.lower())
        if parsed is None:
            where = item.line_of if CONFIDENCE_MARKER in item.values else self.header_line
            self.problem(where(CONFIDENCE_MARKER), f"{CONFIDENCE_MARKER!r} must be true or false, not {value[:60]!r}")
        return parsed

    def warn_defaulted(self) -> None:
        """One warning per pack for imported tags whose confidence is a default, at the first such tag."""
        read = self.read_defaulted
        if read:
            count = len(read)
            self.warning(read[0].line, f"{count} imported tag{_plural(count, ' has', 's have')} no confidence: "
                         f"read as {describe_confidence(read[0].confidence)}",
                         "set 'confidence' on the tags or in the header once you have judged the source")
        if not self.marked:
            return
        skip = {id(t) for t in read}
        marked = [t for t in self.result.tags if t.confidence_defaulted and id(t) not in skip]
        if marked:
            count = len(marked)
            given = ", ".join(describe_confidence(c) for c in sorted({t.confidence for t in marked}))
            self.warning(marked[0].line, f"{count} imported tag{_plural(count, '', 's')} had no confidence in "
                         f"the source: set to {given} on import",
                         f"review the confidence, then remove '{CONFIDENCE_MARKER}'")

    def warning(self, line: int, message: str, hint: str) -> None:
        self.result.warnings.append(Problem(self.path, line, message, hint, WARNING))

    def header_line(self, key: str) -> int:
        return self.header_doc.line_of(key) if self.header_doc is not None else 1

    def line(self, item: YMap, key: str) -> int:
        return item.line_of(key) if key in item.values else item.line

    def missing(self, item: YMap, text: dict[str, str], confidence_ok: bool) -> None:
        """Report the mandatory fields a tag lacks (``confidence_ok``: it has one, perhaps a default)."""
        names = [k for k in ("label", "source") if not text.get(k)]
        if not confidence_ok:
            names.append("confidence")
        if not text.get("network") and not text.get("currency"):
            names.append("network")
        self.problem(item.line, f"tag is missing {', '.join(names)}", "set it on the tag or in the header")

    def texts(self, fields: dict[str, Value], where: Callable[[str], int]) -> dict[str, str] | None:
        out: dict[str, str] = {}
        ok = True
        for key, value in fields.items():
            if value.__class__ is str:
                assert isinstance(value, str)
                if len(value) <= MAX_LENGTH.get(key, DEFAULT_MAX_LENGTH):
                    out[key] = value
                    continue
                limit = MAX_LENGTH.get(key, DEFAULT_MAX_LENGTH)
                self.problem(where(key), f"{key!r} is {len(value)} characters long; the limit is {limit}")
            elif value is None or key == "concepts":
                continue
            else:
                self.problem(where(key), f"{key!r} must be a single value, not a list or mapping")
            ok = False
        return out if ok else None

    def chain(self, text: str, line: int) -> Chain | None:
        cached = self._chains.get(text)
        if cached is None:
            try:
                cached = resolve_network(text)
            except ChainError as exc:
                cached = exc.message
            self._chains[text] = cached
        if isinstance(cached, str):
            if self.skip_unknown:
                self.result.skipped[text] = self.result.skipped.get(text, 0) + 1
            else:
                self.problem(line, cached, "use a chain name (ethereum, polygon, tron, ...), a GraphSense code "
                             "(ETH, TRX, ...) or an EVM chain id")
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

    def category(self, text: str | None, concepts: Value, item: YMap, abuse: str | None) -> str | None:
        """The tag's category; '' when invalid (a problem is recorded), None when absent.

        Without category and concepts, GraphSense's ``abuse`` (phishing, scam, ...) is the category when it
        names one; any other abuse value is accepted and not kept, like ``is_cluster_definer``.
        """
        line = self.line(item, "category")
        if text is None and isinstance(concepts, list):
            names = [c for c in concepts if isinstance(c, str)]
            text = next((c for c in names if taxonomy.is_category(c)), names[0] if names else None)
            line = self.line(item, "concepts")
        elif text is None and abuse is not None and taxonomy.is_category(abuse):
            text = abuse
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


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def _field_hint() -> str:
    return "tag fields are " + ", ".join(sorted(TAG_FIELDS))
