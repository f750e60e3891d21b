"""LabelSet: look-ups by (chain, canonical address), case overrides, reported conflicts, and matching."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from trailscan.errors import InputError, LabelError
from trailscan.labels import LabelSet, load_labels

from .conftest import HEADER

BINANCE = "0x3f5ce5fbfe3e9af3971dd833d26ba9b5c936f0be"
GLM_POLYGON = "0x0b220b82f3ea3b7f6d9a1d8ab58930c064a2b5bf"
GOLEM_LOCK = "0x57ff7451e008647cbdb84e652b00ef05856dba23"
USER = "0x1111111111111111111111111111111111111111"
Write = Callable[[str, "str | bytes"], Path]


@pytest.fixture(scope="module")
def shipped() -> LabelSet:
    return load_labels([])


def test_shipped_lookup_is_by_chain_and_canonical_address(shipped: LabelSet) -> None:
    (tag,) = shipped.lookup("eip155:1", BINANCE)
    assert (tag.label, tag.category, tag.layer) == ("Binance", "exchange", "shipped")
    assert shipped.lookup("eip155:137", BINANCE) == ()
    assert shipped.lookup("eip155:1", BINANCE.upper()) == ()  # callers pass canonical forms
    assert [len(t) for t in shipped.lookup_many("eip155:1", [BINANCE, USER])] == [1, 0]


def test_resolve_accepts_any_case_and_every_chain(shipped: LabelSet) -> None:
    pairs = shipped.resolve("0x3F5CE5FBFE3E9AF3971DD833D26BA9B5C936F0BE")
    assert ("eip155:1", BINANCE) in pairs and ("eip155:137", BINANCE) in pairs
    assert shipped.resolve("uakt") == [("cosmos:akashnet-2", "uakt")]
    assert shipped.resolve(BINANCE, "polygon") == [("eip155:137", BINANCE)]
    with pytest.raises(InputError, match="not an address of any known chain"):
        shipped.resolve("hello")


def test_match_transfer_covers_ends_marketplace_and_gpu_token(shipped: LabelSet) -> None:
    matches = shipped.match_transfer("eip155:137", USER, GOLEM_LOCK, GLM_POLYGON)
    assert [(m.role, m.tag.label) for m in matches] == [
        ("to", "Golem lock-contract (deposit/escrow)"), ("asset", "Golem (GLM on Polygon)")]
    to, asset = matches
    assert to.reason == "payment to a gpu-marketplace contract or program: Golem lock-contract (deposit/escrow)"
    assert asset.reason == "the asset transferred is a gpu-token: Golem (GLM on Polygon)"
    assert to.confidence == 100 and to.source.startswith("golemfactory/erc20_payment_lib")
    assert not to.conflict


def test_match_transfer_native_denom_and_exchange_sender(shipped: LabelSet) -> None:
    akash = shipped.match_transfer("cosmos:akashnet-2", "akash1a", "akash1b", "native")
    assert [(m.role, m.tag.address) for m in akash] == [("asset", "uakt")]
    eth = shipped.match_transfer("eip155:1", BINANCE, USER, "native")
    assert [(m.role, m.reason) for m in eth] == [("from", "the sender is tagged exchange: Binance")]
    assert shipped.match_transfer("eip155:1", USER, USER, "0xdac17f958d2ee523a2206206994597c13d831ec7") == []


def test_case_labels_override_shipped_ones(write: Write, tmp_path: Path) -> None:
    write("case/mine.yaml", HEADER + f"- address: '{BINANCE}'\n  label: Suspect's deposit\n"
                                     "  category: exchange-deposit\n")
    labels = load_labels([tmp_path / "case"])
    (tag,) = labels.lookup("eip155:1", BINANCE)
    assert (tag.label, tag.category, tag.layer) == ("Suspect's deposit", "exchange-deposit", str(tmp_path / "case"))
    assert [t.label for t in labels.overridden("eip155:1", BINANCE)] == ["Binance"]
    assert labels.conflicts == []  # an override is wanted, not a conflict


def test_conflicts_between_case_sets_are_reported_not_resolved(write: Write, tmp_path: Path) -> None:
    write("a/a.yaml", HEADER + f"- address: '{USER}'\n  label: OTC desk\n  category: otc-desk\n")
    write("b/b.yaml", HEADER + f"- address: '{USER}'\n  label: Mixer\n  category: mixer\n")
    labels = load_labels([tmp_path / "a", tmp_path / "b"], include_shipped=False)
    assert {t.label for t in labels.lookup("eip155:1", USER)} == {"OTC desk", "Mixer"}
    (conflict,) = labels.conflicts
    assert conflict.reason == "categories differ: mixer, otc-desk"
    assert all(m.conflict for m in labels.match_address("eip155:1", USER))


def test_same_category_from_two_sets_is_no_conflict(write: Write, tmp_path: Path) -> None:
    write("a/a.yaml", HEADER + f"- address: '{USER}'\n  label: Hot wallet\n")
    write("b/b.yaml", HEADER + f"- address: '{USER}'\n  label: Hot wallet 2\n")
    labels = load_labels([tmp_path / "a", tmp_path / "b"], include_shipped=False)
    assert len(labels.lookup("eip155:1", USER)) == 2 and labels.conflicts == []


def test_env_variable_adds_label_dirs(write: Write, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write("env/e.yaml", HEADER + f"- address: '{USER}'\n  label: From env\n")
    monkeypatch.setenv("TRAILSCAN_LABELS", f"{tmp_path / 'nowhere-else'}:{tmp_path / 'env'}")
    with pytest.raises(LabelError, match="label directory not found"):
        load_labels()
    monkeypatch.setenv("TRAILSCAN_LABELS", str(tmp_path / "env"))
    assert [t.label for t in load_labels().lookup("eip155:1", USER)] == ["From env"]


def test_malformed_case_file_fails_the_load_with_file_and_line(write: Write, tmp_path: Path) -> None:
    write("case/x.yaml", HEADER + "- address: '0x01'\n  label: bad\n")
    with pytest.raises(LabelError) as err:
        load_labels([tmp_path / "case"])
    assert str(err.value).startswith(f"{tmp_path / 'case' / 'x.yaml'}:8: invalid address '0x01'")


def test_search_finds_labels_actors_and_context(shipped: LabelSet) -> None:
    assert {t.label for t in shipped.search("ticketbroker")} >= {"Livepeer Proxy TicketBroker"}
    assert any(t.actor == "huobi" for t in shipped.search("HTX"))
    assert shipped.search("no such thing at all") == []


def test_tags_filter_by_category_and_chain(shipped: LabelSet) -> None:
    solana = list(shipped.tags(category="gpu-marketplace", chain="solana:mainnet"))
    assert len(solana) == 7 and all(t.category == "gpu-marketplace" for t in solana)


def test_token_registry(shipped: LabelSet) -> None:
    usdt = shipped.token("eip155:1", "0xdac17f958d2ee523a2206206994597c13d831ec7")
    assert usdt is not None and (usdt.symbol, usdt.decimals, usdt.stablecoin) == ("USDT", 6, True)
    akt = shipped.token("cosmos:akashnet-2", "native")
    assert akt is not None and (akt.symbol, akt.decimals, akt.native) == ("AKT", 6, True)
