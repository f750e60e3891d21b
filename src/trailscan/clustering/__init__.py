"""Address clustering: heuristics' links, guarded, into stable clusters; look-ups and explanations."""

from __future__ import annotations

from .engine import ClusterOptions, ClusterSummary, build_clusters

__all__ = ["ClusterOptions", "ClusterSummary", "build_clusters"]
