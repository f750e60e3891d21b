"""LabelSet: every loaded tag indexed by (chain key, canonical address), with overrides, conflicts and matching.

Layers: the shipped labels first, then case label directories. A case tag for an address hides the shipped
tags for it (they stay visible through ``overridden``). Case directories rank equally: when tags for one
address disagree on category or actor, all of them stay in force and a Conflict is recorded, never resolved.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import repeat

from ..chains import CHAINS, Chain, get_chain
from ..errors import AddressError, InputError
from .model import SHIPPED, Actor, Conflict, Match, TokenInfo
from .model import Tag as Tag
from .taxonomy import MARKETPLACE_CATEGORY, TOKEN_CATEGORY

NATIVE = "native"
_EMPTY: tuple[Tag, ...] = ()


class LabelSet:
    """The labels in force: look-ups, search, overrides, conflicts, and address/transfer matching."""

    def __init__(
        self,
        layers: Sequence[Sequence[Tag]] = (),
        *,
        actors: Iterable[Actor] = (),
        tokens: Iterable[TokenInfo] = (),
    ) -> None:
        self._index: dict[str, dict[str, tuple[Tag, ...]]] = {}
        self._overridden: dict[tuple[str, str], tuple[Tag, ...]] = {}
        for tags in layers:
            self._add(tags)
        self.conflicts: list[Conflict] = self._find_conflicts()
        self._conflicted = {(c.chain, c.address) for c in self.conflicts}
        self.actors: dict[str, Actor] = {a.id: a for a in actors}
        self.tokens: dict[tuple[str, str], TokenInfo] = {(t.chain, t.asset): t for t in tokens}
        self._native = {t.chain: t.asset for t in self.tokens.values() if t.native}

    # -- building ---------------------------------------------------------------------------------------

    def _add(self, tags: Sequence[Tag]) -> None:
        index, overridden = self._index, self._overridden
        chain_key, bucket = "", None
        for tag in tags:
            if tag.chain != chain_key or bucket is None:
                chain_key = tag.chain
                bucket = index.setdefault(chain_key, {})
            previous = bucket.get(tag.address)
            if previous is None:
                bucket[tag.address] = (tag,)
            elif tag.layer != SHIPPED and previous[0].layer == SHIPPED:
                overridden[(chain_key, tag.address)] = previous
                bucket[tag.address] = (tag,)
            elif tag.layer == SHIPPED and previous[0].layer != SHIPPED:
                overridden[(chain_key, tag.address)] = (*overridden.get((chain_key, tag.address), ()), tag)
            else:
                bucket[tag.address] = (*previous, tag)

    def _find_conflicts(self) -> list[Conflict]:
        found: list[Conflict] = []
        for chain_key, bucket in self._index.items():
            for address, tags in bucket.items():
                if len(tags) > 1:
                    reason = _disagreement(tags)
                    if reason:
                        found.append(Conflict(chain_key, address, tags, reason))
        return found

    # -- look-ups ---------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return sum(len(tags) for bucket in self._index.values() for tags in bucket.values())

    def chains(self) -> list[str]:
        return sorted(self._index)

    def lookup(self, chain_key: str, address: str) -> tuple[Tag, ...]:
        """Tags in force for a canonical address (or asset id) on a chain."""
        return self._index.get(chain_key, {}).get(address, _EMPTY)

    def lookup_many(self, chain_key: str, addresses: Iterable[str]) -> list[tuple[Tag, ...]]:
        """Batch form of ``lookup`` for canonical addresses; one tuple (maybe empty) per address."""
        get = self._index.get(chain_key, {}).get
        return list(map(get, addresses, repeat(_EMPTY)))  # map over two iterables: get(a, ()) at C speed

    def overridden(self, chain_key: str, address: str) -> tuple[Tag, ...]:
        """Shipped tags hidden by a case tag for this address."""
        return self._overridden.get((chain_key, address), _EMPTY)

    def has_conflict(self, chain_key: str, address: str) -> bool:
        return (chain_key, address) in self._conflicted

    def tags(self, *, category: str | None = None, chain: str | None = None) -> Iterator[Tag]:
        """Every tag in force, optionally only one category and/or one chain key."""
        for chain_key in sorted(self._index):
            if chain is not None and chain_key != chain:
                continue
            for tags in self._index[chain_key].values():
                for tag in tags:
                    if category is None or tag.category == category:
                        yield tag

    def search(self, text: str) -> list[Tag]:
        """Tags whose label, address, category, actor (id, name or alias) or context contains ``text``."""
        needle = text.casefold()
        actor_hits = {a.id for a in self.actors.values() if _actor_matches(a, needle)}
        return [
            t
            for t in self.tags()
            if needle in t.label.casefold()
            or needle in t.address.casefold()
            or (t.category is not None and needle in t.category)
            or (t.actor is not None and (t.actor in actor_hits or needle in t.actor.casefold()))
            or (t.context is not None and needle in t.context.casefold())
        ]

    def resolve(self, text: str, chain: str | None = None) -> list[tuple[str, str]]:
        """(chain key, canonical form) pairs a user-typed address or asset id can mean."""
        if chain is not None:
            found = get_chain(chain)
            if text in self._index.get(found.key, {}):
                return [(found.key, text)]
            return [(found.key, found.address(text))]
        pairs: list[tuple[str, str]] = []
        for candidate in _candidate_chains(self._index):
            if text in self._index.get(candidate.key, {}):
                pairs.append((candidate.key, text))
                continue
            try:
                pairs.append((candidate.key, candidate.address(text)))
            except AddressError:
                continue
        if not pairs:
            raise InputError(f"{text[:80]!r} is not an address of any known chain nor a known asset id",
                             hint="check it, or give --chain")
        return pairs

    def token(self, chain_key: str, asset: str) -> TokenInfo | None:
        if asset == NATIVE:
            asset = self._native.get(chain_key, asset)
        return self.tokens.get((chain_key, asset))

    # -- matching ---------------------------------------------------------------------------------------

    def match_address(self, chain_key: str, address: str) -> list[Match]:
        """Direct tags for one canonical address, each with why it matters."""
        conflict = self.has_conflict(chain_key, address)
        return [Match(t, "address", _address_reason(t), conflict) for t in self.lookup(chain_key, address)]

    def match_transfer(self, chain_key: str, from_address: str, to_address: str, asset: str) -> list[Match]:
        """Labels behind one transfer: tags of both ends, a payment to a marketplace, a gpu-token asset.

        Addresses and ``asset`` (a token contract, a denom, or "native") must be canonical.
        """
        matches: list[Match] = []
        for role, address in (("from", from_address), ("to", to_address)):
            conflict = self.has_conflict(chain_key, address)
            for tag in self.lookup(chain_key, address):
                matches.append(Match(tag, role, _end_reason(tag, role), conflict))
        asset_key = self._native.get(chain_key, asset) if asset == NATIVE else asset
        for tag in self.lookup(chain_key, asset_key):
            if tag.category == TOKEN_CATEGORY:
                reason = f"the asset transferred is a gpu-token: {tag.label}"
                matches.append(Match(tag, "asset", reason, self.has_conflict(chain_key, asset_key)))
        return matches


def _disagreement(tags: Sequence[Tag]) -> str:
    categories = sorted({t.category for t in tags if t.category})
    if len(categories) > 1:
        return "categories differ: " + ", ".join(categories)
    actors = sorted({t.actor for t in tags if t.actor})
    if len(actors) > 1:
        return "actors differ: " + ", ".join(actors)
    return ""


def _actor_matches(actor: Actor, needle: str) -> bool:
    return needle in actor.name.casefold() or any(needle in alias.casefold() for alias in actor.aliases)


def _candidate_chains(index: dict[str, dict[str, tuple[Tag, ...]]]) -> list[Chain]:
    known = {c.key: c for c in CHAINS}
    for key in index:
        if key not in known:
            known[key] = get_chain(key)
    return list(known.values())


def _address_reason(tag: Tag) -> str:
    if tag.category == TOKEN_CATEGORY:
        what = "contract" if tag.kind == "address" else "asset"
        return f"gpu-token {what}: transfers of it are GPU-compute payments ({tag.label})"
    if tag.kind != "address":
        return f"asset id tagged {tag.category or 'without category'}: {tag.label}"
    if tag.category == MARKETPLACE_CATEGORY:
        return f"gpu-marketplace contract or program: payments to it are GPU-compute payments ({tag.label})"
    return f"address tagged {tag.category or 'without category'}: {tag.label}"


def _end_reason(tag: Tag, role: str) -> str:
    if role == "to" and tag.category == MARKETPLACE_CATEGORY:
        return f"payment to a gpu-marketplace contract or program: {tag.label}"
    if role == "from" and tag.category == MARKETPLACE_CATEGORY:
        return f"paid out by a gpu-marketplace contract or program: {tag.label}"
    return f"the {'sender' if role == 'from' else 'recipient'} is tagged {tag.category or 'without category'}: " \
           f"{tag.label}"
