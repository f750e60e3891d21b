"""Planted payment trails on a chain-id-1 anvil, with the exposure each policy must give, worked out by hand.

Real labeled addresses (Binance 14, Golem's lock contract, an OFAC-listed address) are the services; the
broker is fictional and labeled by a case pack the tests write. Everyone else is a fresh address derived
from a name and impersonated. Amounts: USDT has 6 decimals, GLM and ETH 18.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from fractions import Fraction

from trailscan.devnet import DEV_ACCOUNTS, Anvil

USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
GLM = "0x7dd9c5cba05e151c895fde1cf355c9a1d5da6429"
BINANCE_14 = "0x28c6c06298d514db089934071355e5743bf21d60"
GOLEM_LOCK = "0xe440b576088d0a18340cae5b2cff43502f1cf588"
OFAC_LISTED = "0x01e2919679362dfbc9ee1644ba9c6da6d6245bb1"
ETH = 10**18
USD = 10**6
HUB_LIMIT = 5  # the tests trace with --hub-limit 5; the hub below has 7 counterparties


def addr(name: str) -> str:
    return "0x" + hashlib.sha256(f"trailscan-trace-world:{name}".encode()).hexdigest()[:40]


W, I1, DEPOSIT, BROKER = addr("treasury"), addr("intermediary"), addr("deposit"), addr("broker")
T, X, P = addr("time-order intermediary"), addr("earlier funder"), addr("earlier payee")
S1, S2, S3, M = addr("split"), addr("split left"), addr("split right"), addr("merge")
H, HUB = addr("native receiver"), addr("hub")
R1, R2 = addr("reseller wallet 1"), addr("reseller wallet 2")  # one unlabeled entity (self-authorization)
FORWARDER, REJECTER = addr("forwarder contract"), addr("rejecting contract")

BROKER_PACK = f"""title: Fictional GPU broker for the tracing tests
creator: trailscan tests
source: https://example.org/fictional
confidence: manual_transaction
network: ethereum
category: gpu-broker
tags:
- address: '{BROKER}'
  label: Example GPU broker (fictional)
  actor: example-gpu-broker
"""


@dataclass
class TraceWorld:
    txs: dict[str, str] = field(default_factory=dict)  # name -> transaction hash

    # The broker's traced USDT under each policy (raw units). T held 400 clean USDT, paid P 300 before the
    # treasury's 600 arrived, then paid the broker 500 out of 100 clean + 600 traced.
    @staticmethod
    def broker_usdt(policy: str) -> Fraction:
        from_t = {"haircut": Fraction(500 * 600, 700), "poison": Fraction(500), "fifo": Fraction(400)}[policy]
        return (700 + from_t) * USD


def _usdt(node: Anvil, sender: str, to: str, amount: int) -> str:
    return node.call(sender, USDT, "transfer(address,uint256)", ["address", "uint256"], [to, amount * USD])


def build_trace_world(node: Anvil) -> TraceWorld:
    w = TraceWorld()
    for token, name, symbol, decimals in ((USDT, "Tether USD", "USDT", 6), (GLM, "Golem Network Token", "GLM", 18)):
        node.place("Token", token)
        node.call(DEV_ACCOUNTS[0], token, "setup(string,string,uint8)", ["string", "string", "uint8"],
                  [name, symbol, decimals])
    node.place("Forwarder", FORWARDER)
    node.place("Rejecter", REJECTER)
    people = [W, I1, DEPOSIT, BROKER, T, X, P, S1, S2, S3, M, H, HUB, BINANCE_14, R1, R2]
    for a in people:
        node.rpc("anvil_impersonateAccount", a)
        node.rpc("anvil_setBalance", a, hex(100 * ETH))
    for who, amount in ((W, 10_000), (X, 1_000)):
        node.call(DEV_ACCOUNTS[0], USDT, "mint(address,uint256)", ["address", "uint256"], [who, amount * USD])
    node.call(DEV_ACCOUNTS[0], GLM, "mint(address,uint256)", ["address", "uint256"], [W, 100 * ETH])
    node.mine(2)
    # the time-order trap, first half: T holds other funds and pays someone before the traced funds arrive
    _usdt(node, X, T, 400)
    _usdt(node, T, P, 300)
    # a multi-hop USDT trail: to an intermediary, which pays the broker and an exchange deposit address
    w.txs["w-i1"] = _usdt(node, W, I1, 1_000)
    w.txs["i1-broker"] = _usdt(node, I1, BROKER, 700)
    w.txs["i1-deposit"] = _usdt(node, I1, DEPOSIT, 300)
    w.txs["sweep"] = _usdt(node, DEPOSIT, BINANCE_14, 300)
    # the trap, second half: the treasury pays T, and T pays the broker
    w.txs["w-t"] = _usdt(node, W, T, 600)
    w.txs["t-broker"] = _usdt(node, T, BROKER, 500)
    # split and merge (a peel), ending at a sanctioned address four hops out
    _usdt(node, W, S1, 200)
    _usdt(node, S1, S2, 120)
    _usdt(node, S1, S3, 80)
    _usdt(node, S2, M, 120)
    _usdt(node, S3, M, 80)
    w.txs["m-ofac"] = _usdt(node, M, OFAC_LISTED, 200)
    # decentralised compute paid in a GPU token
    w.txs["glm"] = node.call(W, GLM, "transfer(address,uint256)", ["address", "uint256"], [GOLEM_LOCK, 25 * ETH])
    # native value that moves only as an internal transfer through a contract, and a leg that reverts inside
    w.txs["w-forward"] = node.call(W, FORWARDER, "forward(address)", ["address"], [H], value=2 * ETH)
    w.txs["reverted"] = node.call(W, FORWARDER, "try_forward(address)", ["address"], [REJECTER], value=ETH // 2)
    w.txs["h-broker"] = node.send(H, BROKER, value=3 * ETH // 2)
    # a hub: the treasury pays it, and it has more counterparties than the hub limit
    _usdt(node, W, HUB, 50)
    for i in range(HUB_LIMIT + 2):
        _usdt(node, HUB, addr(f"hub customer {i}"), 1)
    # an unlabeled entity of two wallets: paid 30 and 20; one draws 10 from the other on an allowance
    _usdt(node, W, R1, 30)
    _usdt(node, W, R2, 20)
    node.call(R1, USDT, "approve(address,uint256)", ["address", "uint256"], [R2, 100 * USD])
    w.txs["r2-pulls"] = node.call(R2, USDT, "transferFrom(address,address,uint256)", ["address", "address", "uint256"],
                                  [R1, R2, 10 * USD])
    node.mine(3)
    return w
