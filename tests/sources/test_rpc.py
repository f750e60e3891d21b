"""RpcClient against a real anvil, through the fault-injecting proxy."""

from __future__ import annotations

import email.utils
import itertools
import time
from collections.abc import Callable, Iterator
from typing import Any

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
    rpc_error,
    too_many_results,
)
from trailscan.devnet import DEV_ACCOUNTS, Anvil, free_port
from trailscan.errors import RangeTooLarge, RpcProtocolError, RpcUnreachable
from trailscan.sources.rpc import JsonRpcError, RpcClient, raise_for_range

KEY = "0123456789abcdef0123456789abcdef"
MINTS = 4
ClientFactory = Callable[..., RpcClient]


@pytest.fixture(scope="module")
def token(anvil: Anvil) -> str:
    """A token with one Transfer log in each of ``MINTS`` consecutive blocks."""
    address = anvil.deploy("Token")
    for _ in range(MINTS):
        anvil.call(DEV_ACCOUNTS[0], address, "mint(address,uint256)", ["address", "uint256"],
                   [DEV_ACCOUNTS[1], 1])
    return address


@pytest.fixture
def make_client() -> Iterator[ClientFactory]:
    """RpcClients with fast backoff, closed after the test."""
    made: list[RpcClient] = []

    def make(*urls: str, **options: Any) -> RpcClient:
        settings = {"backoff_base": 0.01, "backoff_cap": 0.05, "max_retries": 3, "timeout": 5.0, **options}
        client = RpcClient(list(urls), **settings)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(proxy: FaultProxy, make_client: ClientFactory) -> RpcClient:
    return make_client(proxy.url)


def dead_url() -> str:
    """A loopback URL nobody listens on."""
    return f"http://127.0.0.1:{free_port()}/v3/{KEY}"


def gaps(proxy: FaultProxy) -> list[float]:
    """Seconds between consecutive requests the proxy received."""
    times = [seen.at for seen in proxy.seen]
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def logs_filter(token: str, first: int, last: int) -> dict[str, Any]:
    return {"address": token, "fromBlock": hex(first), "toBlock": hex(last)}


# -- pass-through -------------------------------------------------------------------------------------------


def test_call_passes_through(client: RpcClient, proxy: FaultProxy, anvil: Anvil) -> None:
    assert client.call("eth_chainId") == hex(anvil.chain_id)
    assert (client.stats.requests, client.stats.calls, client.stats.retries) == (1, 1, 0)
    assert proxy.calls("eth_chainId") == 1


def test_batch_answers_in_call_order_in_one_request(client: RpcClient, proxy: FaultProxy,
                                                    anvil: Anvil) -> None:
    calls: list[tuple[str, list[Any]]] = [("eth_getBlockByNumber", ["0x0", False]), ("eth_chainId", []),
             ("eth_getBalance", [DEV_ACCOUNTS[2], "latest"]), ("eth_blockNumber", [])]
    block, chain_id, balance, head = client.batch(calls)
    assert block["hash"] == anvil.rpc("eth_getBlockByNumber", "0x0", False)["hash"]
    assert chain_id == hex(anvil.chain_id)
    assert balance == anvil.rpc("eth_getBalance", DEV_ACCOUNTS[2], "latest")
    assert int(head, 16) == anvil.block_number()
    [seen] = proxy.seen
    assert seen.batch and seen.methods == ("eth_getBlockByNumber", "eth_chainId", "eth_getBalance",
                                           "eth_blockNumber")


def test_batch_keeps_a_node_error_in_its_place(client: RpcClient, anvil: Anvil) -> None:
    first, missing, last = client.batch([("eth_chainId", []), ("eth_noSuchMethod", []), ("net_version", [])])
    assert first == hex(anvil.chain_id) and last == str(anvil.chain_id)
    assert isinstance(missing, JsonRpcError)
    assert (missing.code, missing.kind) == (-32601, "unsupported")


def test_empty_batch_sends_nothing(client: RpcClient, proxy: FaultProxy) -> None:
    assert client.batch([]) == []
    assert proxy.seen == []


# -- transport retries ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", [
    http_status(429), http_status(503), http_status(502, body=b"<html>bad gateway</html>"), reset(),
    garbage(), garbage(TRUNCATED_JSON),
], ids=["429", "503", "502-html", "reset", "html-200", "truncated-json"])
def test_one_transport_fault_is_retried(make_client: ClientFactory, anvil: Anvil, fault: Any) -> None:
    with FaultProxy(anvil.url, [fault]) as proxy:
        client = make_client(proxy.url)
        assert client.call("eth_chainId") == hex(anvil.chain_id)
        assert [seen.fired for seen in proxy.seen] == [[fault.name], []]
    assert (client.stats.requests, client.stats.retries) == (2, 1)
    assert fault.fired == 1


def test_retry_after_seconds_is_honoured(client: RpcClient, proxy: FaultProxy) -> None:
    proxy.add(http_status(429, retry_after=1))
    client.call("eth_blockNumber")
    [gap] = gaps(proxy)
    assert 1.0 <= gap < 3.0
    assert client.stats.retries == 1


def test_retry_after_http_date_is_honoured(client: RpcClient, proxy: FaultProxy) -> None:
    when = email.utils.formatdate(time.time() + 2, usegmt=True)  # whole seconds: at least 1 s ahead
    proxy.add(http_status(503, retry_after=when))
    client.call("eth_blockNumber")
    [gap] = gaps(proxy)
    assert 0.9 <= gap < 4.0


def test_retry_after_is_capped(make_client: ClientFactory, proxy: FaultProxy) -> None:
    client = make_client(proxy.url, retry_after_cap=0.2)
    proxy.add(http_status(429, retry_after=600))
    client.call("eth_blockNumber")
    [gap] = gaps(proxy)
    assert 0.2 <= gap < 2.0


def test_timeout_is_retried(make_client: ClientFactory, proxy: FaultProxy, anvil: Anvil) -> None:
    client = make_client(proxy.url, timeout=0.3)
    proxy.add(delay(1.0))
    assert client.call("eth_chainId") == hex(anvil.chain_id)
    [gap] = gaps(proxy)
    assert 0.3 <= gap < 1.0  # the client gave up waiting, it did not wait for the slow answer
    assert client.stats.retries == 1


def test_timeouts_forever_raise_unreachable(make_client: ClientFactory, proxy: FaultProxy) -> None:
    client = make_client(proxy.url, timeout=0.2, max_retries=1)
    proxy.add(delay(0.6, times=ALWAYS))
    with pytest.raises(RpcUnreachable, match="timed out"):
        client.call("eth_chainId")
    assert len(proxy.seen) == 2


def test_backoff_grows_between_retries(make_client: ClientFactory, proxy: FaultProxy) -> None:
    client = make_client(proxy.url, backoff_base=0.1, backoff_cap=10, max_retries=3)
    proxy.add(http_status(503, times=3))
    client.call("eth_blockNumber")
    first, _, third = gaps(proxy)
    assert first >= 0.05 and third >= 0.2  # 50-100% of 0.1 s, then of 0.4 s
    assert third > first


def test_a_batch_rejected_as_a_whole_is_retried(client: RpcClient, proxy: FaultProxy, anvil: Anvil) -> None:
    rejected = b'{"jsonrpc":"2.0","id":null,"error":{"code":-32005,"message":"rate limit exceeded"}}'
    proxy.add(http_status(200, body=rejected, content_type="application/json"))
    assert client.batch([("eth_chainId", []), ("net_version", [])]) == [hex(anvil.chain_id),
                                                                       str(anvil.chain_id)]
    assert (len(proxy.seen), client.stats.retries) == (2, 1)


def test_garbage_forever_is_a_one_line_protocol_error_without_the_key(
        make_client: ClientFactory, proxy: FaultProxy) -> None:
    client = make_client(f"{proxy.url}/v3/{KEY}", max_retries=2)
    proxy.add(garbage(times=ALWAYS))
    with pytest.raises(RpcProtocolError) as caught:
        client.call("eth_chainId")
    text = str(caught.value)
    assert "non-JSON" in text and "/v3/***" in text
    assert KEY not in text and "\n" not in text
    assert len(proxy.requests("eth_chainId")) == 3
    assert proxy.seen[0].path == f"/v3/{KEY}"


def test_unreachable_endpoint_fails_fast(make_client: ClientFactory) -> None:
    url = dead_url()
    client = make_client(url, max_retries=2)
    started = time.monotonic()
    with pytest.raises(RpcUnreachable) as caught:
        client.call("eth_chainId")
    assert time.monotonic() - started < 2.0
    assert KEY not in str(caught.value)
    assert (client.stats.requests, client.stats.retries) == (3, 2)


def test_failover_to_the_second_endpoint(make_client: ClientFactory, proxy: FaultProxy, anvil: Anvil) -> None:
    client = make_client(dead_url(), proxy.url, max_retries=1)
    assert client.call("eth_chainId") == hex(anvil.chain_id)
    assert client.endpoint == proxy.url
    before = client.stats.requests
    client.call("eth_blockNumber")
    assert client.stats.requests == before + 1  # the dead endpoint is not tried again
    assert len(proxy.seen) == 2


def test_every_endpoint_down_raises_unreachable(make_client: ClientFactory) -> None:
    client = make_client(dead_url(), dead_url(), max_retries=0)
    with pytest.raises(RpcUnreachable):
        client.call("eth_chainId")
    assert client.stats.requests == 2


# -- request budget -------------------------------------------------------------------------------------


def test_rps_budget_spaces_requests(make_client: ClientFactory, proxy: FaultProxy) -> None:
    calls, rps = 6, 20.0
    client = make_client(proxy.url, rps=rps)
    started = time.monotonic()
    for _ in range(calls):
        client.call("eth_blockNumber")
    assert time.monotonic() - started >= (calls - 1) / rps
    assert sum(gaps(proxy)) >= (calls - 1) / rps - 0.02  # arrivals, give or take the first connection


def test_rps_budget_counts_the_calls_of_a_batch(make_client: ClientFactory, proxy: FaultProxy) -> None:
    client = make_client(proxy.url, rps=20.0)
    client.batch([("eth_blockNumber", [])] * 4)
    client.call("eth_chainId")
    [gap] = gaps(proxy)
    assert gap >= 4 / 20.0 - 0.02


# -- per-call errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "message"), [
    (-32005, "rate limit exceeded"), (429, "Too Many Requests"),
    (-32005, "daily request count exceeded, request rate limited"),
])
def test_rate_limited_calls_are_retried_alone(client: RpcClient, proxy: FaultProxy, anvil: Anvil,
                                              code: int, message: str) -> None:
    proxy.add(rpc_error(code, message, method="eth_blockNumber", times=2))
    chain_id, head = client.batch([("eth_chainId", []), ("eth_blockNumber", [])])
    assert (chain_id, int(head, 16)) == (hex(anvil.chain_id), anvil.block_number())
    assert [seen.methods for seen in proxy.seen] == [("eth_chainId", "eth_blockNumber"),
                                                     ("eth_blockNumber",), ("eth_blockNumber",)]
    assert client.stats.retries == 2


def test_rate_limit_that_never_ends_is_returned(make_client: ClientFactory, proxy: FaultProxy) -> None:
    client = make_client(proxy.url, max_retries=2)
    proxy.add(rpc_error(-32005, "rate limit exceeded", times=ALWAYS))
    with pytest.raises(JsonRpcError) as caught:
        client.call("eth_blockNumber")
    assert caught.value.kind == "rate"
    assert len(proxy.seen) == 3


def test_other_call_errors_are_not_retried(client: RpcClient, proxy: FaultProxy) -> None:
    proxy.add(rpc_error(-32000, "execution reverted", times=ALWAYS))
    with pytest.raises(JsonRpcError) as caught:
        client.call("eth_call", [{"to": DEV_ACCOUNTS[0]}, "latest"])
    assert (caught.value.kind, len(proxy.seen), client.stats.retries) == ("server", 1, 0)


RANGE_ERRORS = [
    (-32005, "query returned more than 10000 results"),
    (-32602, "block range is too large"),
    (-32000, "exceed maximum block range: 1000"),
    (-32000, "response size exceeded"),
    (-32602, "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range "
             "and no limit on the response size, or you can request any block range with a cap of 10K "
             "logs in the response."),
]


@pytest.mark.parametrize(("code", "message"), RANGE_ERRORS)
def test_range_errors_become_range_too_large(client: RpcClient, proxy: FaultProxy, token: str,
                                             code: int, message: str) -> None:
    proxy.add(rpc_error(code, message, method="eth_getLogs"))
    with pytest.raises(JsonRpcError) as caught:
        client.call("eth_getLogs", [logs_filter(token, 0, 1)])
    error = caught.value
    assert (error.code, error.message, error.kind) == (code, message, "range")
    with pytest.raises(RangeTooLarge) as converted:
        raise_for_range(error, client.endpoint)
    assert converted.value.code == code and client.endpoint in str(converted.value)
    assert client.stats.retries == 0


def test_provider_result_cap_is_a_range_error(client: RpcClient, proxy: FaultProxy, anvil: Anvil,
                                              token: str) -> None:
    proxy.add(too_many_results(MINTS - 1))
    head = anvil.block_number()
    narrow, wide = client.batch([("eth_getLogs", [logs_filter(token, head - 1, head)]),
                                 ("eth_getLogs", [logs_filter(token, 0, head)])])
    assert len(narrow) == 2
    assert isinstance(wide, JsonRpcError) and wide.kind == "range"


def test_provider_block_range_cap_is_a_range_error(client: RpcClient, proxy: FaultProxy, anvil: Anvil,
                                                   token: str) -> None:
    proxy.add(max_block_range(2))
    head = anvil.block_number()
    with pytest.raises(JsonRpcError) as caught:
        client.call("eth_getLogs", [logs_filter(token, head - 2, head)])
    with pytest.raises(RangeTooLarge):
        raise_for_range(caught.value, client.endpoint)
    assert len(client.call("eth_getLogs", [logs_filter(token, head - 1, head)])) == 2


@pytest.mark.parametrize(("code", "message", "kind"), [
    (-32601, "the method trace_filter does not exist/is not available", "unsupported"),
    (-32601, "Method not found", "unsupported"),
    (-32602, "invalid argument 0: hex string without 0x prefix", "invalid"),
])
def test_non_range_errors_are_reraised(client: RpcClient, proxy: FaultProxy, code: int, message: str,
                                       kind: str) -> None:
    proxy.add(rpc_error(code, message))
    with pytest.raises(JsonRpcError) as caught:
        client.call("trace_filter", [{}])
    assert caught.value.kind == kind
    with pytest.raises(JsonRpcError) as again:
        raise_for_range(caught.value, client.endpoint)
    assert again.value is caught.value


@pytest.mark.parametrize("code", [-32000, -32602])
def test_rate_limit_message_wins_over_a_shared_code(code: int) -> None:
    assert JsonRpcError(code, "rate limit exceeded").kind == "rate"


def test_header_not_found_is_a_server_error_not_unsupported() -> None:
    # geth's answer for a block beyond a lagging node's head: transient, not a missing method
    assert JsonRpcError(-32000, "header not found").kind == "server"
    assert JsonRpcError(-32000, "the method trace_filter does not exist/is not available").kind == "unsupported"
