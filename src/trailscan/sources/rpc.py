"""JSON-RPC over HTTP: batching, failover, a requests-per-second budget, retries with backoff and jitter.

Errors are classified by JSON-RPC code first and message second (providers reuse codes such as -32005
for both "too many results" and "rate limited").
"""

from __future__ import annotations

import email.utils
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

import httpx
import orjson

from ..errors import RangeTooLarge, RpcError, RpcProtocolError, RpcUnreachable
from ..redact import redact_url

Call = tuple[str, Sequence[Any]]

RETRY_HTTP = {408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 524}
# Failures that are rarely transient (connection refused, an answer that is not JSON-RPC at all):
# retried this many times at most, so that a wrong URL fails in about a second.
PERMANENT_RETRIES = 2
_RANGE_MSG = re.compile(
    r"more than \d+ results|block range|range is too (large|wide)|exceed(s|ed)? (the )?max(imum)? block range"
    r"|response size|too many (results|logs)|(?<!rate )limit exceeded|query timeout|returned more than"
    r"|log response size|max results|range too large|try with this block range",
    re.I,
)
_RATE_MSG = re.compile(r"rate limit|too many requests|request rate|exceeded .*(daily|rate|capacity|credits)", re.I)
_NOT_SUPPORTED_MSG = re.compile(
    r"not (supported|available|implemented)|(?<!header )not found|unsupported|does not exist|unknown method", re.I
)


class JsonRpcError(RpcError):
    """An error object returned by the node for one call (``message`` is the node's own text)."""

    def __init__(self, code: int, message: str, data: Any = None, *, method: str = "") -> None:
        super().__init__(message, code=code)
        self.message = message
        self.data = data
        self.method = method

    def __str__(self) -> str:
        call = f" to {self.method}" if self.method else ""
        text = " ".join(str(self.message).split())[:300]
        return f"the RPC endpoint answered error {self.code}{call}: {text}; is the node synced and the request valid?"

    @property
    def kind(self) -> str:
        """One of: range, rate, unsupported, invalid, server."""
        code, msg = self.code, self.message
        if code == -32601:
            return "unsupported"
        if code == -32005:
            return "rate" if _RATE_MSG.search(msg) else "range"
        if code in (-32602, -32000, -32603, -32001, -32004, -32011, -32099) and _RANGE_MSG.search(msg):
            return "range"
        if code in (429, -32029, -32090, -32098) or _RATE_MSG.search(msg):
            return "rate"
        if _NOT_SUPPORTED_MSG.search(msg) and code in (-32000, -32004, -32602, -32603, -32600):
            return "unsupported"
        if code in (-32602, -32600, -32700):
            return "invalid"
        return "server"


@dataclass
class RpcStats:
    requests: int = 0  # HTTP requests, retries included
    calls: int = 0  # JSON-RPC calls sent, retries included
    retries: int = 0
    methods: Counter[str] = field(default_factory=Counter)  # calls sent per method


class _Budget:
    """A token bucket: at most ``rps`` calls per second across all threads (``None``: unlimited)."""

    def __init__(self, rps: float | None) -> None:
        self.rps = rps
        self._lock = threading.Lock()
        self._next = time.monotonic()

    def take(self, n: int = 1) -> None:
        if not self.rps:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + n / self.rps
        delay = start - now
        if delay > 0:
            time.sleep(delay)


class RpcClient:
    """A thread-safe JSON-RPC client over one or more endpoints (later ones are failovers)."""

    def __init__(
        self,
        urls: Sequence[str],
        *,
        rps: float | None = None,
        timeout: float = 30.0,
        max_retries: int = 6,
        backoff_base: float = 0.25,
        backoff_cap: float = 30.0,
        retry_after_cap: float = 120.0,
    ) -> None:
        if not urls:
            raise RpcError(
                "no RPC endpoint given", hint="pass --rpc URL or set TRAILSCAN_RPC_URL (or ETH_RPC_URL)"
            )
        for url in urls:
            if not url.startswith(("http://", "https://")):
                raise RpcError(
                    f"unsupported RPC URL {redact_url(url)!r}", hint="use an http:// or https:// endpoint"
                )
            try:
                if not httpx.URL(url).host:
                    raise httpx.InvalidURL("no host")
            except httpx.InvalidURL:
                raise RpcError(f"malformed RPC URL {redact_url(url)!r}", hint="check the host and port") from None
        self.urls = list(urls)
        self.rps = rps
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.retry_after_cap = retry_after_cap
        self.stats = RpcStats()
        self._active = 0
        self._lock = threading.Lock()
        self._ids = 0
        self._budget = _Budget(rps)
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
            headers={"content-type": "application/json", "user-agent": "trailscan"},
        )

    @property
    def endpoint(self) -> str:
        """The active endpoint, redacted for display."""
        return redact_url(self.urls[self._active])

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RpcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public calls -------------------------------------------------------------------------------

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """One call; raises :class:`JsonRpcError` for an error object, :class:`RpcError` for transport."""
        result = self.batch([(method, params)])[0]
        if isinstance(result, JsonRpcError):
            raise result
        return result

    def batch(self, calls: Sequence[Call]) -> list[Any]:
        """Send calls as one JSON-RPC batch; each result is the value or a :class:`JsonRpcError`.

        Calls whose error is a rate limit are retried with backoff (the others are returned as errors).
        """
        if not calls:
            return []
        results: list[Any] = [None] * len(calls)
        pending = list(range(len(calls)))
        attempt = 0
        while pending:
            answers = self._send([calls[i] for i in pending])
            again: list[int] = []
            for idx, answer in zip(pending, answers, strict=True):
                if isinstance(answer, JsonRpcError) and answer.kind == "rate" and attempt < self.max_retries:
                    again.append(idx)
                else:
                    if isinstance(answer, JsonRpcError):
                        answer.method = calls[idx][0]
                    results[idx] = answer
            if again:
                self._count_retry()
                self._sleep_backoff(attempt, None)
                attempt += 1
            pending = again
        return results

    # -- transport ----------------------------------------------------------------------------------

    def _next_ids(self, n: int) -> int:
        with self._lock:
            first = self._ids
            self._ids += n
        return first

    def _count_retry(self) -> None:
        with self._lock:
            self.stats.retries += 1

    def _sleep_backoff(self, attempt: int, retry_after: float | None) -> None:
        delay = min(self.backoff_cap, self.backoff_base * (2**attempt))
        delay = delay * (0.5 + random.random() / 2)  # jitter: 50-100% of the exponential step
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.retry_after_cap))
        time.sleep(delay)

    def _send(self, calls: Sequence[Call]) -> list[Any]:
        first = self._next_ids(len(calls))
        body = orjson.dumps(
            [
                {"jsonrpc": "2.0", "id": first + i, "method": m, "params": list(p)}
                for i, (m, p) in enumerate(calls)
            ]
        )
        methods = [m for m, _ in calls]
        answers: list[Any] = self._failover(
            lambda url: self._post_with_retries(url, body, first, len(calls), methods))
        return answers

    def _failover(self, attempt: Callable[[str], Any]) -> Any:
        """``attempt`` on the active endpoint, then on each failover in turn; the one that answers stays active."""
        last_error: RpcError | None = None
        for endpoint_try in range(len(self.urls)):
            url_index = (self._active + endpoint_try) % len(self.urls)
            try:
                answer = attempt(self.urls[url_index])
            except RpcError as exc:
                last_error = exc
                continue
            self._active = url_index
            return answer
        assert last_error is not None
        raise last_error

    def _post_with_retries(self, url: str, body: bytes, first_id: int, n: int, methods: list[str]) -> list[Any]:
        result: list[Any] = self._with_retries(url, lambda: self._http.post(url, content=body),
                                               lambda content, _: _parse_batch(content, first_id, n), n, methods)
        return result

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET ``path`` below the endpoint URL (a REST API such as TronGrid's or a Cosmos LCD) and parse its
        JSON, with the same request budget, retries, backoff and failover as JSON-RPC calls. An HTTP 4xx answer
        with a JSON body is returned as :class:`JsonRpcError` with the HTTP status as its code."""
        return self._rest(path, params, None)

    def post_json(self, path: str, body: Any, params: dict[str, Any] | None = None) -> Any:
        """POST the JSON ``body`` to ``path`` below the endpoint URL (a Tron node's ``/wallet/*`` API), with the same
        budget, retries, failover and answers as :meth:`get_json`."""
        return self._rest(path, params, orjson.dumps(body))

    def _rest(self, path: str, params: dict[str, Any] | None, body: bytes | None) -> Any:
        def attempt(base: str) -> Any:
            url = base.split("?", 1)[0].rstrip("/") + "/" + path.lstrip("/")
            query = dict(httpx.URL(base).params)  # a key in the endpoint's query string stays in every request
            query.update({k: str(v) for k, v in (params or {}).items()})

            def send() -> httpx.Response:
                if body is None:
                    return self._http.get(url, params=query)
                return self._http.post(url, params=query, content=body)

            return self._with_retries(base, send, _parse_rest, 1, [path.split("?")[0]])

        return self._failover(attempt)

    def _with_retries(self, url: str, send: Callable[[], httpx.Response], parse: Callable[[bytes, int], Any],
                      n: int, methods: list[str]) -> Any:
        shown = redact_url(url)
        attempt = 0
        limit = self.max_retries
        while True:
            self._budget.take(n)
            problem: RpcError
            retry_after: float | None = None
            try:
                with self._lock:
                    self.stats.requests += 1
                    self.stats.calls += n
                    self.stats.methods.update(methods)
                response = send()
            except httpx.TimeoutException:
                problem = RpcUnreachable("the RPC endpoint timed out", endpoint=shown,
                                         hint="check the node, or raise --timeout")
            except httpx.ConnectError:
                # refused / no route: usually a wrong URL or a stopped node, so retry only briefly
                problem = RpcUnreachable("cannot connect to the RPC endpoint", endpoint=shown,
                                         hint="check the URL and that the node is running")
                limit = min(limit, PERMANENT_RETRIES)
            except httpx.TransportError as exc:
                problem = RpcUnreachable(
                    f"cannot reach the RPC endpoint ({type(exc).__name__})", endpoint=shown,
                    hint="check the URL and that the node is running",
                )
            else:
                if response.status_code in RETRY_HTTP:
                    retry_after = _parse_retry_after(response.headers.get("retry-after"))
                    problem = RpcUnreachable(f"the RPC endpoint answered HTTP {response.status_code}",
                                             endpoint=shown, hint="lower --rps or try later")
                elif response.status_code >= 400 and not response.content.lstrip().startswith((b"{", b"[")):
                    raise RpcError(f"the RPC endpoint answered HTTP {response.status_code}", endpoint=shown,
                                   hint="check the URL and any API key")
                else:
                    try:
                        return parse(response.content, response.status_code)
                    except RpcProtocolError as exc:
                        problem = RpcProtocolError(exc.message, endpoint=shown,
                                                   hint="is this URL a JSON-RPC endpoint?")
                        limit = min(limit, PERMANENT_RETRIES)
            if attempt >= limit:
                raise problem
            self._count_retry()
            self._sleep_backoff(attempt, retry_after)
            attempt += 1


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _parse_rest(content: bytes, status: int) -> Any:
    """A REST answer: its JSON, or a :class:`JsonRpcError` carrying the HTTP status for a 4xx JSON body."""
    try:
        payload = orjson.loads(content)
    except orjson.JSONDecodeError:
        preview = content[:60].decode("utf-8", "replace").replace("\n", " ")
        raise RpcProtocolError(f"the endpoint answered non-JSON ({preview!r}...)") from None
    if status >= 400:
        message = payload.get("message") or payload.get("Error") or payload.get("error") if isinstance(
            payload, dict) else None
        return JsonRpcError(status, str(message or payload)[:300], payload)
    return payload


def _parse_batch(content: bytes, first_id: int, n: int) -> list[Any]:
    try:
        payload = orjson.loads(content)
    except orjson.JSONDecodeError:
        preview = content[:60].decode("utf-8", "replace").replace("\n", " ")
        raise RpcProtocolError(f"the RPC endpoint answered non-JSON ({preview!r}...)") from None
    if isinstance(payload, dict):
        if "error" in payload and payload.get("id") is None:
            err = payload["error"] or {}
            raise RpcProtocolError(f"the RPC endpoint rejected the batch: {err.get('message', err)}")
        payload = [payload]
    if not isinstance(payload, list):
        raise RpcProtocolError("the RPC endpoint answered JSON that is not a JSON-RPC response")
    out: list[Any] = [_MISSING] * n
    for item in payload:
        if not isinstance(item, dict):
            raise RpcProtocolError("the RPC endpoint answered a malformed JSON-RPC item")
        rid = item.get("id")
        if not isinstance(rid, int) or not first_id <= rid < first_id + n:
            raise RpcProtocolError(f"the RPC endpoint answered an unexpected id {rid!r}")
        if "error" in item and item["error"] is not None:
            err = item["error"]
            code = err.get("code") if isinstance(err, dict) else None
            msg = err.get("message", "") if isinstance(err, dict) else str(err)
            out[rid - first_id] = JsonRpcError(code if isinstance(code, int) else 0, str(msg), err.get("data")
                                               if isinstance(err, dict) else None)
        elif "result" in item:
            out[rid - first_id] = item["result"]
        else:
            raise RpcProtocolError("the RPC endpoint answered an item with neither result nor error")
    if any(a is _MISSING for a in out):
        raise RpcProtocolError("the RPC endpoint left calls of a batch unanswered")
    return out


_MISSING = object()


def raise_for_range(exc: JsonRpcError, endpoint: str) -> NoReturn:
    """Turn a "range too large / too many results" error into :class:`RangeTooLarge`, else re-raise."""
    if exc.kind == "range":
        raise RangeTooLarge(exc.message, endpoint=endpoint, code=exc.code) from exc
    raise exc
