"""Tron history through a TronGrid-style HTTP API: the TRX and TRC-20 transfers of an address, by exact block.

What is read, all below the one ``--rpc`` URL (TronGrid serves the node API and its own v1 API side by side):

- ``POST /walletsolidity/getblock`` ``{"id_or_num": "N", "detail": false}``: a solidified (confirmed) block header,
  a few hundred bytes: the head (no ``id_or_num``), the genesis block (which network this is) and the timestamps
  of the blocks a fetch starts and ends at;
- ``GET /v1/accounts/{address}/transactions``: the address's transactions with their exact ``blockNumber``. TRX moves
  through ``TransferContract`` (``amount`` SUN) and through the ``call_value`` of a ``TriggerSmartContract``;
- ``GET /v1/accounts/{address}/transactions/trc20``: the address's TRC-20 transfers, with ``block_timestamp`` only;
- ``POST /walletsolidity/gettransactioninfobyid`` ``{"value": txid}``: the receipt of each TRC-20 transaction.

Both listings are read with ``only_confirmed=true``, ``order_by=block_timestamp,asc``, 200 records a page and
``meta.fingerprint`` to page on (the other parameters kept unchanged, as TronGrid requires), and filter by block
time, not number. A block range [lo, hi] is therefore asked as the time window [time(lo) - 1, time(hi) + 1] ms:
Tron block times sit on a 3 s slot grid and strictly increase, so that window holds exactly the blocks lo..hi
whether the API's bounds are inclusive or not; every record is then kept only if its exact block is in [lo, hi].

Block numbers of TRC-20 transfers: the listing gives neither the block number nor the log index. One receipt per
distinct transaction (cached for the fetch) gives both exactly: ``blockNumber``, and the position of the matching
Transfer log among the transaction's logs, the record's locator ``log:<i>``. That locator is the same whichever
address's history the transfer is read through; a counter over the transfers one address sees would not be, and
would let two transfers of one transaction overwrite each other. The alternatives were worse: mapping timestamps
to blocks by searching headers costs about as many requests and still gives no log index, and ``eth_getLogs`` on
``/jsonrpc`` is exact but providers cap its block range, so a full history costs tens of thousands of requests
however quiet the address is.

Pages: the two listings are merged in block order; a page is committed up to the block before the last one a
listing has returned (the last block may continue on its next page), so that every page holds every record of its
blocks and an interrupted fetch resumes at the first block no page covered. Failed transactions (``contractRet``
other than ``SUCCESS``, a receipt with ``result: FAILED``) move nothing and are skipped.

Token-wide history (``--token`` without an address: every transfer of a TRC-20 token) is read with
``eth_getLogs`` on the endpoint's JSON-RPC at ``/jsonrpc``, by adaptive block ranges, with the same locators as
above: see :mod:`.tron_logs`.

Not read: TRX moved by contracts (internal transactions: TronGrid lists them without a block number), TRC-10
tokens, and historic balances (TronGrid keeps none, so :meth:`balances` says nothing).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..addresses import tron_to_hex
from ..errors import AddressError, RpcChainMismatch, RpcError, RpcProtocolError, RpcUnreachable
from ..model import NATIVE, Token, Transfer
from .paged import Page, PagedSource
from .rpc import JsonRpcError
from .tron_logs import METHOD_TOKEN, TRANSFER_TOPIC, TokenLogs, failed

PATH_BLOCK = "/walletsolidity/getblock"
PATH_INFO = "/walletsolidity/gettransactioninfobyid"
METHOD_TRX = "/v1/accounts/{address}/transactions"
METHOD_TRC20 = "/v1/accounts/{address}/transactions/trc20"
PAGE_LIMIT = 200  # the most TronGrid returns per page
RECEIPT_CACHE = 4 * PAGE_LIMIT

GENESIS = {  # blockID of block 0
    "00000000000000001ebf88508a03865c71d452e25f4d51194196a1d22b6653dc": "tron:mainnet",
    "0000000000000000d698d4192c56cb6be724a558448e2684802de4d6cd8690dc": "the Tron Nile testnet",
    "0000000000000000de1aa88295e1fcf982742f773e0419c5a9c134c994a9059e": "the Tron Shasta testnet",
}
_TXID = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")
_HEX = re.compile(r"^(0x)?[0-9a-fA-F]*$")
_DECIMAL = re.compile(r"^[0-9]{1,100}$")
_HINT_TRON = "is it a Tron node or TronGrid? pass a TronGrid-style URL (such as https://api.trongrid.io) with --rpc"
USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"  # the USDT-TRC20 contract: an account every index knows


@dataclass(frozen=True)
class Header:
    number: int
    timestamp: int  # milliseconds
    block_id: str


@dataclass
class _Row:
    """One listed item, at its exact block: the transfers it makes (none for a failed or other transaction)."""

    block: int
    tx: str
    transfers: list[Transfer] = field(default_factory=list)
    owner: str | None = None
    token: Token | None = None


class _Listing:
    """One account listing, read page by page in ascending block order within a time window."""

    def __init__(self, source: TronSource, path: str, params: dict[str, str], lo: int, hi: int,
                 parse: Callable[[list[Any], dict[str, set[int]]], list[_Row]]) -> None:
        self.source, self.path, self.params, self.lo, self.hi, self.parse = source, path, params, lo, hi, parse
        self.rows: list[_Row] = []
        # transaction -> the logs its listed transfers matched so far: one transaction's transfers may straddle pages
        self.matched: dict[str, set[int]] = {}
        self.safe = lo - 1  # every record up to this block has been read
        self.fingerprint: str | None = None
        self.last_block = -1

    def advance(self) -> None:
        params = dict(self.params)
        if self.fingerprint is not None:
            params["fingerprint"] = self.fingerprint
        answer = self.source.rest(self.path, params, None)
        data, fingerprint = _listing_page(self.source, self.path, answer)
        rows = self.parse(data, self.matched)
        for row in rows:
            if row.block < self.last_block:
                raise self.source.bad(f"{self.path} listed block {row.block} after block {self.last_block}",
                                      "the endpoint ignored order_by=block_timestamp,asc: use TronGrid's v1 API")
            self.last_block = row.block
        self.rows += [r for r in rows if self.lo <= r.block <= self.hi]
        if fingerprint and data:
            if fingerprint == self.fingerprint:
                raise self.source.bad(f"{self.path} answered the same page fingerprint twice", "retry later")
            self.fingerprint = fingerprint
            self.safe = max(self.safe, min(self.last_block - 1, self.hi))
        else:
            self.safe = self.hi

    def take(self, upto: int) -> list[_Row]:
        taken = [r for r in self.rows if r.block <= upto]
        self.rows = [r for r in self.rows if r.block > upto]
        return taken


class TronSource(PagedSource):
    """Reads Tron mainnet through TronGrid's HTTP API (see the module docstring for what and why)."""

    NAME = "tron"
    HISTORY_METHODS: ClassVar[tuple[str, ...]] = (METHOD_TRX, METHOD_TRC20, PATH_INFO)
    ENDPOINT = "a TronGrid-style HTTP API (such as https://api.trongrid.io)"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._headers: dict[int, Header] = {}
        self._receipts: dict[str, dict[str, Any]] = {}
        chain_ids = {name: int(block_id[-8:], 16) for block_id, name in GENESIS.items()}  # eth_chainId's rule
        self.logs = TokenLogs(self, chain_ids.get(self.chain.key))

    # -- chain, head, doctor ------------------------------------------------------------------------------------

    def check_chain(self) -> None:
        network = self.network()
        if network != self.chain.key:
            raise RpcChainMismatch(f"the endpoint serves {network}, not {self.chain.name} ({self.chain.key})",
                                   endpoint=self.client.endpoint, hint="pass a Tron mainnet endpoint with --rpc")

    def network(self) -> str:
        """Which Tron network the endpoint serves, by its genesis block."""
        genesis = self.header(0)
        return GENESIS.get(genesis.block_id, f"an unknown Tron network (genesis {genesis.block_id[:16]}...)")

    def head(self) -> int:
        """The newest solidified (confirmed) block."""
        return self._block(None).number

    def doctor(self) -> list[tuple[str, Any]]:
        head = self._block(None)
        rows: list[tuple[str, Any]] = [("endpoint", self.client.endpoint), ("chain", self.network()),
                                       ("head", head.number), ("head_time", head.timestamp // 1000)]
        for method in (METHOD_TRX, METHOD_TRC20):
            answer = self._try(method.format(address=USDT), {"only_confirmed": "true", "limit": "1",
                                                             "order_by": "block_timestamp,asc"}, None)
            rows.append((method, "yes" if answer is not None and isinstance(answer.get("data"), list) else "no"))
        answer = self._try(PATH_INFO, None, {"value": "0" * 64})
        rows.append((PATH_INFO, "yes" if answer is not None else "no"))
        rows.append((METHOD_TOKEN, "yes" if self.logs.probe(head.number, USDT) else "no"))
        return rows

    # -- history --------------------------------------------------------------------------------------------------

    def pages(self, address: str, lo: int, hi: int) -> Iterator[Page]:
        account = self.chain.address(address)
        window = {"only_confirmed": "true", "order_by": "block_timestamp,asc", "limit": str(PAGE_LIMIT),
                  "min_timestamp": str(0 if lo == 0 else self.header(lo).timestamp - 1),
                  "max_timestamp": str(self.header(hi).timestamp + 1)}
        streams = [
            _Listing(self, METHOD_TRX.format(address=account), {**window, "search_internal": "false"}, lo, hi,
                     self._trx_rows),
            _Listing(self, METHOD_TRC20.format(address=account), window, lo, hi, self._trc20_rows),
        ]
        cursor = lo
        while cursor <= hi:
            boundary = min(s.safe for s in streams)
            if boundary < cursor:
                min(streams, key=lambda s: s.safe).advance()
                continue
            yield _page(cursor, boundary, [row for s in streams for row in s.take(boundary)])
            cursor = boundary + 1

    def token_pages(self, token: str, lo: int, hi: int) -> Iterator[Page]:
        """Every TRC-20 Transfer of ``token``, by eth_getLogs at /jsonrpc (see :mod:`.tron_logs`)."""
        return self.logs.pages(self.chain.address(token), lo, hi)

    def _trx_rows(self, data: list[Any], _: dict[str, set[int]]) -> list[_Row]:
        rows = []
        for item in data:
            if isinstance(item, dict) and "internal_tx_id" in item:
                continue  # an internal transaction: listed without a block number (search_internal=false)
            rows.append(self._trx_row(item))
        return rows

    def _trx_row(self, item: Any) -> _Row:
        what = METHOD_TRX
        tx = _txid(self, _field(self, item, "txID", what), what)
        block = _uint(self, _field(self, item, "blockNumber", what), f"{what} blockNumber")
        millis = _uint(self, _field(self, item, "block_timestamp", what), f"{what} block_timestamp")
        raw = _field(self, item, "raw_data", what)
        contracts = _field(self, raw, "contract", what)
        results = item.get("ret") or []
        if not isinstance(contracts, list) or not isinstance(results, list):
            raise self.bad(f"{what} answered a malformed transaction {tx}")
        row = _Row(block, tx)
        for i, contract in enumerate(contracts):
            kind = _field(self, contract, "type", what)
            value = _field(self, _field(self, contract, "parameter", what), "value", what)
            owner = self._address(_field(self, value, "owner_address", what), what)
            row.owner = row.owner or owner
            result = results[i] if i < len(results) and isinstance(results[i], dict) else {}
            status = result.get("contractRet")
            # a TRX transfer that fails is never included in a block; contract calls carry their own result
            if status != "SUCCESS" and not (status is None and kind == "TransferContract"):
                continue
            if kind == "TransferContract":
                amount, to = value.get("amount", 0), value.get("to_address")
            elif kind == "TriggerSmartContract":
                amount, to = value.get("call_value", 0), value.get("contract_address")
            else:
                continue
            amount = _uint(self, amount, f"{what} amount")
            if amount:
                row.transfers.append(Transfer(
                    self.chain.key, block, "", millis // 1000, tx, f"contract:{i}", NATIVE, owner,
                    self._address(to, what), NATIVE, amount, self.chain.native_decimals, METHOD_TRX))
        return row

    def _trc20_rows(self, data: list[Any], matched: dict[str, set[int]]) -> list[_Row]:
        what = METHOD_TRC20
        listed = []
        for item in data:
            tx = _txid(self, _field(self, item, "transaction_id", what), what)
            millis = _uint(self, _field(self, item, "block_timestamp", what), f"{what} block_timestamp")
            listed.append((tx, millis, item))
        rows = []
        for tx, millis, item in listed:
            receipt = self.receipt(tx)
            block = _uint(self, _field(self, receipt, "blockNumber", PATH_INFO), f"{PATH_INFO} blockNumber")
            if receipt.get("blockTimeStamp", millis) != millis:
                raise self.bad(f"{what} and {PATH_INFO} disagree on the time of transaction {tx}")
            row = _Row(block, tx)
            rows.append(row)
            if item.get("type") != "Transfer" or failed(receipt):
                continue  # an Approval, or a transfer its transaction reverted
            info = _field(self, item, "token_info", what)
            token = self._address(_field(self, info, "address", what), what)
            sender = self._address(_field(self, item, "from", what), what)
            receiver = self._address(_field(self, item, "to", what), what)
            value = _field(self, item, "value", what)
            if not isinstance(value, str) or not _DECIMAL.match(value):
                raise self.bad(f"{what} answered a malformed value {str(value)[:40]!r} in transaction {tx}")
            amount = int(value)
            index = self._log_index(receipt, tx, matched.setdefault(tx, set()), token, sender, receiver, amount)
            decimals = info.get("decimals")
            decimals = decimals if isinstance(decimals, int) and not isinstance(decimals, bool) and \
                0 <= decimals <= 255 else None
            symbol = info.get("symbol") if isinstance(info.get("symbol"), str) else None
            name = info.get("name") if isinstance(info.get("name"), str) else None
            row.token = Token(self.chain.key, token, symbol, name, decimals)
            row.transfers.append(Transfer(self.chain.key, block, "", millis // 1000, tx, f"log:{index}", "trc20",
                                          sender, receiver, token, amount, decimals, METHOD_TRC20, symbol=symbol))
        return rows

    def _log_index(self, receipt: dict[str, Any], tx: str, used: set[int], token: str, sender: str,
                   receiver: str, amount: int) -> int:
        """The position of the Transfer log a listed transfer is, among its transaction's logs (each used once)."""
        want = (tron_to_hex(token)[2:], tron_to_hex(sender)[2:], tron_to_hex(receiver)[2:])
        logs = receipt.get("log") or []
        for i, log in enumerate(logs if isinstance(logs, list) else []):
            if i in used or not isinstance(log, dict):
                continue
            topics = log.get("topics")
            if not isinstance(topics, list) or len(topics) < 3 or not all(isinstance(t, str) for t in topics):
                continue
            address = str(log.get("address", "")).lower()
            if topics[0].lower().removeprefix("0x") != TRANSFER_TOPIC or address[-40:] != want[0] or \
                    (topics[1][-40:].lower(), topics[2][-40:].lower()) != want[1:]:
                continue
            data = str(log.get("data") or (topics[3] if len(topics) > 3 else ""))
            if _HEX.match(data) and int(data.removeprefix("0x") or "0", 16) == amount:
                used.add(i)
                return i
        raise self.bad(f"{METHOD_TRC20} lists a transfer of {amount} {token} in transaction {tx} that its receipt "
                       "does not show", "retry; if it persists, the endpoint's index disagrees with its node")

    # -- endpoint calls -------------------------------------------------------------------------------------------

    def header(self, number: int) -> Header:
        """A solidified block's header (cached)."""
        if number not in self._headers:
            self._headers[number] = self._block(number)
        return self._headers[number]

    def _block(self, number: int | None) -> Header:
        body: dict[str, Any] = {"detail": False} if number is None else {"id_or_num": str(number), "detail": False}
        answer = self.rest(PATH_BLOCK, None, body)
        if not answer:
            raise RpcProtocolError(f"the endpoint has no solidified block {number}", endpoint=self.client.endpoint,
                                   hint="pass a lower --to-block, or retry later")
        raw = _field(self, _field(self, answer, "block_header", PATH_BLOCK), "raw_data", PATH_BLOCK)
        if not isinstance(raw, dict):
            raise self.bad(f"{PATH_BLOCK} answered a malformed block header")
        found = _uint(self, raw.get("number", 0), f"{PATH_BLOCK} number")  # block 0 has neither number
        millis = _uint(self, raw.get("timestamp", 0), f"{PATH_BLOCK} timestamp")  # nor timestamp
        block_id = answer.get("blockID")
        if not isinstance(block_id, str) or not _TXID.match(block_id) or (number is not None and found != number):
            raise self.bad(f"{PATH_BLOCK} answered a malformed block for {number if number is not None else 'head'}")
        header = Header(found, millis, block_id.lower().removeprefix("0x"))
        self._headers.setdefault(found, header)
        return header

    def receipt(self, tx: str) -> dict[str, Any]:
        """A transaction's solidified receipt (cached for the fetch)."""
        if tx not in self._receipts:
            answer = self.rest(PATH_INFO, None, {"value": tx})
            if not answer:
                raise RpcProtocolError(f"the endpoint has no solidified receipt of transaction {tx}",
                                       endpoint=self.client.endpoint, hint="retry later")
            if len(self._receipts) >= RECEIPT_CACHE:
                self._receipts.clear()  # a page's transactions are looked up together: older ones are not needed
            self._receipts[tx] = answer
        return self._receipts[tx]

    def rest(self, path: str, params: dict[str, str] | None, body: Any) -> dict[str, Any]:
        """GET (``body`` None) or POST ``path``; every answer that is not a JSON object of Tron's APIs is an error
        that says what the endpoint is instead."""
        answer = self._answer(path, params, body)
        if not isinstance(answer, dict):
            raise self._not_tron(*_names(path), "answered JSON that is not an object")
        return answer

    def rest_list(self, path: str, body: Any) -> list[Any]:
        """POST ``path`` for a JSON array (Tron answers ``{}`` for an empty one)."""
        answer = self._answer(path, None, body)
        if answer == {}:
            return []
        if not isinstance(answer, list):
            raise self._not_tron(*_names(path), "answered JSON that is not an array")
        return answer

    def _answer(self, path: str, params: dict[str, str] | None, body: Any) -> Any:
        """:meth:`rest`'s answer, an object or an array, after refusing errors and answers of other APIs."""
        api, shown = _names(path)
        try:
            answer = self.client.get_json(path, params) if body is None else self.client.post_json(path, body, params)
        except RpcUnreachable:
            raise
        except RpcError as exc:
            found = exc.message.removesuffix(f" ({exc.endpoint})") if exc.endpoint else exc.message
            raise self._not_tron(api, shown, re.sub(r"^the (RPC )?endpoint ", "", found)) from None
        if isinstance(answer, JsonRpcError):
            text = " ".join(str(answer.message).split())[:120]
            if answer.code in (401, 403):
                raise RpcError(f"the endpoint refused {shown} (HTTP {answer.code}: {text})",
                               endpoint=self.client.endpoint, hint="check the API key the URL carries")
            if answer.code in (404, 405):
                raise self._not_tron(api, shown, f"answered HTTP {answer.code} ({text})")
            raise RpcProtocolError(f"the endpoint answered HTTP {answer.code} to {shown}: {text}",
                                   endpoint=self.client.endpoint, hint="check the address and the request")
        if not isinstance(answer, dict):
            return answer
        if "jsonrpc" in answer:
            error = answer.get("error")
            detail = f" (error {error.get('code')}: {error.get('message')})" if isinstance(error, dict) else ""
            raise self._not_tron(api, shown, f"answered JSON-RPC{detail}: an EVM or Solana node?")
        if "Error" in answer:
            text = " ".join(str(answer["Error"]).split())[:160]
            raise RpcProtocolError(f"the endpoint answered an error to {shown}: {text}",
                                   endpoint=self.client.endpoint, hint="check the request; retry later")
        return answer

    def _not_tron(self, api: str, path: str, found: str) -> RpcChainMismatch:
        return RpcChainMismatch(f"the endpoint does not answer {api} ({path}): it {found}",
                                endpoint=self.client.endpoint, hint=_HINT_TRON)

    def _try(self, path: str, params: dict[str, str] | None, body: Any) -> dict[str, Any] | None:
        """:meth:`rest`, or None where the endpoint does not answer it usably."""
        try:
            return self.rest(path, params, body)
        except RpcUnreachable:
            raise
        except RpcError:
            return None

    def bad(self, message: str, hint: str = "is the endpoint TronGrid-compatible? retry, or report the answer",
            ) -> RpcProtocolError:
        return RpcProtocolError(message, endpoint=self.client.endpoint, hint=hint)

    def _address(self, value: Any, what: str) -> str:
        """Canonical T... form of an address the API gives as hex 41... or base58check."""
        try:
            if isinstance(value, str):
                return self.chain.address(value)
        except AddressError:
            pass
        raise self.bad(f"{what} answered a malformed address {str(value)[:50]!r}")


def _names(path: str) -> tuple[str, str]:
    """The API a path belongs to, and the path as shown (no address in it)."""
    if not path.startswith("/v1/"):
        return "Tron's HTTP API", path
    return "TronGrid's account API", re.sub(r"/v1/accounts/[^/]+", "/v1/accounts/{address}", path)


def _listing_page(source: TronSource, path: str, answer: dict[str, Any]) -> tuple[list[Any], str | None]:
    """The records of one listing page and the fingerprint of the next (None on the last page)."""
    data = answer.get("data")
    if answer.get("success") is False or not isinstance(data, list):
        raise source.bad(f"{path} answered no data list ({str(answer)[:80]})")
    meta = answer.get("meta")
    fingerprint = meta.get("fingerprint") if isinstance(meta, dict) else None
    if fingerprint is not None and not isinstance(fingerprint, str):
        raise source.bad(f"{path} answered a malformed meta.fingerprint")
    return data, fingerprint or None


def _page(lo: int, hi: int, rows: list[_Row]) -> Page:
    owners = {r.tx: r.owner for r in rows if r.owner}
    transfers = sorted((t for r in rows for t in r.transfers), key=lambda t: (t.block_number, t.tx_hash, t.locator))
    tokens = {r.token.address: r.token for r in rows if r.token is not None}
    return Page(lo, hi, transfers, tx_from={t.tx_hash: owners[t.tx_hash] for t in transfers if t.tx_hash in owners},
                tokens=list(tokens.values()), method=f"{METHOD_TRX}, {METHOD_TRC20}")


def _field(source: TronSource, obj: Any, key: str, what: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise source.bad(f"{what} answered a record without {key!r}")
    return obj[key]


def _uint(source: TronSource, value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise source.bad(f"{what} is not a non-negative integer: {str(value)[:40]!r}")
    return value


def _txid(source: TronSource, value: Any, what: str) -> str:
    if not isinstance(value, str) or not _TXID.match(value):
        raise source.bad(f"{what} answered a malformed transaction id {str(value)[:70]!r}")
    return value.lower().removeprefix("0x")
