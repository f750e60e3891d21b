"""A small, deterministic world on anvil covering every record kind, with expectations written by hand.

The expectations name transactions by the hashes anvil returned and logs by the indexes in their
receipts; amounts, parties and kinds are spelled out here, independently of trailscan's decoder.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trailscan.devnet import DEV_ACCOUNTS, Anvil

Expected = tuple[str, str, str, str, str, str, int, int | None]  # tx, locator, kind, from, to, asset, amount, id

DEPLOYER, ALICE, BOB, CAROL, DAVE = DEV_ACCOUNTS[:5]
MAX_UINT = 2**256 - 1
BIG = 2**255 + 12345  # far beyond 64- and 128-bit integers
NFT_ID = 2**160 + 7
ETH = 10**18


@dataclass
class World:
    usdt: str = ""
    big: str = ""
    mkr: str = ""
    nft: str = ""
    multi: str = ""
    forwarder: str = ""
    rejecter: str = ""
    failed_tx: str = ""
    reverted_internal_tx: str = ""
    transfers: list[Expected] = field(default_factory=list)  # every value movement touching ALICE or rejecter
    approvals: list[tuple[str, int, str, str, str, str, int]] = field(default_factory=list)
    internal: set[tuple[str, str]] = field(default_factory=set)  # (tx, locator) of internal transfers
    head: int = 0

    @property
    def watched(self) -> list[str]:
        return [ALICE, self.rejecter]


def _log_index(node: Anvil, tx: str, i: int = 0) -> int:
    return int(node.receipt(tx)["logs"][i]["logIndex"], 16)


def build_world(node: Anvil) -> World:
    w = World()
    _tokens(node, w)
    _nfts(node, w)
    _native(node, w)
    node.mine(2)
    w.head = node.block_number()
    return w


def _tokens(node: Anvil, w: World) -> None:
    w.usdt = node.deploy("Token")
    node.call(DEPLOYER, w.usdt, "setup(string,string,uint8)", ["string", "string", "uint8"], ["Tether USD", "USDT", 6])
    tx = node.call(DEPLOYER, w.usdt, "mint(address,uint256)", ["address", "uint256"], [ALICE, 10**12])
    w.transfers.append((tx, f"log:{_log_index(node, tx)}", "erc20", "0x" + "0" * 40, ALICE, w.usdt, 10**12, None))
    tx = node.call(ALICE, w.usdt, "transfer(address,uint256)", ["address", "uint256"], [BOB, 123_456_789])
    w.transfers.append((tx, f"log:{_log_index(node, tx)}", "erc20", ALICE, BOB, w.usdt, 123_456_789, None))
    tx = node.call(ALICE, w.usdt, "approve(address,uint256)", ["address", "uint256"], [CAROL, MAX_UINT])
    w.approvals.append((tx, _log_index(node, tx), "erc20", ALICE, CAROL, w.usdt, MAX_UINT))
    tx = node.call(CAROL, w.usdt, "transferFrom(address,address,uint256)", ["address", "address", "uint256"],
                   [ALICE, DAVE, 1_000])
    w.transfers.append((tx, f"log:{_log_index(node, tx)}", "erc20", ALICE, DAVE, w.usdt, 1_000, None))

    w.big = node.deploy("Token")
    node.call(DEPLOYER, w.big, "setup(string,string,uint8)", ["string", "string", "uint8"], ["Big", "BIG", 18])
    tx = node.call(DEPLOYER, w.big, "mint(address,uint256)", ["address", "uint256"], [ALICE, BIG])
    w.transfers.append((tx, f"log:{_log_index(node, tx)}", "erc20", "0x" + "0" * 40, ALICE, w.big, BIG, None))
    tx = node.call(ALICE, w.big, "transfer(address,uint256)", ["address", "uint256"], [BOB, 2**200 + 1])
    w.transfers.append((tx, f"log:{_log_index(node, tx)}", "erc20", ALICE, BOB, w.big, 2**200 + 1, None))

    w.mkr = node.deploy("Bytes32Token", args=b"MKR".ljust(32, b"\0"))
    tx = node.call(DEPLOYER, w.mkr, "mint(address,uint256)", ["address", "uint256"], [ALICE, 5])
    w.transfers.append((tx, f"log:{_log_index(node, tx)}", "erc20", "0x" + "0" * 40, ALICE, w.mkr, 5, None))


def _nfts(node: Anvil, w: World) -> None:
    zero = "0x" + "0" * 40
    w.nft = node.deploy("Nft")
    tx = node.call(DEPLOYER, w.nft, "mint(address,uint256)", ["address", "uint256"], [ALICE, NFT_ID])
    w.transfers.append((tx, f"log:{_log_index(node, tx)}", "erc721", zero, ALICE, w.nft, 1, NFT_ID))
    tx = node.call(ALICE, w.nft, "approve(address,uint256)", ["address", "uint256"], [DAVE, NFT_ID])
    w.approvals.append((tx, _log_index(node, tx), "erc721", ALICE, DAVE, w.nft, NFT_ID))
    tx = node.call(ALICE, w.nft, "transferFrom(address,address,uint256)", ["address", "address", "uint256"],
                   [ALICE, BOB, NFT_ID])
    w.transfers.append((tx, f"log:{_log_index(node, tx)}", "erc721", ALICE, BOB, w.nft, 1, NFT_ID))
    tx = node.call(ALICE, w.nft, "setApprovalForAll(address,bool)", ["address", "bool"], [CAROL, True])
    w.approvals.append((tx, _log_index(node, tx), "erc721-all", ALICE, CAROL, w.nft, 1))

    w.multi = node.deploy("Multi")
    for token_id, amount in ((5, 100), (9, 3)):
        tx = node.call(DEPLOYER, w.multi, "mint(address,uint256,uint256)", ["address", "uint256", "uint256"],
                       [ALICE, token_id, amount])
        w.transfers.append((tx, f"log:{_log_index(node, tx)}", "erc1155", zero, ALICE, w.multi, amount, token_id))
    tx = node.call(ALICE, w.multi, "safeTransferFrom(address,address,uint256,uint256,bytes)",
                   ["address", "address", "uint256", "uint256", "bytes"], [ALICE, BOB, 5, 40, b""])
    w.transfers.append((tx, f"log:{_log_index(node, tx)}", "erc1155", ALICE, BOB, w.multi, 40, 5))
    tx = node.call(ALICE, w.multi, "safeBatchTransferFrom(address,address,uint256[],uint256[],bytes)",
                   ["address", "address", "uint256[]", "uint256[]", "bytes"], [ALICE, CAROL, [5, 9], [10, 3], b""])
    index = _log_index(node, tx)
    w.transfers.append((tx, f"log:{index}:0", "erc1155", ALICE, CAROL, w.multi, 10, 5))
    w.transfers.append((tx, f"log:{index}:1", "erc1155", ALICE, CAROL, w.multi, 3, 9))


def _native(node: Anvil, w: World) -> None:
    w.forwarder = node.deploy("Forwarder")
    w.rejecter = node.deploy("Rejecter")
    tx = node.send(ALICE, BOB, value=ETH)
    w.transfers.append((tx, "call:", "native", ALICE, BOB, "native", ETH, None))
    # alice pays the forwarder, which splits it to bob and carol: only alice's leg touches a watched address
    tx = node.call(ALICE, w.forwarder, "split(address,address)", ["address", "address"], [BOB, CAROL], value=3 * ETH)
    w.transfers.append((tx, "call:", "native", ALICE, w.forwarder, "native", 3 * ETH, None))
    # bob pays alice through the forwarder: alice receives an internal transfer
    tx = node.call(BOB, w.forwarder, "forward(address)", ["address"], [ALICE], value=2 * ETH)
    w.transfers.append((tx, "call:0", "native", w.forwarder, ALICE, "native", 2 * ETH, None))
    w.internal.add((tx, "call:0"))
    # the forwarder's call to the rejecter reverts inside a successful transaction: no value reaches it
    tx = node.call(ALICE, w.forwarder, "try_forward(address)", ["address"], [w.rejecter], value=ETH // 2)
    w.transfers.append((tx, "call:", "native", ALICE, w.forwarder, "native", ETH // 2, None))
    w.reverted_internal_tx = tx
    # a failed transaction moves nothing at all
    tx = node.call(ALICE, w.forwarder, "always_fail(address)", ["address"], [BOB], value=7, gas=100_000)
    assert node.receipt(tx)["status"] == "0x0"
    w.failed_tx = tx
