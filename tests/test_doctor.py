"""`trailscan doctor`: what an endpoint supports, and which native-value method fetch will use."""

from __future__ import annotations

import json

import pytest

from trailscan.cli import main
from trailscan.devnet import Anvil

from .support.faultproxy import ALWAYS, FaultProxy, rpc_error

HISTORY = ["ots_searchTransactions", "trace_filter", "trace_block", "debug_traceBlockByNumber", "block_scan",
           "eth_getBlockReceipts"]


def _doctor(capsys: pytest.CaptureFixture[str], url: str, *extra: str) -> dict[str, object]:
    assert main(["doctor", "--rpc", url, "--format", "json", *extra]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["success"] is True
    result: dict[str, object] = body["results"][0]
    return result


def test_doctor_reports_a_full_node(anvil: Anvil, capsys: pytest.CaptureFixture[str]) -> None:
    anvil.mine(3)
    report = _doctor(capsys, anvil.url, "--chain", "31337")
    assert report["chain_id"] == 31337
    assert report["head"] == anvil.block_number()
    assert report["finalized"] == 0 and isinstance(report["latency_ms"], float)
    assert {name: report[name] for name in HISTORY} == dict.fromkeys(HISTORY, "yes")
    assert report["native_value_via"] == "ots_searchTransactions"


def test_doctor_falls_back_when_methods_are_missing(anvil: Anvil, capsys: pytest.CaptureFixture[str]) -> None:
    anvil.mine(2)
    with FaultProxy(anvil.url) as proxy:
        for method in ("ots_getApiLevel", "trace_filter", "trace_block"):
            proxy.add(rpc_error(-32601, f"the method {method} does not exist/is not available", method=method,
                                times=ALWAYS))
        report = _doctor(capsys, proxy.url)
    assert [report[name] for name in HISTORY] == ["no", "no", "no", "yes", "yes", "yes"]
    assert report["native_value_via"] == "debug_traceBlockByNumber"


def test_doctor_table_names_the_endpoint_redacted(anvil: Anvil, capsys: pytest.CaptureFixture[str]) -> None:
    with FaultProxy(anvil.url) as proxy:
        key = "0123456789abcdef0123456789abcdef"
        assert main(["doctor", "--rpc", f"{proxy.url}/v3/{key}"]) == 0
    out = capsys.readouterr().out
    assert "/v3/***" in out and key not in out
    assert "native_value_via" in out
