"""The benchmark's world: one anvil, one ERC-20, and many real Transfer events in few blocks.

Each spray transaction emits ``per_tx`` Transfer events and is mined alone in its block: the block
gas limit leaves room for one spray only. Recipients cycle through a few thousand addresses, because
anvil slows down block after block when every transfer creates a new storage slot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import httpx

from trailscan.devnet import DEV_ACCOUNTS, Anvil

PER_TX = 500  # Transfer events per spray transaction, hence per block (the contract allows <= 2000)
GAS_PER_EVENT = 26_000  # generous: a 500-event spray uses about 12.2M gas
RECIPIENT_GROUPS = 8  # distinct recipients: RECIPIENT_GROUPS * per_tx
FIRST_RECIPIENT = 0x10_0000  # recipients are the addresses 0x...100000, 0x...100001, ...


@dataclass(frozen=True)
class World:
    """A token and the block range that holds exactly ``transfers`` of its Transfer events."""

    url: str
    chain_id: int
    token: str
    from_block: int
    to_block: int
    transfers: int

    @property
    def blocks(self) -> int:
        return self.to_block - self.from_block + 1


def start_node(per_tx: int = PER_TX) -> Anvil:
    """anvil (automine on) whose blocks hold one spray of ``per_tx`` events each."""
    gas_limit = per_tx * GAS_PER_EVENT * 3 // 2
    return Anvil.start(extra=["--gas-limit", str(gas_limit)])


def _deploy_token(node: Anvil, owner: str) -> str:
    token = node.deploy("Token", owner)
    node.call(owner, token, "setup(string,string,uint8)", ["string", "string", "uint8"], ["Bench", "BEN", 18])
    node.call(owner, token, "mint(address,uint256)", ["address", "uint256"], [owner, 10**30])
    return token


def _spray(node: Anvil, owner: str, token: str, index: int, per_tx: int) -> str:
    first = FIRST_RECIPIENT + (index % RECIPIENT_GROUPS) * per_tx
    return node.call(owner, token, "spray(uint256,uint256,uint256)", ["uint256"] * 3,
                     [first, per_tx, 1 + index], gas=per_tx * GAS_PER_EVENT)


def _receipts(node: Anvil, hashes: list[str]) -> list[Any]:
    body = [{"jsonrpc": "2.0", "id": i, "method": "eth_getTransactionReceipt", "params": [h]}
            for i, h in enumerate(hashes)]
    replies = httpx.post(node.url, json=body, timeout=120).json()
    return [reply.get("result") for reply in replies]


def _check_mined(node: Anvil, hashes: list[str]) -> list[int]:
    """Every spray succeeded; returns the blocks that hold them."""
    receipts = _receipts(node, hashes)
    failed = [r for r in receipts if not r or r.get("status") != "0x1"]
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(receipts)} spray transactions failed or were not mined")
    return sorted({int(r["blockNumber"], 16) for r in receipts})


def build(node: Anvil, transfers: int, per_tx: int = PER_TX) -> World:
    """Spray ``transfers`` Transfer events (rounded up to whole sprays) and return their block range."""
    owner = DEV_ACCOUNTS[0]
    token = _deploy_token(node, owner)
    sprays = max(1, math.ceil(transfers / per_tx))
    hashes = [_spray(node, owner, token, i, per_tx) for i in range(sprays)]
    blocks = _check_mined(node, hashes)
    if len(blocks) != sprays:
        raise RuntimeError(f"{sprays} sprays landed in {len(blocks)} blocks, expected one per block")
    return World(node.url, node.chain_id, token, blocks[0], blocks[-1], sprays * per_tx)
