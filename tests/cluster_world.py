"""A planted clustering world on a chain-id-1 anvil, with its ground truth and look-alike traps.

Binance 14 (a shipped exchange label) is impersonated as the exchange hot wallet; a second, fictional
exchange is a contract labeled by a case pack the tests write. Every other party is a fresh address derived
from a name and impersonated, so the truth below is the only thing that says who is who.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from trailscan.devnet import DEV_ACCOUNTS, Anvil

USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
BINANCE_14 = "0x28c6c06298d514db089934071355e5743bf21d60"
ETH = 10**18
USD = 10**6
TAU = 50  # the tests run deposit-reuse with tau=50 so that a forward outside tau costs 60 blocks, not 10,000
AIRDROP_RECIPIENTS = 24  # the tests lower airdrop.min_recipients to 20 for this small chain


def addr(name: str) -> str:
    return "0x" + hashlib.sha256(f"trailscan-cluster-world:{name}".encode()).hexdigest()[:40]


@dataclass
class ClusterWorld:
    exchange: str = BINANCE_14
    exchange_contract: str = addr("fictional exchange contract")
    router: str = addr("router contract")
    entities: list[set[str]] = field(default_factory=list)  # the planted truth: who belongs together
    deposits: dict[str, str] = field(default_factory=dict)  # deposit address -> exchange it sweeps to
    traps: dict[str, list[str]] = field(default_factory=dict)  # trap name -> addresses that must stay apart
    fetched: list[str] = field(default_factory=list)  # the wallets an analyst fetched
    airdrop_source: str = addr("airdrop distributor")

    @property
    def planted(self) -> set[str]:
        return {a for e in self.entities for a in e} | {a for t in self.traps.values() for a in t}


def _usdt(node: Anvil, sender: str, to: str, amount: int) -> str:
    return node.call(sender, USDT, "transfer(address,uint256)", ["address", "uint256"], [to, amount])


def _fund(node: Anvil, *who: str) -> None:
    for a in who:
        node.rpc("anvil_impersonateAccount", a)
        node.rpc("anvil_setBalance", a, hex(100 * ETH))


def _mint(node: Anvil, to: str, amount: int) -> None:
    node.call(DEV_ACCOUNTS[0], USDT, "mint(address,uint256)", ["address", "uint256"], [to, amount])


def build_cluster_world(node: Anvil) -> ClusterWorld:
    w = ClusterWorld()
    node.place("Token", USDT)
    node.call(DEV_ACCOUNTS[0], USDT, "setup(string,string,uint8)", ["string", "string", "uint8"],
              ["Tether USD", "USDT", 6])
    node.place("Forwarder", w.exchange_contract)
    node.place("Forwarder", w.router)
    _fund(node, w.exchange, w.router, w.airdrop_source)
    _deposits(node, w)
    _self_authorization(node, w)
    _airdrop(node, w)
    _traps(node, w)
    node.mine(3)
    return w


def _deposits(node: Anvil, w: ClusterWorld) -> None:
    a1, a2, a3 = addr("a1"), addr("a2"), addr("a3")
    d1, d2 = addr("deposit 1"), addr("deposit 2")
    _fund(node, a1, a2, a3, d1, d2)
    for a in (a1, a2):
        _mint(node, a, 10_000 * USD)
    # tokens: each deposit swept on its own, value-matched (exactly)
    _usdt(node, a1, d1, 1_000 * USD)
    _usdt(node, d1, w.exchange, 1_000 * USD)
    _usdt(node, a2, d1, 500 * USD)
    _usdt(node, d1, w.exchange, 500 * USD)
    # native: the sweep is the deposit less the gas the deposit address paid (within alpha = 0.01 ETH)
    node.send(a3, d2, value=ETH)
    node.send(d2, w.exchange, value=ETH - 3 * 10**15)
    node.send(a1, d2, value=2 * ETH)
    node.send(d2, w.exchange, value=2 * ETH - 4 * 10**15)
    w.entities.append({a1, a2, a3})
    w.deposits.update({d1: w.exchange, d2: w.exchange})
    # an exchange that is a contract: its customers are linked; a contract paying into the deposit never is
    y1, y2, d5, vault = addr("y1"), addr("y2"), addr("deposit 5"), addr("vault contract")
    node.place("Forwarder", vault)
    _fund(node, y1, y2, d5, vault)
    for a in (y1, y2, vault):
        _mint(node, a, 1_000 * USD)
    for payer, amount in ((y1, 300 * USD), (y2, 200 * USD), (vault, 100 * USD)):
        _usdt(node, payer, d5, amount)
        _usdt(node, d5, w.exchange_contract, amount)
    w.entities.append({y1, y2})
    w.deposits[d5] = w.exchange_contract
    w.traps["contract customer"] = [vault, y1]
    w.fetched += [a1, a2, a3, y1, y2, vault]


def _self_authorization(node: Anvil, w: ClusterWorld) -> None:
    owner, spender, payee = addr("o1"), addr("s1"), addr("o1 payee")
    _fund(node, owner, spender)
    _mint(node, owner, 5_000 * USD)
    node.call(owner, USDT, "approve(address,uint256)", ["address", "uint256"], [spender, 2_000 * USD])
    node.call(spender, USDT, "transferFrom(address,address,uint256)", ["address", "address", "uint256"],
              [owner, payee, 700 * USD])
    w.entities.append({owner, spender})
    # the usual "unlimited" allowance (2^256 - 1) links just the same
    owner2, spender2 = addr("o2"), addr("s2")
    _fund(node, owner2, spender2)
    _mint(node, owner2, 5_000 * USD)
    node.call(owner2, USDT, "approve(address,uint256)", ["address", "uint256"], [spender2, 2**256 - 1])
    node.call(spender2, USDT, "transferFrom(address,address,uint256)", ["address", "address", "uint256"],
              [owner2, spender2, 100 * USD])
    w.entities.append({owner2, spender2})
    w.fetched.append(owner2)
    # trap: a router contract uses an allowance too; a contract spender links nobody
    user = addr("router user")
    _fund(node, user)
    _mint(node, user, 5_000 * USD)
    node.call(user, USDT, "approve(address,uint256)", ["address", "uint256"], [w.router, 2_000 * USD])
    node.call(w.router, USDT, "transferFrom(address,address,uint256)", ["address", "address", "uint256"],
              [user, w.router, 900 * USD])
    # and an approval never used links nobody either
    idle, idle_spender = addr("idle owner"), addr("idle spender")
    _fund(node, idle)
    node.call(idle, USDT, "approve(address,uint256)", ["address", "uint256"], [idle_spender, 10 * USD])
    w.traps["router spender"] = [user, w.router]
    w.traps["unused approval"] = [idle, idle_spender]
    w.fetched += [owner, user, idle]


def _airdrop(node: Anvil, w: ClusterWorld) -> None:
    recipients = [addr(f"airdrop recipient {i}") for i in range(AIRDROP_RECIPIENTS)]
    collector = addr("airdrop collector")
    _mint(node, w.airdrop_source, 1_000_000 * USD)
    for r in recipients:
        _usdt(node, w.airdrop_source, r, 25 * USD)
    farm = recipients[:5]
    _fund(node, *farm)
    for r in farm:
        _usdt(node, r, collector, 25 * USD)
    # one recipient forwarding alone to its own address is no aggregation
    loner, loner_target = recipients[5], addr("loner target")
    _fund(node, loner)
    _usdt(node, loner, loner_target, 25 * USD)
    w.entities.append({*farm, collector})
    w.traps["single forward"] = [loner, loner_target]
    w.fetched += [w.airdrop_source, *farm, loner]


def _traps(node: Anvil, w: ClusterWorld) -> None:
    # a popular payee: many pay one merchant, who never sweeps to an exchange
    merchant, payers = addr("merchant"), [addr(f"customer {i}") for i in range(4)]
    _fund(node, merchant, *payers)
    for p in payers:
        _mint(node, p, 1_000 * USD)
        _usdt(node, p, merchant, 120 * USD)
    _usdt(node, merchant, addr("merchant supplier"), 400 * USD)
    w.traps["popular payee"] = payers
    # a forward outside tau: q1's deposit is swept in time, q2's only after more than tau blocks
    q1, q2, d3 = addr("q1"), addr("q2"), addr("deposit 3")
    _fund(node, q1, q2, d3)
    for q in (q1, q2):
        _mint(node, q, 1_000 * USD)
    _usdt(node, q1, d3, 50 * USD)
    _usdt(node, d3, w.exchange, 50 * USD)
    _usdt(node, q2, d3, 70 * USD)
    node.mine(TAU + 10)
    _usdt(node, d3, w.exchange, 70 * USD)
    w.traps["outside tau"] = [q1, q2]
    # a value-mismatched forward: w2's 300 is followed by a sweep of 250
    w1, w2, d4 = addr("w1"), addr("w2"), addr("deposit 4")
    _fund(node, w1, w2, d4)
    for x in (w1, w2):
        _mint(node, x, 1_000 * USD)
    _usdt(node, w1, d4, 100 * USD)
    _usdt(node, d4, w.exchange, 100 * USD)
    _usdt(node, w2, d4, 300 * USD)
    _usdt(node, d4, w.exchange, 250 * USD)
    w.traps["value mismatch"] = [w1, w2]
    w.deposits.update({d3: w.exchange, d4: w.exchange})
    w.fetched += [*payers, q1, q2, w1, w2]


EXCHANGE_PACK = """title: Fictional exchange for the clustering tests
creator: trailscan tests
source: https://example.org/fictional
confidence: manual_transaction
network: ethereum
category: exchange
tags:
- address: '{address}'
  label: Example on-chain exchange (fictional)
  actor: example-exchange
"""
