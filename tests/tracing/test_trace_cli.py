"""trace's bad input (one line, the fix, nothing stored changes), its output formats, and the policies alone."""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction
from pathlib import Path

import pytest

from trailscan.cli import main
from trailscan.devnet import Anvil
from trailscan.tracing.model import fraction_text
from trailscan.tracing.policies import get_policy

from ..world import ALICE, BOB, World

UNKNOWN = "0x1111111111111111111111111111111111111111"


@pytest.fixture()
def fetched(world_node: tuple[Anvil, World], tmp_path: Path) -> Path:
    node, _ = world_node
    store = tmp_path / "case.duckdb"
    assert main(["fetch", "--rpc", node.url, "--chain", "31337", "--address", ALICE, "--store", str(store)]) == 0
    return store


def _bad_prices(tmp_path: Path) -> str:
    path = tmp_path / "prices.csv"
    path.write_text("date,asset,usd\n2026-01-01,GLM,0.3\n2026-01-02,GLM,cheap\n")
    return str(path)


@pytest.mark.parametrize(("args", "message"), [
    (["--policy", "lifo"], "Error: unknown policy 'lifo'; use one of haircut, poison, fifo"),
    (["--hops", "0"], "Error: --hops 0 is outside 1-12; use 1 to 12; each hop multiplies the addresses read"),
    (["--hops", "1000"], "Error: --hops 1000 is outside 1-12; use 1 to 12; each hop multiplies the addresses read"),
    (["--since", "9", "--until", "3"], "Error: --since (block 9) is after --until (block 3); swap them, or omit one"),
    (["--since", "2001-01-01", "--until", "2001-02-01"], None),
    (["--since", "yesterday"], "Error: --since 'yesterday' is neither a block number nor a date; use e.g. "
                               "19000000, 2026-03-01 or 2026-03-01T12:00:00Z"),
    (["--asset", "DOGE"], "Error: unknown asset 'DOGE' on evm-31337; give native, a token contract, or a symbol "
                          "listed by 'trailscan tokens'"),
    (["--min-amount", "lots"], "Error: --min-amount 'lots' is not a number; use e.g. 100 or 0.5"),
    (["--direction", "sideways"], "Error: unknown --direction 'sideways'; use out or in"),
    (["--stop", "casino"], "Error: unknown category 'casino' for --stop; see 'trailscan labels categories'"),
])
def test_bad_options_get_one_line_and_change_nothing(fetched: Path, args: list[str], message: str | None,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    before = fetched.read_bytes()
    capsys.readouterr()
    assert main(["trace", ALICE, "--chain", "31337", "--store", str(fetched), *args]) == 1
    err = capsys.readouterr().err
    if message is None:  # dates before the chain existed
        assert err.startswith("Error: --until 2001-02-01 is outside the stored history of this chain (")
        assert err.endswith("; pick a date inside it, or fetch more history\n")
    else:
        assert err == message + "\n"
    assert fetched.read_bytes() == before


def test_a_malformed_prices_file_names_its_line(fetched: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    prices = _bad_prices(tmp_path)
    assert main(["trace", ALICE, "--chain", "31337", "--store", str(fetched), "--prices", prices]) == 1
    assert capsys.readouterr().err == f"Error: {prices}:3: 'cheap' is not a number; use e.g. 0.31\n"


def test_an_address_without_data_and_without_rpc(fetched: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", UNKNOWN, "--store", str(fetched)]) == 1
    assert capsys.readouterr().err.startswith(f"Error: the address {UNKNOWN} is not in the store on any stored chain")
    assert main(["trace", UNKNOWN, "--chain", "31337", "--store", str(fetched)]) == 1
    assert capsys.readouterr().err.startswith(f"Error: the address {UNKNOWN} is not in the store on evm-31337; ")
    missing = tmp_path / "none.duckdb"
    assert main(["trace", ALICE, "--store", str(missing)]) == 1
    assert capsys.readouterr().err.startswith(f"Error: no store at {missing}; ")
    assert not missing.exists()


def test_formats_carry_the_same_figures(fetched: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["trace", ALICE, "--chain", "31337", "--store", str(fetched)]
    capsys.readouterr()
    assert main([*base, "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)["results"][0]
    bob = next(e for e in result["unlabeled_endpoints"] if e["node"] == BOB)
    assert main([*base, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {(r["node"], r["symbol"], r["amount"]) for r in rows if r["node"] == BOB} == {
        (BOB, a["symbol"], a["amount"]) for a in bob["amounts"]}
    assert main([*base, "--format", "markdown"]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"## Trace of {ALICE}\n\n{result['answer']}\n")
    assert f"| unfetched | {BOB} |" in text  # BOB was never fetched: where its value went is unknown
    assert main(base) == 0
    assert capsys.readouterr().out.splitlines()[0] == result["answer"]


@pytest.mark.parametrize(("policy", "expected"), [("haircut", [Fraction(25), Fraction(45)]),
                                                  ("poison", [Fraction(50), Fraction(90)]),
                                                  ("fifo", [Fraction(0), Fraction(40)])])
def test_policies_on_one_balance(policy: str, expected: list[Fraction]) -> None:
    """100 clean, then 100 traced; pay 50, then 90. Haircut: 50 x 100/200, then 90 x 75/150. Poison: traced
    funds are held, so each payment is traced in full. FIFO: the 50 spends the clean lot, the 90 spends its
    last 50 and 40 of the traced lot."""
    state = get_policy(policy).state()
    state.receive(100, Fraction(0))
    state.receive(100, Fraction(100))
    assert [state.send(50), state.send(90)] == expected
    assert state.shortfall == 0
    state.send(100)  # 40 more than it holds: the shortfall is taken as untraced funds held from the start
    assert state.shortfall == 40


def test_amount_text_is_exact_and_rounds_down() -> None:
    assert fraction_text(Fraction(3000 * 10**6, 7), 6) == "428.571428571428571428571428"
    assert fraction_text(Fraction(2**256 - 1), 18) == (
        "115792089237316195423570985008687907853269984665640564039457.584007913129639935")
    assert fraction_text(Fraction(0), 6) == "0"
