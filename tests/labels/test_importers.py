"""Importers, each on small files written in the exact public formats; imports are all or nothing."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from trailscan.errors import InputError, LabelError
from trailscan.labels import load_labels
from trailscan.labels.importers import BUILT_IN, Draft, ImportContext, Importer, get_importer
from trailscan.labels.importers.base import ImportOptions
from trailscan.labels.importers.run import run_import
from trailscan.labels.tagpack import read_pack

from .conftest import GRAPHSENSE

Write = Callable[[str, "str | bytes"], Path]
OKX = "0x6cc5f688a315f3dc28a7781717a9a798a59fda7b"
BINANCE = "0x3f5ce5fbfe3e9af3971dd833d26ba9b5c936f0be"
BINANCE_14 = "0x28c6c06298d514db089934071355e5743bf21d60"


def imported(out: Path) -> dict[tuple[str, str], list[tuple[str, str | None, str, str | None, int]]]:
    labels = load_labels([out], include_shipped=False)
    return {(t.chain, t.address): [(x.label, x.category, x.source, x.origin, x.confidence)
                                   for x in labels.lookup(t.chain, t.address)] for t in labels.tags()}


def test_eth_labels_accounts_json(write: Write, tmp_path: Path) -> None:
    path = write("eth-labels/data/etherscan/exchange/accounts.json",
                 json.dumps([{"address": OKX, "nameTag": "OKX"}, {"address": BINANCE, "nameTag": "Binance"}]))
    report = run_import("eth-labels-accounts", path, tmp_path / "out")
    assert report.tags == 2 and report.written == tmp_path / "out" / "eth-labels-accounts-accounts.yaml"
    source = "dawsbot/eth-labels:data/etherscan/exchange/accounts.json (branch all_accounts)"
    assert imported(tmp_path / "out")[("eip155:1", OKX)] == [("OKX", "exchange", source, "etherscan", 20)]


def test_eth_labels_accounts_needs_a_chain_outside_its_layout(write: Write, tmp_path: Path) -> None:
    path = write("accounts.json", json.dumps([{"address": OKX, "nameTag": "OKX"}]))
    with pytest.raises(LabelError, match="cannot tell which chain these labels are for; give --chain"):
        run_import("eth-labels-accounts", path, tmp_path / "out")
    report = run_import("eth-labels-accounts", path, tmp_path / "out", ImportOptions(chain="arbitrum"))
    assert ("eip155:42161", OKX) in imported(report.written.parent)


def test_eth_labels_tokens_csv(write: Write, tmp_path: Path) -> None:
    path = write("tokens.csv", (
        '"0xe41d2489571d322189246dafa5ebde1f4699f498",1,"0x-protocol","ZRX","ZRX","https://0x.org","img.png"\n'
        '"0x03aa6298f1370642642415edc0db8b957783e8d6",56,"computing","NetMind Token","NMT","https://power.netmind.ai",""\n'
        '"0x94b008aa00579c1307b0ef2c499ad98a8ce58e58",10,"stablecoin","Tether USD","USDT","",""\n'
    ))
    report = run_import("eth-labels-tokens", path, tmp_path / "out")
    got = imported(tmp_path / "out")
    assert report.tags == 3
    assert got[("eip155:1", "0xe41d2489571d322189246dafa5ebde1f4699f498")][0][:2] == ("ZRX", None)
    assert got[("eip155:56", "0x03aa6298f1370642642415edc0db8b957783e8d6")][0][0] == "NetMind Token (NMT)"
    assert got[("eip155:10", "0x94b008aa00579c1307b0ef2c499ad98a8ce58e58")][0][1] == "stablecoin"
    only_bsc = run_import("eth-labels-tokens", path, tmp_path / "bsc", ImportOptions(chain="bsc"))
    assert only_bsc.tags == 1 and only_bsc.skipped == {"rows of other chains than bsc": 2}


def test_etherscan_accounts_csv(write: Write, tmp_path: Path) -> None:
    path = write("etherscan-labels/data/etherscan/accounts/binance.csv", (
        ",Address,Name Tag,Balance,Txn Count\n"
        "0,0x3f5ce5fbfe3e9af3971dd833d26ba9b5c936f0be,Binance,0.08230919 ETH,17017624\n"
        "1,0x28c6c06298d514db089934071355e5743bf21d60,Binance 14,\"1,234.5 ETH\",8000000\n"
    ))
    run_import("etherscan-accounts", path, tmp_path / "out")
    source = "brianleect/etherscan-labels:data/etherscan/accounts/binance.csv"
    got = imported(tmp_path / "out")
    assert got[("eip155:1", BINANCE)] == [("Binance", None, source, "etherscan", 20)]
    assert got[("eip155:1", BINANCE_14)][0][0] == "Binance 14"


def test_etherscan_tokens_csv(write: Write, tmp_path: Path) -> None:
    path = write("data/polygonscan/tokens/computing.csv", (
        ",#,Contract Address,Token Name,Market Cap,Holders,Website\n"
        "0,1,0x61299774020da444af134c82fa83e3810b309991,Render Token (RNDR),$0.00,12345,https://rendertoken.com\n"
    ))
    run_import("etherscan-tokens", path, tmp_path / "out")
    assert imported(tmp_path / "out")[("eip155:137", "0x61299774020da444af134c82fa83e3810b309991")] == [
        ("Render Token (RNDR)", None, "brianleect/etherscan-labels:data/polygonscan/tokens/computing.csv",
         "etherscan", 20)]


def test_etherscan_combined_json(write: Write, tmp_path: Path) -> None:
    path = write("data/etherscan/combined/combinedAllLabels.json", json.dumps({
        BINANCE_14: {"name": "Binance 14", "labels": ["binance", "exchange"]},
        OKX: {"name": "", "labels": ["okx"]},
        "0x21a31ee1afc51d94c2efccaa2092ad1028285549": {"name": "", "labels": []},
    }))
    report = run_import("etherscan-combined", path, tmp_path / "out")
    got = imported(tmp_path / "out")
    assert got[("eip155:1", BINANCE_14)][0][:2] == ("Binance 14", "exchange")
    assert got[("eip155:1", OKX)][0][:2] == ("okx", None)
    assert report.skipped == {"entries with neither name nor labels": 1}


def test_graphsense_tagpack(write: Write, tmp_path: Path) -> None:
    path = write("packs/etherscan-exchange.yaml", (
        "title: Etherscan exchange\ncreator: GraphSense\ncategory: exchange\n"
        "source: https://etherscan.io/accounts/label/exchange\nconfidence: web_crawl\ncurrency: ETH\n"
        "lastmod: 2021-04-21\ntags:\n"
        "- address: 0xc96c1609a1a45ccc667b2b7fa6508e29617f7b69\n  label: 2GT_token (2GT)\n"
        "- address: 1Archive1n2C579dMsAu3iC6tWzuQJz8dN\n  label: Internet Archive\n  currency: BTC\n"
    ))
    report = run_import("tagpack", path, tmp_path / "out")
    assert report.tags == 1 and report.skipped == {"tags on network BTC (not a chain trailscan knows)": 1}
    assert imported(tmp_path / "out")[("eip155:1", "0xc96c1609a1a45ccc667b2b7fa6508e29617f7b69")] == [
        ("2GT_token (2GT)", "exchange", "https://etherscan.io/accounts/label/exchange", "etherscan", 20)]


OFAC_LABEL = "Asset listed under US Treasury OFAC Sanctions List"
OFAC_SOURCE = "https://www.treasury.gov/ofac/downloads/sdnlist.txt"
OFAC_ETH = ["0x8576acc5c05d6ce88f4e49bf65bdf0c62f91353c", "0x67d40ee1a85bf4a4bb7ffae16de985e8427b6b45",
            "0x6f1ca141a28907f78ebaa64fb83a9088b02a8352", "0x48549a34ae37b12f6a30566245176994e17c6b4a",
            "0x5512d943ed1f7c8a43f3435c85f7ab68b30121b0", "0xc455f7fd3e0e12afd51fba5c106909934d8a0e4a"]
OFAC_TRON = "TMStbg5fgb4uTV7fK1gEYF9hKAzP3siPsG"
OFAC_SKIPPED = {f"tags on network {code} (not a chain trailscan knows)": count
                for code, count in {"BTC": 6, "LTC": 2, "ZEC": 1, "USDT": 1, "XRP": 1, "BCH": 1}.items()}


def test_graphsense_pack_without_confidence_is_imported_at_unknown(tmp_path: Path) -> None:
    report = run_import("tagpack", GRAPHSENSE / "ofac.yaml", tmp_path / "out")
    assert (report.tags, report.skipped, report.no_confidence) == (7, OFAC_SKIPPED, 7)
    assert report.confidence_note == "7 tags had no confidence: set to unknown (5)"
    got = imported(tmp_path / "out")
    expected = [(OFAC_LABEL, "user", OFAC_SOURCE, "graphsense", 5)]
    assert got == {
        **{("eip155:1", address): expected for address in OFAC_ETH}, ("tron:mainnet", OFAC_TRON): expected}
    text = report.written.read_text()
    assert "\nconfidence: 5\nconfidence_defaulted: true\n" in text.split("tags:\n")[0]  # in the header
    pack = read_pack(report.written)
    assert pack.problems == [] and {t.confidence_defaulted for t in pack.tags} == {True}


def test_graphsense_pack_without_confidence_takes_the_confidence_option(tmp_path: Path) -> None:
    report = run_import("tagpack", GRAPHSENSE / "ofac.yaml", tmp_path / "out", ImportOptions(confidence="service_data"))
    assert report.confidence_note == "7 tags had no confidence: set to service_data (50)"
    assert {rows[0][4] for rows in imported(tmp_path / "out").values()} == {50}
    numeric = run_import("tagpack", GRAPHSENSE / "ofac.yaml", tmp_path / "n", ImportOptions(confidence="30"))
    assert numeric.confidence_note == "7 tags had no confidence: set to 30"


def test_graphsense_pack_mixing_tags_with_and_without_confidence(tmp_path: Path, write: Write) -> None:
    text = (GRAPHSENSE / "etherscamdb_tagpack.yaml").read_text()
    text = text.replace("  label: etherswap.org\n", "  label: etherswap.org\n  confidence: forensic\n")
    text = text.replace("  label: teslacoin.space\n", "  label: teslacoin.space\n  confidence: 90\n")
    path = write("packs/etherscamdb_tagpack.yaml", text)
    report = run_import("tagpack", path, tmp_path / "out", ImportOptions(confidence="web_crawl"))
    assert (report.tags, report.no_confidence) == (9, 7)
    assert report.confidence_note == "7 tags had no confidence: set to web_crawl (20)"
    assert report.skipped == {"tags on network BTC (not a chain trailscan knows)": 1,
                              "tags on network LTC (not a chain trailscan knows)": 1}
    tags = read_pack(report.written).tags
    assert [(t.label, t.confidence, t.confidence_defaulted, t.category) for t in tags] == [
        ("myelherwallel.com", 20, True, "phishing"), ("etherswap.org", 50, False, "phishing"),
        ("myethwallet.net", 20, True, "phishing"), ("myethwallet.net", 20, True, "phishing"),
        ("district-0x.io", 20, True, None), ("district0x.net", 20, True, None),
        ("contribute-status.im", 20, True, None), ("xgivex.blogspot.com", 20, True, "scam"),
        ("teslacoin.space", 90, False, "phishing")]
    assert {(t.source, t.origin) for t in tags} == {("https://cryptoscamdb.org/", "graphsense")}


def test_graphsense_confidence_option_never_replaces_a_tags_own(tmp_path: Path) -> None:
    report = run_import("tagpack", GRAPHSENSE / "ronin_bridge.yaml", tmp_path / "out",
                        ImportOptions(confidence="unknown"))
    assert (report.tags, report.no_confidence, report.confidence_note) == (6, 0, None)
    tags = read_pack(report.written).tags
    assert {(t.confidence, t.confidence_defaulted, t.category, t.origin) for t in tags} == {
        (50, False, None, "graphsense")}  # abuse: service_hack names no category
    assert (tags[0].address, tags[0].context) == ("0x098b716b8aaf21512996dc57eb0615e2383e2f96",
                                                  '{"description": "original address"}')
    assert "confidence_defaulted" not in report.written.read_text()


def test_an_invalid_confidence_option_is_refused_before_reading(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown confidence 'sure'; use 0-100 or one of ownership"):
        run_import("tagpack", GRAPHSENSE / "ronin_bridge.yaml", tmp_path / "out", ImportOptions(confidence="sure"))
    assert not (tmp_path / "out").exists()


def test_ofac_txt_and_json(write: Write, tmp_path: Path) -> None:
    eth = write("sanctioned_addresses_ETH.txt",
                "0x01e2919679362dFBC9ee1644Ba9C6da6D6245BB1\n0x03893a7c7463AE47D46bc7f091665f1893656003\n")
    trx = write("sanctioned_addresses_TRX.json",
                json.dumps(["TA3rH2A7iHnm6pKH8gr9cK1EZnShnmZdFg", "TA82wQ77kb9DieW4C8q7C4KwMfnCzfziqN"]))
    usdt = write("sanctioned_addresses_USDT.txt",
                 "0x01e2919679362dFBC9ee1644Ba9C6da6D6245BB1\nTA3rH2A7iHnm6pKH8gr9cK1EZnShnmZdFg\n")
    run_import("ofac-txt", eth, tmp_path / "out")
    run_import("ofac-json", trx, tmp_path / "out")
    run_import("ofac-txt", usdt, tmp_path / "usdt")
    got = imported(tmp_path / "out")
    assert got[("eip155:1", "0x01e2919679362dfbc9ee1644ba9c6da6d6245bb1")] == [
        ("OFAC SDN listed address", "sanctioned",
         "0xB10C/ofac-sanctioned-digital-currency-addresses:sanctioned_addresses_ETH.txt", None, 60)]
    assert ("tron:mainnet", "TA82wQ77kb9DieW4C8q7C4KwMfnCzfziqN") in got
    assert set(imported(tmp_path / "usdt")) == {("eip155:1", "0x01e2919679362dfbc9ee1644ba9c6da6d6245bb1"),
                                                 ("tron:mainnet", "TA3rH2A7iHnm6pKH8gr9cK1EZnShnmZdFg")}


def test_ofac_bitcoin_list_is_refused(write: Write, tmp_path: Path) -> None:
    path = write("sanctioned_addresses_XBT.txt", "\n\n1Archive1n2C579dMsAu3iC6tWzuQJz8dN\n")
    with pytest.raises(LabelError) as err:
        run_import("ofac-txt", path, tmp_path / "out")
    assert str(err.value).startswith(f"{path}:3: cannot tell the chain of '1Archive1n2C579dMsAu3iC6tWzuQJz8dN'")
    assert not (tmp_path / "out").exists()


def test_generic_csv_with_a_mapping(write: Write, tmp_path: Path) -> None:
    path = write("case.csv", "Wallet,Who,Kind,Chain\n0x6cc5f688a315f3dc28a7781717a9a798a59fda7b,OKX,exchange,bsc\n")
    options = ImportOptions(source="case file 42", confidence="forensic",
                            mapping={"address": "Wallet", "label": "Who", "category": "Kind", "chain": "Chain"})
    run_import("csv", path, tmp_path / "out", options)
    assert imported(tmp_path / "out")[("eip155:56", OKX)] == [("OKX", "exchange", "case file 42", None, 50)]
    with pytest.raises(LabelError, match="no column 'Nope' in the header"):
        run_import("csv", path, tmp_path / "x", ImportOptions(chain="bsc", mapping={"address": "Nope", "label": "Who"}))


def test_a_bad_row_imports_nothing(write: Write, tmp_path: Path) -> None:
    path = write("data/etherscan/accounts/binance.csv", (
        ",Address,Name Tag,Balance,Txn Count\n"
        "0,0x3f5ce5fbfe3e9af3971dd833d26ba9b5c936f0be,Binance,0 ETH,1\n"
        "1,0x3F5CE5fbfe3e9af3971dd833d26ba9b5c936f0be,Mistyped,0 ETH,1\n"
        "2,0xnot-an-address,Broken,0 ETH,1\n"
    ))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(LabelError) as err:
        run_import("etherscan-accounts", path, out)
    assert str(err.value).startswith(f"{path}:3: invalid address '0x3F5CE5fbfe3e9af3971dd833d26ba9b5c936f0be'")
    assert "(1 more problem; nothing was imported)" in str(err.value)
    assert list(out.iterdir()) == []


def test_existing_pack_is_not_overwritten_without_replace(write: Write, tmp_path: Path) -> None:
    path = write("sanctioned_addresses_ETH.txt", "0x01e2919679362dFBC9ee1644Ba9C6da6D6245BB1\n")
    first = run_import("ofac-txt", path, tmp_path / "out")
    before = first.written.read_bytes()
    with pytest.raises(LabelError, match="already exists; use --replace"):
        run_import("ofac-txt", path, tmp_path / "out")
    assert run_import("ofac-txt", path, tmp_path / "out", replace=True).written.read_bytes() == before


def test_malformed_json_reports_its_line(write: Write, tmp_path: Path) -> None:
    path = write("data/etherscan/exchange/accounts.json", '[\n  {"address": "0x01",\n  "nameTag": }\n]')
    with pytest.raises(LabelError) as err:
        run_import("eth-labels-accounts", path, tmp_path / "out")
    assert str(err.value).startswith(f"{path}:3: invalid JSON")


def test_duplicate_json_keys_are_refused(write: Write, tmp_path: Path) -> None:
    path = write("data/etherscan/combined/combinedAllLabels.json",
                 f'{{"{OKX}": {{"name": "a", "labels": []}},\n"{OKX}": {{"name": "b", "labels": []}}}}')
    with pytest.raises(LabelError, match="duplicate JSON key"):
        run_import("etherscan-combined", path, tmp_path / "out")


def test_hostile_labels_are_imported_verbatim(write: Write, tmp_path: Path) -> None:
    label = "<script>alert(1)</script> {{7*7}} [bold]x[/bold] 'quote\" \u202e"
    path = write("data/etherscan/exchange/accounts.json", json.dumps([{"address": OKX, "nameTag": label}]))
    run_import("eth-labels-accounts", path, tmp_path / "out")
    assert imported(tmp_path / "out")[("eip155:1", OKX)][0][0] == label


def test_non_utf8_import_file(write: Write, tmp_path: Path) -> None:
    path = write("sanctioned_addresses_ETH.txt", b"0x01e2919679362dFBC9ee1644Ba9C6da6D6245BB1\n\xff\xfe\n")
    with pytest.raises(LabelError) as err:
        run_import("ofac-txt", path, tmp_path / "out")
    assert str(err.value) == f"{path}:2: not UTF-8 text (byte 0xff); save the file as UTF-8"


def test_unknown_format() -> None:
    with pytest.raises(InputError, match="unknown import format 'nope'"):
        get_importer("nope")


def test_every_built_in_importer_declares_its_metadata() -> None:
    names = [cls.NAME for cls in BUILT_IN]
    assert len(names) == len(set(names)) == 9
    for cls in BUILT_IN:
        assert cls.HELP and cls.DATASET and cls.FILE_HINT and cls.DEFAULT_CONFIDENCE


def test_an_importer_without_metadata_is_refused_at_definition() -> None:
    with pytest.raises(TypeError, match="lacks metadata: HELP, DATASET, FILE_HINT"):

        class Incomplete(Importer):
            NAME = "incomplete"
            DEFAULT_CONFIDENCE = "unknown"

            def rows(self, ctx: ImportContext) -> Iterator[Draft]:
                yield from ()

    with pytest.raises(TypeError, match="not a GraphSense confidence name"):

        class WrongConfidence(Importer):
            NAME = "wrong"
            HELP = DATASET = FILE_HINT = "x"
            DEFAULT_CONFIDENCE = "pretty sure"

            def rows(self, ctx: ImportContext) -> Iterator[Draft]:
                yield from ()
