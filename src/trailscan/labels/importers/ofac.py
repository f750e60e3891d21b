"""0xB10C/ofac-sanctioned-digital-currency-addresses: ``sanctioned_addresses_<ASSET>.txt`` and ``.json``."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .base import Draft, ImportContext, Importer, line_of, load_json

DATASET = "0xB10C/ofac-sanctioned-digital-currency-addresses"
LABEL = "OFAC SDN listed address"
# The list's asset codes that name a chain; token assets (USDT, USDC, ...) go by the address format.
ASSET_CHAINS = {"ETH": "ethereum", "TRX": "tron", "SOL": "solana", "BSC": "bsc", "ARB": "arbitrum"}
_NAME = re.compile(r"sanctioned_addresses_([A-Za-z0-9]+)\.(?:txt|json)")


class _Ofac(Importer):
    """Shared: one address per entry, every one sanctioned, the chain from the file name's asset."""

    ABSTRACT = True

    def addresses(self, ctx: ImportContext) -> Iterator[tuple[int | None, str]]:
        raise NotImplementedError

    def rows(self, ctx: ImportContext) -> Iterator[Draft]:
        named = _NAME.fullmatch(ctx.path.name)
        asset = named.group(1).upper() if named else ""
        source = f"{DATASET}:{ctx.path.name}"
        for line, address in self.addresses(ctx):
            chain = self.chain(ctx, asset, address, line)
            yield Draft(line, {"address": address, "label": LABEL, "category": "sanctioned", "network": chain,
                               "source": source, "context": f"OFAC SDN digital currency address ({asset or '?'})"})

    def chain(self, ctx: ImportContext, asset: str, address: str, line: int | None) -> str:
        if ctx.options.chain:
            return ctx.options.chain
        if asset in ASSET_CHAINS:
            return ASSET_CHAINS[asset]
        if address.startswith("0x"):
            return "ethereum"
        if address.startswith("T"):
            return "tron"
        raise ctx.fail(f"cannot tell the chain of {address[:60]!r} (list asset {asset or 'unknown'})", line,
                       hint="give --chain, or import only the lists of chains trailscan knows (ETH, TRX, ...)")


class OfacTxt(_Ofac):
    NAME = "ofac-txt"
    HELP = "OFAC sanctioned_addresses_<ASSET>.txt: one address per line"
    DATASET = DATASET
    FILE_HINT = "sanctioned_addresses_<ASSET>.txt"
    DEFAULT_CONFIDENCE = "authority_data"

    def addresses(self, ctx: ImportContext) -> Iterator[tuple[int | None, str]]:
        for number, line in enumerate(ctx.text.splitlines(), 1):
            if line.strip() and not line.lstrip().startswith("#"):
                yield number, line.strip()


class OfacJson(_Ofac):
    NAME = "ofac-json"
    HELP = "OFAC sanctioned_addresses_<ASSET>.json: a JSON array of addresses"
    DATASET = DATASET
    FILE_HINT = "sanctioned_addresses_<ASSET>.json"
    DEFAULT_CONFIDENCE = "authority_data"

    def addresses(self, ctx: ImportContext) -> Iterator[tuple[int | None, str]]:
        data = load_json(ctx)
        if not isinstance(data, list):
            raise ctx.fail("expected a JSON array of address strings", 1)
        for number, item in enumerate(data, 1):
            if not isinstance(item, str):
                raise ctx.fail(f"entry {number} is not an address string", None)
            yield line_of(ctx.text, item), item
