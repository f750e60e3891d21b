"""A loopback HTTP server that answers like a chain's public API, for chains with no local node here.

It serves two kinds of endpoint from Python handlers that build answers in the chain's exact wire format:

* JSON-RPC (Solana, Tron's eth_* API): POST bodies, single or batch; ``rpc[method](params)`` returns the
  ``result``, or raises :class:`RpcFault` for an ``error`` object;
* REST (TronGrid, a Cosmos LCD): GET paths; ``rest`` is a list of (path regex, handler(match, query)) and a
  handler returns the JSON body, or raises :class:`HttpFault` for a status code with a body;
* REST POSTs (a Tron node's ``/wallet/*`` API): ``rest_post`` is a list of (path regex, handler(match, body))
  where ``body`` is the parsed JSON request body. A POST to a path no ``rest_post`` pattern matches is JSON-RPC.

``fail_next(n, status)`` makes the next ``n`` requests fail with ``status`` (429 with Retry-After, 503, ...).
Every request is recorded in ``seen`` as (verb, path, query, methods or body). Only 127.0.0.1 is bound.

    with Replay(rpc={"getSlot": lambda params: 300}) as server:
        client = RpcClient([server.url])
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

RpcHandler = Callable[[list[Any]], Any]
RestHandler = Callable[[re.Match[str], dict[str, list[str]]], Any]
PostHandler = Callable[[re.Match[str], Any], Any]


class RpcFault(Exception):
    """A JSON-RPC error object for one call."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


class HttpFault(Exception):
    """An HTTP error answer with a JSON body (how REST APIs report bad input)."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(str(body))
        self.status, self.body = status, body


class Replay:
    def __init__(self, *, rpc: dict[str, RpcHandler] | None = None,
                 rest: list[tuple[str, RestHandler]] | None = None,
                 rest_post: list[tuple[str, PostHandler]] | None = None) -> None:
        self.rpc = dict(rpc or {})
        self.rest = [(re.compile(pattern), handler) for pattern, handler in (rest or [])]
        self.rest_post = [(re.compile(pattern), handler) for pattern, handler in (rest_post or [])]
        self.seen: list[tuple[str, str, Any]] = []
        self._failures: list[tuple[int, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail_next(self, n: int, status: int = 429, retry_after: str | None = "0") -> None:
        headers = {"retry-after": retry_after} if retry_after is not None else {}
        with self._lock:
            self._failures += [(status, headers)] * n

    def _take_failure(self) -> tuple[int, dict[str, str]] | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def __enter__(self) -> Replay:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- answering ------------------------------------------------------------------------------------

    def answer_rpc(self, body: bytes) -> tuple[int, Any]:
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return 200, {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}}
        items = payload if isinstance(payload, list) else [payload]
        self.seen.append(("POST", "", [i.get("method") for i in items]))
        answers = [self._call(item) for item in items]
        return 200, answers if isinstance(payload, list) else answers[0]

    def _call(self, item: dict[str, Any]) -> dict[str, Any]:
        rid, method = item.get("id"), item.get("method")
        handler = self.rpc.get(str(method))
        if handler is None:
            return {"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "Method not found"}}
        try:
            return {"jsonrpc": "2.0", "id": rid, "result": handler(list(item.get("params") or []))}
        except RpcFault as fault:
            error: dict[str, Any] = {"code": fault.code, "message": fault.message}
            if fault.data is not None:
                error["data"] = fault.data
            return {"jsonrpc": "2.0", "id": rid, "error": error}

    def answer_rest(self, target: str) -> tuple[int, Any]:
        parts = urlsplit(target)
        query = parse_qs(parts.query, keep_blank_values=True)
        self.seen.append(("GET", parts.path, query))
        for pattern, handler in self.rest:
            match = pattern.fullmatch(parts.path)
            if match:
                try:
                    return 200, handler(match, query)
                except HttpFault as fault:
                    return fault.status, fault.body
        return 404, {"code": 5, "message": "Not Implemented", "details": []}

    def post_handler(self, target: str) -> tuple[PostHandler, re.Match[str]] | None:
        """The ``rest_post`` handler of a POST's path, or None (then the POST is JSON-RPC)."""
        path = urlsplit(target).path
        for pattern, handler in self.rest_post:
            match = pattern.fullmatch(path)
            if match:
                return handler, match
        return None

    def answer_post(self, target: str, body: bytes) -> tuple[int, Any]:
        path = urlsplit(target).path
        found = self.post_handler(target)
        if found is None:
            return self.answer_rpc(body)
        handler, match = found
        try:
            payload = orjson.loads(body) if body.strip() else {}
        except orjson.JSONDecodeError:
            self.seen.append(("POST", path, None))
            return 200, {"Error": "class com.alibaba.fastjson.JSONException : not a JSON body"}
        self.seen.append(("POST", path, payload))
        try:
            return 200, handler(match, payload)
        except HttpFault as fault:
            return fault.status, fault.body


def _handler(replay: Replay) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = body if isinstance(body, bytes) else orjson.dumps(body)
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _failed(self) -> bool:
            failure = replay._take_failure()
            if failure is None:
                return False
            status, headers = failure
            self._send(status, {"Error": "too many requests"} if status == 429 else {"error": "unavailable"},
                       headers)
            return True

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            if not self._failed():
                self._send(*replay.answer_post(self.path, body))

        def do_GET(self) -> None:
            if not self._failed():
                self._send(*replay.answer_rest(self.path))

    return Handler
