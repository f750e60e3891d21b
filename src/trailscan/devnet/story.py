"""The story world of issue 9: a GPU-rental payment story on a local chain with chain id 1, with its ground truth.

A fictional AI company's treasury pays a fictional Singapore intermediary in USDT, directly and through its own
exchange deposit address (a second treasury wallet uses the same deposit address, so deposit-address reuse links
the two wallets); the intermediary pays a fictional GPU broker; the broker pays two fictional server investors and
a fictional data-centre operator. The company also buys decentralised GPU time with GLM (into Golem's mainnet lock
contract address) and with RNDR (into a fictional render-marketplace escrow), and pays the broker ETH that moves
only as an internal transfer through a forwarding contract. An airdrop to 1,200 recipients (30 of them one airdrop
farmer's wallets) and unrelated users paying each other add at least ``noise`` transfers.

Test tokens are placed at the real mainnet addresses of USDT, USDC, RNDR, GLM and ATH, and the exchange hot wallets
are real labeled addresses (Binance 14, OKX), so that shipped labels apply. Every other address is derived from a
name (sha256), belongs to no one, and is labeled as fictional in ``labels/story.yaml``. None of these transactions
happened on Ethereum.

The planted figures (raw units, USDT has 6 decimals) are worked out by hand for trailscan's policies
(``tracing/policies.py``), traced from the company's main treasury wallet hop by hop; ``Trail.after_stop`` says where
a default trace (services are stops) ends first, and ``Trail.entities_only`` marks the second treasury wallet's
flows, which are the seed's only when clustering has joined the two wallets. The time-order trap: the intermediary
held 500,000 USDT from another client and paid 300,000 to a hardware vendor before the treasury's 600,000 arrived;
out of 200,000 clean + 600,000 traced it then paid the broker 500,000: haircut 375,000, poison 500,000, FIFO 300,000.
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ..errors import TrailscanError
from . import DEV_ACCOUNTS, Anvil, calldata

USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
USDC = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
GLM = "0x7dd9c5cba05e151c895fde1cf355c9a1d5da6429"
RNDR = "0x6de037ef9ad2725eb40118bb1702ebb27e4aeb24"
ATH = "0xbe0ed4138121ecfc5c0e56b40517da27e6c5226b"
BINANCE_14 = "0x28c6c06298d514db089934071355e5743bf21d60"  # labels/exchanges.yaml
OKX = "0x6cc5f688a315f3dc28a7781717a9a798a59fda7b"  # labels/exchanges.yaml
GOLEM_LOCK = "0xe440b576088d0a18340cae5b2cff43502f1cf588"  # labels/gpu-marketplaces.yaml
ETH = 10**18
USD = 10**6
TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
POLICIES = ("haircut", "poison", "fifo")
AIRDROP_RECIPIENTS = 1_200
FARM_WALLETS = 30
NOISE_USERS = 400
BATCH = 2_000
PER_BLOCK = 250  # noise transactions per block
PACK = Path(__file__).resolve().parent / "labels" / "story.yaml"


def addr(name: str) -> str:
    """A fictional actor's address, derived from its name: no one holds its key."""
    return "0x" + hashlib.sha256(f"trailscan-story:{name}".encode()).hexdigest()[:40]


# The fictional actors; the tags are in labels/story.yaml (see label_pack()).
TREASURY = addr("ai company treasury")
TREASURY_2 = addr("ai company operations wallet")  # untagged: deposit-address reuse links it to TREASURY
COMPANY_DEPOSIT = addr("ai company deposit at binance")  # the company's deposit address at Binance (untagged)
INTERMEDIARY = addr("singapore intermediary")
INTERMEDIARY_2 = addr("singapore intermediary second wallet")  # untagged: self-authorization links it
INTERMEDIARY_DEPOSIT = addr("singapore intermediary deposit at okx")  # untagged
OTHER_CLIENT = addr("other client of the intermediary")
HARDWARE_VENDOR = addr("hardware vendor paid earlier")
BROKER = addr("gpu broker")
INVESTOR_1 = addr("server investor 1")
INVESTOR_2 = addr("server investor 2")
DATA_CENTRE = addr("data-centre operator")
RENDER_ESCROW = addr("render marketplace escrow")
FORWARDER = addr("company payment forwarder contract")
AIRDROP_TOKEN = addr("example airdrop token")
AIRDROP_SOURCE = addr("airdrop distributor")
FARM_COLLECTOR = addr("airdrop farm collector")

TOKENS = {USDT: ("Tether USD", "USDT", 6), USDC: ("USD Coin", "USDC", 6), GLM: ("Golem Network Token", "GLM", 18),
          RNDR: ("Render Token", "RNDR", 18), ATH: ("Aethir Token", "ATH", 18),
          AIRDROP_TOKEN: ("Example Airdrop Token (fictional)", "XDROP", 18)}

# (address, label, category, actor id) of every tag in the case pack
TAGS: tuple[tuple[str, str, str, str], ...] = (
    (TREASURY, "Example AI company treasury (fictional)", "other", "example-ai-company"),
    # "other", not the service category otc-desk: a trace stops at services, and the trap is behind this one
    (INTERMEDIARY, "Example Singapore intermediary (fictional)", "other", "example-sg-intermediary"),
    (OTHER_CLIENT, "Example other client of the intermediary (fictional)", "other", "example-other-client"),
    (HARDWARE_VENDOR, "Example hardware vendor (fictional)", "other", "example-hardware-vendor"),
    (BROKER, "Example GPU broker (fictional)", "gpu-broker", "example-gpu-broker"),
    (INVESTOR_1, "Example server investor 1 (fictional)", "other", "example-server-investor-1"),
    (INVESTOR_2, "Example server investor 2 (fictional)", "other", "example-server-investor-2"),
    (DATA_CENTRE, "Example data-centre operator (fictional)", "data-centre", "example-data-centre"),
    (RENDER_ESCROW, "Example render marketplace escrow (fictional)", "gpu-marketplace", "example-render-market"),
    (FORWARDER, "Example AI company payment forwarder (fictional)", "other", "example-ai-company"),
    (AIRDROP_SOURCE, "Example airdrop distributor (fictional)", "other", "example-airdrop"),
)


def label_pack() -> str:
    """The text of labels/story.yaml: a TagPack of the fictional actors (the test checks the file matches)."""
    lines = [
        "# Case label pack of trailscan's story world (trailscan.devnet.story): every actor here is invented.",
        "# The addresses are derived from names (sha256); no person or company holds them. Do not ship as real.",
        "title: Story world actors (fictional)",
        "creator: trailscan (trailscan.devnet.story)",
        "source: 'fictional example: trailscan src/trailscan/devnet/labels/story.yaml (invented actors of the"
        " devnet story world, no real person or company)'",
        "confidence: manual_transaction",
        "network: ethereum",
        "tags:",
    ]
    for address, label, category, actor in TAGS:
        lines += [f"- address: '{address}'", f"  label: {label}", f"  category: {category}", f"  actor: {actor}"]
    return "\n".join(lines) + "\n"


@dataclass
class Actor:
    role: str
    addresses: list[str]
    label: str | None = None  # the case-pack label, or the shipped label for real labeled addresses
    fictional: bool = True


@dataclass
class Trail:
    """One planted transfer on a traced path: the traced value it carries under each policy (raw units)."""

    name: str
    sender: str
    receiver: str
    asset: str  # token address, or "ETH"
    symbol: str
    amount: int
    traced: dict[str, int]  # policy -> traced raw amount carried, traced from Story.seed
    tx_hash: str
    internal: bool = False  # value moved only inside a contract call
    note: str = ""
    # why a default trace (services are stops) ends before this hop, if it does; the figures hold when it goes on
    after_stop: str | None = None
    entities_only: bool = False  # traced only with the company's two wallets as one entity (after clustering)


@dataclass
class Cluster:
    name: str
    heuristic: str
    addresses: list[str]
    evidence: list[str]  # transaction hashes


@dataclass
class Story:
    """The ground truth of a built story world."""

    chain_id: int
    seed: str  # the traced wallet of the planted trails
    actors: dict[str, Actor] = field(default_factory=dict)
    clusters: list[Cluster] = field(default_factory=list)
    trails: list[Trail] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)  # symbol -> address
    # traced value an address still holds at the end (raw units, per policy), where a default trace rests
    held: dict[str, dict[str, int]] = field(default_factory=dict)
    noise_transfers: int = 0  # transfers sent as noise (airdrop, farm, user payments, their mints)
    transfer_logs: int = 0  # ERC-20 Transfer logs on the chain after building
    head_block: int = 0
    seconds: float = 0.0

    def trail(self, name: str) -> Trail:
        return next(t for t in self.trails if t.name == name)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for trail in data["trails"]:  # uint256 amounts as decimal strings: exact in every JSON reader
            trail["amount"] = str(trail["amount"])
            trail["traced"] = {k: str(v) for k, v in trail["traced"].items()}
        data["held"] = {a: {k: str(v) for k, v in by.items()} for a, by in data["held"].items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Story:
        """The ground truth again, from :meth:`to_json` output."""
        story = cls(**{k: v for k, v in data.items() if k not in ("actors", "clusters", "trails", "held")})
        story.actors = {k: Actor(**v) for k, v in data["actors"].items()}
        story.clusters = [Cluster(**c) for c in data["clusters"]]
        story.trails = [Trail(**{**t, "amount": int(t["amount"]),
                                 "traced": {k: int(v) for k, v in t["traced"].items()}}) for t in data["trails"]]
        story.held = {a: {k: int(v) for k, v in by.items()} for a, by in data["held"].items()}
        return story


# -- sending ----------------------------------------------------------------------------------------------------


class _Node(Anvil):
    """The same anvil, over one kept-alive HTTP client: a new client per call costs ~20 ms (TLS set-up)."""

    def __init__(self, node: Anvil, client: httpx.Client) -> None:
        super().__init__(node.url, node.process, node.chain_id)
        self.client = client

    def rpc(self, method: str, *params: Any) -> Any:
        return self.batch([(method, list(params))])[0]

    def batch(self, requests: list[tuple[str, list[Any]]]) -> list[Any]:
        """Several JSON-RPC calls, ``BATCH`` to an HTTP request; raises on the first error."""
        results: list[Any] = []
        for start in range(0, len(requests), BATCH):
            chunk = requests[start:start + BATCH]
            body = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(chunk)]
            answers = self.client.post(self.url, json=body).json()
            answers.sort(key=lambda a: a["id"])
            for (method, _), answer in zip(chunk, answers, strict=True):
                if "error" in answer:
                    raise TrailscanError(f"anvil {method} failed: {answer['error'].get('message')}")
                results.append(answer["result"])
        return results


class _Sender:
    """Sends many transactions fast: batched, with explicit nonces and gas, ``PER_BLOCK`` to a block."""

    def __init__(self, node: _Node) -> None:
        self.node = node
        self.nonces: dict[str, int] = {}
        self.pending: list[tuple[str, str, str]] = []  # sender, to, calldata

    def transfer(self, token: str, sender: str, to: str, amount: int) -> None:
        self.pending.append((sender, token, calldata("transfer(address,uint256)", ["address", "uint256"],
                                                     [to, amount])))

    def mint(self, token: str, to: str, amount: int) -> None:
        self.pending.append((DEV_ACCOUNTS[0], token, calldata("mint(address,uint256)", ["address", "uint256"],
                                                              [to, amount])))

    def flush(self) -> list[str]:
        """Send what is pending, ``PER_BLOCK`` transactions a block, and check every receipt."""
        node = self.node
        unknown = sorted({sender for sender, _, _ in self.pending} - set(self.nonces))
        counts = node.batch([("eth_getTransactionCount", [a, "pending"]) for a in unknown])
        self.nonces.update({a: int(n, 16) for a, n in zip(unknown, counts, strict=True)})
        requests: list[tuple[str, list[Any]]] = []
        for sender, to, data in self.pending:
            nonce = self.nonces[sender]
            self.nonces[sender] = nonce + 1
            requests.append(("eth_sendTransaction", [{"from": sender, "to": to, "data": data, "gas": hex(90_000),
                                                      "nonce": hex(nonce)}]))
        node.rpc("evm_setAutomine", False)  # automine races with nonces arriving out of order within a batch
        hashes: list[str] = []
        try:
            for start in range(0, len(requests), PER_BLOCK):
                hashes += [str(h) for h in node.batch(requests[start:start + PER_BLOCK])]
                node.mine(1)
            for _ in range(1_000):
                status = node.rpc("txpool_status")
                if not int(status["pending"], 16) and not int(status["queued"], 16):
                    break
                node.mine(1)
        finally:
            node.rpc("evm_setAutomine", True)
        self.pending = []
        receipts = node.batch([("eth_getTransactionReceipt", [h]) for h in hashes])
        failed = sum(1 for r in receipts if r is None or r["status"] != "0x1")
        if failed:
            raise TrailscanError(f"{failed} of {len(hashes)} noise transactions were not mined or failed")
        return hashes


def _transfer(node: Anvil, token: str, sender: str, to: str, amount: int) -> str:
    return _checked(node, node.call(sender, token, "transfer(address,uint256)", ["address", "uint256"], [to, amount]))


def _checked(node: Anvil, tx_hash: str) -> str:
    receipt = node.receipt(tx_hash)
    for _ in range(100):  # after a large batch, automine can leave a ready transaction for the next block
        if receipt is not None:
            break
        time.sleep(0.01)
        node.mine(1)
        receipt = node.receipt(tx_hash)
    if receipt is None or receipt["status"] != "0x1":
        raise TrailscanError(f"story transaction {tx_hash} failed")
    return tx_hash


def _fund(node: _Node, addresses: list[str], wei: int) -> None:
    node.batch([("anvil_setBalance", [a, hex(wei)]) for a in addresses])


# -- the world --------------------------------------------------------------------------------------------------


def build_story(node: Anvil, *, noise: int = 10_000, seed: int = 9) -> Story:
    """Play the story on ``node`` (a fresh anvil with chain id 1) and return its ground truth.

    At least ``noise`` noise transfers are sent (a 1,200-recipient airdrop, 30 farm forwards, 400 mints, and
    payments among unrelated users for the rest); ``seed`` fixes who pays whom in the noise.
    """
    if node.chain_id != 1:
        raise TrailscanError("the story world needs an anvil with chain id 1 (shipped labels are for Ethereum)")
    with httpx.Client(timeout=300) as client:
        return _build(_Node(node, client), noise, seed)


def _build(node: _Node, noise: int, seed: int) -> Story:
    started = time.monotonic()
    node.rpc("anvil_autoImpersonateAccount", True)
    # a block gas limit far above what a batch uses keeps the base fee from climbing while the noise is sent
    node.rpc("evm_setBlockGasLimit", hex(1_000_000_000))
    for address, (name, symbol, decimals) in TOKENS.items():
        node.place("Token", address)
        node.call(DEV_ACCOUNTS[0], address, "setup(string,string,uint8)", ["string", "string", "uint8"],
                  [name, symbol, decimals])
    for contract in (FORWARDER, GOLEM_LOCK, RENDER_ESCROW):  # contracts, as marketplace escrows are
        node.place("Forwarder", contract)
    people = [TREASURY, TREASURY_2, COMPANY_DEPOSIT, INTERMEDIARY, INTERMEDIARY_2, INTERMEDIARY_DEPOSIT,
              OTHER_CLIENT, HARDWARE_VENDOR, BROKER, INVESTOR_1, INVESTOR_2, DATA_CENTRE, AIRDROP_SOURCE,
              FARM_COLLECTOR, BINANCE_14, OKX]
    _fund(node, people, 1_000 * ETH)

    rng = random.Random(seed)
    sender = _Sender(node)
    users = [addr(f"unrelated user {i}") for i in range(NOISE_USERS)]
    recipients = [addr(f"airdrop recipient {i}") for i in range(AIRDROP_RECIPIENTS)]
    farm = recipients[:: AIRDROP_RECIPIENTS // FARM_WALLETS][:FARM_WALLETS]
    _fund(node, users + farm, 10 * ETH)
    noise_sent = 0

    # -- noise, first half: balances for the unrelated users, and the airdrop ----------------------------------
    for user in users:
        sender.mint(_holds(users)[user], user, 1_000_000 * USD)
    sender.mint(AIRDROP_TOKEN, AIRDROP_SOURCE, AIRDROP_RECIPIENTS * 100 * ETH)
    for recipient in recipients:
        sender.transfer(AIRDROP_TOKEN, AIRDROP_SOURCE, recipient, 100 * ETH)
    noise_sent += len(sender.pending)
    airdrop_hashes = sender.flush()[-AIRDROP_RECIPIENTS:]
    user_payments = max(0, noise - noise_sent - FARM_WALLETS)
    noise_sent += _user_payments(sender, rng, users, user_payments // 2)

    # -- the story ---------------------------------------------------------------------------------------------
    story = Story(chain_id=1, seed=TREASURY, tokens={v[1]: k for k, v in TOKENS.items()})
    mint = "mint(address,uint256)"
    for to, token, amount in ((TREASURY, USDT, 1_000_000 * USD), (TREASURY_2, USDT, 100_000 * USD),
                              (OTHER_CLIENT, USDT, 500_000 * USD), (BINANCE_14, USDT, 10_000_000 * USD),
                              (BINANCE_14, GLM, 1_000_000 * ETH), (BINANCE_14, RNDR, 1_000_000 * ETH),
                              (INTERMEDIARY, USDC, 50_000 * USD)):
        _checked(node, node.call(DEV_ACCOUNTS[0], token, mint, ["address", "uint256"], [to, amount]))
    node.mine(3)
    t: dict[str, str] = {}
    # the time-order trap: the intermediary holds another client's funds and pays a vendor before ours arrive
    t["other-client"] = _transfer(node, USDT, OTHER_CLIENT, INTERMEDIARY, 500_000 * USD)
    node.mine(2)
    t["vendor-before"] = _transfer(node, USDT, INTERMEDIARY, HARDWARE_VENDOR, 300_000 * USD)
    node.mine(2)
    t["treasury-intermediary"] = _transfer(node, USDT, TREASURY, INTERMEDIARY, 600_000 * USD)
    node.mine(1)
    # the treasury pays part through its own Binance deposit address; the second wallet uses the same one
    t["treasury-deposit"] = _transfer(node, USDT, TREASURY, COMPANY_DEPOSIT, 200_000 * USD)
    node.mine(4)
    t["deposit-sweep-1"] = _transfer(node, USDT, COMPANY_DEPOSIT, BINANCE_14, 200_000 * USD)
    node.mine(2)
    t["ops-deposit"] = _transfer(node, USDT, TREASURY_2, COMPANY_DEPOSIT, 50_000 * USD)
    node.mine(3)
    t["deposit-sweep-2"] = _transfer(node, USDT, COMPANY_DEPOSIT, BINANCE_14, 50_000 * USD)
    node.mine(2)
    t["intermediary-broker"] = _transfer(node, USDT, INTERMEDIARY, BROKER, 500_000 * USD)
    node.mine(2)
    # the exchange pays the intermediary out (a withdrawal: untraced, the trace stops at the hot wallet)
    t["binance-withdrawal"] = _transfer(node, USDT, BINANCE_14, INTERMEDIARY, 250_000 * USD)
    node.mine(2)
    t["broker-investor-1"] = _transfer(node, USDT, BROKER, INVESTOR_1, 150_000 * USD)
    t["broker-investor-2"] = _transfer(node, USDT, BROKER, INVESTOR_2, 150_000 * USD)
    node.mine(1)
    t["broker-data-centre"] = _transfer(node, USDT, BROKER, DATA_CENTRE, 200_000 * USD)
    node.mine(2)
    t["intermediary-okx-deposit"] = _transfer(node, USDT, INTERMEDIARY, INTERMEDIARY_DEPOSIT, 110_000 * USD)
    node.mine(3)
    t["okx-sweep"] = _transfer(node, USDT, INTERMEDIARY_DEPOSIT, OKX, 110_000 * USD)
    node.mine(2)
    # decentralised GPU time: GLM and RNDR withdrawn from Binance, paid into marketplace escrows
    t["glm-withdrawal"] = _transfer(node, GLM, BINANCE_14, TREASURY, 30_000 * ETH)
    t["rndr-withdrawal"] = _transfer(node, RNDR, BINANCE_14, TREASURY, 15_000 * ETH)
    node.mine(2)
    t["glm-golem"] = _transfer(node, GLM, TREASURY, GOLEM_LOCK, 25_000 * ETH)
    t["rndr-escrow"] = _transfer(node, RNDR, TREASURY, RENDER_ESCROW, 12_000 * ETH)
    node.mine(2)
    # ETH that moves only as an internal transfer: the company's forwarder pays the broker
    t["eth-forward"] = _checked(node, node.call(TREASURY, FORWARDER, "forward(address)", ["address"], [BROKER],
                                                value=40 * ETH))
    # two intermediary wallets: one draws USDC from the other on an allowance (self-authorization)
    t["approve"] = _checked(node, node.call(INTERMEDIARY, USDC, "approve(address,uint256)", ["address", "uint256"],
                                            [INTERMEDIARY_2, 30_000 * USD]))
    node.mine(1)
    t["pull"] = _checked(node, node.call(INTERMEDIARY_2, USDC, "transferFrom(address,address,uint256)",
                                         ["address", "address", "uint256"],
                                         [INTERMEDIARY, INTERMEDIARY_2, 20_000 * USD]))
    node.mine(2)

    # -- noise, second half: the farm wallets forward their airdrop, and more user payments --------------------
    for wallet in farm:
        sender.transfer(AIRDROP_TOKEN, wallet, FARM_COLLECTOR, 100 * ETH)
    farm_hashes = sender.flush()
    noise_sent += FARM_WALLETS
    noise_sent += _user_payments(sender, rng, users, user_payments - user_payments // 2)
    node.mine(2)

    _plant(story, t, users, recipients, farm, airdrop_hashes, farm_hashes)
    story.noise_transfers = noise_sent
    logs = node.rpc("eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest", "topics": [TRANSFER_TOPIC]})
    story.transfer_logs = len(logs)
    story.head_block = node.block_number()
    story.seconds = round(time.monotonic() - started, 2)
    return story


def _holds(users: list[str]) -> dict[str, str]:
    return {u: USDC if i % 2 else USDT for i, u in enumerate(users)}


def _user_payments(sender: _Sender, rng: random.Random, users: list[str], count: int) -> int:
    """``count`` small payments among unrelated users, in USDT or USDC (each user holds a million of one)."""
    holds = _holds(users)
    for _ in range(count):
        a, b = rng.sample(users, 2)
        sender.transfer(holds[a], a, b, rng.randint(1, 500) * USD + rng.randint(0, USD - 1))
    sender.flush()
    return count


def _plant(story: Story, t: dict[str, str], users: list[str], recipients: list[str], farm: list[str],
           airdrop_hashes: list[str], farm_hashes: list[str]) -> None:
    a = story.actors
    a["ai-company"] = Actor("AI company (renter of GPU compute); TREASURY is the traced seed",
                            [TREASURY, TREASURY_2], "Example AI company treasury (fictional)")
    a["ai-company-deposit"] = Actor("exchange deposit address at Binance used by both company wallets",
                                    [COMPANY_DEPOSIT])
    a["intermediary"] = Actor("Singapore intermediary (otc-desk)", [INTERMEDIARY, INTERMEDIARY_2],
                              "Example Singapore intermediary (fictional)")
    a["intermediary-deposit"] = Actor("the intermediary's exchange deposit address at OKX", [INTERMEDIARY_DEPOSIT])
    a["other-client"] = Actor("another client of the intermediary (clean funds)", [OTHER_CLIENT],
                              "Example other client of the intermediary (fictional)")
    a["hardware-vendor"] = Actor("paid by the intermediary before the traced funds arrived", [HARDWARE_VENDOR],
                                 "Example hardware vendor (fictional)")
    a["gpu-broker"] = Actor("GPU broker", [BROKER], "Example GPU broker (fictional)")
    a["server-investor-1"] = Actor("server investor", [INVESTOR_1], "Example server investor 1 (fictional)")
    a["server-investor-2"] = Actor("server investor", [INVESTOR_2], "Example server investor 2 (fictional)")
    a["data-centre"] = Actor("data-centre operator", [DATA_CENTRE], "Example data-centre operator (fictional)")
    a["render-escrow"] = Actor("render marketplace escrow (a contract)", [RENDER_ESCROW],
                               "Example render marketplace escrow (fictional)")
    a["payment-forwarder"] = Actor("the company's forwarding contract (ETH leaves it as an internal transfer)",
                                   [FORWARDER], "Example AI company payment forwarder (fictional)")
    a["airdrop-distributor"] = Actor("airdrop source", [AIRDROP_SOURCE], "Example airdrop distributor (fictional)")
    a["airdrop-farmer"] = Actor("one operator's airdrop wallets and their collector", [FARM_COLLECTOR, *farm])
    a["binance"] = Actor("exchange hot wallet (shipped label)", [BINANCE_14], "Binance 14", fictional=False)
    a["okx"] = Actor("exchange hot wallet (shipped label)", [OKX], "OKX (formerly OKEx)", fictional=False)
    a["golem"] = Actor("Golem lock contract (shipped label)", [GOLEM_LOCK], "Golem lock-contract (mainnet)",
                       fictional=False)
    a["airdrop-recipients"] = Actor("airdrop recipients (noise; the farm wallets among them)", recipients)
    a["unrelated-users"] = Actor("unrelated users paying each other (noise)", users)

    story.clusters = [
        Cluster("ai-company", "deposit-address reuse", [TREASURY, TREASURY_2],
                [t["treasury-deposit"], t["deposit-sweep-1"], t["ops-deposit"], t["deposit-sweep-2"]]),
        Cluster("intermediary", "self-authorization", [INTERMEDIARY, INTERMEDIARY_2], [t["approve"], t["pull"]]),
        Cluster("airdrop-farmer", "airdrop multi-participation", [FARM_COLLECTOR, *farm],
                [airdrop_hashes[recipients.index(w)] for w in farm] + farm_hashes),
    ]

    def same(x: int) -> dict[str, int]:
        return dict.fromkeys(POLICIES, x)

    def trail(name: str, frm: str, to: str, amount: int, traced: dict[str, int], *, asset: str = USDT,
              symbol: str = "USDT", internal: bool = False, note: str = "", after_stop: str | None = None,
              entities_only: bool = False, tx: str | None = None) -> None:
        story.trails.append(Trail(name, frm, to, asset, symbol, amount, traced, t[tx or name], internal, note,
                                  after_stop, entities_only))

    u = USD
    # the intermediary keeps what the three payments out did not carry: 600,000 - 375,000 - 45,000 (haircut);
    # poison ran out at 600,000 - 500,000 - 110,000 < 0; FIFO keeps 600,000 - 300,000 - 110,000
    story.held[INTERMEDIARY] = {"haircut": 180_000 * u, "poison": 0, "fifo": 190_000 * u}
    deposit_stop = "exchange-deposit, once clustering has found the deposit address (a service)"
    trail("vendor-before", INTERMEDIARY, HARDWARE_VENDOR, 300_000 * u, same(0),
          note="time-order trap: paid before the traced funds arrived, so it carries none")
    trail("treasury-intermediary", TREASURY, INTERMEDIARY, 600_000 * u, same(600_000 * u))
    trail("treasury-deposit", TREASURY, COMPANY_DEPOSIT, 200_000 * u, same(200_000 * u))
    trail("deposit-sweep-1", COMPANY_DEPOSIT, BINANCE_14, 200_000 * u, same(200_000 * u),
          note="endpoint: exchange hot wallet (Binance 14)", after_stop=deposit_stop)
    trail("ops-deposit", TREASURY_2, COMPANY_DEPOSIT, 50_000 * u, same(50_000 * u), entities_only=True,
          note="the second treasury wallet's deposit: the seed's only when both wallets are traced as one entity")
    trail("deposit-sweep-2", COMPANY_DEPOSIT, BINANCE_14, 50_000 * u, same(50_000 * u), entities_only=True,
          note="endpoint: exchange hot wallet (Binance 14)", after_stop=deposit_stop)
    trail("intermediary-broker", INTERMEDIARY, BROKER, 500_000 * u,
          {"haircut": 375_000 * u, "poison": 500_000 * u, "fifo": 300_000 * u},
          note="out of 200,000 clean + 600,000 traced held")
    for name, to, amount in (("broker-investor-1", INVESTOR_1, 150_000), ("broker-investor-2", INVESTOR_2, 150_000),
                             ("broker-data-centre", DATA_CENTRE, 200_000)):
        # the broker's one lot: 500,000 of which traced 375,000 (haircut), 500,000 (poison), 300,000 (FIFO)
        trail(name, BROKER, to, amount * u,
              {"haircut": amount * 3 // 4 * u, "poison": amount * u, "fifo": amount * 3 // 5 * u},
              after_stop="gpu-broker label (a service); trace on with --stop leaving gpu-broker out")
    trail("intermediary-okx-deposit", INTERMEDIARY, INTERMEDIARY_DEPOSIT, 110_000 * u,
          {"haircut": 45_000 * u, "poison": 110_000 * u, "fifo": 110_000 * u},
          note="after an untraced 250,000 withdrawal from Binance arrived: haircut 110,000 x 225,000/550,000")
    trail("okx-sweep", INTERMEDIARY_DEPOSIT, OKX, 110_000 * u,
          {"haircut": 45_000 * u, "poison": 110_000 * u, "fifo": 110_000 * u},
          note="endpoint: exchange hot wallet (OKX)", after_stop=deposit_stop)
    trail("glm-golem", TREASURY, GOLEM_LOCK, 25_000 * ETH, same(25_000 * ETH), asset=GLM, symbol="GLM",
          note="the treasury's GLM came from a Binance withdrawal (30,000); all of it is the seed's")
    trail("rndr-escrow", TREASURY, RENDER_ESCROW, 12_000 * ETH, same(12_000 * ETH), asset=RNDR, symbol="RNDR")
    trail("eth-to-forwarder", TREASURY, FORWARDER, 40 * ETH, same(40 * ETH), asset="ETH", symbol="ETH",
          tx="eth-forward", note="the transaction's own value, into the company's forwarding contract")
    trail("eth-forward", FORWARDER, BROKER, 40 * ETH, same(40 * ETH), asset="ETH", symbol="ETH", internal=True,
          note="the treasury calls the forwarder with 40 ETH; the contract sends it on inside the call")


# -- state dumps ------------------------------------------------------------------------------------------------


def save_state(node: Anvil, path: Path | str) -> Path:
    """Write anvil's state (``anvil_dumpState``: gzipped JSON, hex-encoded over RPC) to ``path`` as bytes."""
    dump: str = node.rpc("anvil_dumpState")
    target = Path(path)
    target.write_bytes(bytes.fromhex(dump.removeprefix("0x")))
    return target


def load_state(node: Anvil, path: Path | str) -> None:
    """Load a state written by :func:`save_state` into ``node`` (``anvil_loadState``).

    The story's state is about 3 MB compressed, 6 MB as hex: above anvil's default 2 MB request limit, so the
    node must run with ``--no-request-size-limit`` (:func:`start_from_state` does that).
    """
    data = Path(path).read_bytes()
    try:
        loaded = node.rpc("anvil_loadState", "0x" + data.hex())
    except TrailscanError as exc:
        raise TrailscanError(f"anvil could not load the state in {path}: {exc}",
                             hint="start anvil with extra=['--no-request-size-limit'] (see start_from_state)") from exc
    if not loaded:
        raise TrailscanError(f"anvil could not load the state in {path}")


def start_from_state(path: Path | str, *, chain_id: int = 1) -> Anvil:
    """A new anvil (chain id 1, no request size limit) holding the state saved in ``path``."""
    node = Anvil.start(chain_id=chain_id, extra=["--no-request-size-limit"])
    try:
        load_state(node, path)
    except BaseException:
        node.stop()
        raise
    return node


__all__ = ["PACK", "TAGS", "Actor", "Cluster", "Story", "Trail", "addr", "build_story", "label_pack", "load_state",
           "save_state", "start_from_state"]
