"""Connected components over links (scipy.sparse), with a size cap that flags instead of merging blindly."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


@dataclass
class Component:
    members: pa.Table  # chain, address, comp (int64)
    flagged: list[dict[str, Any]] = field(default_factory=list)


def components(edges: pa.Table, max_size: int) -> Component:
    """Components of ``edges`` (chain, a, b, heuristic, confidence; strongest first).

    A component larger than ``max_size`` is rebuilt link by link, strongest first; a link that would make a
    group larger than the cap is not merged but flagged, with the sizes it would have joined."""
    chains = edges.column("chain").to_numpy(zero_copy_only=False).astype(object)
    a = edges.column("a").to_numpy(zero_copy_only=False).astype(object)
    b = edges.column("b").to_numpy(zero_copy_only=False).astype(object)
    keys = np.concatenate([chains + "|" + a, chains + "|" + b]) if len(a) else np.array([], dtype=object)
    codes, uniques = pd.factorize(keys)
    n = len(uniques)
    m = len(a)
    src, dst = codes[:m], codes[m:]
    if n == 0:
        empty = pa.table({"chain": pa.array([], pa.string()), "address": pa.array([], pa.string()),
                          "comp": pa.array([], pa.int64())})
        return Component(empty)
    graph = coo_matrix((np.ones(m, dtype=np.int8), (src, dst)), shape=(n, n))
    count, comp = connected_components(graph, directed=False)
    comp = comp.astype(np.int64)
    sizes = np.bincount(comp, minlength=count)
    flagged: list[dict[str, Any]] = []
    giants = np.flatnonzero(sizes > max_size)
    if len(giants):
        in_giant = np.isin(comp[src], giants)
        parent = {int(x): int(x) for x in np.flatnonzero(np.isin(comp, giants))}
        size = dict.fromkeys(parent, 1)

        def root(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        heuristic = edges.column("heuristic").to_pylist()
        for i in np.flatnonzero(in_giant):
            ra, rb = root(int(src[i])), root(int(dst[i]))
            if ra == rb:
                continue
            if size[ra] + size[rb] > max_size:
                flagged.append({"chain": chains[i], "a": a[i], "b": b[i], "heuristic": heuristic[i],
                                "reason": f"size cap: this link would join groups of {size[ra]} and {size[rb]} "
                                          f"addresses, more than --max-size {max_size}"})
                continue
            if size[ra] < size[rb]:
                ra, rb = rb, ra
            parent[rb] = ra
            size[ra] += size[rb]
        for x in parent:
            comp[x] = count + root(x)
    keep = np.bincount(comp)[comp] > 1  # a node the cap left alone is no cluster
    split = [str(k).split("|", 1) for k in uniques[keep]]
    return Component(pa.table({"chain": pa.array([s[0] for s in split], pa.string()),
                               "address": pa.array([s[1] for s in split], pa.string()),
                               "comp": pa.array(comp[keep], pa.int64())}), flagged)
