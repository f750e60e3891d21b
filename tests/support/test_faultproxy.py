"""The fault-injecting proxy itself, driven by a bare HTTP client against a real anvil."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from tests.support.faultproxy import (
    ALWAYS,
    TRUNCATED_JSON,
    FaultProxy,
    delay,
    garbage,
    http_status,
    max_block_range,
    reset,
    result,
    rewrite,
    rpc_error,
    too_many_results,
)
from trailscan.devnet import DEV_ACCOUNTS, Anvil, free_port

MINTS = 5


@pytest.fixture(scope="module")
def token(anvil: Anvil) -> str:
    """A token with one Transfer log in each of ``MINTS`` consecutive blocks."""
    address = anvil.deploy("Token")
    for _ in range(MINTS):
        anvil.call(DEV_ACCOUNTS[0], address, "mint(address,uint256)", ["address", "uint256"],
                   [DEV_ACCOUNTS[1], 7])
    return address


def call(method: str, *params: Any, id: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": id, "method": method, "params": list(params)}


def post(url: str, payload: Any, *, timeout: float = 10.0) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    with httpx.Client(timeout=timeout, verify=False) as http:  # plain HTTP: no CA bundle to load
        return http.post(url, content=body, headers={"content-type": "application/json"})


def rpc(url: str, method: str, *params: Any) -> Any:
    return post(url, call(method, *params)).json()


def block_tag(block: int | str) -> str:
    return hex(block) if isinstance(block, int) else block


def logs_filter(token: str, first: int | str, last: int | str) -> dict[str, Any]:
    return {"address": token, "fromBlock": block_tag(first), "toBlock": block_tag(last)}


# -- pass-through -----------------------------------------------------------------------------------------


def test_forwards_a_single_call_and_records_it(proxy: FaultProxy, anvil: Anvil) -> None:
    answer = rpc(proxy.url, "eth_chainId")
    assert answer == {"jsonrpc": "2.0", "id": 1, "result": hex(anvil.chain_id)}
    [seen] = proxy.seen
    assert (seen.methods, seen.batch, seen.fired, seen.path) == (("eth_chainId",), False, [], "/")


def test_forwards_a_batch_in_order_on_any_path(proxy: FaultProxy, anvil: Anvil) -> None:
    batch = [call("eth_blockNumber", id=7), call("eth_chainId", id=8)]
    answers = post(proxy.url + "/v3/0123456789abcdef0123456789abcdef", batch).json()
    assert [a["id"] for a in answers] == [7, 8]
    assert answers[1]["result"] == hex(anvil.chain_id)
    assert proxy.seen[0].path == "/v3/0123456789abcdef0123456789abcdef"
    assert proxy.calls() == 2 and proxy.calls("eth_chainId") == 1
    assert proxy.params("eth_blockNumber") == [[]]


def test_forwards_a_non_json_body_to_the_node(proxy: FaultProxy) -> None:
    answer = post(proxy.url, b"not json").json()
    assert answer["error"]["code"] in (-32700, -32600)  # anvil's own answer
    assert proxy.seen[0].methods == ()


# -- request-level faults ------------------------------------------------------------------------------


def test_http_status_with_retry_after_fires_once(proxy: FaultProxy) -> None:
    rule = proxy.add(http_status(429, retry_after=1, body=b"slow down"))
    first = post(proxy.url, call("eth_chainId"))
    assert (first.status_code, first.headers["retry-after"], first.content) == (429, "1", b"slow down")
    assert post(proxy.url, call("eth_chainId")).status_code == 200
    assert rule.fired == 1
    assert [s.fired for s in proxy.seen] == [["http_status(429)"], []]


def test_http_status_without_retry_after(proxy: FaultProxy) -> None:
    proxy.add(http_status(503, times=2))
    statuses = [post(proxy.url, call("eth_chainId")) for _ in range(3)]
    assert [r.status_code for r in statuses] == [503, 503, 200]
    assert "retry-after" not in statuses[0].headers


def test_only_the_nth_matching_request_is_hit(proxy: FaultProxy) -> None:
    proxy.add(http_status(500, method="eth_blockNumber", nth=2))
    codes = [post(proxy.url, call(m)).status_code
             for m in ("eth_blockNumber", "eth_chainId", "eth_blockNumber", "eth_blockNumber")]
    assert codes == [200, 200, 500, 200]


def test_always_keeps_firing_and_clear_removes_it(proxy: FaultProxy) -> None:
    proxy.add(http_status(502, times=ALWAYS))
    assert {post(proxy.url, call("eth_chainId")).status_code for _ in range(4)} == {502}
    proxy.clear()
    assert post(proxy.url, call("eth_chainId")).status_code == 200


def test_the_earliest_due_rule_acts(proxy: FaultProxy) -> None:
    proxy.add(http_status(503))
    proxy.add(http_status(429))
    codes = [post(proxy.url, call("eth_chainId")).status_code for _ in range(3)]
    assert codes == [503, 429, 200]


def test_every_rule_counts_its_matches(proxy: FaultProxy) -> None:
    proxy.add(http_status(503, times=2))
    kill = proxy.add(reset(nth=2))
    assert [post(proxy.url, call("eth_chainId")).status_code for _ in range(2)] == [503, 503]
    assert (kill.matched, kill.fired) == (2, 0)  # due on its 2nd match, but the earlier rule acted
    with pytest.raises(httpx.TransportError):
        post(proxy.url, call("eth_chainId"))
    assert post(proxy.url, call("eth_chainId")).status_code == 200
    assert (kill.matched, kill.fired) == (4, 1)


def test_delay_makes_a_short_timeout_expire(proxy: FaultProxy) -> None:
    proxy.add(delay(0.6))
    with pytest.raises(httpx.ReadTimeout):
        post(proxy.url, call("eth_chainId"), timeout=0.2)
    assert post(proxy.url, call("eth_chainId"), timeout=5).status_code == 200
    assert proxy.seen[0].fired == ["delay"]
    assert proxy.seen[1].fired == []


def test_delay_is_bounded() -> None:
    with pytest.raises(ValueError):
        delay(60)


def test_reset_drops_the_connection(proxy: FaultProxy) -> None:
    proxy.add(reset())
    with pytest.raises(httpx.TransportError):
        post(proxy.url, call("eth_chainId"))
    assert post(proxy.url, call("eth_chainId")).status_code == 200


@pytest.mark.parametrize("body", [b"<html><body>502 Bad Gateway</body></html>", TRUNCATED_JSON])
def test_garbage_is_answered_with_status_200(proxy: FaultProxy, body: bytes) -> None:
    proxy.add(garbage(body))
    response = post(proxy.url, call("eth_chainId"))
    assert (response.status_code, response.content) == (200, body)
    with pytest.raises(ValueError):
        response.json()


# -- call-level faults ------------------------------------------------------------------------------------


def test_rpc_error_hits_only_the_matching_calls_of_a_batch(proxy: FaultProxy, anvil: Anvil) -> None:
    proxy.add(rpc_error(-32005, "rate limit exceeded", method="eth_blockNumber", times=ALWAYS))
    batch = [call("eth_blockNumber", id=1), call("eth_chainId", id=2), call("eth_blockNumber", id=3)]
    answers = post(proxy.url, batch).json()
    assert [a.get("error", {}).get("code") for a in answers] == [-32005, None, -32005]
    assert answers[1]["result"] == hex(anvil.chain_id)
    assert proxy.seen[0].fired == ["rpc_error(-32005)", "rpc_error(-32005)"]


def test_rpc_error_on_a_single_call_answers_a_single_object(proxy: FaultProxy) -> None:
    proxy.add(rpc_error(-32601, "the method eth_foo does not exist", data="x"))
    answer = rpc(proxy.url, "eth_foo")
    assert answer == {"jsonrpc": "2.0", "id": 1,
                      "error": {"code": -32601, "message": "the method eth_foo does not exist", "data": "x"}}


def test_result_lies_about_the_chain_id(proxy: FaultProxy) -> None:
    proxy.add(result("0x1", method="eth_chainId", times=ALWAYS))
    assert rpc(proxy.url, "eth_chainId")["result"] == "0x1"
    assert rpc(proxy.url, "eth_chainId")["result"] == "0x1"


def test_rewrite_sees_the_upstream_answer(proxy: FaultProxy, anvil: Anvil) -> None:
    def bump(request: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        assert request["method"] == "eth_chainId"
        return {**answer, "result": hex(int(answer["result"], 16) + 1)}

    proxy.add(rewrite(bump, method="eth_chainId"))
    assert rpc(proxy.url, "eth_chainId")["result"] == hex(anvil.chain_id + 1)
    assert rpc(proxy.url, "eth_chainId")["result"] == hex(anvil.chain_id)


def test_too_many_results_refuses_only_large_answers(proxy: FaultProxy, anvil: Anvil, token: str) -> None:
    rule = proxy.add(too_many_results(2))
    head = anvil.block_number()
    wide = rpc(proxy.url, "eth_getLogs", logs_filter(token, 0, head))
    assert wide["error"] == {"code": -32005, "message": "query returned more than 2 results"}
    narrow = rpc(proxy.url, "eth_getLogs", logs_filter(token, head - 1, head))
    assert len(narrow["result"]) == 2
    assert rule.fired == 1 and rule.matched == 2
    assert [s.fired for s in proxy.seen] == [["too_many_results"], []]


def test_max_block_range_counts_blocks_not_logs(proxy: FaultProxy, anvil: Anvil, token: str) -> None:
    proxy.add(max_block_range(3))
    head = anvil.block_number()
    refused = rpc(proxy.url, "eth_getLogs", logs_filter(token, head - 3, head))
    assert refused["error"] == {"code": -32000, "message": "exceed maximum block range: 3"}
    assert len(rpc(proxy.url, "eth_getLogs", logs_filter(token, head - 2, head))["result"]) == 3
    assert "error" in rpc(proxy.url, "eth_getLogs", logs_filter(token, "earliest", "latest"))
    assert len(rpc(proxy.url, "eth_getLogs", logs_filter(token, "latest", "latest"))["result"]) == 1


def test_max_block_range_with_a_custom_provider_message(proxy: FaultProxy, anvil: Anvil, token: str) -> None:
    proxy.add(max_block_range(1, code=-32602, message="block range is too large"))
    head = anvil.block_number()
    batch = [call("eth_getLogs", logs_filter(token, head - 1, head), id=1),
             call("eth_getLogs", logs_filter(token, head, head), id=2)]
    first, second = post(proxy.url, batch).json()
    assert first["error"]["message"] == "block range is too large"
    assert second["result"][0]["blockNumber"] == hex(head)


# -- lifetime ---------------------------------------------------------------------------------------------


def test_close_stops_listening(anvil: Anvil) -> None:
    proxy = FaultProxy(anvil.url)
    url = proxy.url
    assert url.startswith("http://127.0.0.1:")
    proxy.close()
    with pytest.raises(httpx.ConnectError):
        post(url, call("eth_chainId"), timeout=2)


def test_upstream_down_is_a_502() -> None:
    with FaultProxy(f"http://127.0.0.1:{free_port()}") as orphan:
        response = post(orphan.url, call("eth_chainId"))
    assert response.status_code == 502
    assert orphan.seen[0].methods == ("eth_chainId",)
