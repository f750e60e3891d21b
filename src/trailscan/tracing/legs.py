"""Trails across chains: a trace's legs, joined by links.

A :class:`Link` says that value reaching an address on one chain (a bridge's deposit address, a cross-chain
deposit at an exchange, a wallet the same person holds elsewhere) continues at an address on another chain. It
comes from the user (``trace --link``), who is its evidence. When a leg's traced value reaches a link's source,
the next leg traces the link's target on its chain from the first block at or after the moment the value
arrived (by block time), with the same settings, from what the store holds for that chain.

What a leg cannot tell: the target may hold other funds than the linked ones; every transfer it makes from
that moment on is traced as the linked value, and the leg's coverage says so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from ..chains import CHAINS, get_chain
from ..errors import AddressError, InputError
from ..labels import LabelSet
from ..store import Store
from .engine import TraceOptions, trace
from .model import Amount, TraceResult, fraction_text
from .value import Valuer
from .window import first_block_at


@dataclass(frozen=True)
class Link:
    source: str  # as given; made canonical on each chain it is looked for on
    target_chain: str  # CAIP-2 key
    target: str  # canonical on the target chain
    source_chain: str | None = None  # None: whichever leg reaches it
    evidence: str = "given by the user (--link)"

    def text(self) -> str:
        where = f"{get_chain(self.source_chain).name}:" if self.source_chain else ""
        return f"{where}{self.source}={get_chain(self.target_chain).name}:{self.target}"


def parse_link(text: str) -> Link:
    """``[CHAIN:]ADDRESS=CHAIN:ADDRESS``, e.g. ``ethereum:0xab…=solana:9xQe…``; chains by name."""
    left, sep, right = text.strip().partition("=")
    if not sep or not left or not right:
        raise InputError(f"--link {text[:80]!r} is not FROM=TO",
                         hint="write [CHAIN:]ADDRESS=CHAIN:ADDRESS, e.g. ethereum:0xab...=tron:TR7N...")
    source_chain, source = _split(left, required=False, text=text)
    target_chain, target = _split(right, required=True, text=text)
    assert target_chain is not None
    chain = get_chain(target_chain)
    if source_chain is not None:
        get_chain(source_chain).address(source)  # a malformed source is an error now, not a silent no-match
    return Link(source, chain.key, chain.address(target), source_chain)


def _split(part: str, *, required: bool, text: str) -> tuple[str | None, str]:
    name, sep, address = part.partition(":")
    names = {alias for c in CHAINS for alias in (c.name, *c.aliases)}
    if sep and name.lower() in names:
        return get_chain(name).key, address.strip()
    if required:
        raise InputError(f"--link {text[:80]!r} does not name the chain it continues on",
                         hint="write the target as CHAIN:ADDRESS, e.g. solana:9xQe... or tron:TR7N...")
    return None, part.strip()


def arrival(result: TraceResult, address: str) -> tuple[int | None, list[Amount]] | None:
    """When the leg's traced value first reached ``address`` (a block time) and how much reached it, or None
    when it never did."""
    node = next((n for n in result.nodes if address in n.addresses and n.hop > 0), None)
    if node is None:
        return None
    into = [f.hop for f in result.flows if f.target == node.id]
    if not into:
        return None
    times = [h.time for h in into if h.time is not None]
    totals: dict[str, Amount] = {}
    for h in into:
        known = totals.get(h.amount.asset.address)
        if known is None:
            totals[h.amount.asset.address] = Amount(h.amount.asset, Fraction(h.amount.raw), None)
        else:
            known.raw += h.amount.raw
    return (min(times) if times else None), list(totals.values())


def follow(store: Store, labels: LabelSet, first: TraceResult, links: list[Link], options: TraceOptions,
           *, max_legs: int = 8) -> list[TraceResult]:
    """The trail's legs: ``first``, then each leg a link leads to from a leg already traced (breadth first, each
    link once, at most ``max_legs`` legs)."""
    legs, used = [first], set()
    queue = [first]
    while queue and len(legs) < max_legs:
        leg = queue.pop(0)
        chain = get_chain(leg.query["chain"])
        for link in links:
            if link in used or link.source_chain not in (None, chain.key):
                continue
            try:
                source = chain.address(link.source)
            except AddressError:
                continue  # an address of another chain family: not this leg's
            reached = arrival(leg, source)
            if reached is None:
                continue
            used.add(link)
            moment, amounts = reached
            since = _first_block_at(store, link.target_chain, moment)
            nxt = trace(store, labels, link.target_chain, link.target, replace(options, since=since, until=None),
                        valuer=Valuer(labels, store, link.target_chain))
            nxt.query["link"] = _describe(link, chain.key, source, moment, amounts, len(legs) + 1)
            nxt.coverage.append(
                f"leg {len(legs) + 1} continues the value that reached {source} on {chain.name} at "
                f"{link.target} on {get_chain(link.target_chain).name} (link {link.evidence}): every transfer "
                f"{link.target} made from block {since if since is not None else 'first'} on is traced as that "
                "value; funds it held otherwise are not told apart")
            for endpoint in leg.exposure + leg.unlabeled:  # where this leg ends, the next begins
                if source in endpoint.addresses:
                    endpoint.reason = "linked"
            leg.coverage.append(f"the value that reached {source} continues as leg {len(legs) + 1} on "
                                f"{get_chain(link.target_chain).name}, at {link.target}")
            legs.append(nxt)
            queue.append(nxt)
            if len(legs) >= max_legs:
                break
    missed = [link for link in links if link not in used]
    if missed:
        first.coverage.append(f"{len(missed)} link(s) not reached by the trail: "
                              + "; ".join(link.text() for link in missed[:5]))
    return legs


def _first_block_at(store: Store, chain: str, moment: int | None) -> int | None:
    """The first stored block of ``chain`` at or after ``moment`` (past the last one when none is)."""
    if moment is None:
        return None
    last = store.con.execute("SELECT max(number) FROM blocks WHERE chain = ?", [chain]).fetchall()[0][0]
    if last is None:
        raise InputError(f"a link continues on {get_chain(chain).name}, and the store holds nothing of it",
                         hint=f"fetch the linked address first: trailscan fetch --chain {get_chain(chain).name} ...")
    first = first_block_at(store, chain, moment)
    return first if first is not None else int(last) + 1


def _describe(link: Link, chain: str, source: str, moment: int | None, amounts: list[Amount],
              leg: int) -> dict[str, Any]:
    return {"leg": leg, "from_chain": chain, "from": source, "to_chain": link.target_chain, "to": link.target,
            "evidence": link.evidence, "arrived_time": moment,
            "arrived": [{"asset": a.asset.address, "symbol": a.asset.symbol,
                         "amount": fraction_text(a.raw, a.asset.decimals)} for a in amounts]}
