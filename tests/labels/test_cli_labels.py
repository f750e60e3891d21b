"""`trailscan labels ...` end to end: outputs, exit codes and exact one-line errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from trailscan.labels.tagpack import parse_pack

from .conftest import GRAPHSENSE, HEADER, Run

Write = Callable[[str, "str | bytes"], Path]
BINANCE = "0x3f5ce5fbfe3e9af3971dd833d26ba9b5c936f0be"
USER = "0x1111111111111111111111111111111111111111"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def results(out: str) -> list[dict[str, object]]:
    body = json.loads(out)
    assert body["schema"] == "trailscan/1" and body["success"] is True
    rows: list[dict[str, object]] = body["results"]
    return rows


def test_list_filters_and_json(run: Run) -> None:
    code, out, _ = run("labels", "list", "--chain", "arbitrum", "--category", "bridge", "-f", "json")
    assert code == 0
    (row,) = results(out)
    assert (row["label"], row["chain"], row["confidence"]) == ("Livepeer L2 LPT Gateway", "eip155:42161", 20)


def test_list_csv_has_the_table_columns(run: Run) -> None:
    code, out, _ = run("labels", "list", "--chain", "tron", "-f", "csv")
    assert code == 0
    assert out.splitlines()[0] == "chain,address,label,category,confidence,source"
    assert len(out.splitlines()) == 8


def test_unknown_category_is_a_one_line_error(run: Run) -> None:
    assert run("labels", "list", "--category", "casino") == (
        1, "", "Error: unknown category 'casino'; see 'trailscan labels categories'\n")


def test_malformed_case_file_gives_file_and_line(run: Run, write: Write) -> None:
    lines = HEADER + "".join(f"- address: '0x{i:040x}'\n  label: ok {i}\n" for i in range(1, 5))
    write("labels/x.yaml", lines + "- address: '0x6De037ef9aD2725EB40118Bb1702EBb27e4Aeb25'\n  label: typo\n")
    code, out, err = run("labels", "list", "--labels", "labels")
    assert (code, out) == (1, "")
    assert err == ("Error: labels/x.yaml:16: invalid address '0x6De037ef9aD2725EB40118Bb1702EBb27e4Aeb25': EIP-55 "
                   "checksum mismatch (a character was probably mistyped) on ethereum; check the address at its "
                   "source, or pass it all lower-case to skip the checksum\n")


def test_yaml_bomb_in_case_labels_is_refused(run: Run, write: Write) -> None:
    write("labels/x.yaml", HEADER + "- address: &a '0x01'\n  label: *a\n")
    assert run("labels", "match", BINANCE, "--labels", "labels") == (
        1, "", "Error: labels/x.yaml:8: YAML anchors (&name) are not allowed in label files\n")


def test_show_reports_overrides(run: Run, write: Write) -> None:
    write("case/mine.yaml", HEADER + f"- address: '{BINANCE}'\n  label: Deposit of suspect\n"
                                     "  category: exchange-deposit\n")
    code, out, _ = run("labels", "show", BINANCE.upper().replace("0X", "0x"), "--labels", "case", "-f", "json")
    assert code == 0
    rows = results(out)
    assert [(r["status"], r["label"], r["layer"]) for r in rows] == [
        ("in force", "Deposit of suspect", "case"), ("overridden", "Binance", "shipped")]


def test_conflicts_are_warned_and_listed(run: Run, write: Write) -> None:
    write("a/a.yaml", HEADER + f"- address: '{USER}'\n  label: OTC desk\n  category: otc-desk\n")
    write("b/b.yaml", HEADER + f"- address: '{USER}'\n  label: Mixer\n  category: mixer\n")
    code, out, err = run("labels", "match", USER, "--chain", "ethereum", "--labels", "a", "--labels", "b")
    assert code == 0
    assert err == f"warning: conflicting labels for {USER} on eip155:1: categories differ: mixer, otc-desk\n"
    assert "OTC desk" in out and "Mixer" in out
    code, out, _ = run("labels", "show", USER, "--labels", "a", "--labels", "b", "-f", "json")
    body = json.loads(out)
    assert body["conflicts"][0]["reason"] == "categories differ: mixer, otc-desk"
    assert {r["status"] for r in body["results"]} == {"conflict"}
    code, out, _ = run("labels", "conflicts", "--labels", "a", "--labels", "b", "-f", "csv")
    assert out.splitlines()[1].startswith(f'eip155:1,{USER},"categories differ: mixer, otc-desk",OTC desk')


def test_match_several_addresses_with_reasons(run: Run) -> None:
    code, out, _ = run("labels", "match", "0xa8bb618b1520e284046f3dfc448851a1ff26e41b", "uakt", "-f", "json")
    assert code == 0
    rows = results(out)
    assert [(r["input"], r["category"], r["confidence"]) for r in rows] == [
        ("0xa8bb618b1520e284046f3dfc448851a1ff26e41b", "gpu-marketplace", 20), ("uakt", "gpu-token", 100)]
    assert rows[1]["reason"] == "gpu-token asset: transfers of it are GPU-compute payments (Akash native denom (AKT))"
    assert all(r["source"] for r in rows)


def test_match_rejects_garbage(run: Run) -> None:
    assert run("labels", "match", "not-an-address") == (
        1, "", "Error: 'not-an-address' is not an address of any known chain nor a known asset id; check it, "
               "or give --chain\n")


def test_search(run: Run) -> None:
    code, out, _ = run("labels", "search", "nosana", "-f", "csv")
    assert code == 0 and len(out.splitlines()) == 9


def test_validate_lists_every_problem_and_fails(run: Run, write: Write) -> None:
    write("case/a.yaml", HEADER + f"- address: '{USER}'\n  label: One\n- address: '{USER}'\n  label: One\n"
                                  f"- address: '{USER}'\n  label: Two\n  category: mixer\n"
                                  "- address: '0x01'\n  label: bad\n  actor: nobody\n")
    write("case/b.yaml", "title: t\ntitle: t\ntags: []\n")
    code, out, err = run("labels", "validate", "case", "-f", "json")
    assert code == 1 and err == "4 problems found\n"
    assert [(r["where"], r["message"]) for r in results_any(out)] == [
        ("case/a.yaml:15", "invalid address '0x01': not a 20-byte hex address on ethereum"),
        ("case/b.yaml:2", "duplicate key 'title' (first on line 1)"),
        ("case/a.yaml:10", f"duplicate tag for {USER} (first at case/a.yaml:8)"),
        ("case/a.yaml:12", f"conflicting categories for {USER}: mixer here, exchange at case/a.yaml:8"),
    ]


def results_any(out: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads(out)["results"]
    return rows


def test_validate_clean_dir_and_shipped(run: Run, write: Write) -> None:
    write("case/a.yaml", HEADER + f"- address: '{USER}'\n  label: One\n  actor: binance\n")
    assert run("labels", "validate", "case")[0] == 0
    assert run("labels", "validate")[0] == 0


def test_add_then_show_and_refuse_duplicates(run: Run, write: Write, tmp_path: Path) -> None:
    write("case/case.yaml", "# investigator notes stay\n" + HEADER + f"- address: '{BINANCE}'\n  label: First\n")
    args = ("labels", "add", USER, "--label", "<b>Broker</b>", "--category", "gpu-broker", "--source",
            "invoice 7", "--actor", "binance", "--confidence", "forensic", "--to", "case")
    code, out, _ = run(*args, "-f", "json")
    assert code == 0
    (row,) = results(out)
    assert (row["written"], row["label"], row["confidence"]) == ("case/case.yaml", "<b>Broker</b>", 50)
    text = (tmp_path / "case" / "case.yaml").read_text()
    assert text.startswith("# investigator notes stay\n")
    assert [t.label for t in parse_pack(text, "x").tags] == ["First", "<b>Broker</b>"]
    code, _, err = run(*args)
    assert code == 1 and err == f"Error: {USER} already has this label (case/case.yaml:11)\n"
    code, out, _ = run("labels", "show", USER, "--labels", "case", "-f", "csv")
    assert "<b>Broker</b>" in out and "gpu-broker" in out


def test_add_creates_a_pack_and_checks_input(run: Run, tmp_path: Path) -> None:
    assert run("labels", "add", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "--label", "x", "--category", "stablecoin",
               "--source", "s", "--chain", "tron", "--to", "new")[0] == 0
    assert (tmp_path / "new" / "case.yaml").exists()
    code, _, err = run("labels", "add", USER, "--label", "x", "--category", "nope", "--source", "s", "--to", "new")
    assert (code, err) == (1, "Error: unknown category 'nope'; see 'trailscan labels categories'\n")
    code, _, err = run("labels", "add", "0x1234", "--label", "x", "--category", "mixer", "--source", "s",
                       "--to", "new")
    assert code == 1 and err.startswith("Error: invalid address '0x1234'")


def test_table_output_escapes_markup(run: Run, write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    write("case/a.yaml", HEADER + f"- address: '{USER}'\n  label: '[red]alert[/red] <script>x</script>'\n")
    code, out, _ = run("labels", "show", USER, "--labels", "case", "--chain", "ethereum")
    assert code == 0
    assert "[red]alert[/red] <script>x</script>" in out  # shown as text: rich markup escaped, HTML inert


def test_import_command_and_all_or_nothing(run: Run, write: Write, tmp_path: Path) -> None:
    write("sanctioned_addresses_ETH.txt", "0x01e2919679362dFBC9ee1644Ba9C6da6D6245BB1\n")
    code, out, _ = run("labels", "import", "ofac-txt", "sanctioned_addresses_ETH.txt", "--to", "case", "-f", "json")
    assert code == 0
    assert results(out)[0] == {"format": "ofac-txt", "written": "case/ofac-txt-sanctioned-addresses-eth.yaml",
                               "tags": 1, "skipped": None, "no_confidence": None}
    write("bad.csv", "Wallet,Who\n0x01e2919679362dfbc9ee1644ba9c6da6d6245bb1,ok\n0xZZ,bad\n")
    code, _, err = run("labels", "import", "csv", "bad.csv", "--to", "case", "--map", "address=Wallet,label=Who",
                       "--source", "s", "--chain", "ethereum")
    assert code == 1
    assert err == "Error: bad.csv:3: invalid address '0xZZ': not a 20-byte hex address on ethereum (nothing was " \
                  "imported); an EVM address is 0x followed by 40 hex digits\n"
    assert sorted(p.name for p in (tmp_path / "case").iterdir()) == ["ofac-txt-sanctioned-addresses-eth.yaml"]


def test_import_usage_errors(run: Run, write: Write) -> None:
    write("a.csv", "x\n")
    code, _, err = run("labels", "import", "csv", "a.csv", "--to", "case", "--map", "address")
    assert (code, err) == (1, "Error: --map 'address' is not FIELD=COLUMN; e.g. --map address=Wallet\n")
    code, _, err = run("labels", "import", "nope", "a.csv", "--to", "case")
    assert code == 1 and err.startswith("Error: unknown import format 'nope'; use one of eth-labels-accounts")


def test_export_tagpack_round_trips(run: Run, tmp_path: Path) -> None:
    code, out, _ = run("labels", "export", "--as", "tagpack")
    assert code == 0
    exported = parse_pack(out, "export.yaml")
    assert exported.problems == [] and len(exported.tags) == 99  # 98 shipped facts + Akash's escrow (derived)
    code, out, _ = run("labels", "export", "--as", "csv", "--out", "all.csv", "--chain", "solana", "-f", "json")
    assert code == 0 and results(out) == [{"written": "all.csv", "as": "csv", "tags": 13}]
    assert (tmp_path / "all.csv").read_text().splitlines()[0].startswith("chain,address,kind,label")
    code, _, err = run("labels", "export", "--as", "xml")
    assert code == 2 and err.startswith("Error: Invalid value for '--as': ") and "'tagpack', 'csv'" in err


@pytest.mark.parametrize("command", ["categories", "tokens", "actors", "formats", "conflicts"])
def test_reference_listings(run: Run, command: str) -> None:
    code, out, _ = run("labels", command, "-f", "json")
    assert code == 0 and json.loads(out)["command"] == f"labels {command}"


def test_add_twice_without_actor_does_not_inherit_the_first_actor(run: Run, tmp_path: Path) -> None:
    base = ("--category", "gpu-broker", "--source", "s", "--to", "case")
    assert run("labels", "add", USER, "--label", "one", "--actor", "binance", *base)[0] == 0
    assert run("labels", "add", BINANCE, "--label", "two", *base)[0] == 0
    tags = parse_pack((tmp_path / "case" / "case.yaml").read_text(), "x").tags
    assert [(t.label, t.actor) for t in tags] == [("one", "binance"), ("two", None)]


def test_add_refuses_a_pack_whose_header_would_change_the_new_tag(run: Run, write: Write) -> None:
    write("case/case.yaml", HEADER.replace("category: exchange\n", "category: exchange\nactor: okx\n")
          + f"- address: '{BINANCE}'\n  label: First\n")
    code, _, err = run("labels", "add", USER, "--label", "x", "--category", "mixer", "--source", "s", "--to", "case")
    assert code == 1
    assert err == ("Error: case/case.yaml: cannot append to this pack: it would not read back as its tags plus the "
                   "new one (its header adds fields to every tag); add the tag by hand, or use another --file\n")


@pytest.mark.parametrize(("content", "error"), [
    (HEADER.encode() + b"- address: '0x01'\n  label: caf\xe9\n",
     "labels/x.yaml:9: not UTF-8 text (byte 0xe9); save the file as UTF-8"),
    (HEADER + f"- address: '{USER}'\n  label: a\n  label: b\n",
     "labels/x.yaml:10: duplicate key 'label' (first on line 9)"),
    (HEADER + "- address: !!python/object/apply:os.system ['touch pwned']\n  label: a\n",
     "labels/x.yaml:8: explicit YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed in "
     "label files"),
])
def test_hostile_files_give_one_line_errors(run: Run, write: Write, tmp_path: Path, content: str | bytes,
                                            error: str) -> None:
    write("labels/x.yaml", content)
    assert run("labels", "list", "--labels", "labels") == (1, "", f"Error: {error}\n")
    assert not (tmp_path / "pwned").exists()
    code, out, _ = run("labels", "validate", "labels", "-f", "csv")
    assert code == 1 and error.split(": ", 1)[0] in out


# -- GraphSense packs without confidence: import, then validate ----------------------------------------------

OFAC = str(GRAPHSENSE / "ofac.yaml")
OFAC_NOTE = "7 tags had no confidence: set to unknown (5)"
OFAC_SKIPPED = ("6 tags on network BTC (not a chain trailscan knows); 2 tags on network LTC (not a chain trailscan "
                "knows); 1 tags on network ZEC (not a chain trailscan knows); 1 tags on network USDT (not a chain "
                "trailscan knows); 1 tags on network XRP (not a chain trailscan knows); 1 tags on network BCH (not "
                "a chain trailscan knows)")


def test_import_of_a_pack_without_confidence_says_so_in_every_format(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run("labels", "import", "tagpack", OFAC, "--to", "case", "-f", "json")
    assert (code, err) == (0, "")
    assert results(out) == [{"format": "tagpack", "written": "case/tagpack-ofac.yaml", "tags": 7,
                             "skipped": OFAC_SKIPPED, "no_confidence": OFAC_NOTE}]
    code, out, _ = run("labels", "import", "tagpack", OFAC, "--to", "case", "--replace", "-f", "csv")
    assert code == 0
    assert out.splitlines() == ["format,written,tags,skipped,no_confidence",
                                f'tagpack,case/tagpack-ofac.yaml,7,{OFAC_SKIPPED},{OFAC_NOTE}']
    monkeypatch.setenv("COLUMNS", "1000")
    code, out, _ = run("labels", "import", "tagpack", OFAC, "--to", "case", "--replace")
    assert code == 0 and "no_confidence" in out and OFAC_NOTE in out
    code, out, _ = run("labels", "list", "--labels", "case", "--no-shipped", "-f", "json")
    assert [(r["address"], r["confidence"], r["origin"]) for r in results(out)][-1] == (
        "TMStbg5fgb4uTV7fK1gEYF9hKAzP3siPsG", 5, "graphsense")
    assert {r["confidence"] for r in results(out)} == {5}


def test_import_confidence_option_fills_only_the_tags_without_one(run: Run) -> None:
    code, out, _ = run("labels", "import", "tagpack", OFAC, "--to", "case", "--confidence", "service_data",
                       "-f", "json")
    assert code == 0 and results(out)[0]["no_confidence"] == "7 tags had no confidence: set to service_data (50)"
    code, out, _ = run("labels", "list", "--labels", "case", "--no-shipped", "-f", "json")
    assert len(results(out)) == 7 and {r["confidence"] for r in results(out)} == {50}
    ronin = str(GRAPHSENSE / "ronin_bridge.yaml")
    code, out, _ = run("labels", "import", "tagpack", ronin, "--to", "other", "--confidence", "unknown", "-f", "json")
    assert code == 0 and results(out)[0]["no_confidence"] is None
    code, out, _ = run("labels", "list", "--labels", "other", "--no-shipped", "-f", "json")
    assert {r["confidence"] for r in results(out)} == {50}  # the pack's own service_data


def test_validate_warns_about_an_imported_pack_without_confidence(run: Run, tmp_path: Path) -> None:
    assert run("labels", "import", "tagpack", OFAC, "--to", "case")[0] == 0
    code, out, err = run("labels", "validate", "case", "-f", "json")
    assert (code, err) == (0, "no problems found; 1 warning\n")
    assert results(out) == [{
        "severity": "warning", "where": "case/tagpack-ofac.yaml:10",
        "message": "7 imported tags had no confidence in the source: set to unknown (5) on import",
        "hint": "review the confidence, then remove 'confidence_defaulted'"}]
    # Someone drops the defaulted confidence from the imported pack: it still loads, as unknown, with a warning.
    pack = tmp_path / "case" / "tagpack-ofac.yaml"
    pack.write_text(pack.read_text().replace("confidence: 5\nconfidence_defaulted: true\n", ""))
    code, out, err = run("labels", "validate", "case", "-f", "json")
    assert (code, err) == (0, "no problems found; 1 warning\n")
    assert [(r["severity"], r["where"], r["message"]) for r in results(out)] == [
        ("warning", "case/tagpack-ofac.yaml:8", "7 imported tags have no confidence: read as unknown (5)")]
    code, out, _ = run("labels", "show", "TMStbg5fgb4uTV7fK1gEYF9hKAzP3siPsG", "--labels", "case", "-f", "json")
    assert code == 0 and [r["confidence"] for r in results(out)] == [5]
    # With the confidence judged and the marker removed, nothing is left to say.
    pack.write_text(pack.read_text().replace("tags:\n", "confidence: authority_data\ntags:\n", 1))
    assert run("labels", "validate", "case") == (0, "problems: nothing found\n", "")


def test_validate_still_refuses_a_user_pack_without_confidence(run: Run, write: Write) -> None:
    write("case/mine.yaml", HEADER.replace("confidence: manual_transaction\n", "")
          + f"- address: '{USER}'\n  label: Broker X payout wallet\n")
    code, out, err = run("labels", "validate", "case", "-f", "json")
    assert (code, err) == (1, "1 problem found\n")
    assert results_any(out) == [{"severity": "error", "where": "case/mine.yaml:7",
                                 "message": "tag is missing confidence", "hint": "set it on the tag or in the header"}]
    assert run("labels", "list", "--labels", "case") == (
        1, "", "Error: case/mine.yaml:7: tag is missing confidence; set it on the tag or in the header\n")
    assert run("labels", "import", "tagpack", OFAC, "--to", "case")[0] == 0
    code, out, err = run("labels", "validate", "case", "-f", "csv")
    assert (code, err) == (1, "1 problem found; 1 warning\n")
    assert [line.split(",")[:2] for line in out.splitlines()] == [
        ["severity", "where"], ["error", "case/mine.yaml:7"], ["warning", "case/tagpack-ofac.yaml:10"]]


def test_add_refuses_a_pack_whose_header_marks_its_confidence_as_defaulted(run: Run, write: Write) -> None:
    header = HEADER.replace("confidence: manual_transaction\n", "confidence: 5\nconfidence_defaulted: true\n")
    write("case/case.yaml", header + f"- address: '{BINANCE}'\n  label: First\n")
    code, _, err = run("labels", "add", USER, "--label", "x", "--category", "mixer", "--source", "s", "--to", "case")
    assert code == 1 and err.startswith("Error: case/case.yaml: cannot append to this pack: it would not read back")
