"""The wallets file of a batch: a CSV with a header naming ``address`` and optionally ``chain`` and ``reference``.

A malformed file (no address column, not UTF-8) is an error naming its line; a malformed address or an
unknown chain is kept as that wallet's error, so the rest of the batch still runs.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from ..chains import get_chain
from ..errors import InputError, TrailscanError

DEFAULT_CHAIN = "ethereum"


@dataclass(frozen=True)
class Wallet:
    """One row of the wallets file: as written, and (when valid) the chain key and canonical address."""

    row: int  # 1-based position among the wallets
    line: int  # line in the CSV file
    address_text: str
    chain_text: str
    reference: str
    chain: str | None = None  # CAIP-2 key
    address: str | None = None  # canonical form
    error: str | None = None  # why it cannot be traced

    @property
    def key(self) -> tuple[str, str] | None:
        """(chain, address) of a valid wallet: what a finished trace is recorded under."""
        return (self.chain, self.address) if self.chain and self.address else None


def read_wallets(path: Path) -> list[Wallet]:
    """The wallets listed in ``path``, each checked; a file-level problem is an InputError with its line."""
    shown = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the wallets file {shown}: {exc.strerror or exc}",
                         hint="check the WALLETS.csv path") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{shown}:{line}: not UTF-8 text", hint="save the file as UTF-8 CSV") from None
    return parse_wallets(text, shown)


def parse_wallets(text: str, shown: str) -> list[Wallet]:
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    wallets: list[Wallet] = []
    for fields in reader:
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if header is None:
            header = [f.strip().lower() for f in fields]
            if "address" not in header:
                raise InputError(f"{shown}:{line}: no 'address' column in the header "
                                 f"({', '.join(h[:20] for h in header[:8])})",
                                 hint="the first row names the columns: address, and optionally chain and reference")
            continue
        cell = {name: (fields[i].strip() if i < len(fields) else "") for i, name in enumerate(header)}
        wallets.append(_wallet(len(wallets) + 1, line, cell))
    if header is None:
        raise InputError(f"{shown}:1: the wallets file is empty", hint="write a header row 'address,chain,reference'"
                         " and one wallet per row")
    return wallets


def _wallet(row: int, line: int, cell: dict[str, str]) -> Wallet:
    address, chain_text, reference = cell.get("address", ""), cell.get("chain", ""), cell.get("reference", "")
    base = Wallet(row, line, address, chain_text or DEFAULT_CHAIN, reference)
    if not address:
        return _failed(base, "no address in this row")
    try:
        chain = get_chain(chain_text or DEFAULT_CHAIN)
        return Wallet(row, line, address, chain_text or DEFAULT_CHAIN, reference, chain.key, chain.address(address))
    except TrailscanError as exc:
        return _failed(base, str(exc))


def _failed(base: Wallet, error: str) -> Wallet:
    return Wallet(base.row, base.line, base.address_text, base.chain_text, base.reference, error=error)
