"""The example world: a synthetic GPU-rental payment story on a local chain with chain id 1.

Test tokens are placed at the real mainnet addresses of USDT, USDC, GLM, RNDR and ATH, and the labeled
counterparties are real labeled addresses (an exchange hot wallet, Golem's lock contract, an OFAC-listed
address), so that shipped labels apply. Everything else is invented: the renter, the broker and the
hosts are anvil's public test accounts, and none of these transactions happened on Ethereum.
"""

from __future__ import annotations

from dataclasses import dataclass

from trailscan.devnet import DEV_ACCOUNTS, Anvil

USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
USDC = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
GLM = "0x7dd9c5cba05e151c895fde1cf355c9a1d5da6429"
RNDR = "0x6de037ef9ad2725eb40118bb1702ebb27e4aeb24"
ATH = "0xbe0ed4138121ecfc5c0e56b40517da27e6c5226b"
BINANCE_14 = "0x28c6c06298d514db089934071355e5743bf21d60"  # exchange hot wallet (label-facts.csv)
GOLEM_LOCK = "0xe440b576088d0a18340cae5b2cff43502f1cf588"  # Golem lock-contract, mainnet (label-facts.csv)
OFAC_LISTED = "0x01e2919679362dfbc9ee1644ba9c6da6d6245bb1"  # OFAC SDN-listed address (label-facts.csv)

RENTER, BROKER, HOST, NODE_OPERATOR, RENTER_OPS, DEPOSIT = DEV_ACCOUNTS[1:7]
TOKENS = {USDT: ("Tether USD", "USDT", 6), USDC: ("USD Coin", "USDC", 6), GLM: ("Golem Network Token", "GLM", 18),
          RNDR: ("Render Token", "RNDR", 18), ATH: ("Aethir Token", "ATH", 18)}
ETH = 10**18


@dataclass(frozen=True)
class Story:
    renter: str = RENTER
    broker: str = BROKER
    host: str = HOST
    node_operator: str = NODE_OPERATOR
    renter_ops: str = RENTER_OPS  # the renter's second wallet (one entity with the renter)
    deposit: str = DEPOSIT  # the renter's deposit address at the exchange


def _transfer(node: Anvil, token: str, sender: str, to: str, amount: int) -> str:
    return node.call(sender, token, "transfer(address,uint256)", ["address", "uint256"], [to, amount])


def build(node: Anvil) -> Story:
    """Play the story on ``node`` (chain id 1); returns who is who."""
    for address, (name, symbol, decimals) in TOKENS.items():
        node.place("Token", address)
        node.call(DEV_ACCOUNTS[0], address, "setup(string,string,uint8)", ["string", "string", "uint8"],
                  [name, symbol, decimals])
    for account in (BINANCE_14, RENTER_OPS, DEPOSIT):
        node.rpc("anvil_impersonateAccount", account)
        node.rpc("anvil_setBalance", account, hex(1_000 * ETH))
    usdt, glm = 10**6, 10**18
    node.call(DEV_ACCOUNTS[0], USDT, "mint(address,uint256)", ["address", "uint256"], [BINANCE_14, 10**6 * usdt])
    node.call(DEV_ACCOUNTS[0], GLM, "mint(address,uint256)", ["address", "uint256"], [BINANCE_14, 10**6 * glm])
    node.call(DEV_ACCOUNTS[0], ATH, "mint(address,uint256)", ["address", "uint256"], [RENTER, 50_000 * glm])
    node.mine(5)

    # 1. the renter withdraws stablecoins and GLM from an exchange hot wallet
    _transfer(node, USDT, BINANCE_14, RENTER, 250_000 * usdt)
    _transfer(node, GLM, BINANCE_14, RENTER, 40_000 * glm)
    node.mine(3)
    # 2. two invoices paid to a GPU broker; the renter's operations wallet draws on an allowance and pays a third
    _transfer(node, USDT, RENTER, BROKER, 120_000 * usdt)
    _transfer(node, USDT, RENTER, BROKER, 60_000 * usdt)
    node.call(RENTER, USDT, "approve(address,uint256)", ["address", "uint256"], [RENTER_OPS, 50_000 * usdt])
    node.mine(2)
    node.call(RENTER_OPS, USDT, "transferFrom(address,address,uint256)", ["address", "address", "uint256"],
              [RENTER, RENTER_OPS, 20_000 * usdt])
    _transfer(node, USDT, RENTER_OPS, BROKER, 20_000 * usdt)
    # both wallets pay into the same exchange deposit address, which the exchange sweeps to its hot wallet
    _transfer(node, USDT, RENTER, DEPOSIT, 5_000 * usdt)
    _transfer(node, USDT, DEPOSIT, BINANCE_14, 5_000 * usdt)
    node.send(RENTER_OPS, DEPOSIT, value=3 * ETH)
    node.send(DEPOSIT, BINANCE_14, value=3 * ETH - 10**15)
    # 3. the broker pays the hosting company, in USDT and through a forwarding contract in ETH
    _transfer(node, USDT, BROKER, HOST, 150_000 * usdt)
    forwarder = node.deploy("Forwarder", DEV_ACCOUNTS[0])
    node.send(RENTER, BROKER, value=2 * ETH)
    node.call(BROKER, forwarder, "forward(address)", ["address"], [HOST], value=ETH)
    # 4. decentralised compute: a GLM deposit into Golem's lock contract, ATH to a node operator
    _transfer(node, GLM, RENTER, GOLEM_LOCK, 25_000 * glm)
    _transfer(node, ATH, RENTER, NODE_OPERATOR, 5_000 * glm)
    # 5. a small payment from the broker to an OFAC-listed address
    _transfer(node, USDT, BROKER, OFAC_LISTED, 1_500 * usdt)
    node.mine(2)
    return Story()
