"""The demo's world and its check: the story (``story.py``) on a local anvil, started in seconds from a cached state
dump (built once, then cached), the screening case that goes with it (wallets and policy), and the comparison of
what trailscan found with the story's ground truth.

The cache lives in ``$TRAILSCAN_CACHE``, else ``$XDG_CACHE_HOME/trailscan``, else ``~/.cache/trailscan``. Its key
covers the story's code, the contracts and the anvil version, so a changed story or anvil builds the world again.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..errors import TrailscanError
from . import CONTRACTS, Anvil, find_anvil
from . import story as story_module
from .story import Story, build_story, save_state, start_from_state

CACHE_ENV = "TRAILSCAN_CACHE"
POLICY = Path(__file__).resolve().parent / "demo-policy.yaml"

# The wallets the demo screens with `batch`: (reference, actor in the story, index among its addresses), and the
# rules of demo-policy.yaml each must raise (the planted flags, worked out by hand from the story's figures).
SCREENED: tuple[tuple[str, str, int, frozenset[str]], ...] = (
    ("AI company treasury (fictional)", "ai-company", 0, frozenset({"gpu-marketplace", "gpu-broker-near"})),
    # one entity with the treasury once deposit-address reuse has joined them: it screens the same
    ("AI company operations wallet (fictional)", "ai-company", 1, frozenset({"gpu-marketplace", "gpu-broker-near"})),
    ("Singapore intermediary (fictional)", "intermediary", 0, frozenset({"gpu-broker-direct", "gpu-broker-near"})),
    # haircut: 300,000 of its 500,000 went to the vendor, then 1/4 of the 500,000 paid to the broker (125,000)
    ("other client of the intermediary (fictional)", "other-client", 0, frozenset({"gpu-broker-near"})),
    ("airdrop farm collector (fictional)", "airdrop-farmer", 0, frozenset()),
    ("unrelated user (fictional)", "unrelated-users", 0, frozenset()),
    ("unrelated user (fictional)", "unrelated-users", 1, frozenset()),
)


def cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "trailscan"


def world_key() -> str:
    """What the cached world depends on: the story's code, the contracts it places, and the anvil version."""
    digest = hashlib.sha256(Path(story_module.__file__).read_bytes())
    for artifact in sorted(CONTRACTS.glob("*.json")):
        digest.update(artifact.read_bytes())
    try:
        version = subprocess.run([find_anvil(), "--version"], capture_output=True, text=True, timeout=30,
                                 check=False).stdout
    except OSError as exc:
        raise TrailscanError(f"anvil could not be started: {exc}",
                             hint="run 'bash scripts/setup' (npm install) or set TRAILSCAN_ANVIL") from None
    digest.update(version.encode())
    return digest.hexdigest()[:16]


@dataclass
class World:
    node: Anvil
    story: Story
    cached: bool  # started from the cached state dump
    seconds: float
    state: Path

    def stop(self) -> None:
        self.node.stop()


def open_world(*, rebuild: bool = False, cache: Path | None = None) -> World:
    """An anvil (chain id 1, loopback) holding the story world, and its ground truth.

    From the cached state dump when there is one for this story and anvil (``rebuild`` ignores it); else the
    world is built (about 5 s) and its dump and truth are cached for the next run."""
    started = time.monotonic()
    folder = cache or cache_dir()
    key = world_key()
    state, truth = folder / f"story-{key}.state", folder / f"story-{key}.json"
    if not rebuild and state.exists() and truth.exists():
        try:
            story = Story.from_json(json.loads(truth.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError):
            story = None  # a damaged cache entry: build again
        if story is not None:
            node = start_from_state(state)
            if node.block_number() == story.head_block:
                return World(node, story, True, time.monotonic() - started, state)
            node.stop()
    node = Anvil.start(chain_id=1, extra=["--no-request-size-limit"])
    try:
        story = build_story(node)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            save_state(node, state.with_suffix(".tmp")).replace(state)
            tmp = truth.with_suffix(".jsontmp")
            tmp.write_text(json.dumps(story.to_json(), indent=1) + "\n", encoding="utf-8")
            tmp.replace(truth)
        except OSError:
            pass  # an unwritable cache only costs the next run a rebuild
    except BaseException:
        node.stop()
        raise
    return World(node, story, False, time.monotonic() - started, state)


def wallets_csv(story: Story) -> str:
    """The demo's wallet list for ``batch`` (examples/wallets.csv holds the same text)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["address", "chain", "reference"])
    for reference, actor, index, _ in SCREENED:
        writer.writerow([story.actors[actor].addresses[index], "ethereum", reference])
    return buffer.getvalue()


# -- the check against the ground truth -------------------------------------------------------------------------


@dataclass
class Check:
    what: str
    expected: str
    found: str

    @property
    def ok(self) -> bool:
        return self.expected == self.found


def _held(result: dict[str, Any], address: str, asset: str) -> Fraction:
    """Traced value of ``asset`` at the endpoint holding ``address`` (exact)."""
    total = Fraction(0)
    for endpoint in result["exposure"] + result["unlabeled_endpoints"]:
        if address in endpoint["addresses"]:
            for amount in endpoint["amounts"]:
                if amount["asset"] == asset:
                    total += Fraction(amount["exact_raw"] or amount["raw"])
    return total


def _units(raw: Fraction | int, decimals: int, symbol: str) -> str:
    value = Fraction(raw) / 10**decimals
    text = f"{value.numerator // value.denominator:,}" if value.denominator == 1 else f"{float(value):,.6f}"
    return f"{text} {symbol}"


def check_trace(story: Story, result: dict[str, Any]) -> list[Check]:
    """The planted trails from the treasury (default trace: entities, services as stops) against ``result``, a
    ``trace --format json`` result of the story's seed, under the policy it used."""
    policy = result["query"]["policy"]
    decimals = {"USDT": 6, "ETH": 18, "GLM": 18, "RNDR": 18}
    checks = []

    def add(what: str, address: str, asset: str, symbol: str, expected: int) -> None:
        key = "native" if asset == "ETH" else asset
        checks.append(Check(what, _units(expected, decimals[symbol], symbol),
                            _units(_held(result, address, key), decimals[symbol], symbol)))

    t = story.trail
    broker = t("intermediary-broker")
    add("treasury -> intermediary -> GPU broker (USDT; time-order trap)", broker.receiver, broker.asset, "USDT",
        broker.traced[policy])
    add("treasury -> payment forwarder -> GPU broker (ETH, internal transfer)", t("eth-forward").receiver, "ETH",
        "ETH", t("eth-forward").traced[policy])
    deposit = t("treasury-deposit")
    add("company wallets -> their Binance deposit address (USDT)", deposit.receiver, deposit.asset, "USDT",
        deposit.traced[policy] + t("ops-deposit").traced[policy])
    okx = t("intermediary-okx-deposit")
    add("intermediary -> its OKX deposit address (USDT)", okx.receiver, okx.asset, "USDT", okx.traced[policy])
    for name, what in (("glm-golem", "treasury -> Golem lock contract (GLM)"),
                       ("rndr-escrow", "treasury -> render marketplace escrow (RNDR)")):
        trail = t(name)
        add(what, trail.receiver, trail.asset, trail.symbol, trail.traced[policy])
    for address, by_policy in story.held.items():
        add("still held by the intermediary (USDT)", address, story.tokens["USDT"], "USDT", by_policy[policy])
    return checks


def check_clusters(story: Story, cluster_of: dict[str, str | None]) -> list[Check]:
    """Each planted cluster is one cluster: ``cluster_of`` maps each address to its cluster id (None: none)."""
    checks = []
    for planted in story.clusters:
        ids = {cluster_of.get(a) for a in planted.addresses}
        alone = sum(1 for a in planted.addresses if not cluster_of.get(a))
        want = f"{len(planted.addresses)} addresses in one cluster"
        found = want if len(ids) == 1 and not alone else f"{len(ids - {None})} cluster(s), {alone} unclustered"
        checks.append(Check(f"cluster {planted.name} ({planted.heuristic})", want, found))
    return checks


def check_flags(story: Story, summary_rows: list[dict[str, str]]) -> list[Check]:
    """The planted flags of the screened wallets against ``batch``'s summary.csv rows (flag texts of
    demo-policy.yaml, ``; ``-separated)."""
    from ..batch import read_policy

    text = {rule.name: rule.flag for rule in read_policy(POLICY).rules}
    by_address = {row["address"]: row for row in summary_rows}
    checks = []
    for reference, actor, index, rules in SCREENED:
        address = story.actors[actor].addresses[index]
        row = by_address.get(address)
        if row is None:
            found = "missing"
        elif row.get("status") != "ok":
            found = "error: " + row.get("error", "")
        else:
            found = "; ".join(sorted(f for f in row.get("flags", "").split("; ") if f)) or "no flag"
        want = "; ".join(sorted(text[r] for r in rules)) or "no flag"
        checks.append(Check(f"batch: {reference} {address[:10]}", want, found))
    return checks


__all__ = ["CACHE_ENV", "POLICY", "SCREENED", "Check", "World", "cache_dir", "check_clusters", "check_flags",
           "check_trace", "open_world", "wallets_csv", "world_key"]
