"""ERC-20 / ERC-721 / ERC-1155 event logs: the topic filters that find an address's logs, and a lean decoder.

web3's ``get_logs`` result formatting is an order of magnitude slower than the node itself, so raw
JSON-RPC log dicts are decoded here directly into store columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_hash.auto import keccak

from ..errors import RpcProtocolError
from ..model import METHOD_LOGS
from ..store import Batch


def _topic(signature: str) -> str:
    return "0x" + keccak(signature.encode()).hex()


TRANSFER = _topic("Transfer(address,address,uint256)")
APPROVAL = _topic("Approval(address,address,uint256)")
APPROVAL_FOR_ALL = _topic("ApprovalForAll(address,address,bool)")
TRANSFER_SINGLE = _topic("TransferSingle(address,address,address,uint256,uint256)")
TRANSFER_BATCH = _topic("TransferBatch(address,address,address,uint256[],uint256[])")
FUNGIBLE_AND_721 = [TRANSFER, APPROVAL, APPROVAL_FOR_ALL]
MULTI = [TRANSFER_SINGLE, TRANSFER_BATCH]


def address_topic(address: str) -> str:
    return "0x" + "0" * 24 + address[2:].lower()


@dataclass(frozen=True)
class LogQuery:
    """One eth_getLogs filter shape; ``position`` says which topic holds the watched addresses."""

    name: str
    topic0: tuple[str, ...]
    position: int  # 1, 2 or 3; 0 = no address topic (token-wide query)

    def params(self, lo: int, hi: int, addresses: Sequence[str], tokens: Sequence[str]) -> dict[str, Any]:
        topics: list[Any] = [list(self.topic0)]
        if self.position:
            topics += [None] * (self.position - 1) + [[address_topic(a) for a in addresses]]
        flt: dict[str, Any] = {"fromBlock": hex(lo), "toBlock": hex(hi), "topics": topics}
        if tokens:
            flt["address"] = list(tokens)
        return flt


# Four shapes cover every side of every standard event an address can appear in.
ADDRESS_QUERIES = (
    LogQuery("sent", tuple(FUNGIBLE_AND_721), 1),  # Transfer from / Approval owner
    LogQuery("received", tuple(FUNGIBLE_AND_721), 2),  # Transfer to / Approval spender
    LogQuery("1155-sent", tuple(MULTI), 2),
    LogQuery("1155-received", tuple(MULTI), 3),
)
TOKEN_QUERY = LogQuery("token", tuple(FUNGIBLE_AND_721 + MULTI), 0)


@dataclass
class DecodeStats:
    skipped: int = 0  # logs with a standard topic but a non-standard shape
    blocks_without_time: set[int] = field(default_factory=set)


def decode_logs(logs: list[dict[str, Any]], chain: str, lo: int, hi: int, batch: Batch,
                stats: DecodeStats) -> None:
    """Append decoded transfers and approvals to ``batch``; rejects logs outside [lo, hi] (a lying node)."""
    t = batch.transfers
    a = batch.approvals
    blocks = batch.blocks
    erc20: list[tuple[Any, ...]] = []
    per_block: dict[str, tuple[int, int | None]] = {}  # block hash -> (number, time): parsed once per block
    lowered: dict[str, str] = {}
    for log in logs:
        if log.get("removed"):  # the node says a reorg took this log back
            continue
        try:
            topics = log["topics"]
            block_hash = log["blockHash"]
            tx = log["transactionHash"]
            index = int(log["logIndex"], 16)
            position = log.get("transactionIndex")
            tx_index = int(position, 16) if position is not None else None
            raw_asset = log["address"]
            data = log["data"]
            known = per_block.get(block_hash)
            if known is None:
                stamp = log.get("blockTimestamp")
                known = per_block[block_hash] = (int(log["blockNumber"], 16), int(stamp, 16) if stamp else None)
        except (KeyError, TypeError, ValueError):
            raise RpcProtocolError("the RPC endpoint answered a malformed log object") from None
        number, when = known
        asset = lowered.get(raw_asset)
        if asset is None:
            asset = lowered[raw_asset] = raw_asset.lower()
        if not lo <= number <= hi:
            raise RpcProtocolError(f"the RPC endpoint answered a log in block {number}, outside {lo}-{hi}")
        if number not in blocks:
            blocks[number] = (block_hash, when, False)
            if when is None:
                stats.blocks_without_time.add(number)
        head = topics[0] if topics else None
        n = len(topics)
        if head == TRANSFER and n == 3 and len(data) == 66:  # ERC-20: the hot path, appended inline
            erc20.append((number, block_hash, when, tx, f"log:{index}", "0x" + topics[1][26:],
                          "0x" + topics[2][26:], asset, str(int(data, 16)), tx_index))
        elif head == TRANSFER and n == 4:
            _transfer(t, chain, number, block_hash, when, tx, f"log:{index}", "erc721",
                      "0x" + topics[1][26:], "0x" + topics[2][26:], asset, str(int(topics[3], 16)), "1", tx_index)
        elif head == TRANSFER_SINGLE and n == 4 and len(data) == 130:
            _transfer(t, chain, number, block_hash, when, tx, f"log:{index}", "erc1155",
                      "0x" + topics[2][26:], "0x" + topics[3][26:], asset,
                      str(int(data[2:66], 16)), str(int(data[66:130], 16)), tx_index)
        elif head == TRANSFER_BATCH and n == 4:
            _batch(t, chain, number, block_hash, when, tx, index, topics, asset, data, stats, tx_index)
        elif head == APPROVAL and n == 3 and len(data) == 66:
            _approval(a, chain, number, block_hash, when, tx, (index, tx_index), "erc20", topics, asset,
                      str(int(data, 16)))
        elif head == APPROVAL and n == 4:
            _approval(a, chain, number, block_hash, when, tx, (index, tx_index), "erc721", topics, asset,
                      str(int(topics[3], 16)))
        elif head == APPROVAL_FOR_ALL and n == 3 and len(data) == 66:
            _approval(a, chain, number, block_hash, when, tx, (index, tx_index), "erc721-all", topics, asset,
                      "1" if int(data, 16) else "0")
        else:
            stats.skipped += 1
    if erc20:
        _columns(t, chain, erc20)


def _columns(t: dict[str, list[Any]], chain: str, rows: list[tuple[Any, ...]]) -> None:
    """Append ERC-20 rows (number, hash, time, tx, locator, from, to, asset, amount, tx index) column by column."""
    size = len(rows)
    numbers, hashes, times, txs, locators, senders, receivers, assets, amounts, positions = zip(*rows, strict=True)
    t["chain"] += [chain] * size
    t["block_number"] += numbers
    t["block_hash"] += hashes
    t["block_time"] += times
    t["tx_hash"] += txs
    t["locator"] += locators
    t["kind"] += ["erc20"] * size
    t["from_address"] += senders
    t["to_address"] += receivers
    t["asset"] += assets
    t["token_id"] += [None] * size
    t["amount"] += amounts
    t["decimals"] += [None] * size
    t["method"] += [METHOD_LOGS] * size
    t["tx_index"] += positions
    t["tx_from"] += [None] * size  # a log does not say who sent its transaction


def _transfer(t: dict[str, list[Any]], chain: str, number: int, block_hash: str, when: int | None, tx: str,
              locator: str, kind: str, sender: str, receiver: str, asset: str, token_id: str | None,
              amount: str, tx_index: int | None) -> None:
    t["chain"].append(chain)
    t["block_number"].append(number)
    t["block_hash"].append(block_hash)
    t["block_time"].append(when)
    t["tx_hash"].append(tx)
    t["locator"].append(locator)
    t["kind"].append(kind)
    t["from_address"].append(sender)
    t["to_address"].append(receiver)
    t["asset"].append(asset)
    t["token_id"].append(token_id)
    t["amount"].append(amount)
    t["decimals"].append(None)
    t["method"].append(METHOD_LOGS)
    t["tx_index"].append(tx_index)
    t["tx_from"].append(None)


def _batch(t: dict[str, list[Any]], chain: str, number: int, block_hash: str, when: int | None, tx: str,
           index: int, topics: list[str], asset: str, data: str, stats: DecodeStats, tx_index: int | None) -> None:
    from eth_abi.abi import decode as abi_decode  # rare path; eth_abi is slow to import

    try:
        ids, values = abi_decode(["uint256[]", "uint256[]"], bytes.fromhex(data[2:]))
    except Exception:  # eth_abi raises several unrelated types for malformed data
        stats.skipped += 1
        return
    if len(ids) != len(values):
        stats.skipped += 1
        return
    for j, (token_id, value) in enumerate(zip(ids, values, strict=True)):
        _transfer(t, chain, number, block_hash, when, tx, f"log:{index}:{j}", "erc1155",
                  "0x" + topics[2][26:], "0x" + topics[3][26:], asset, str(token_id), str(value), tx_index)


def _approval(a: dict[str, list[Any]], chain: str, number: int, block_hash: str, when: int | None, tx: str,
              position: tuple[int, int | None], kind: str, topics: list[str], asset: str, amount: str) -> None:
    a["chain"].append(chain)
    a["block_number"].append(number)
    a["block_hash"].append(block_hash)
    a["block_time"].append(when)
    a["tx_hash"].append(tx)
    a["log_index"].append(position[0])
    a["kind"].append(kind)
    a["owner"].append("0x" + topics[1][26:])
    a["spender"].append("0x" + topics[2][26:])
    a["asset"].append(asset)
    a["amount"].append(amount)
    a["method"].append(METHOD_LOGS)
    a["tx_index"].append(position[1])
