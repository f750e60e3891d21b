"""Chain registry: names, ids, native assets, finality, and each chain's address format.

A chain's ``key`` is its CAIP-2 identifier (``eip155:1``, ``solana:mainnet``, ...): the store keys every
record by it, so non-EVM chains fit without a schema change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .addresses import make_bech32_normalizer, normalize_evm, normalize_solana, normalize_tron
from .errors import ChainError


@dataclass(frozen=True)
class Chain:
    name: str
    key: str  # CAIP-2
    family: str  # evm | solana | tron | cosmos
    native_symbol: str
    native_decimals: int
    finality_depth: int  # used only where the node does not answer the "finalized" block tag
    chain_id: int | None = None
    aliases: tuple[str, ...] = ()
    normalize: Callable[[str], str] = field(default=normalize_evm, repr=False, compare=False)
    prefix: str | None = None  # bech32 prefix of its accounts (Cosmos chains)
    native_denom: str | None = None  # the bank denom of its native coin (Cosmos chains)
    # Cosmos SDK modules whose accounts are labeled by derivation: (module, label, category, actor)
    module_accounts: tuple[tuple[str, str, str, str], ...] = ()

    @property
    def is_evm(self) -> bool:
        return self.family == "evm"

    def address(self, text: str) -> str:
        """Validate ``text`` as an address of this chain and return its canonical form."""
        return self.normalize(text)


def _evm(name: str, chain_id: int, symbol: str, depth: int, *aliases: str) -> Chain:
    return Chain(name, f"eip155:{chain_id}", "evm", symbol, 18, depth, chain_id, aliases)


CHAINS: tuple[Chain, ...] = (
    _evm("ethereum", 1, "ETH", 64, "eth", "mainnet"),
    _evm("optimism", 10, "ETH", 64, "op"),
    _evm("bsc", 56, "BNB", 15, "bnb", "binance-smart-chain"),
    _evm("polygon", 137, "POL", 256, "matic"),
    _evm("base", 8453, "ETH", 64),
    _evm("arbitrum", 42161, "ETH", 64, "arbitrum-one", "arb"),
    _evm("avalanche", 43114, "AVAX", 1, "avax", "avalanche-c"),
    Chain("solana", "solana:mainnet", "solana", "SOL", 9, 32, None, ("sol",), normalize_solana),
    Chain("tron", "tron:mainnet", "tron", "TRX", 6, 20, None, ("trx",), normalize_tron),
    Chain("akash", "cosmos:akashnet-2", "cosmos", "AKT", 6, 1, None, (), make_bech32_normalizer("akash"), "akash",
          "uakt", (("escrow", "Akash escrow module account (deployment deposits, lease payments)", "gpu-marketplace",
                    "akash"),)),
)

_BY_NAME = {alias: c for c in CHAINS for alias in (c.name, c.key, *c.aliases)}
_BY_ID = {c.chain_id: c for c in CHAINS if c.chain_id is not None}


def get_chain(spec: str | int) -> Chain:
    """Look a chain up by name, alias, CAIP-2 key or numeric EVM chain id (any id is accepted)."""
    text = str(spec).strip().lower()
    if text in _BY_NAME:
        return _BY_NAME[text]
    if text.startswith("eip155:"):
        text = text[len("eip155:") :]
    if text.isdigit() and 0 < int(text) < 2**63:
        return chain_for_id(int(text))
    known = ", ".join(c.name for c in CHAINS)
    raise ChainError(f"unknown chain {str(spec)!r}", hint=f"use one of {known}, or a numeric EVM chain id")


def chain_for_id(chain_id: int) -> Chain:
    if chain_id in _BY_ID:
        return _BY_ID[chain_id]
    return Chain(f"evm-{chain_id}", f"eip155:{chain_id}", "evm", "ETH", 18, 64, chain_id)
