"""Connected components and the size cap: a link that would make a group too large is flagged, not merged."""

from __future__ import annotations

import pyarrow as pa

from trailscan.clustering.components import components


def _edges(rows: list[tuple[str, str, int]]) -> pa.Table:
    return pa.table({"chain": ["c"] * len(rows), "a": [a for a, _, _ in rows], "b": [b for _, b, _ in rows],
                     "heuristic": ["h"] * len(rows), "confidence": [c for _, _, c in rows]})


def _groups(found: pa.Table) -> set[frozenset[str]]:
    out: dict[int, set[str]] = {}
    for address, comp in zip(found.column("address").to_pylist(), found.column("comp").to_pylist(), strict=True):
        out.setdefault(comp, set()).add(address)
    return {frozenset(g) for g in out.values()}


def test_components_without_a_cap() -> None:
    found = components(_edges([("a", "b", 80), ("b", "c", 80), ("x", "y", 60)]), 10)
    assert _groups(found.members) == {frozenset("abc"), frozenset("xy")} and not found.flagged


def test_the_cap_keeps_the_strongest_links_and_flags_the_one_that_would_cross_it() -> None:
    # two groups of three joined by one weak link: with a cap of 4 the weak link is flagged, not merged
    rows = [("a", "b", 80), ("b", "c", 80), ("x", "y", 80), ("y", "z", 80), ("c", "x", 20)]
    found = components(_edges(rows), 4)
    assert _groups(found.members) == {frozenset("abc"), frozenset("xyz")}
    (flag,) = found.flagged
    assert (flag["a"], flag["b"]) == ("c", "x")
    assert flag["reason"] == "size cap: this link would join groups of 3 and 3 addresses, more than --max-size 4"


def test_large_entities_under_the_cap_are_not_cut() -> None:
    rows = [(f"w{i}", "collector", 60) for i in range(1_500)]
    found = components(_edges(rows), 10_000)
    assert _groups(found.members) == {frozenset({f"w{i}" for i in range(1_500)} | {"collector"})}
