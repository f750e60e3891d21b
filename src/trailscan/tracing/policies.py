"""Taint policies as plug-ins: how much of an outgoing transfer carries traced value.

Each policy keeps, per address (or entity) and asset, a state fed in time order: ``receive(amount, traced)``
for every incoming transfer and ``send(amount)`` for every outgoing one, which returns the traced value it
carries. Amounts are exact: integers in the asset's smallest unit, traced value as a Fraction (a haircut
splits in proportion, so it is rational), never a float.

A balance that goes below zero means the history did not show where the funds came from (funds held before
the first record read, or a record the source could not see). The policies then treat the missing funds as
untraced funds held from the start: the least opening balance that explains the payments.
"""

from __future__ import annotations

from collections import deque
from fractions import Fraction
from typing import ClassVar

from ..errors import InputError

ZERO = Fraction(0)


class State:
    """One address's (or entity's) holdings of one asset under a policy."""

    def __init__(self, opening: int = 0) -> None:
        self.balance = opening  # everything held, in raw units
        self.traced = ZERO  # of which traced
        self.shortfall = 0  # funds sent that were never seen arriving (assumed untraced, held from the start)

    def receive(self, amount: int, traced: Fraction) -> None:
        self.balance += amount
        self.traced += traced

    def send(self, amount: int) -> Fraction:
        raise NotImplementedError

    def _cover(self, amount: int) -> None:
        if amount > self.balance:
            missing = amount - self.balance
            self.shortfall += missing
            self.balance += missing


class Policy:
    """Base class: NAME and HELP as class attributes, and the State subclass it uses."""

    NAME: ClassVar[str]
    HELP: ClassVar[str]
    STATE: ClassVar[type[State]]

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        for attr in ("NAME", "HELP", "STATE"):
            if attr not in cls.__dict__:
                raise TypeError(f"policy {cls.__name__} must declare {attr}")

    def state(self, opening: int = 0) -> State:
        return self.STATE(opening)


class HaircutState(State):
    def send(self, amount: int) -> Fraction:
        self._cover(amount)
        if not self.traced or not self.balance:
            self.balance -= amount
            return ZERO
        carried = self.traced * amount / self.balance
        self.traced -= carried
        self.balance -= amount
        return carried


class PoisonState(State):
    def send(self, amount: int) -> Fraction:
        self._cover(amount)
        self.balance -= amount
        if not self.traced:
            return ZERO
        # the whole transfer is traced; the traced holding falls by at most what left
        self.traced = max(ZERO, self.traced - amount)
        return Fraction(amount)


class FifoState(State):
    """Lots in arrival order, each with its traced part; a transfer spends the oldest lots first."""

    def __init__(self, opening: int = 0) -> None:
        super().__init__(opening)
        self.lots: deque[list[Fraction]] = deque()  # [amount left, traced left]
        if opening:
            self.lots.append([Fraction(opening), ZERO])

    def receive(self, amount: int, traced: Fraction) -> None:
        super().receive(amount, traced)
        if amount:
            self.lots.append([Fraction(amount), traced])

    def send(self, amount: int) -> Fraction:
        if amount > self.balance:  # funds never seen arriving were the oldest: an untraced lot at the start
            missing = amount - self.balance
            self.shortfall += missing
            self.balance += missing
            self.lots.appendleft([Fraction(missing), ZERO])
        self.balance -= amount
        left = Fraction(amount)
        carried = ZERO
        while left and self.lots:
            lot = self.lots[0]
            take = min(left, lot[0])
            part = lot[1] * take / lot[0] if lot[1] else ZERO
            carried += part
            lot[0] -= take
            lot[1] -= part
            left -= take
            if not lot[0]:
                self.lots.popleft()
        self.traced -= carried
        return carried


class Haircut(Policy):
    NAME = "haircut"
    HELP = "an outgoing transfer carries traced value in proportion to the traced share of the balance"
    STATE = HaircutState


class Poison(Policy):
    NAME = "poison"
    HELP = "an outgoing transfer from a balance holding any traced value is traced in full (over-approximates)"
    STATE = PoisonState


class Fifo(Policy):
    NAME = "fifo"
    HELP = "funds leave in the order they arrived; a transfer carries traced value where it spends traced lots"
    STATE = FifoState


POLICIES: dict[str, type[Policy]] = {p.NAME: p for p in (Haircut, Poison, Fifo)}


def get_policy(name: str) -> Policy:
    if name not in POLICIES:
        raise InputError(f"unknown policy {name!r}", hint=f"use one of {', '.join(POLICIES)}")
    return POLICIES[name]()
