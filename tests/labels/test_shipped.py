"""The shipped labels: every fact of label-facts.csv, each with its source; package copy identical; clean."""

from __future__ import annotations

import csv
import filecmp
from pathlib import Path

import pytest

from trailscan.chains import CHAINS, get_chain
from trailscan.labels import LabelSet, load_labels, shipped_dir
from trailscan.labels.validate import validate

REPO_LABELS = Path(__file__).resolve().parents[2] / "labels"
FACTS = REPO_LABELS / "label-facts.csv"
WRONG_VALUES = [  # circulating in public code, never to be shipped (label-sources.md)
    "TLZSucJRjnqBKwvQz6n5hd29gbS4P7u7w8", "TEkxiTe7yvxSfsMvBkUM9YH997k6S8tV9X",
    "nosXBqwB22HkM3pJo9YqQhG1hHh2gQ5pXhS7vXkXVmQ", "0x4BC195D2dC6Bf3B8e1C5b7e1D5C9aF3E2b7d1C0a",
    "0x1200000000000000000000000000000000000021", "nosJwntQe4eEnFC2mCsY9J15qw7kRQCDqcjcPj6aPbR",
    "TSTntXiYheDFtAdQ1pNBM2QQncA22PCFLLRr53uBa8i", "0xc87B37a581ec3257B734886d9d3a581F5A9d056c",
    "akash14pphss726thpwws3yc458hggufynm9x77l4l2u", "akash17xpfvakm2amg962yls6f84z3kell8c5lazw8j8",
]


@pytest.fixture(scope="module")
def shipped() -> LabelSet:
    return load_labels([])


def rows() -> list[dict[str, str]]:
    with FACTS.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_facts_copy_matches_the_shared_file_when_present() -> None:
    shared = Path(__file__).resolve().parents[3] / "shared" / "data" / "label-facts.csv"
    if shared.exists():
        assert shared.read_bytes() == FACTS.read_bytes()


@pytest.mark.parametrize("row", rows(), ids=lambda r: f"{r['chain']}:{r['address'][:12]}")
def test_every_fact_is_shipped_with_its_source(shipped: LabelSet, row: dict[str, str]) -> None:
    chain = get_chain(row["chain"])
    address = row["address"] if row["address"] == "uakt" else chain.address(row["address"])
    tags = shipped.lookup(chain.key, address)
    assert [(t.label, t.category, t.source) for t in tags] == [(row["entity"], row["category"], row["source"])]
    assert tags[0].layer == "shipped"


def test_nothing_is_shipped_beyond_the_facts(shipped: LabelSet) -> None:
    # besides the facts: the module accounts trailscan derives (labels.derived), one per declared module
    derived = sum(len(c.module_accounts) for c in CHAINS)
    assert derived == 1 and len(shipped) == len(rows()) + derived


def test_known_wrong_values_are_not_shipped() -> None:
    text = "".join(p.read_text() for p in REPO_LABELS.glob("*.yaml"))
    for wrong in WRONG_VALUES:
        assert wrong.lower() not in text.lower()


def test_package_data_is_identical_to_the_repository_labels() -> None:
    names = sorted(p.name for p in REPO_LABELS.iterdir())
    assert names == sorted(p.name for p in shipped_dir().iterdir() if p.name != "__pycache__")
    _same, mismatch, errors = filecmp.cmpfiles(REPO_LABELS, shipped_dir(), names, shallow=False)
    assert (mismatch, errors) == ([], []), "run scripts/build_labels.py to copy labels/ into the package"


def test_shipped_set_validates_cleanly() -> None:
    assert validate(None, []) == []
    assert validate(REPO_LABELS) == []


def test_shipped_set_has_no_conflicts(shipped: LabelSet) -> None:
    assert shipped.conflicts == []


def test_etherscan_derived_tags_are_marked(shipped: LabelSet) -> None:
    (binance,) = shipped.lookup("eip155:1", "0x3f5ce5fbfe3e9af3971dd833d26ba9b5c936f0be")
    assert binance.origin == "etherscan"
    (usdt,) = shipped.lookup("eip155:1", "0xdac17f958d2ee523a2206206994597c13d831ec7")
    assert usdt.origin is None


def test_token_decimals_come_only_from_the_notes(shipped: LabelSet) -> None:
    decimals = {(t.chain, t.asset): t.decimals for t in shipped.tokens.values()}
    assert decimals[("eip155:1", "0x720cd16b011b987da3518fbf38c3071d4f0d1495")] is None  # conflicting lists
    assert decimals[("eip155:43114", "0xc4b06f17eccb2215a5dbf042c672101fc20daf55")] == 8
    assert decimals[("eip155:56", "0x55d398326f99059ff775485246999027b3197955")] is None  # "read on-chain"
    assert decimals[("eip155:1", "0x607f4c5bb672230e8672085532f7e901544a7375")] == 9
    assert decimals[("cosmos:akashnet-2", "uakt")] == 6
    stable = {t.symbol for t in shipped.tokens.values() if t.stablecoin}
    assert stable == {"USDT", "USDC", "USDC.e", "USDT0", "USDbC"}


def test_every_token_row_has_a_registry_entry(shipped: LabelSet) -> None:
    for row in rows():
        if row["category"] in ("gpu-token", "stablecoin"):
            chain = get_chain(row["chain"])
            asset = row["address"] if row["address"] == "uakt" else chain.address(row["address"])
            assert shipped.token(chain.key, asset) is not None, row


def test_actors_referenced_by_tags_exist(shipped: LabelSet) -> None:
    used = {t.actor for t in shipped.tags() if t.actor}
    assert used <= set(shipped.actors)
    assert shipped.actors["netmind"].website == "power.netmind.ai"
    assert all(a.sources for a in shipped.actors.values())
