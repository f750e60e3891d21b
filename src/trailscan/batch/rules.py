"""Flag rules of a batch policy: one declared class per rule kind, listed in one registry.

A rule kind names the YAML keys it requires and allows (``REQUIRED``, ``OPTIONAL``), builds itself from the
checked values, and says which endpoints of a trace result trip it (``hits``). The policy reader picks the
kind whose required keys a rule has; a class with missing metadata is refused when it is defined.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

from ..tracing.model import Endpoint, TraceResult, fraction_text


@dataclass(frozen=True)
class Flag:
    """A rule a wallet tripped: the rule's name, the text it shows, and the figures behind it."""

    rule: str
    text: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "flag": self.text, "detail": self.detail}


@dataclass(frozen=True)
class Rule(ABC):
    """One flag rule of a policy file; ``line`` is where it starts in that file."""

    KIND: ClassVar[str]
    HELP: ClassVar[str]
    REQUIRED: ClassVar[frozenset[str]]
    OPTIONAL: ClassVar[frozenset[str]] = frozenset()

    name: str
    flag: str
    line: int

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for attr in ("KIND", "HELP", "REQUIRED"):
            if attr not in cls.__dict__:
                raise TypeError(f"rule kind {cls.__name__} lacks {attr}")

    @abstractmethod
    def hits(self, result: TraceResult) -> str | None:
        """What trips the rule in ``result`` (a short text with the figures), or None."""

    def evaluate(self, result: TraceResult) -> Flag | None:
        detail = self.hits(result)
        return Flag(self.name, self.flag, detail) if detail is not None else None


def _usd(value: Fraction) -> str:
    return f"{fraction_text(value, 0, 2)} USD"


def _in(endpoint: Endpoint, categories: tuple[str, ...]) -> bool:
    return any(lab.category in categories for lab in endpoint.labels)


@dataclass(frozen=True)
class ExposureRule(Rule):
    KIND: ClassVar[str] = "exposure"
    HELP: ClassVar[str] = ("{category: [..], min_usd: X, direct: true|false (optional)}: the USD value that "
                           "reached endpoints of these categories (only direct ones, or only indirect ones) adds up "
                           "to X or more (amounts without a USD value count as 0: min_usd: 0 flags any exposure)")
    REQUIRED: ClassVar[frozenset[str]] = frozenset({"category", "min_usd"})
    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"direct"})

    categories: tuple[str, ...] = ()
    min_usd: Fraction = Fraction(0)
    direct: bool | None = None

    def hits(self, result: TraceResult) -> str | None:
        ends = [e for e in result.exposure if _in(e, self.categories)
                and (self.direct is None or e.direct == self.direct)]
        total = sum((e.usd for e in ends if e.usd is not None), Fraction(0))
        if not ends or total < self.min_usd:
            return None
        how = {None: "", True: "direct ", False: "indirect "}[self.direct]
        actors = ", ".join(sorted({e.actor or e.node for e in ends}))
        unvalued = " and amounts without a USD value" if any(e.usd is None for e in ends) else ""
        return f"{_usd(total)}{unvalued} {how}to {'/'.join(self.categories)} ({actors})"


@dataclass(frozen=True)
class WithinHopsRule(Rule):
    KIND: ClassVar[str] = "within-hops"
    HELP: ClassVar[str] = "{category: [..], within_hops: N}: any traced value reached an endpoint of these " \
                          "categories N hops or fewer from the wallet"
    REQUIRED: ClassVar[frozenset[str]] = frozenset({"category", "within_hops"})

    categories: tuple[str, ...] = ()
    within_hops: int = 1

    def hits(self, result: TraceResult) -> str | None:
        ends = [e for e in result.exposure if _in(e, self.categories) and e.min_hops <= self.within_hops]
        if not ends:
            return None
        nearest = min(e.min_hops for e in ends)
        actors = ", ".join(sorted({e.actor or e.node for e in ends}))
        return f"{'/'.join(self.categories)} at {nearest} hop(s) ({actors})"


@dataclass(frozen=True)
class UnlabeledRule(Rule):
    KIND: ClassVar[str] = "unlabeled"
    HELP: ClassVar[str] = "{unlabeled: true, min_usd: Y}: one unlabeled endpoint received Y USD or more of the " \
                          "traced value"
    REQUIRED: ClassVar[frozenset[str]] = frozenset({"unlabeled", "min_usd"})

    min_usd: Fraction = Fraction(0)

    def hits(self, result: TraceResult) -> str | None:
        ends = [e for e in result.unlabeled if e.usd is not None and e.usd >= self.min_usd]
        if not ends:
            return None
        top = max(ends, key=lambda e: e.usd or 0)
        return f"{len(ends)} unlabeled endpoint(s), largest {top.node} with {_usd(top.usd or Fraction(0))}"


# The registry: every rule kind a policy file may use, in the order the reader tries them.
RULE_KINDS: tuple[type[Rule], ...] = (UnlabeledRule, WithinHopsRule, ExposureRule)
