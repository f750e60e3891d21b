"""Valuing traced amounts: assets named from the store and the token registry; stablecoins in USD at par,
other assets in USD only from a prices file (CSV: date,asset,usd). Exact: fractions, never floats."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

from ..chains import get_chain
from ..errors import InputError
from ..labels import LabelSet
from ..store import Store
from .graph import Row
from .model import Amount, Asset


class Prices:
    """USD prices by (UTC date, asset), where the asset is a symbol (any case) or a token contract."""

    def __init__(self, table: dict[tuple[dt.date, str], Fraction], path: str = "") -> None:
        self.table = table
        self.path = path

    @classmethod
    def read(cls, path: Path) -> Prices:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise InputError(f"cannot read the prices file {path}: {exc.strerror}", hint="check the path") from None
        except UnicodeDecodeError:
            raise InputError(f"the prices file {path} is not UTF-8 text", hint="save it as UTF-8 CSV") from None
        rows = list(csv.reader(text.splitlines()))
        if not rows or [c.strip().lower() for c in rows[0][:3]] != ["date", "asset", "usd"]:
            raise InputError(f"{path}:1: the prices file must start with the header date,asset,usd",
                             hint="one row per day and asset, e.g. 2026-03-01,GLM,0.31")
        table: dict[tuple[dt.date, str], Fraction] = {}
        for number, row in enumerate(rows[1:], start=2):
            if not any(c.strip() for c in row):
                continue
            if len(row) < 3:
                raise InputError(f"{path}:{number}: expected 3 columns (date,asset,usd), found {len(row)}",
                                 hint="fix that line")
            day, asset, usd = (c.strip() for c in row[:3])
            try:
                date = dt.date.fromisoformat(day)
            except ValueError:
                raise InputError(f"{path}:{number}: {day[:40]!r} is not a date", hint="use YYYY-MM-DD") from None
            try:
                price = Decimal(usd)
            except InvalidOperation:
                raise InputError(f"{path}:{number}: {usd[:40]!r} is not a number", hint="use e.g. 0.31") from None
            if not price.is_finite() or price < 0:
                raise InputError(f"{path}:{number}: the price {usd[:40]} is not a finite, non-negative number",
                                 hint="use e.g. 0.31")
            if not asset:
                raise InputError(f"{path}:{number}: the asset is empty", hint="give a symbol or a token contract")
            table[(date, asset.lower())] = Fraction(price)
        return cls(table, str(path))

    def price(self, day: dt.date, keys: Sequence[str]) -> Fraction | None:
        for key in keys:
            found = self.table.get((day, key.lower()))
            if found is not None:
                return found
        return None


class Valuer:
    def __init__(self, labels: LabelSet, store: Store, chain: str, prices: Prices | None = None) -> None:
        self.labels, self.chain, self.prices = labels, chain, prices
        self.tokens = store.tokens(chain)
        self._assets: dict[str, Asset] = {}
        self._unvalued: dict[str, int] = {}

    def asset(self, address: str) -> Asset:
        found = self._assets.get(address)
        if found is None:
            info = self.labels.token(self.chain, address)
            stored = self.tokens.get(address)
            if address == "native":
                symbol = get_chain(self.chain).native_symbol
                decimals: int | None = get_chain(self.chain).native_decimals
            else:
                symbol = (stored.symbol if stored and stored.symbol else None) or (info.symbol if info else address)
                decimals = stored.decimals if stored and stored.decimals is not None else (
                    info.decimals if info else None)
            found = self._assets[address] = Asset(self.chain, address, symbol, decimals,
                                                  bool(info and info.stablecoin))
        return found

    def raw_threshold(self, address: str, amount: Decimal) -> Fraction:
        return Fraction(amount) * Fraction(10) ** (self.asset(address).decimals or 0)

    def amount(self, address: str, raw: Fraction, parts: Sequence[tuple[Row, Fraction]]) -> Amount:
        """``raw`` traced units of ``address``; ``parts`` (transfer, traced raw) date the value for prices."""
        asset = self.asset(address)
        scale = Fraction(10) ** (asset.decimals or 0)
        if asset.stablecoin and asset.decimals is not None:
            return Amount(asset, raw, raw / scale)
        if self.prices is None or asset.decimals is None:
            self._unvalued[asset.symbol] = self._unvalued.get(asset.symbol, 0) + 1
            return Amount(asset, raw, None)
        usd = Fraction(0)
        for row, part in parts:
            day = dt.datetime.fromtimestamp(row.time or 0, dt.UTC).date()
            price = self.prices.price(day, (asset.symbol, address))
            if price is None or row.time is None:
                self._unvalued[f"{asset.symbol} on {day}"] = 1
                return Amount(asset, raw, None)
            usd += part / scale * price
        return Amount(asset, raw, usd)

    def notes(self) -> list[str]:
        if not self._unvalued:
            return []
        names = ", ".join(sorted(self._unvalued)[:10])
        hint = "" if self.prices else " (pass --prices FILE to value them)"
        return [f"not valued in USD, kept in their own units: {names}{hint}"]
