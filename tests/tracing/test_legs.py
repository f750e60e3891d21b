"""A trail across chains: USDT leaves a wallet on Ethereum (a real anvil) for a bridge deposit address, and the
value continues on Solana (a loopback node in Solana's wire format) at the wallet the user links it to; one
trace, one report, two legs."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from trailscan.cli import main
from trailscan.devnet import DEV_ACCOUNTS, Anvil
from trailscan.errors import InputError
from trailscan.tracing.legs import parse_link

from ..report.test_html import chromium
from ..sources.test_solana import HOST, RENTER, USDC, solana_node

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
    dom = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout
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
