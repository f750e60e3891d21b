"""Labels: sourced, TagPack-compatible attributions, indexed by (chain key, canonical address), and matching.

Library entry::

    from trailscan.labels import load_labels, LabelSet
    labels = load_labels()                       # shipped labels + $TRAILSCAN_LABELS
    labels.match_transfer("eip155:137", sender, recipient, token)
"""

from __future__ import annotations

from .loader import ENV_VAR, load_labels, read_dir, shipped_dir
from .model import Actor, Conflict, Match, Problem, Tag, TokenInfo
from .registry import LabelSet

__all__ = [
    "ENV_VAR",
    "Actor",
    "Conflict",
    "LabelSet",
    "Match",
    "Problem",
    "Tag",
    "TokenInfo",
    "load_labels",
    "read_dir",
    "shipped_dir",
]
