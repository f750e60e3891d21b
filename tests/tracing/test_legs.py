"""A trail across chains: USDT leaves a wallet on Ethereum (a real anvil) for a bridge deposit address, and the
value continues on Solana (a loopback node in Solana's wire format) at the wallet the user links it to; one
trace, one report, two legs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from trailscan.cli import main
from trailscan.devnet import DEV_ACCOUNTS, Anvil
from trailscan.errors import InputError
from trailscan.tracing.legs import parse_link

from ..sources.test_solana import HOST, RENTER, USDC, solana_node
from ..support.browser import dom as page_dom

USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
WALLET = DEV_ACCOUNTS[1]
BRIDGE = "0x" + "b1" * 20  # an unlabeled deposit address (fictional)


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    base = tmp_path_factory.mktemp("legs")
    store = base / "case.duckdb"
    with Anvil.start(chain_id=1) as node:
        node.place("Token", USDT)
        node.call(DEV_ACCOUNTS[0], USDT, "setup(string,string,uint8)", ["string", "string", "uint8"],
                  ["Tether USD", "USDT", 6])
        node.call(DEV_ACCOUNTS[0], USDT, "mint(address,uint256)", ["address", "uint256"], [WALLET, 10**12])
        node.call(WALLET, USDT, "transfer(address,uint256)", ["address", "uint256"], [BRIDGE, 7 * 10**11])
        assert main(["fetch", "--rpc", node.url, "--address", WALLET, "--store", str(store)]) == 0
    # the Solana side happens after the bridge deposit: slot 0 an hour from now
    with solana_node(int(time.time()) + 3_600) as sol:
        assert main(["fetch", "--chain", "solana", "--rpc", sol.url, "--address", RENTER, "--store",
                     str(store)]) == 0
    yield base, store


def test_the_trail_continues_on_the_linked_chain(case: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, store = case
    capsys.readouterr()
    assert main(["trace", WALLET, "--store", str(store), "--link", f"ethereum:{BRIDGE}=solana:{RENTER}",
                 "--format", "json"]) == 0
    first, second = json.loads(capsys.readouterr().out)["results"]
    assert first["query"]["chain"] == "eip155:1" and second["query"]["chain"] == "solana:mainnet"
    link = second["query"]["link"]
    assert (link["from"], link["to"], link["leg"]) == (BRIDGE, RENTER, 2)
    assert link["arrived"] == [{"asset": USDT, "symbol": "USDT", "amount": "700000"}]
    ends = {e["node"]: e for e in second["exposure"] + second["unlabeled_endpoints"]}
    assert {a["asset"]: a["raw"] for a in ends[HOST]["amounts"]} == {"native": str(2 * 10**9), USDC: "1500000"}
    assert any("leg 2 continues" in c for c in second["coverage"])


def test_a_link_the_trail_never_reaches_is_reported(case: tuple[Path, Path],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    _, store = case
    capsys.readouterr()
    assert main(["trace", WALLET, "--store", str(store), "--link", f"{'0x' + 'c2' * 20}=solana:{RENTER}",
                 "--format", "json"]) == 0
    (only,) = json.loads(capsys.readouterr().out)["results"]
    assert any("1 link(s) not reached by the trail" in c for c in only["coverage"])


def test_the_report_shows_both_legs(case: tuple[Path, Path]) -> None:
    base, store = case
    page = base / "trail.html"
    assert main(["trace", WALLET, "--store", str(store), "--link", f"{BRIDGE}=solana:{RENTER}", "--format", "html",
                 "--out", str(page)]) == 0
    saved = json.loads(page.with_name(page.name + ".manifest.json").read_text())
    assert saved["links"] == [f"{BRIDGE}=solana:{RENTER}"]
    dom = page_dom(page)
    assert "across 2 legs (eip155:1 → solana:mainnet)" in dom
    assert "Leg 2: solana:mainnet" in dom and "700000 USDT reached" in dom
    assert f"https://solscan.io/account/{HOST}" in dom


@pytest.mark.parametrize(("text", "message"), [
    ("0xab", "is not FROM=TO"),
    (f"{BRIDGE}={RENTER}", "does not name the chain it continues on"),
    (f"{BRIDGE}=solana:0x{'ab' * 20}", "invalid address"),
    (f"{BRIDGE}=nochain:{RENTER}", "does not name the chain"),
])
def test_malformed_links_are_one_line_errors(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_link(text)


def test_a_usdt_leg_on_tron_and_a_payment_to_a_solana_gpu_marketplace_in_one_report(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's whole trail: a company wallet on Tron pays USDT into a bridge's deposit address; the value
    continues on Solana at the wallet the bridge paid, which posts a GPU job on Nosana: its payment into the job's
    vault ends the trail at a GPU marketplace (the program-payment heuristic names the vault). One report."""
    from ..sources.test_solana import NOS, NOSANA_JOBS, VAULT
    from ..sources.test_tron import BOB, FakeTronGrid, account, block_time
    from ..sources.test_tron import USDT as TRON_USDT

    store, page = str(tmp_path / "case.duckdb"), tmp_path / "trail.html"
    company, bridge = account("an ai company's tron wallet"), account("a bridge's deposit address on tron")
    tron = FakeTronGrid()
    tron.token_tx("fund", 10, BOB, [(TRON_USDT, BOB, company, 1_000_000_000)], listed_for_signer=False)
    tron.token_tx("bridge", 40, company, [(TRON_USDT, company, bridge, 900_000_000)])
    with tron.server() as server:
        assert main(["fetch", "--chain", "tron", "--rpc", server.url, "--address", company, "--store", store]) == 0
    with solana_node(block_time(40) // 1000 + 3_600) as sol:  # the Solana side follows the bridge deposit
        assert main(["fetch", "--chain", "solana", "--rpc", sol.url, "--address", RENTER, "--store", store]) == 0
    assert main(["cluster", "--chain", "solana", "--store", store]) == 0
    link = f"tron:{bridge}=solana:{RENTER}"
    capsys.readouterr()
    assert main(["trace", company, "--store", store, "--link", link, "--format", "json"]) == 0
    first, second = json.loads(capsys.readouterr().out)["results"]
    bridged = {e["node"]: e for e in first["unlabeled_endpoints"]}[bridge]
    assert {a["asset"]: a["raw"] for a in bridged["amounts"]} == {TRON_USDT: "900000000"}
    assert bridged["stopped_because"] == "linked"
    (vault,) = [e for e in second["exposure"] if e["node"] == VAULT]
    assert vault["category"] == "gpu-marketplace" and {a["asset"]: a["raw"] for a in vault["amounts"]} == {
        NOS: "25000000"}
    assert NOSANA_JOBS not in {e["node"] for e in second["exposure"]}  # the program itself received nothing
    assert main(["trace", company, "--store", store, "--link", link, "--format", "html", "--out", str(page)]) == 0
    dom = page_dom(page)
    assert "across 2 legs (tron:mainnet → solana:mainnet)" in dom and "900 USDT reached" in dom
    assert "payment account of Nosana Jobs program" in dom and "https://tronscan.org/#/transaction/" in dom
