"""TagPack reading: header inheritance, every validation error with its line, hostile content kept verbatim."""

from __future__ import annotations

from pathlib import Path

import pytest

from trailscan.labels.model import KIND_ASSET
from trailscan.labels.tagpack import parse_pack, read_pack

from .conftest import HEADER


def problems(text: str, fast: bool = True) -> list[str]:
    return [f"{p.where}: {p.message}" for p in parse_pack(text, "labels/x.yaml", fast=fast).problems]


def test_header_fields_are_inherited_and_tags_override_them() -> None:
    text = HEADER + (
        "- address: '0x6cc5f688a315f3dc28a7781717a9a798a59fda7b'\n  label: OKX\n"
        "- address: '0x3f5ce5fbfe3e9af3971dd833d26ba9b5c936f0be'\n  label: Binance\n  category: exchange-deposit\n"
        "  confidence: 20\n  network: polygon\n  source: https://other\n  actor: binance\n  context: ctx\n"
    )
    result = parse_pack(text, "p.yaml", layer="case")
    assert result.problems == []
    okx, binance = result.tags
    assert (okx.chain, okx.category, okx.confidence, okx.source, okx.line) == (
        "eip155:1", "exchange", 90, "https://example.org/evidence", 8)
    assert (binance.chain, binance.category, binance.confidence, binance.source, binance.actor) == (
        "eip155:137", "exchange-deposit", 20, "https://other", "binance")
    assert okx.layer == "case" and okx.where == "p.yaml:8"


def test_graphsense_header_with_currency_and_unquoted_addresses() -> None:
    text = ("title: Etherscan exchange\ncategory: exchange\nsource: https://etherscan.io/accounts/label/exchange\n"
            "confidence: web_crawl\ncurrency: ETH\nlastmod: 2021-04-21\ntags:\n"
            "- address: 0xc96c1609a1a45ccc667b2b7fa6508e29617f7b69\n  label: 2GT_token (2GT)\n")
    (tag,) = parse_pack(text, "gs.yaml").tags
    assert (tag.chain, tag.address, tag.label, tag.confidence) == (
        "eip155:1", "0xc96c1609a1a45ccc667b2b7fa6508e29617f7b69", "2GT_token (2GT)", 20)


def test_addresses_are_canonicalised_per_chain() -> None:
    text = HEADER + (
        "- address: '0x6De037ef9aD2725EB40118Bb1702EBb27e4Aeb24'\n  label: checksummed\n"
        "- address: TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t\n  label: tron\n  network: tron\n"
        "- asset: uakt\n  label: denom\n  network: akash\n"
    )
    evm, tron, akt = parse_pack(text, "p.yaml").tags
    assert evm.address == "0x6de037ef9ad2725eb40118bb1702ebb27e4aeb24"
    assert (tron.chain, tron.address) == ("tron:mainnet", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
    assert (akt.chain, akt.address, akt.kind) == ("cosmos:akashnet-2", "uakt", KIND_ASSET)


@pytest.mark.parametrize("fast", [True, False])
def test_validation_errors_carry_file_and_line(fast: bool) -> None:
    text = HEADER + (
        "- address: '0x6De037ef9aD2725EB40118Bb1702EBb27e4Aeb25'\n  label: bad checksum\n"  # 8
        "- address: '0x1234'\n  label: short\n"  # 10
        "- address: TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u\n  label: bad tron\n  network: tron\n"  # 12
        "- address: '0x6cc5f688a315f3dc28a7781717a9a798a59fda7b'\n  label: x\n  category: casino\n"  # 15
        "- address: '0x6cc5f688a315f3dc28a7781717a9a798a59fda7b'\n  label: x\n  confidence: sure\n"  # 18
        "- address: '0x6cc5f688a315f3dc28a7781717a9a798a59fda7b'\n  label: x\n  network: dogechain\n"  # 21
        "- address: '0x6cc5f688a315f3dc28a7781717a9a798a59fda7b'\n  lable: typo\n"  # 24
        "- label: no address\n"  # 26
    )
    found = problems(text, fast)
    assert found[0].startswith("labels/x.yaml:8: invalid address '0x6De037ef9aD2725EB40118Bb1702EBb27e4Aeb25': "
                               "EIP-55 checksum mismatch")
    assert found[1].startswith("labels/x.yaml:10: invalid address '0x1234'")
    assert found[2].startswith("labels/x.yaml:12: invalid address 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u'")
    assert found[3] == "labels/x.yaml:17: unknown category 'casino'"
    assert found[4] == "labels/x.yaml:20: unknown confidence 'sure'"
    assert found[5] == "labels/x.yaml:23: unknown chain 'dogechain'"
    assert found[6] == "labels/x.yaml:25: unknown tag field 'lable'"
    assert found[7] == "labels/x.yaml:26: a tag needs exactly one of 'address' or 'asset'"
    assert len(found) == 8


def test_missing_mandatory_fields() -> None:
    assert problems("tags:\n- address: '0x6cc5f688a315f3dc28a7781717a9a798a59fda7b'\n") == [
        "labels/x.yaml:2: tag is missing label, source, confidence, network"]


def test_header_problems_are_reported_once() -> None:
    text = "title: t\nconfidence: 500\nnetwork: ethereum\nsource: s\naddress: '0x01'\ntags:\n- label: a\n  address: b\n"
    found = problems(text)
    assert "labels/x.yaml:5: 'address' belongs on each tag, not in the header" in found


def test_pack_without_tags_list() -> None:
    assert problems("title: only a header\n") == ["labels/x.yaml:1: missing 'tags:' list"]
    assert problems("- just\n- a list\n") == [
        "labels/x.yaml:1: a TagPack is a mapping with a header and a 'tags:' list"]


def test_html_and_script_are_stored_verbatim() -> None:
    label = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    text = HEADER + f"- address: '0x6cc5f688a315f3dc28a7781717a9a798a59fda7b'\n  label: \"{label}\"\n" \
                    "  context: '{{7*7}} ${jndi:ldap://x} [red]markup[/red]'\n"
    (tag,) = parse_pack(text, "p.yaml").tags
    assert tag.label == label
    assert tag.context == "{{7*7}} ${jndi:ldap://x} [red]markup[/red]"


@pytest.mark.parametrize("fast", [True, False])
def test_very_long_fields_are_refused_with_their_line(fast: bool) -> None:
    text = HEADER + "- address: '0x6cc5f688a315f3dc28a7781717a9a798a59fda7b'\n  label: " + "A" * 100_000 + "\n"
    assert problems(text, fast) == ["labels/x.yaml:9: 'label' is 100000 characters long; the limit is 500"]


def test_a_long_line_of_context_within_the_limit_is_kept() -> None:
    text = HEADER + "- address: '0x6cc5f688a315f3dc28a7781717a9a798a59fda7b'\n  label: x\n  context: " + \
        "c" * 20_000 + "\n"
    (tag,) = parse_pack(text, "p.yaml").tags
    assert tag.context is not None and len(tag.context) == 20_000


def test_concepts_list_gives_the_category() -> None:
    text = ("source: s\nconfidence: 50\nnetwork: ETH\nconcepts: [organization, exchange]\ntags:\n"
            "- address: '0x6cc5f688a315f3dc28a7781717a9a798a59fda7b'\n  label: x\n")
    (tag,) = parse_pack(text, "p.yaml").tags
    assert tag.category == "organization"


def test_unknown_networks_can_be_counted_instead_of_failing() -> None:
    text = ("source: s\nconfidence: 50\ncurrency: BTC\ntags:\n- address: 1Archive1n2C579dMsAu3iC6tWzuQJz8dN\n"
            "  label: Internet Archive\n- address: '0x6cc5f688a315f3dc28a7781717a9a798a59fda7b'\n  label: x\n"
            "  currency: ETH\n")
    result = parse_pack(text, "p.yaml", skip_unknown=True)
    assert result.problems == [] and result.skipped == {"BTC": 1} and len(result.tags) == 1


def test_read_pack_from_disk_reports_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(HEADER.encode() + b"- address: '0x6cc5f688a315f3dc28a7781717a9a798a59fda7b'\n  label: \xff\n")
    result = read_pack(path, display="labels/bad.yaml")
    assert [f"{p.where}: {p.message}" for p in result.problems] == ["labels/bad.yaml:9: not UTF-8 text (byte 0xff)"]
