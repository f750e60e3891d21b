"""The command line: exact one-line errors for bad input, no traceback, and an untouched store."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trailscan.cli import main
from trailscan.devnet import Anvil, free_port

from .support.faultproxy import ALWAYS, FaultProxy, result, rewrite, rpc_error
from .world import ALICE, BOB, DAVE, World

KEY = "0123456789abcdef0123456789abcdef"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def filled_store(tmp_path: Path, world_node: tuple[Anvil, World], capsys: pytest.CaptureFixture[str]) -> Path:
    node, world = world_node
    path = tmp_path / "filled.duckdb"
    code, _, err = run(capsys, "fetch", "--rpc", node.url, "--chain", "31337", "-a", ALICE, "--to-block",
                       str(world.head), "--store", str(path))
    assert code == 0, err
    return path


class _Html(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = b"<html><body>502 Bad Gateway</body></html>"
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def html_endpoint() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Html)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v3/{KEY}"
    server.shutdown()
    server.server_close()


BAD_INPUT = [
    (["--address", "0x1234"], 1,
     "Error: invalid address '0x1234': not a 20-byte hex address; an EVM address is 0x followed by 40 hex digits"),
    (["--address", "0x70997970c51812dc3A010C7d01b50e0d17dc79C8"], 1,
     "Error: invalid address '0x70997970c51812dc3A010C7d01b50e0d17dc79C8': EIP-55 checksum mismatch (a character "
     "was probably mistyped); check the address at its source, or pass it all lower-case to skip the checksum"),
    (["--address", ALICE, "--chain", "narnia"], 1,
     "Error: unknown chain 'narnia'; use one of ethereum, optimism, bsc, polygon, base, arbitrum, avalanche, solana, "
     "tron, akash, or a numeric EVM chain id"),
    (["--address", ALICE, "--from-block", "9", "--to-block", "3"], 1,
     "Error: --from-block 9 is after --to-block 3; swap them, or omit one"),
    ([], 1, "Error: nothing to fetch; give at least one --address or --token"),
    (["--address", ALICE, "--chain", "solana"], 1,
     f"Error: invalid address '{ALICE}': this is an EVM (hex) address, but solana addresses are base58 of 32 bytes; "
     "pass the address as Solana shows it (base58), or pick the address's chain with --chain"),
    (["--address", ALICE, "--format", "xml"], 2,
     "Error: Invalid value for '--format' / '-f': Value error, 'xml' is not one of 'table', 'json', 'csv', "
     "'markdown'; see 'trailscan fetch --help'"),
]


@pytest.mark.parametrize(("args", "code", "message"), BAD_INPUT)
def test_bad_input_is_one_line_and_leaves_the_store(args: list[str], code: int, message: str, filled_store: Path,
                                                    world_node: tuple[Anvil, World],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    node, _ = world_node
    before = _digest(filled_store)
    chain = [] if "--chain" in args else ["--chain", "31337"]
    got, out, err = run(capsys, "fetch", "--rpc", node.url, *chain, *args, "--store", str(filled_store))
    assert (got, err.strip()) == (code, message)
    assert "Traceback" not in out + err and out == ""
    assert _digest(filled_store) == before


def test_wrong_chain_id(filled_store: Path, world_node: tuple[Anvil, World],
                        capsys: pytest.CaptureFixture[str]) -> None:
    node, _ = world_node
    before = _digest(filled_store)
    code, _, err = run(capsys, "fetch", "--rpc", node.url, "--chain", "ethereum", "-a", ALICE,
                       "--store", str(filled_store))
    assert code == 1
    assert err.strip() == (f"Error: the RPC endpoint serves chain id 31337, not ethereum (1) ({node.url}); "
                           "pass --chain 31337 or another --rpc")
    assert _digest(filled_store) == before


def test_unreachable_rpc_with_key_is_redacted(filled_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _digest(filled_store)
    url = f"http://127.0.0.1:{free_port()}/v3/{KEY}"
    code, out, err = run(capsys, "fetch", "--rpc", url, "--chain", "31337", "-a", ALICE, "--store", str(filled_store))
    assert code == 1
    assert err.startswith("Error: cannot connect to the RPC endpoint (http://127.0.0.1:")
    assert err.strip().endswith("/v3/***); check the URL and that the node is running")
    assert KEY not in out + err and err.count("\n") == 1
    assert _digest(filled_store) == before


def test_non_json_rpc(filled_store: Path, html_endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = _digest(filled_store)
    code, _, err = run(capsys, "fetch", "--rpc", html_endpoint, "--chain", "31337", "-a", ALICE,
                       "--store", str(filled_store))
    assert code == 1
    assert err.startswith("Error: the RPC endpoint answered non-JSON ('<html><body>502 Bad Gateway</body></html>'...)")
    assert err.strip().endswith("/v3/***); is this URL a JSON-RPC endpoint?")
    assert KEY not in err
    assert _digest(filled_store) == before


def test_debug_shows_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(Exception, match="invalid address"):
        main(["--debug", "fetch", "--rpc", "http://127.0.0.1:9", "-a", "0x12"])


def test_rpc_from_environment(filled_store: Path, world_node: tuple[Anvil, World], capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    node, world = world_node
    monkeypatch.setenv("ETH_RPC_URL", node.url)
    monkeypatch.setenv("TRAILSCAN_STORE", str(filled_store))
    code, out, _ = run(capsys, "fetch", "--chain", "31337", "-a", ALICE, "--to-block", str(world.head),
                       "--format", "json")
    assert code == 0
    body = json.loads(out)
    assert body["success"] is True and body["results"][0]["new_records"] == 0


def test_transfers_formats_agree(filled_store: Path, world_node: tuple[Anvil, World],
                                 capsys: pytest.CaptureFixture[str]) -> None:
    _, world = world_node
    code, out, _ = run(capsys, "transfers", ALICE, "--store", str(filled_store), "--format", "json")
    assert code == 0
    rows = json.loads(out)["results"]
    assert len(rows) == len(world.transfers)
    assert {r["amount_raw"] for r in rows} >= {str(2**255 + 12345), str(2**200 + 1)}
    code, out, _ = run(capsys, "transfers", ALICE, "--store", str(filled_store), "--format", "csv")
    lines = out.strip().splitlines()
    assert lines[0].startswith("chain,block,time_utc,tx_hash,locator,kind,from,to,asset,symbol,token_id,amount_raw")
    assert len(lines) == len(world.transfers) + 1
    code, out, _ = run(capsys, "transfers", ALICE, "--store", str(filled_store), "--kind", "erc721")
    assert code == 0 and "#1461501637330902918203684832716283019655932542983" in out


def test_missing_store_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "transfers", ALICE, "--store", str(tmp_path / "none.duckdb"))
    assert code == 1
    missing = tmp_path / "none.duckdb"
    assert err.strip() == f"Error: no store at {missing}; run 'trailscan fetch' first, or pass --store PATH"


def test_transfers_name_counterparties_from_case_labels(filled_store: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "case"
    case.mkdir()
    (case / "case.yaml").write_text(
        "title: test case\nsource: interview notes p. 4\nconfidence: forensic\nnetwork: 31337\n"
        f"category: gpu-broker\ntags:\n- address: {BOB}\n  label: Broker <b>X</b>\n")
    code, out, _ = run(capsys, "transfers", ALICE, "--store", str(filled_store), "--labels", str(case), "-f", "json")
    assert code == 0
    rows = json.loads(out)["results"]
    to_bob = [r for r in rows if r["to"] == BOB]
    assert to_bob and {r["to_label"] for r in to_bob} == {"Broker <b>X</b> [gpu-broker]"}
    assert {r["from_label"] for r in rows if r["from"] == BOB} <= {"Broker <b>X</b> [gpu-broker]"}
    assert all(r["to_label"] is None for r in rows if r["to"] not in (BOB,))
    code, out, _ = run(capsys, "transfers", ALICE, "--store", str(filled_store), "--labels", str(case))
    assert "Broker <b>X</b> [gpu-broker]" in out  # shown as text, never interpreted


def test_a_node_error_is_one_line(filled_store: Path, world_node: tuple[Anvil, World],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    node, _ = world_node
    before = _digest(filled_store)
    with FaultProxy(node.url) as proxy:
        proxy.add(rpc_error(-32000, "header not found", method="eth_getLogs", times=ALWAYS))
        code, out, err = run(capsys, "fetch", "--rpc", proxy.url, "--chain", "31337", "-a", DAVE,
                             "--store", str(filled_store))
    assert code == 1 and out == ""
    assert err == ("Error: the RPC endpoint answered error -32000 to eth_getLogs: header not found; "
                   "is the node synced and the request valid?\n")
    assert _digest(filled_store) == before


def _scramble_traces(_request: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    answer["result"] = [{"action": 5, "traceAddress": "x", "transactionHash": "0x01", "type": "call"}]
    return answer


@pytest.mark.parametrize("rule", [
    lambda: rewrite(_scramble_traces, method="trace_transaction", times=ALWAYS),
    lambda: result({"number": "0x1"}, method="eth_getBlockByNumber", times=ALWAYS),
    lambda: result("zzz", method="eth_blockNumber", times=ALWAYS),
], ids=["traces", "blocks", "head"])
def test_malformed_answers_are_one_line(rule: Any, filled_store: Path, world_node: tuple[Anvil, World],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    node, _ = world_node
    before = _digest(filled_store)
    with FaultProxy(node.url) as proxy:
        proxy.add(rule())
        code, out, err = run(capsys, "fetch", "--rpc", proxy.url, "--chain", "31337", "-a", BOB,
                             "--store", str(filled_store))
    assert code == 1 and out == ""
    assert err.startswith("Error: the RPC endpoint answered") and err.count("\n") == 1
    assert "Traceback" not in err
    assert _digest(filled_store) == before


@pytest.mark.parametrize("url", ["http://", "http://exa mple.com:8545", "https://host:99999999/"])
def test_malformed_rpc_urls(url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "fetch", "--rpc", url, "-a", ALICE, "--store", str(tmp_path / "s.duckdb"))
    assert code == 1
    assert err.startswith("Error: malformed RPC URL") or err.startswith("Error: cannot connect")
    assert not (tmp_path / "s.duckdb").exists()
