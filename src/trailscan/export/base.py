"""The exporter plug-in interface: a declared class with its metadata as data, and one ``write`` method.

An exporter writes a graph built by :mod:`trailscan.export.graph` (a ``networkx.MultiDiGraph`` whose node and
edge attributes are strings or ints only) to a file, or to a folder when ``DIRECTORY`` is set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import networkx as nx


class Exporter:
    """Base of every graph format; subclasses declare NAME, SUFFIX and HELP and implement ``write``."""

    NAME: ClassVar[str]  # the value of --as
    SUFFIX: ClassVar[str]  # the file suffix, e.g. ".graphml" (of the files written, for a folder format)
    HELP: ClassVar[str]  # one line: the format and what reads it
    DIRECTORY: ClassVar[bool] = False  # True: the path is a folder that receives several files

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        missing = [k for k in ("NAME", "SUFFIX", "HELP") if not isinstance(cls.__dict__.get(k), str)
                   or not cls.__dict__[k]]
        if missing:
            raise TypeError(f"exporter {cls.__name__} must declare {', '.join(missing)}")
        if not cls.SUFFIX.startswith("."):
            raise TypeError(f"exporter {cls.__name__}: SUFFIX must start with a dot")
        if "write" not in cls.__dict__:
            raise TypeError(f"exporter {cls.__name__} must implement write()")

    def write(self, graph: nx.MultiDiGraph, path: Path) -> None:
        raise NotImplementedError


def uniform(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy in which an attribute whose values mix ints and strings (a time that is sometimes unknown) is a
    string everywhere: GraphML and GEXF declare one type per attribute."""
    out: nx.MultiDiGraph = graph.copy()
    for items in (list(out.nodes(data=True)), [(k, d) for _, _, k, d in out.edges(keys=True, data=True)]):
        kinds: dict[str, set[type]] = {}
        for _, data in items:
            for name, value in data.items():
                kinds.setdefault(name, set()).add(type(value))
        mixed = {name for name, seen in kinds.items() if len(seen) > 1}
        for _, data in items:
            for name in mixed & data.keys():
                data[name] = str(data[name])
    return out
