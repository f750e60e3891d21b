"""Token-wide TRC-20 history on Tron: every Transfer log of one token contract, read with the node's
Ethereum-compatible JSON-RPC ``eth_getLogs`` at ``POST /jsonrpc`` below the ``--rpc`` URL (TronGrid serves it at
https://api.trongrid.io/jsonrpc; a java-tron node once ``node.jsonrpc.httpFullNodeEnable`` is set).

The query, in Tron's wire format: ``{"fromBlock": "0x..", "toBlock": "0x..", "address": "0x<contract>",
"topics": ["0xddf252ad..."]}``. Log filters take EVM-style 20-byte hex addresses (the T... address without its
``41`` byte); each log answers ``blockNumber`` and ``logIndex`` as hex quantities, ``transactionHash`` as ``0x`` and
the txid (stored without ``0x``, lower-case, as everywhere in :mod:`.tron`), ``address``, ``topics``, ``data`` and
``removed`` (removed logs are ignored).

Limits, java-tron's defaults (docs: tronprotocol documentation-en, api/json-rpc): ``node.jsonrpc.maxBlockRange`` =
5000 refuses ``toBlock - fromBlock`` above it (-32602 "exceed max block range: 5000"); ``LogBlockQuery.MAX_RESULT``
= 10000 refuses a query matching more logs (-32005 "query returned more than 10000 results"); a response above
``maxResponseSize`` is -32003. Queries start at 1000 blocks, halve on any of these (and stay within a block range
the endpoint names), and double after an answer of fewer than 1000 logs, up to 5000 blocks. Every answer is one
page, committed: every Transfer of the token in its blocks.

Locators: the address path stores a TRC-20 transfer as ``log:<i>``, ``i`` the log's position among its
transaction's receipt logs. java-tron's ``logIndex`` is not that position: ``LogMatch.matchBlock`` counts the logs
of the whole block (every log of every earlier transaction, of any contract), and the answer, holding only this
token's Transfer logs, cannot give the offset. The receipt does: the node matches a transaction's receipt logs in
order, so the k-th answered log of a transaction (by logIndex) is the k-th receipt log with this contract and the
Transfer topic; the pairing is checked (same topics and data, one constant logIndex - position). A lone
transaction's receipt comes from ``/walletsolidity/gettransactioninfobyid`` (cached, as for addresses); where a
block holds the token's transfers of several transactions (USDT: dozens a block), the receipts of the whole block
come in one ``/walletsolidity/gettransactioninfobyblocknum``. Receipts also give the block time and the
transactions that failed (skipped, as on the address path), so a transfer read by address and by token is the
same record.

Before paging: ``eth_chainId`` must be the network's (the last 4 bytes of its genesis block id), and
``eth_blockNumber`` at least the last block asked, since java-tron answers blocks above its head with no logs
rather than an error. Token metadata: ``decimals()``, ``symbol()`` and ``name()`` by ``eth_call`` (None where the
contract does not answer). Only three-topic Transfer logs with one 32-byte data word are TRC-20 transfers; other
shapes (TRC-721: the id as a fourth topic) are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..addresses import tron_from_hex, tron_to_hex
from ..errors import RpcChainMismatch, RpcError, RpcProtocolError, RpcUnreachable
from ..model import Token, Transfer
from .evm import abi_text, small_int
from .paged import Page
from .rpc import JsonRpcError

if TYPE_CHECKING:
    from .tron import TronSource

PATH_JSONRPC = "/jsonrpc"
PATH_BLOCK_INFO = "/walletsolidity/gettransactioninfobyblocknum"
METHOD_TOKEN = "/jsonrpc eth_getLogs"
TRANSFER_TOPIC = "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"  # Transfer(address,address,uint256)
MAX_SPAN = 5000  # java-tron's default node.jsonrpc.maxBlockRange
FIRST_SPAN = 1000
MAX_RESULTS = 10_000  # java-tron's LogBlockQuery.MAX_RESULT
SPARSE = MAX_RESULTS // 10  # an answer with fewer logs doubles the next range
BLOCK_INFO_FROM = 2  # a block with the token's transfers of this many transactions: its receipts in one call
SELECTORS = {"decimals": "0x313ce567", "symbol": "0x95d89b41", "name": "0x06fdde03"}
_QUANTITY = re.compile(r"^0x[0-9a-fA-F]{1,16}$")
_DATA = re.compile(r"^(0x)?([0-9a-fA-F]{2})*$")
_WORD = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")
_ADDRESS = re.compile(r"^(0x)?(41)?[0-9a-fA-F]{40}$")
_NAMED_RANGE = re.compile(r"max(imum)? block range:? *(\d+)", re.I)
_HINT = ("token-wide fetches need Tron's JSON-RPC at /jsonrpc: pass an endpoint that serves it (TronGrid does, "
         "https://api.trongrid.io), or set node.jsonrpc.httpFullNodeEnable on a java-tron node")
_HINT_BAD = "is /jsonrpc Tron's JSON-RPC? retry, or report the answer"


@dataclass(frozen=True)
class _Log:
    block: int
    tx: str  # 64 hex digits, lower-case, no 0x
    index: int  # logIndex: the log's position among all logs of its block
    topics: tuple[str, ...]  # lower-case hex without 0x
    data: str


class TokenLogs:
    """The token-wide pages of one :class:`~.tron.TronSource` (see the module docstring)."""

    def __init__(self, source: TronSource, chain_id: int | None) -> None:
        self.source, self.chain_id = source, chain_id  # chain_id None: not checked
        self.checked = chain_id is None
        self.rpc_head = -1
        self.cap = MAX_SPAN  # lowered to a block range the endpoint names
        self.tokens: dict[str, Token] = {}

    def pages(self, token: str, lo: int, hi: int) -> Iterator[Page]:
        contract = tron_to_hex(token)[2:]
        self._check(hi)
        meta = self.token(token, contract)
        span, a = min(FIRST_SPAN, self.cap), lo
        while a <= hi:
            b = min(hi, a + span - 1)
            try:
                logs = self.get_logs(contract, a, b)
            except JsonRpcError as exc:
                if not (exc.kind == "range" or exc.code == -32003):
                    raise self._failed("eth_getLogs", exc) from None
                if a == b:
                    raise RpcError(f"the endpoint refuses eth_getLogs even for block {a} alone: {_text(exc)}",
                                   endpoint=self.source.client.endpoint,
                                   hint="use an endpoint with a higher log result limit") from None
                named = _NAMED_RANGE.search(exc.message)
                if named:
                    self.cap = max(1, min(self.cap, int(named.group(2))))
                span = max(1, min((b - a + 1) // 2, self.cap))
                continue
            yield self.page(token, contract, meta, a, b, logs)
            a = b + 1
            if len(logs) < SPARSE:
                span = min(span * 2, self.cap)

    def probe(self, block: int, token: str) -> bool:
        """Whether eth_getLogs answers for ``token`` at ``block`` (doctor)."""
        try:
            self.get_logs(tron_to_hex(token)[2:], block, block)
        except RpcUnreachable:
            raise
        except RpcError:
            return False
        return True

    # -- one query ----------------------------------------------------------------------------------------------

    def get_logs(self, contract: str, a: int, b: int) -> list[_Log]:
        """The token's Transfer logs in blocks [a, b], removed ones left out; raises JsonRpcError as answered."""
        where = {"fromBlock": hex(a), "toBlock": hex(b), "address": "0x" + contract, "topics": ["0x" + TRANSFER_TOPIC]}
        result = self.call("eth_getLogs", [where])
        if not isinstance(result, list):
            raise self.bad(f"eth_getLogs answered {type(result).__name__} instead of a list of logs")
        logs = []
        for item in result:
            if not isinstance(item, dict):
                raise self.bad("eth_getLogs answered a log that is not an object")
            removed = item.get("removed", False)
            if not isinstance(removed, bool):
                raise self.bad(f"eth_getLogs answered a malformed removed flag {str(removed)[:20]!r}")
            if removed:
                continue
            log = self._log(item)
            if not a <= log.block <= b:
                raise self.bad(f"eth_getLogs answered a log of block {log.block}, outside {a}-{b}")
            if str(item["address"]).lower()[-40:] != contract or log.topics[:1] != (TRANSFER_TOPIC,):
                raise self.bad(f"eth_getLogs answered a log its filter excludes (transaction {log.tx})")
            logs.append(log)
        return logs

    def _log(self, item: dict[str, Any]) -> _Log:
        for key in ("blockNumber", "transactionHash", "logIndex", "address", "topics", "data"):
            if key not in item:
                raise self.bad(f"eth_getLogs answered a log without {key!r}")
        tx, topics, data = item["transactionHash"], item["topics"], item["data"]
        if not isinstance(tx, str) or not _WORD.match(tx):
            raise self.bad(f"eth_getLogs answered a malformed transactionHash {str(tx)[:70]!r}")
        if not isinstance(item["address"], str) or not _ADDRESS.match(item["address"]):
            raise self.bad(f"eth_getLogs answered a malformed address {str(item['address'])[:50]!r}")
        if not isinstance(topics, list) or not topics or not all(isinstance(t, str) and _WORD.match(t)
                                                                 for t in topics):
            raise self.bad(f"eth_getLogs answered malformed topics in transaction {tx}")
        if not isinstance(data, str) or not _DATA.match(data):
            raise self.bad(f"eth_getLogs answered malformed data {str(data)[:40]!r} in transaction {tx}")
        return _Log(self.quantity(item["blockNumber"], "eth_getLogs blockNumber"), _plain(tx),
                    self.quantity(item["logIndex"], "eth_getLogs logIndex"), tuple(_plain(t) for t in topics),
                    _plain(data))

    # -- one page -----------------------------------------------------------------------------------------------

    def page(self, token: str, contract: str, meta: Token, a: int, b: int, logs: list[_Log]) -> Page:
        by_tx: dict[str, list[_Log]] = {}
        for log in sorted(logs, key=lambda log: (log.block, log.index)):
            by_tx.setdefault(log.tx, []).append(log)
        blocks: dict[int, list[str]] = {}
        for tx, mine in by_tx.items():
            if len({log.block for log in mine}) != 1:
                raise self.bad(f"eth_getLogs placed transaction {tx} in several blocks")
            blocks.setdefault(mine[0].block, []).append(tx)
        transfers: list[Transfer] = []
        for block, txs in blocks.items():
            receipts = self.receipts(block, txs)
            for tx in txs:
                transfers += self.transfers(token, contract, meta, tx, by_tx[tx], receipts[tx])
        transfers.sort(key=lambda t: (t.block_number, t.tx_hash, t.locator))
        return Page(a, b, transfers, tokens=[meta] if transfers else [], method=METHOD_TOKEN)

    def receipts(self, block: int, txs: list[str]) -> dict[str, dict[str, Any]]:
        """The receipts of ``txs``, all in ``block``: one by one, or the block's in one call where that is fewer."""
        if len(txs) < BLOCK_INFO_FROM:
            return {tx: self.source.receipt(tx) for tx in txs}
        found = {}
        for info in self.source.rest_list(PATH_BLOCK_INFO, {"num": block}):
            tx = info.get("id") if isinstance(info, dict) else None
            if not isinstance(tx, str) or not _WORD.match(tx):
                raise self.bad(f"{PATH_BLOCK_INFO} answered a receipt without a transaction id in block {block}",
                               "is the endpoint TronGrid-compatible? retry, or report the answer")
            found[_plain(tx)] = info
        for tx in txs:
            if tx not in found:
                raise self.bad(f"{PATH_BLOCK_INFO} of block {block} has no receipt of transaction {tx}, which "
                               "eth_getLogs places there", "retry; if it persists, report the endpoint")
        return {tx: found[tx] for tx in txs}

    def transfers(self, token: str, contract: str, meta: Token, tx: str, logs: list[_Log],
                  receipt: dict[str, Any]) -> list[Transfer]:
        """The transfers of one transaction's answered logs, each at its position among the receipt's logs."""
        block = logs[0].block
        if receipt.get("blockNumber") != block:
            raise self.bad(f"eth_getLogs and the receipt of transaction {tx} disagree on its block",
                           "retry; if it persists, the endpoint's JSON-RPC and HTTP API disagree")
        if failed(receipt):
            return []
        millis = receipt.get("blockTimeStamp")
        if isinstance(millis, bool) or not isinstance(millis, int) or millis < 0:
            raise self.bad(f"the receipt of transaction {tx} has a malformed blockTimeStamp {str(millis)[:30]!r}")
        raw = receipt.get("log") or []
        mine = [(j, _receipt_log(log)) for j, log in enumerate(raw if isinstance(raw, list) else [])]
        matched = [(j, shape) for j, shape in mine if shape is not None and shape[0] == contract and
                   shape[1][:1] == (TRANSFER_TOPIC,)]
        if len(matched) != len(logs) or len({log.index - j for log, (j, _) in zip(logs, matched, strict=True)}) != 1 \
                or any(shape[1:] != (log.topics, log.data) for log, (_, shape) in zip(logs, matched, strict=True)):
            raise self.bad(f"eth_getLogs and the receipt of transaction {tx} disagree on its Transfer logs of {token}",
                           "retry; if it persists, the endpoint's JSON-RPC and HTTP API disagree")
        out = []
        for log, (j, _) in zip(logs, matched, strict=True):
            if len(log.topics) != 3 or len(log.data) != 64:
                continue  # not a TRC-20 Transfer (TRC-721 and other shapes)
            out.append(Transfer(self.source.chain.key, block, "", millis // 1000, tx, f"log:{j}", "trc20",
                                tron_from_hex("41" + log.topics[1][-40:]), tron_from_hex("41" + log.topics[2][-40:]),
                                token, int(log.data, 16), meta.decimals, METHOD_TOKEN, symbol=meta.symbol))
        return out

    # -- the endpoint -------------------------------------------------------------------------------------------

    def _check(self, hi: int) -> None:
        """The JSON-RPC serves this network and has every block up to ``hi``."""
        if not self.checked:
            found = self.quantity(self._call("eth_chainId"), "eth_chainId")
            if found != self.chain_id:
                raise RpcChainMismatch(f"the endpoint's /jsonrpc serves chain id {found:#x}, not "
                                       f"{self.source.chain.name}'s {self.chain_id:#x}",
                                       endpoint=self.source.client.endpoint, hint=_HINT)
            self.checked = True
        if self.rpc_head < hi:
            self.rpc_head = self.quantity(self._call("eth_blockNumber"), "eth_blockNumber")
            if self.rpc_head < hi:
                raise RpcError(f"the endpoint's /jsonrpc is at block {self.rpc_head}, behind block {hi} of its HTTP "
                               "API", endpoint=self.source.client.endpoint,
                               hint="retry later, or pass a lower --to-block")

    def _call(self, method: str) -> Any:
        try:
            return self.call(method, [])
        except JsonRpcError as exc:
            raise self._failed(method, exc) from None

    def token(self, token: str, contract: str) -> Token:
        """The token's metadata by ``eth_call`` (cached); a field the contract does not answer is None."""
        if token not in self.tokens:
            answers: dict[str, Any] = {}
            for what, selector in SELECTORS.items():
                try:
                    answers[what] = self.call("eth_call", [{"to": "0x" + contract, "data": selector}, "latest"])
                except JsonRpcError:
                    answers[what] = None
            self.tokens[token] = Token(self.source.chain.key, token, abi_text(answers["symbol"]),
                                       abi_text(answers["name"]), small_int(answers["decimals"]))
        return self.tokens[token]

    def call(self, method: str, params: list[Any]) -> Any:
        """One JSON-RPC call at /jsonrpc: its result; its error object as :class:`JsonRpcError`."""
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        try:
            answer = self.source.client.post_json(PATH_JSONRPC, body)
        except RpcUnreachable:
            raise
        except RpcError as exc:  # an answer that is not JSON at all: an HTML 404, a web page
            found = exc.message.removesuffix(f" ({exc.endpoint})") if exc.endpoint else exc.message
            raise self._absent(re.sub(r"^the (RPC )?endpoint ", "", found)) from None
        if isinstance(answer, JsonRpcError):  # an HTTP 4xx with a JSON body
            payload = answer.data
            if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
                answer = payload  # a JSON-RPC error sent with an HTTP error status
            elif answer.code in (401, 403):
                raise RpcError(f"the endpoint refused /jsonrpc (HTTP {answer.code}: {_text(answer)})",
                               endpoint=self.source.client.endpoint, hint="check the API key the URL carries")
            else:
                raise self._absent(f"answered HTTP {answer.code} ({_text(answer)})")
        if not isinstance(answer, dict) or ("result" not in answer and not isinstance(answer.get("error"), dict)):
            shown = " ".join(str(answer).split())[:60]
            raise self.bad(f"/jsonrpc answered JSON that is not a JSON-RPC response to {method} ({shown})", _HINT)
        error = answer.get("error")
        if isinstance(error, dict):
            code = error.get("code")
            raise JsonRpcError(code if isinstance(code, int) and not isinstance(code, bool) else 0,
                               str(error.get("message", ""))[:300], error.get("data"), method=method)
        return answer["result"]

    def _failed(self, method: str, exc: JsonRpcError) -> RpcError:
        """A JSON-RPC error object as one line."""
        where = f"error {exc.code}: {_text(exc)}"
        if exc.kind == "unsupported":
            return RpcError(f"the endpoint's /jsonrpc does not serve {method} ({where})",
                            endpoint=self.source.client.endpoint, hint=_HINT)
        hint = "lower --rps, or retry later" if exc.kind == "rate" else "retry later; if it persists, report it"
        return RpcError(f"the endpoint's /jsonrpc answered {method} with {where}", endpoint=self.source.client.endpoint,
                        hint=hint)

    def _absent(self, found: str) -> RpcError:
        return RpcError(f"the endpoint does not answer Tron's JSON-RPC at /jsonrpc: it {found}",
                        endpoint=self.source.client.endpoint, hint=_HINT)

    def bad(self, message: str, hint: str = _HINT_BAD) -> RpcProtocolError:
        return RpcProtocolError(message, endpoint=self.source.client.endpoint, hint=hint)

    def quantity(self, value: Any, what: str) -> int:
        if not isinstance(value, str) or not _QUANTITY.match(value):
            raise self.bad(f"{what} is not a hex quantity: {str(value)[:40]!r}")
        return int(value, 16)


def failed(receipt: dict[str, Any]) -> bool:
    """Whether a Tron receipt (``gettransactioninfobyid``) says its transaction failed, moving nothing."""
    result = (receipt.get("receipt") or {}).get("result") if isinstance(receipt.get("receipt"), dict) else None
    return receipt.get("result") == "FAILED" or (result is not None and result != "SUCCESS")


def _receipt_log(log: Any) -> tuple[str, tuple[str, ...], str] | None:
    """(address, topics, data) of a receipt log, hex lower-case without 0x; None for what is no log."""
    if not isinstance(log, dict):
        return None
    address, topics, data = log.get("address"), log.get("topics") or [], log.get("data") or ""
    if not isinstance(address, str) or not isinstance(topics, list) or not all(isinstance(t, str) for t in topics) \
            or not isinstance(data, str):
        return None
    return _plain(address)[-40:], tuple(_plain(t) for t in topics), _plain(data)


def _plain(value: str) -> str:
    return value.lower().removeprefix("0x")


def _text(exc: JsonRpcError) -> str:
    return " ".join(str(exc.message).split())[:160]
