"""Typed label records: Tag, Actor, TokenInfo, Match, Conflict and Problem."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from ..errors import LabelError

KIND_ADDRESS = "address"
KIND_ASSET = "asset"  # a non-address asset id such as a Cosmos denom ("uakt")
SHIPPED = "shipped"
ERROR = "error"
WARNING = "warning"


class Tag(NamedTuple):
    """One attribution: an address (or asset id) on a chain, with its label, source and confidence.

    A NamedTuple rather than a frozen dataclass: it is just as immutable and typed, and building the 500k tags
    of a large pack is about three times faster, which the load budget needs.
    """

    chain: str  # CAIP-2 key, e.g. "eip155:1"
    address: str  # canonical address, or the asset id when kind == "asset"
    label: str
    source: str
    category: str | None
    confidence: int
    actor: str | None
    context: str | None
    origin: str | None  # where an imported tag came from, e.g. "etherscan"
    kind: str  # KIND_ADDRESS | KIND_ASSET
    pack: str  # file the tag was read from
    line: int  # line of the tag in that file
    layer: str  # SHIPPED, or the case label directory it came from
    # True when the source gave no confidence and a default stands in for it (see tagpack.CONFIDENCE_MARKER)
    confidence_defaulted: bool = False

    @property
    def where(self) -> str:
        return f"{self.pack}:{self.line}"

    @property
    def cited(self) -> str:
        """Where the tag is written, as a report cites it: shipped packs by their name in trailscan's labels/
        folder (not a path on this machine), case packs by their path."""
        if self.origin == "derivation":
            return f"derived by {self.pack}"
        if self.layer == SHIPPED:
            return f"trailscan labels/{self.pack.replace(chr(92), '/').rsplit('/', 1)[-1]}:{self.line}"
        return self.where

    def as_row(self) -> dict[str, Any]:
        return {
            "chain": self.chain,
            "address": self.address,
            "kind": self.kind,
            "label": self.label,
            "category": self.category,
            "confidence": self.confidence,
            "source": self.source,
            "actor": self.actor,
            "context": self.context,
            "origin": self.origin,
            "layer": self.layer,
            "where": self.where,
        }


@dataclass(frozen=True, slots=True)
class Actor:
    """An entity tags can point at (an exchange, a marketplace, a token issuer)."""

    id: str
    name: str
    category: str | None
    jurisdictions: tuple[str, ...]
    website: str | None
    aliases: tuple[str, ...]
    sources: tuple[str, ...]
    pack: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token registry entry: what an asset is called, its decimals (None = unknown) and whether it is a stablecoin."""

    chain: str
    asset: str  # canonical contract address, or a denom
    symbol: str
    name: str
    decimals: int | None
    stablecoin: bool
    native: bool
    source: str

    def as_row(self) -> dict[str, Any]:
        return {
            "chain": self.chain,
            "asset": self.asset,
            "symbol": self.symbol,
            "name": self.name,
            "decimals": self.decimals,
            "stablecoin": self.stablecoin,
            "native": self.native,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class Conflict:
    """Tags from different places that disagree about one address; trailscan reports them and picks none."""

    chain: str
    address: str
    tags: tuple[Tag, ...]
    reason: str

    def as_row(self) -> dict[str, Any]:
        return {
            "chain": self.chain,
            "address": self.address,
            "reason": self.reason,
            "tags": "; ".join(f"{t.label} [{t.category}] ({t.where})" for t in self.tags),
        }


@dataclass(frozen=True, slots=True)
class Match:
    """Why a label applies: the tag, the role of the matched value and a sentence saying why."""

    tag: Tag
    role: str  # address | from | to | asset
    reason: str
    conflict: bool = False

    @property
    def confidence(self) -> int:
        return self.tag.confidence

    @property
    def source(self) -> str:
        return self.tag.source

    def as_row(self) -> dict[str, Any]:
        row = {"role": self.role, "reason": self.reason, "conflict": self.conflict}
        row.update(self.tag.as_row())
        return row


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a label file, with the file and line it is on.

    An ERROR makes the file unusable; a WARNING (e.g. an imported tag whose source gave no confidence) is only
    reported by ``labels validate``: the file still loads.
    """

    path: str
    line: int | None
    message: str
    hint: str | None = None
    severity: str = ERROR

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    @classmethod
    def from_error(cls, exc: LabelError) -> Problem:
        """The problem a LabelError describes (its message without the 'path:line: ' prefix)."""
        prefix = f"{exc.path}:{exc.line}: " if exc.line is not None else f"{exc.path}: "
        message = exc.message[len(prefix) :] if exc.path and exc.message.startswith(prefix) else exc.message
        return cls(exc.path, exc.line, message, exc.hint)

    def error(self) -> LabelError:
        return LabelError(self.message, path=self.path, line=self.line, hint=self.hint)

    def as_row(self) -> dict[str, Any]:
        return {"severity": self.severity, "where": self.where, "message": self.message, "hint": self.hint}
