"""TagPack reading: header inheritance, every validation error with its line, hostile content kept verbatim."""

from __future__ import annotations

from pathlib import Path

import pytest

from trailscan.labels.model import KIND_ASSET, WARNING, Problem
from trailscan.labels.tagpack import parse_pack, read_pack

from .conftest import GRAPHSENSE, HEADER


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
    assert problems("tags:\n- address: '0x6cc5f688a315f3dc28a7781717a9a798a59fda7b'\n  confidence: 50\n") == [
        "labels/x.yaml:2: tag is missing label, source, network"]
    assert problems("origin: graphsense\ntags:\n- address: '0x6cc5f688a315f3dc28a7781717a9a798a59fda7b'\n") == [
        "labels/x.yaml:3: tag is missing label, source, network"]  # an imported tag's confidence can default


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


# -- confidence: strict for the user's packs, a default (and a warning) for imported ones --------------------

NO_CONFIDENCE = HEADER.replace("confidence: manual_transaction\n", "")
OKX = "0x6cc5f688a315f3dc28a7781717a9a798a59fda7b"


@pytest.mark.parametrize("fast", [True, False])
def test_a_user_tag_without_confidence_is_an_error(fast: bool) -> None:
    text = NO_CONFIDENCE + f"- address: '{OKX}'\n  label: OKX\n"
    result = parse_pack(text, "labels/x.yaml", fast=fast)
    assert result.tags == [] and result.warnings == []
    assert result.problems == [Problem("labels/x.yaml", 7, "tag is missing confidence",
                                       "set it on the tag or in the header")]


@pytest.mark.parametrize("fast", [True, False])
def test_an_imported_tag_without_confidence_reads_as_unknown_with_one_warning(fast: bool) -> None:
    text = NO_CONFIDENCE.replace("tags:\n", "origin: graphsense\ntags:\n") + (
        f"- address: '{OKX}'\n  label: OKX\n"  # 8
        "- address: '0x3f5ce5fbfe3e9af3971dd833d26ba9b5c936f0be'\n  label: Binance\n  confidence: 60\n"  # 10
        "- address: '0x28c6c06298d514db089934071355e5743bf21d60'\n  label: Binance 14\n"  # 13
    )
    result = parse_pack(text, "labels/x.yaml", fast=fast)
    assert result.problems == []
    assert [(t.label, t.confidence, t.confidence_defaulted) for t in result.tags] == [
        ("OKX", 5, True), ("Binance", 60, False), ("Binance 14", 5, True)]
    assert result.warnings == [Problem(
        "labels/x.yaml", 8, "2 imported tags have no confidence: read as unknown (5)",
        "set 'confidence' on the tags or in the header once you have judged the source", WARNING)]


@pytest.mark.parametrize("fast", [True, False])
def test_the_defaulted_confidence_marker(fast: bool) -> None:
    header = HEADER.replace("confidence: manual_transaction\n", "confidence: 5\nconfidence_defaulted: true\n")
    text = header + f"- address: '{OKX}'\n  label: OKX\n" \
                    "- address: '0x3f5ce5fbfe3e9af3971dd833d26ba9b5c936f0be'\n  label: Binance\n" \
                    "  confidence: 50\n  confidence_defaulted: false\n"
    result = parse_pack(text, "labels/x.yaml", fast=fast)
    assert result.problems == []
    assert [(t.confidence, t.confidence_defaulted) for t in result.tags] == [(5, True), (50, False)]
    assert [(w.where, w.message, w.severity) for w in result.warnings] == [
        ("labels/x.yaml:9", "1 imported tag had no confidence in the source: set to unknown (5) on import", WARNING)]
    bad = parse_pack(header.replace("defaulted: true", "defaulted: maybe") + f"- address: '{OKX}'\n  label: a\n"
                     f"- address: '{OKX}'\n  label: b\n", "labels/x.yaml", fast=fast)
    assert [(p.where, p.message) for p in bad.problems] == [
        ("labels/x.yaml:5", "'confidence_defaulted' must be true or false, not 'maybe'")]


def test_importer_reading_fills_in_a_missing_confidence_without_warning() -> None:
    result = parse_pack((GRAPHSENSE / "ofac.yaml").read_text(), "ofac.yaml", skip_unknown=True,
                        missing_confidence="unknown")
    assert result.problems == [] and result.warnings == []
    assert len(result.tags) == 7 and {(t.confidence, t.confidence_defaulted) for t in result.tags} == {(5, True)}


def test_graphsense_abuse_is_the_category_where_it_names_one() -> None:
    result = parse_pack((GRAPHSENSE / "etherscamdb_tagpack.yaml").read_text(), "esdb.yaml", skip_unknown=True,
                        missing_confidence="unknown")
    assert result.problems == [] and result.skipped == {"BTC": 1, "LTC": 1}
    assert [(t.label, t.category) for t in result.tags] == [
        ("myelherwallel.com", "phishing"), ("etherswap.org", "phishing"), ("myethwallet.net", "phishing"),
        ("myethwallet.net", "phishing"), ("district-0x.io", None), ("district0x.net", None),
        ("contribute-status.im", None), ("xgivex.blogspot.com", "scam"), ("teslacoin.space", "phishing")]
    assert result.tags[0].address == "0xd0cc2b24980cbcca47ef755da88b220a82291407"  # EIP-55 as published


def test_network_codes_in_any_case_and_network_beside_currency() -> None:
    text = ("source: https://archive.org/donate/cryptocurrency\nconfidence: service_data\ncurrency: eth\n"
            "tags:\n- address: '0xFA8E3920daF271daB92Be9B87d9998DDd94FEF08'\n  label: Internet Archive\n"
            "  currency: ETH\n  network: ETH\n"
            "- address: '0xFA8E3920daF271daB92Be9B87d9998DDd94FEF08'\n  label: lower-case code\n")
    result = parse_pack(text, "demo.yaml")
    assert result.problems == []
    archive = ("eip155:1", "0xfa8e3920daf271dab92be9b87d9998ddd94fef08")
    assert [(t.chain, t.address) for t in result.tags] == [archive, archive]
