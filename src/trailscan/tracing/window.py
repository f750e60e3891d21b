"""Turning what a user types into what a trace needs: block bounds from dates or numbers, asset keys from
symbols or contracts."""

from __future__ import annotations

import datetime as dt

from ..chains import get_chain
from ..errors import AddressError, InputError
from ..labels import LabelSet
from ..store import Store


def _moment(text: str, end: bool) -> dt.datetime | None:
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
            return start + dt.timedelta(days=1) - dt.timedelta(seconds=1) if end else start
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def block_bound(store: Store, chain: str, text: str | None, option: str, *, end: bool) -> int | None:
    """A block number, or a date (YYYY-MM-DD, or ISO time, UTC) turned into the first block at or after it
    (``--since``) or the last block at or before it (``--until``), from the stored block times."""
    if text is None:
        return None
    text = text.strip()
    if text.isdigit():
        return int(text)
    moment = _moment(text, end)
    if moment is None:
        raise InputError(f"{option} {text[:40]!r} is neither a block number nor a date",
                         hint="use e.g. 19000000, 2026-03-01 or 2026-03-01T12:00:00Z")
    stamp = int(moment.timestamp())
    lo, hi = store.con.execute("SELECT min(time), max(time) FROM blocks WHERE chain = ? AND time IS NOT NULL",
                               [chain]).fetchall()[0]
    if lo is None:
        raise InputError(f"{option} {text} needs block times, and the store has none for this chain",
                         hint="fetch first, or give a block number")
    first, last = _utc(lo), _utc(hi)
    if (not end and stamp > hi) or (end and stamp < lo):
        raise InputError(f"{option} {text} is outside the stored history of this chain ({first} to {last})",
                         hint="pick a date inside it, or fetch more history")
    if not end:
        found = first_block_at(store, chain, stamp)
        return found if found is not None else 0
    last = store.con.execute("SELECT max(number) FROM blocks WHERE chain = ? AND time <= ?",
                             [chain, stamp]).fetchall()[0][0]
    return int(last) if last is not None else None


def first_block_at(store: Store, chain: str, stamp: int) -> int | None:
    """The first stored block of ``chain`` whose time is at or after ``stamp`` (unix seconds), if any."""
    found = store.con.execute("SELECT min(number) FROM blocks WHERE chain = ? AND time >= ?",
                              [chain, stamp]).fetchall()[0][0]
    return int(found) if found is not None else None


def _utc(stamp: int) -> str:
    return dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def resolve_assets(store: Store, labels: LabelSet, chain: str, specs: list[str]) -> tuple[str, ...]:
    """Asset keys for ``--asset`` values: native (or the chain's coin symbol), a token contract, or a symbol
    the store or the token registry knows."""
    the_chain = get_chain(chain)
    tokens = store.tokens(chain)
    out: list[str] = []
    for spec in specs:
        text = spec.strip()
        if text.lower() in ("native", the_chain.native_symbol.lower()):
            out.append("native")
            continue
        try:
            out.append(the_chain.address(text))
            continue
        except AddressError:
            pass
        matches = sorted({t.address for t in tokens.values() if t.symbol and t.symbol.lower() == text.lower()}
                         | {i.asset for (c, _), i in labels.tokens.items() if c == chain and
                            i.symbol.lower() == text.lower() and not i.native})
        if len(matches) == 1:
            out.append(matches[0])
        elif not matches:
            raise InputError(f"unknown asset {text[:40]!r} on {the_chain.name}",
                             hint="give native, a token contract, or a symbol listed by 'trailscan tokens'")
        else:
            raise InputError(f"the symbol {text[:40]!r} names {len(matches)} token contracts on {the_chain.name}",
                             hint="give the contract address instead: " + ", ".join(matches[:3]))
    return tuple(dict.fromkeys(out))
