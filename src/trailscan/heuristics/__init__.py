"""Clustering heuristics as plug-ins: one module each, one registry (built-ins plus the entry-point group
``trailscan.heuristics``, whose entries name Heuristic subclasses)."""

from __future__ import annotations

from functools import cache

from .. import plugins
from ..errors import InputError
from .airdrop import Airdrop
from .base import Heuristic, Param
from .consolidation import Consolidation
from .deposit_reuse import DepositReuse
from .first_funder import FirstFunder
from .program_payment import ProgramPayment
from .self_authorization import SelfAuthorization

ENTRY_POINT_GROUP = "trailscan.heuristics"
BUILTINS: tuple[type[Heuristic], ...] = (DepositReuse, Airdrop, SelfAuthorization, FirstFunder, Consolidation,
                                          ProgramPayment)

__all__ = ["BUILTINS", "ENTRY_POINT_GROUP", "Heuristic", "Param", "get_heuristic", "registry"]


@cache
def registry() -> dict[str, type[Heuristic]]:
    """Every heuristic by name: the built-ins, then installed plug-ins (a plug-in may not replace a built-in)."""
    return plugins.load(ENTRY_POINT_GROUP, Heuristic, {cls.NAME: cls for cls in BUILTINS}, "heuristic")


def get_heuristic(name: str) -> type[Heuristic]:
    known = registry()
    if name not in known:
        raise InputError(f"unknown heuristic {name!r}", hint=f"use one of {', '.join(known)}")
    return known[name]
