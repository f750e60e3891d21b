"""Graph export: the traced graph, or the stored graph around addresses, in formats other tools read.

Formats are plug-ins (:class:`Exporter` subclasses, one per format) in one registry, ``EXPORTERS``; installed
packages add more through the entry-point group ``trailscan.exporters``."""

from __future__ import annotations

from functools import cache

from .. import plugins
from ..errors import InputError
from .base import Exporter
from .formats import Cytoscape, Dot, Gexf, GraphML, Neo4j, NodeLink
from .graph import stored_graph, trace_graph

ENTRY_POINT_GROUP = "trailscan.exporters"
BUILTINS: tuple[type[Exporter], ...] = (GraphML, Gexf, NodeLink, Cytoscape, Dot, Neo4j)
EXPORTERS: dict[str, type[Exporter]] = {cls.NAME: cls for cls in BUILTINS}

__all__ = ["BUILTINS", "ENTRY_POINT_GROUP", "EXPORTERS", "Exporter", "get_exporter", "registry", "stored_graph",
           "trace_graph"]


@cache
def registry() -> dict[str, type[Exporter]]:
    """Every format by name: the built-ins (``EXPORTERS``), then installed plug-ins (which may not replace one)."""
    return plugins.load(ENTRY_POINT_GROUP, Exporter, EXPORTERS, "format")


def get_exporter(name: str) -> Exporter:
    known = registry()
    if name not in known:
        raise InputError(f"unknown graph format {name!r}", hint=f"use one of {', '.join(known)}")
    return known[name]()
