"""The heuristic plug-in interface: a declared class with its metadata as data, and one SQL method.

A heuristic is pure over the store: it reads the views :class:`Context` prepares (no network) and inserts
candidate links, each with the transactions that prove it, into the temporary table ``candidate_links``
(and, where it recognises an address's role, ``candidate_labels``). The clustering engine applies the guards
(contracts, services, size cap) to every heuristic alike, so a heuristic states what it saw, not what to merge.

Views a heuristic can read (all per chain, addresses lower-case):

- ``xfers``: fungible value transfers (native and ERC-20) with ``amt`` (HUGEINT, NULL beyond 2^127),
  the exact ``amount`` text, ``tx_index``, ``seq`` (position inside the transaction) and ``tx_from``
  (the transaction's sender where known);
- ``appr``: ERC-20 approvals with ``amt`` and ``tx_index``;
- ``services``: labeled addresses whose category is a service (exchange, bridge, DEX, marketplace, ...);
- ``exchanges``: the subset labeled as exchanges, with their actor;
- ``eoas`` / ``contracts``: addresses whose code status is known.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

import duckdb

from ..errors import InputError

CANDIDATE_LINKS = (
    "CREATE OR REPLACE TEMP TABLE candidate_links (chain VARCHAR, a VARCHAR, b VARCHAR, heuristic VARCHAR,"
    " confidence INTEGER, evidence VARCHAR)"
)
CANDIDATE_LABELS = (
    "CREATE OR REPLACE TEMP TABLE candidate_labels (chain VARCHAR, address VARCHAR, label VARCHAR,"
    " category VARCHAR, actor VARCHAR, heuristic VARCHAR, confidence INTEGER, evidence VARCHAR)"
)

# An evidence item as DuckDB builds it from a row of ``xfers`` aliased ``alias``: one proving transfer.
def evidence_item(alias: str, role: str) -> str:
    """SQL for one JSON evidence object (a transfer with its role) from the ``xfers`` row ``alias``."""
    return (f"struct_pack(role := '{role}', tx := {alias}.tx_hash, locator := {alias}.locator,"
            f" block := {alias}.block_number, \"from\" := {alias}.from_address, \"to\" := {alias}.to_address,"
            f" asset := {alias}.asset, amount := {alias}.amount, decimals := {alias}.decimals)")


@dataclass(frozen=True)
class Param:
    """A tunable parameter: name, type (int or float), default, help and inclusive bounds."""

    name: str
    kind: type
    default: float
    help: str
    minimum: float = 0
    maximum: float | None = None

    def parse(self, owner: str, text: str) -> float:
        try:
            value = self.kind(text)
        except ValueError:
            raise InputError(f"{owner}.{self.name} must be {'a whole number' if self.kind is int else 'a number'},"
                             f" not {text!r}", hint=f"{self.help} (default {self.default})") from None
        if value < self.minimum or (self.maximum is not None and value > self.maximum):
            upper = f" to {self.maximum}" if self.maximum is not None else " or more"
            raise InputError(f"{owner}.{self.name} = {text} is out of range",
                             hint=f"use {self.minimum}{upper}") from None
        return float(value) if self.kind is float else int(value)


class Heuristic:
    """Base class. Subclasses declare NAME, HELP, CONFIDENCE, REFERENCE, ENABLED and PARAMS and implement run()."""

    NAME: ClassVar[str]
    HELP: ClassVar[str]
    CONFIDENCE: ClassVar[int]  # 0-100, given to every link it finds
    REFERENCE: ClassVar[str]  # where the heuristic is described
    ENABLED: ClassVar[bool]  # on by default?
    PARAMS: ClassVar[tuple[Param, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        missing = [k for k, t in (("NAME", str), ("HELP", str), ("CONFIDENCE", int), ("REFERENCE", str),
                                  ("ENABLED", bool)) if not isinstance(cls.__dict__.get(k), t)]
        if missing:
            raise TypeError(f"heuristic {cls.__name__} must declare {', '.join(missing)}")
        if not 0 <= cls.CONFIDENCE <= 100:
            raise TypeError(f"heuristic {cls.__name__}: CONFIDENCE must be 0-100")
        if "run" not in cls.__dict__:
            raise TypeError(f"heuristic {cls.__name__} must implement run()")
        names = [p.name for p in cls.PARAMS]
        if len(set(names)) != len(names):
            raise TypeError(f"heuristic {cls.__name__} declares a parameter twice")

    def __init__(self, params: dict[str, float] | None = None) -> None:
        given = dict(params or {})
        unknown = sorted(set(given) - {p.name for p in self.PARAMS})
        if unknown:
            known = ", ".join(p.name for p in self.PARAMS) or "none"
            raise InputError(f"heuristic {self.NAME} has no parameter {unknown[0]!r}", hint=f"its parameters: {known}")
        self.params: dict[str, float] = {p.name: given.get(p.name, p.default) for p in self.PARAMS}

    def params_json(self) -> str:
        return json.dumps(self.params, sort_keys=True)

    def run(self, con: duckdb.DuckDBPyConnection) -> None:
        """Insert rows into ``candidate_links`` (a, b, evidence as JSON text) and ``candidate_labels``."""
        raise NotImplementedError

    def insert_links(self, con: duckdb.DuckDBPyConnection, select_sql: str, params: list[Any] | None = None) -> None:
        """Insert ``select_sql``'s rows (chain, x, y, evidence JSON) as links, each pair once in (a < b) order."""
        con.execute(
            "INSERT INTO candidate_links SELECT chain, least(x, y), greatest(x, y), ?, ?, evidence"
            f" FROM ({select_sql}) WHERE x <> y",
            [self.NAME, self.CONFIDENCE, *(params or [])],
        )
