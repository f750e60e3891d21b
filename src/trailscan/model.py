"""Typed records shared across trailscan. Amounts are Python ints (exact uint256), never floats."""

from __future__ import annotations

from dataclasses import dataclass, field

NATIVE = "native"
# Fungible transfer kinds, the ones tracing and clustering follow: the native coin, and each family's fungible
# token standard (ERC-20 on EVM chains, SPL on Solana, TRC-20 on Tron, bank denoms on Cosmos chains).
FUNGIBLE_KINDS = ("native", "erc20", "spl", "trc20", "denom")
TOKEN_KINDS = FUNGIBLE_KINDS[1:]
FUNGIBLE_SQL = "(" + ", ".join(f"'{k}'" for k in FUNGIBLE_KINDS) + ")"  # for "kind IN ..." in queries

# How each record was obtained: the "rung" of the history ladder (docs/domain.md section 4).
METHOD_LOGS = "eth_getLogs"
METHOD_OTS = "ots_searchTransactions"
METHOD_TRACE_FILTER = "trace_filter"
METHOD_TRACE_BLOCK = "trace_block"
METHOD_DEBUG_TRACE = "debug_traceBlockByNumber"
METHOD_BLOCK_SCAN = "block_scan"


def format_amount(raw: int, decimals: int | None) -> str:
    """Exact decimal rendering of a raw integer amount (no float anywhere)."""
    if decimals is None or decimals == 0:
        return str(raw)
    sign = "-" if raw < 0 else ""
    whole, fraction = divmod(abs(raw), 10**decimals)
    digits = str(fraction).rjust(decimals, "0").rstrip("0")
    return f"{sign}{whole}.{digits}" if digits else f"{sign}{whole}"


@dataclass(frozen=True, slots=True)
class Transfer:
    """One movement of value: native coin, fungible token, or NFT."""

    chain: str
    block_number: int
    block_hash: str
    block_time: int | None
    tx_hash: str
    locator: str  # unique within the tx: "log:<i>", "log:<i>:<j>" (1155 batch item), "call:<trace address>"
    kind: str  # native | erc20 | erc721 | erc1155
    from_address: str
    to_address: str
    asset: str  # "native" or the token contract
    amount: int
    decimals: int | None
    method: str
    token_id: int | None = None
    symbol: str | None = None

    @property
    def log_index(self) -> int | None:
        return int(self.locator.split(":")[1]) if self.locator.startswith("log:") else None

    @property
    def trace_address(self) -> str | None:
        return self.locator[5:] if self.locator.startswith("call:") else None

    @property
    def display_amount(self) -> str:
        return format_amount(self.amount, self.decimals)


@dataclass(frozen=True, slots=True)
class Approval:
    """An ERC-20 Approval (amount) or ERC-721 Approval/ApprovalForAll (token id / flag)."""

    chain: str
    block_number: int
    block_hash: str
    block_time: int | None
    tx_hash: str
    log_index: int
    kind: str  # erc20 | erc721 | erc721-all
    owner: str
    spender: str
    asset: str
    amount: int  # allowance for erc20, token id for erc721, 0/1 for approval-for-all
    method: str = METHOD_LOGS


@dataclass(frozen=True, slots=True)
class Token:
    chain: str
    address: str
    symbol: str | None
    name: str | None
    decimals: int | None


@dataclass
class FetchSummary:
    """What a fetch did, for the end-of-run report and the JSON output."""

    chain: str
    from_block: int
    to_block: int
    records: dict[str, int] = field(default_factory=dict)
    blocks_covered: int = 0
    requests: int = 0
    retries: int = 0
    elapsed: float = 0.0
    native_method: str | None = None
    missing: list[str] = field(default_factory=list)
    reorged_blocks: list[int] = field(default_factory=list)
