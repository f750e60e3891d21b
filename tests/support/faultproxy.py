"""A loopback JSON-RPC proxy that injects faults, for testing clients against a real node.

The proxy listens on 127.0.0.1 (any URL path is accepted, so provider-style paths with keys work) and
forwards JSON-RPC POST bodies, single or batch, to an upstream node. Rules, tried in the order they were
added, replace the upstream's answer:

* request-level actions act on the whole HTTP request: :func:`http_status`, :func:`delay`,
  :func:`reset`, :func:`garbage`;
* call-level actions act on each matching call of a (batch) request, the other calls still go upstream:
  :func:`rpc_error`, :func:`result`, :func:`rewrite`, :func:`too_many_results`, :func:`max_block_range`.

A rule matches a method (or any method: ``method=None``). Every rule counts its matches (requests for
request-level rules, calls for call-level ones) from when it was added, whatever the other rules do; it
acts from its ``nth`` match on and at most ``times`` times (:data:`ALWAYS`: no limit). When several rules
are due, the earliest added acts. Nothing is random, so a sequential client sees the same faults on every
run. Every request is recorded on arrival in :attr:`FaultProxy.seen` (:class:`Seen`: arrival time,
path, methods, params, which rules fired).

    with FaultProxy(anvil.url) as proxy:
        proxy.add(http_status(429, retry_after=1))
        proxy.add(max_block_range(100))
        client = RpcClient([proxy.url])
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypedDict, Unpack

import httpx
import orjson

ALWAYS: None = None
"""``times=ALWAYS``: the rule never runs out."""

MAX_DELAY = 10.0
MAX_BODY = 64 * 1024 * 1024
HTML_ERROR_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head>"
    b"<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n"
)
TRUNCATED_JSON = b'{"jsonrpc":"2.0","id":0,"result":"0x'

Item = dict[str, Any]
RewriteFn = Callable[[Item, Item], Item]


# -- actions -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """A complete HTTP answer."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


class RequestAction:
    """Acts on a whole HTTP request. ``None`` from :meth:`act` means: continue as if no rule fired."""

    name = "request"

    def act(self, proxy: FaultProxy) -> Reply | None:
        raise NotImplementedError


class CallAction:
    """Acts on one call. :meth:`act` returns the response item to send, or ``None`` to leave the call
    alone, and whether the fault fired (a limit may forward the call and find it within bounds)."""

    name = "call"

    def act(self, item: Item, upstream: Upstream) -> tuple[Item | None, bool]:
        raise NotImplementedError


@dataclass(frozen=True)
class HttpStatus(RequestAction):
    code: int
    retry_after: str | None
    body: bytes
    content_type: str

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"http_status({self.code})"

    def act(self, proxy: FaultProxy) -> Reply:
        headers = [("Content-Type", self.content_type)]
        if self.retry_after is not None:
            headers.append(("Retry-After", self.retry_after))
        return Reply(self.code, self.body, tuple(headers))


@dataclass(frozen=True)
class Delay(RequestAction):
    seconds: float
    name = "delay"

    def act(self, proxy: FaultProxy) -> None:
        proxy.closing.wait(self.seconds)  # returns early when the proxy closes
        return None


class Reset(RequestAction):
    name = "reset"

    def act(self, proxy: FaultProxy) -> Reply:
        return RESET


RESET = Reply(0, b"")


@dataclass(frozen=True)
class Garbage(RequestAction):
    body: bytes
    content_type: str
    name = "garbage"

    def act(self, proxy: FaultProxy) -> Reply:
        return Reply(200, self.body, (("Content-Type", self.content_type),))


@dataclass(frozen=True)
class RpcErrorAction(CallAction):
    code: int
    message: str
    data: Any = None

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"rpc_error({self.code})"

    def act(self, item: Item, upstream: Upstream) -> tuple[Item, bool]:
        return error_item(item, self.code, self.message, self.data), True


@dataclass(frozen=True)
class Result(CallAction):
    value: Any
    name = "result"

    def act(self, item: Item, upstream: Upstream) -> tuple[Item, bool]:
        return {"jsonrpc": "2.0", "id": item.get("id"), "result": self.value}, True


@dataclass(frozen=True)
class Rewrite(CallAction):
    fn: RewriteFn
    name = "rewrite"

    def act(self, item: Item, upstream: Upstream) -> tuple[Item, bool]:
        return self.fn(item, upstream.call(item)), True


@dataclass(frozen=True)
class TooManyResults(CallAction):
    max_results: int
    code: int
    message: str
    name = "too_many_results"

    def act(self, item: Item, upstream: Upstream) -> tuple[Item, bool]:
        answer = upstream.call(item)
        found = answer.get("result")
        if isinstance(found, list) and len(found) > self.max_results:
            return error_item(item, self.code, self.message), True
        return answer, False


@dataclass(frozen=True)
class MaxBlockRange(CallAction):
    max_blocks: int
    code: int
    message: str
    name = "max_block_range"

    def act(self, item: Item, upstream: Upstream) -> tuple[Item | None, bool]:
        if block_span(item, upstream) > self.max_blocks:
            return error_item(item, self.code, self.message), True
        return None, False


def error_item(item: Item, code: int, message: str, data: Any = None) -> Item:
    error: Item = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": item.get("id"), "error": error}


def block_span(item: Item, upstream: Upstream) -> int:
    """How many blocks an eth_getLogs filter covers (tags resolved against the upstream head)."""
    params = item.get("params") or [{}]
    flt = params[0] if isinstance(params[0], dict) else {}
    if flt.get("blockHash"):
        return 1
    first = _block_number(flt.get("fromBlock", "latest"), upstream)
    last = _block_number(flt.get("toBlock", "latest"), upstream)
    return max(0, last - first + 1)


def _block_number(tag: Any, upstream: Upstream) -> int:
    if isinstance(tag, int):
        return tag
    if tag == "earliest":
        return 0
    if isinstance(tag, str) and tag.startswith("0x"):
        return int(tag, 16)
    return upstream.head()


# -- rules -----------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Rule:
    """One fault: which requests or calls it matches, and how often it acts."""

    action: RequestAction | CallAction
    method: str | None = None
    nth: int = 1
    times: int | None = 1
    matched: int = 0
    fired: int = 0

    @property
    def name(self) -> str:
        return self.action.name

    @property
    def per_call(self) -> bool:
        return isinstance(self.action, CallAction)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def _due(self, methods: Sequence[str]) -> bool:
        """Count a match (if any); whether the rule would act on it. Call under the proxy lock."""
        if self.method is not None and self.method not in methods:
            return False
        self.matched += 1
        return self.matched >= self.nth and not self.exhausted


def _first_due(rules: Sequence[Rule], methods: Sequence[str]) -> Rule | None:
    """Let every rule count the match; the first due one reserves a firing and is returned."""
    due = [rule for rule in rules if rule._due(methods)]
    if not due:
        return None
    due[0].fired += 1
    return due[0]


class Match(TypedDict, total=False):
    method: str | None
    nth: int
    times: int | None


def _rule(action: RequestAction | CallAction, match: Match, **defaults: Any) -> Rule:
    options: dict[str, Any] = {**defaults, **match}
    return Rule(action, **options)


def http_status(code: int, *, retry_after: float | str | None = None, body: bytes = b"",
                content_type: str = "text/plain", **match: Unpack[Match]) -> Rule:
    """Answer the HTTP request with ``code`` (e.g. 429, 503), optionally with a Retry-After header
    (seconds or an HTTP-date string)."""
    shown = None if retry_after is None else (
        retry_after if isinstance(retry_after, str) else f"{retry_after:g}")
    return _rule(HttpStatus(code, shown, body, content_type), match)


def delay(seconds: float, **match: Unpack[Match]) -> Rule:
    """Hold the request ``seconds`` (at most :data:`MAX_DELAY`) before answering it normally."""
    if not 0 <= seconds <= MAX_DELAY:
        raise ValueError(f"delay must be within 0..{MAX_DELAY} s")
    return _rule(Delay(seconds), match)


def reset(**match: Unpack[Match]) -> Rule:
    """Drop the connection without answering (TCP reset)."""
    return _rule(Reset(), match)


def garbage(body: bytes = HTML_ERROR_PAGE, *, content_type: str = "text/html",
            **match: Unpack[Match]) -> Rule:
    """Answer HTTP 200 with a body that is not JSON-RPC (an HTML page, :data:`TRUNCATED_JSON`...)."""
    return _rule(Garbage(body, content_type), match)


def rpc_error(code: int, message: str, *, data: Any = None, **match: Unpack[Match]) -> Rule:
    """Answer each matching call with a JSON-RPC error object."""
    return _rule(RpcErrorAction(code, message, data), match)


def result(value: Any, **match: Unpack[Match]) -> Rule:
    """Answer each matching call with ``value`` without asking the upstream (e.g. a wrong chain id)."""
    return _rule(Result(value), match)


def rewrite(fn: RewriteFn, **match: Unpack[Match]) -> Rule:
    """Forward each matching call, then answer ``fn(request_item, upstream_response_item)``."""
    return _rule(Rewrite(fn), match)


def too_many_results(max_results: int, *, code: int = -32005, message: str | None = None,
                     **match: Unpack[Match]) -> Rule:
    """A provider cap on result size: eth_getLogs calls that yield more than ``max_results`` logs get an
    error. Defaults: method eth_getLogs, ``times=ALWAYS`` (a standing limit)."""
    text = message or f"query returned more than {max_results} results"
    return _rule(TooManyResults(max_results, code, text), match, method="eth_getLogs", times=ALWAYS)


def max_block_range(max_blocks: int, *, code: int = -32000, message: str | None = None,
                    **match: Unpack[Match]) -> Rule:
    """A provider cap on eth_getLogs block ranges: a filter spanning more than ``max_blocks`` blocks gets
    an error. Defaults: method eth_getLogs, ``times=ALWAYS``."""
    text = message or f"exceed maximum block range: {max_blocks}"
    return _rule(MaxBlockRange(max_blocks, code, text), match, method="eth_getLogs", times=ALWAYS)


# -- records ---------------------------------------------------------------------------------------------


@dataclass
class Seen:
    """One HTTP request the proxy received (recorded on arrival, completed when answered)."""

    at: float  # time.monotonic() on arrival
    path: str
    methods: tuple[str, ...]
    params: tuple[Any, ...]
    batch: bool
    fired: list[str] = field(default_factory=list)  # names of the rules that acted on it
    answered: float | None = None  # time.monotonic() when the answer (or reset) was ready


# -- upstream ----------------------------------------------------------------------------------------------


class Upstream:
    """The real node behind the proxy."""

    def __init__(self, url: str) -> None:
        self.url = url
        # verify=False: plain HTTP on loopback only, and it spares loading a CA bundle per proxy
        self._http = httpx.Client(timeout=30.0, verify=False, headers={"content-type": "application/json"})

    def post(self, body: bytes) -> Reply:
        response = self._http.post(self.url, content=body)
        kind = response.headers.get("content-type", "application/json")
        return Reply(response.status_code, response.content, (("Content-Type", kind),))

    def call(self, item: Item) -> Item:
        answer: Item = orjson.loads(self.post(orjson.dumps(item)).body)
        return answer

    def batch(self, items: list[Item]) -> dict[Any, Item]:
        if not items:
            return {}
        answers = orjson.loads(self.post(orjson.dumps(items)).body)
        return {answer.get("id"): answer for answer in answers}

    def head(self) -> int:
        answer = self.call({"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber", "params": []})
        return int(answer["result"], 16)

    def close(self) -> None:
        self._http.close()


# -- the server --------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    proxy: FaultProxy


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or -1)
        if not 0 <= length <= MAX_BODY:
            self._send(Reply(411, b"Content-Length required"))
            return
        reply = self.server.proxy.handle(self.path, self.rfile.read(length))
        if reply is RESET:
            self._reset()
        else:
            self._send(reply)

    def do_GET(self) -> None:
        self._send(Reply(405, b"JSON-RPC needs POST"))

    def _send(self, reply: Reply) -> None:
        try:
            self.send_response(reply.status)
            for key, value in reply.headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except OSError:  # the client gave up (e.g. timed out during a delay)
            self.close_connection = True

    def _reset(self) -> None:
        """Close with SO_LINGER 0 so the peer sees a TCP reset, not an orderly close."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()
        self.connection.close()


class FaultProxy:
    """A loopback JSON-RPC proxy in front of ``upstream_url``; see the module docstring."""

    def __init__(self, upstream_url: str, rules: Sequence[Rule] = ()) -> None:
        self.upstream = Upstream(upstream_url)
        self.closing = threading.Event()
        self._lock = threading.Lock()
        self._rules: list[Rule] = list(rules)
        self._seen: list[Seen] = []
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="faultproxy", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- rules and records --------------------------------------------------------------------------

    def add(self, rule: Rule) -> Rule:
        """Append a rule (it is tried after the earlier ones) and return it."""
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule: from now on the proxy only forwards."""
        with self._lock:
            self._rules.clear()

    @property
    def seen(self) -> list[Seen]:
        """Every request received so far, in arrival order."""
        with self._lock:
            return list(self._seen)

    def requests(self, method: str | None = None) -> list[Seen]:
        """The requests that carried ``method`` (all of them for ``None``)."""
        return [s for s in self.seen if method is None or method in s.methods]

    def calls(self, method: str | None = None) -> int:
        """How many calls of ``method`` (any for ``None``) were received, batch members included."""
        return sum(1 for s in self.seen for m in s.methods if method is None or m == method)

    def params(self, method: str) -> list[Any]:
        """The params of every ``method`` call received, in order (e.g. the eth_getLogs filters)."""
        return [p for s in self.seen for m, p in zip(s.methods, s.params, strict=True) if m == method]

    def forget(self) -> None:
        """Drop the records (rules keep their counters)."""
        with self._lock:
            self._seen.clear()

    # -- serving ------------------------------------------------------------------------------------

    def handle(self, path: str, body: bytes) -> Reply:
        arrived = time.monotonic()
        items, batch = _parse(body)
        methods = [str(item.get("method")) for item in items]
        seen = Seen(arrived, path, tuple(methods), tuple(i.get("params") for i in items), batch)
        with self._lock:
            self._seen.append(seen)
            request_rule, call_rules = self._choose(methods)
        fired = seen.fired
        if request_rule:
            fired.append(request_rule.name)
        try:
            reply = self._act_on_request(request_rule)
            if reply is not None or self.closing.is_set():
                self._refund(call_rules)
            else:
                reply = self._answer(body, items, batch, call_rules, fired)
        except httpx.HTTPError as exc:
            reply = Reply(502, f"upstream failed: {type(exc).__name__}".encode())
        finally:
            seen.answered = time.monotonic()
        return reply if reply is not None else RESET

    def _choose(self, methods: list[str]) -> tuple[Rule | None, list[Rule | None]]:
        """Pick the request-level rule and, per call, the call-level rule that act on a request.

        Called under the lock."""
        request_rule = _first_due([r for r in self._rules if not r.per_call], methods)
        per_call = [r for r in self._rules if r.per_call]
        return request_rule, [_first_due(per_call, [method]) for method in methods]

    def _act_on_request(self, rule: Rule | None) -> Reply | None:
        if rule is None:
            return None
        assert isinstance(rule.action, RequestAction)
        return rule.action.act(self)

    def _answer(self, body: bytes, items: list[Item], batch: bool, rules: list[Rule | None],
                fired: list[str]) -> Reply:
        if not any(rules):
            return self.upstream.post(body)
        answers = [self._act(i, rule, fired) if rule else None for i, rule in zip(items, rules, strict=True)]
        pairs = list(zip(items, answers, strict=True))
        rest = self.upstream.batch([item for item, answer in pairs if answer is None])
        merged = [answer if answer is not None else rest[item.get("id")] for item, answer in pairs]
        payload = orjson.dumps(merged if batch else merged[0])
        return Reply(200, payload, (("Content-Type", "application/json"),))

    def _act(self, item: Item, rule: Rule, fired: list[str]) -> Item | None:
        assert isinstance(rule.action, CallAction)
        answer, hit = rule.action.act(item, self.upstream)
        if hit:
            fired.append(rule.name)
        else:
            self._refund([rule])
        return answer

    def _refund(self, rules: Sequence[Rule | None]) -> None:
        """Give back firings reserved by rules that did not act."""
        with self._lock:
            for rule in rules:
                if rule is not None:
                    rule.fired -= 1

    # -- lifetime -----------------------------------------------------------------------------------

    def close(self) -> None:
        self.closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self.upstream.close()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _parse(body: bytes) -> tuple[list[Item], bool]:
    """The calls of a JSON-RPC body and whether it was a batch (unparseable: no calls)."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return [], False
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, dict)], True
    return ([payload] if isinstance(payload, dict) else []), False
