"""The Cosmos SDK history source: an address's bank movements read from a chain's LCD (REST API).

History is read with ``GET /cosmos/tx/v1beta1/txs``, which proxies CometBFT's ``tx_search``:

- **Which transactions.** Records come only from ``transfer`` events, so the transactions searched are those whose
  ``transfer`` events name the address, as sender and as recipient: two searches, ``transfer.sender='addr'`` and
  ``transfer.recipient='addr'``, merged and de-duplicated by txhash. (``message.sender`` is not searched: a
  transaction the address signs yields records only through a ``transfer`` event naming it, which these two
  searches find; ``transfer.sender`` also finds outflows the address did not sign, such as authz grants or an
  Akash deployment funded by a depositor.)
- **Query style.** Cosmos SDK 0.50+ takes one CometBFT query, ``query=<condition> AND tx.height>=lo AND
  tx.height<=hi``, paged by ``page`` / ``limit``. Older SDKs (0.45-0.47) answer that with HTTP 400 ("must declare
  at least one event") and take ``events=<condition>`` instead, paged by ``page`` / ``limit`` (0.46+) or
  ``pagination.offset`` / ``pagination.limit`` (0.45): both are sent, each version reads its own. Heights are not
  sent in that style (some versions reject ``tx.height>=`` there), so results are filtered to [lo, hi] here and a
  resumed fetch on an old node pages through the address's earlier transactions again (it writes nothing twice).
  The style is detected on the first search and kept.
- **Exact height ranges.** Searches are sorted ``ORDER_BY_ASC`` (by height, then position in the block), so a page
  of results whose last transaction is at height h holds every match of that search below h. Each search therefore
  knows a height up to which it is complete (h - 1, or hi once it is exhausted); a :class:`~.paged.Page` is yielded
  for [cursor, min over the searches], holding exactly the records of those heights, and the cursor moves past it.
  Paging stops at the ``total`` the LCD reports (``total``, or ``pagination.total`` before 0.50), so no page past
  the end is asked for (CometBFT answers that with an error).

Records: one per coin of each ``transfer`` event (attributes ``recipient``, ``sender``, ``amount`` such as
``1500uakt,20ibc/27…``) of each successful transaction (``code`` 0; failed transactions move nothing but their fee)
touching the address; the chain's own denom (``uakt``) is kind/asset ``native`` with the chain's decimals, other
bank denoms kind ``denom`` with the denom as asset and unknown decimals. Locators are ``event:<i>:<j>``: the
event's position in ``tx_response.events`` and the coin's position within that event. Event attributes are plain
strings from SDK 0.47 and base64 before; both are read. Responses from before SDK 0.42.11, which have no
``events``, are read from ``logs`` (locator ``msg:<m>:<i>:<j>``), where one ``transfer`` event may hold several
sender/recipient/amount groups.

**Fees are not recorded**: the fee a transaction pays to the ``fee_collector`` module account (the first transfer
to it whose coins equal the transaction's fee) is skipped, as EVM gas is not recorded either; balances rebuilt from
these records therefore exceed the chain's by the fees paid.

**Escrow.** Akash deployment deposits (MsgCreateDeployment, MsgDepositDeployment) are bank transfers into the
``escrow`` module account, and lease withdrawals (MsgWithdrawLease) and refunds on close are transfers out of it,
so they are recorded as transfers to / from :func:`module_address` (``prefix``, ``"escrow"``).

Block hashes are not read (``""``); block times are the transactions' ``timestamp``. ``tx_from`` is the fee payer.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from ..addresses import module_address
from ..chains import Chain
from ..errors import RpcChainMismatch, RpcError, RpcProtocolError
from ..model import Transfer
from .paged import Page, PagedSource
from .rpc import JsonRpcError, RpcClient

METHOD = "cosmos/tx/v1beta1/txs"
NODE_INFO = "cosmos/base/tendermint/v1beta1/node_info"
LATEST_BLOCK = "cosmos/base/tendermint/v1beta1/blocks/latest"

_COIN = re.compile(r"([0-9]+)([a-zA-Z][a-zA-Z0-9/:._-]{2,127})")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
_LCD_HINT = "pass the chain's LCD (REST API) URL as --rpc, usually port 1317, not a CometBFT RPC or JSON-RPC URL"

Coins = list[tuple[str, int]]


def parse_coins(text: str) -> Coins:
    """``"1500uakt,20ibc/27…"`` as [(denom, amount)], amounts exact; raises ValueError on anything else."""
    out: Coins = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = _COIN.fullmatch(part)
        if match is None:
            raise ValueError(part)
        out.append((match[2], int(match[1])))
    return out


def _unix_time(text: Any) -> int | None:
    match = _TIME.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        return None
    zone = "+00:00" if match[3] in "Zz" else match[3]
    return int(datetime.fromisoformat(f"{match[1]}T{match[2]}{zone}").timestamp())


def _attributes(event: dict[str, Any]) -> list[tuple[str, str]]:
    """An event's (key, value) pairs, base64-decoded when the node sent them encoded (SDK before 0.47)."""
    raw = event.get("attributes") or []
    pairs = [(str(a.get("key") or ""), str(a.get("value") or "")) for a in raw if isinstance(a, dict)]
    if not pairs:
        return []
    try:
        keys = [base64.b64decode(k, validate=True).decode("ascii") for k, _ in pairs]
        values = [base64.b64decode(v, validate=True).decode("utf-8") for _, v in pairs]
    except (binascii.Error, UnicodeDecodeError):
        return pairs
    return list(zip(keys, values, strict=True)) if all(_KEY.fullmatch(k) for k in keys) else pairs


def _groups(pairs: list[tuple[str, str]]) -> Iterator[tuple[str, str, str]]:
    """(sender, recipient, amount) of a transfer event: one group, or several where logs merged events."""
    group: dict[str, str] = {}
    for key, value in pairs:
        if key not in ("sender", "recipient", "amount"):
            continue
        if key in group:
            if len(group) == 3:
                yield group["sender"], group["recipient"], group["amount"]
            group = {}
        group[key] = value
    if len(group) == 3:
        yield group["sender"], group["recipient"], group["amount"]


@dataclass
class _Search:
    """One paged tx search: what it has read, and the height below which it has read every match."""

    condition: str
    known: int  # every match with a height <= known has been read
    page: int = 1
    read: int = 0
    last: int = -1
    done: bool = False
    seen: set[str] = field(default_factory=set)


class CosmosSource(PagedSource):
    """Reads a Cosmos SDK chain's bank movements through its LCD; see the module docstring."""

    NAME = "cosmos"
    HISTORY_METHODS = (METHOD,)
    ENDPOINT = "a Cosmos LCD (REST API) URL"
    PAGE_SIZE: ClassVar[int] = 100  # CometBFT's tx_search returns at most 100 per page
    CONDITIONS: ClassVar[tuple[str, ...]] = ("transfer.sender", "transfer.recipient")

    def __init__(self, client: RpcClient, chain: Chain) -> None:
        super().__init__(client, chain)
        self.prefix = chain.prefix or chain.name
        self.native_denom = chain.native_denom or "u" + chain.native_symbol.lower()
        self.network = chain.key.split(":", 1)[1]
        self.fee_collector = module_address(self.prefix, "fee_collector")
        self.escrow = module_address(self.prefix, "escrow")
        self.style: str | None = None  # "query" (SDK 0.50+) or "events" (older), once a search has answered

    # -- endpoint -----------------------------------------------------------------------------------

    def _protocol(self, what: str) -> RpcProtocolError:
        return RpcProtocolError(f"the LCD answered a malformed {what}", endpoint=self.client.endpoint,
                                hint="is this a Cosmos LCD (REST API) URL of a synced node?")

    def node_info(self) -> dict[str, Any]:
        """``GET node_info``; a one-line :class:`RpcChainMismatch` when the URL is no Cosmos LCD."""
        try:
            answer = self.client.get_json(NODE_INFO)
        except RpcError as exc:
            # a non-JSON answer, or a 4xx without a JSON body: a JSON-RPC endpoint (EVM, Solana) or a web page
            if not isinstance(exc, RpcProtocolError) and (type(exc) is not RpcError or exc.code is not None):
                raise
            found = re.sub(r"^the (RPC )?endpoint ", "it ", exc.message.removesuffix(f" ({exc.endpoint})"))
            raise RpcChainMismatch(f"the endpoint is not a Cosmos LCD: asked for node_info, {found}",
                                   endpoint=self.client.endpoint, hint=_LCD_HINT) from None
        if isinstance(answer, JsonRpcError):
            raise RpcChainMismatch(f"the endpoint is not a Cosmos LCD: asked for node_info, it answered HTTP "
                                   f"{answer.code} ({answer.message[:80]})", endpoint=self.client.endpoint,
                                   hint=_LCD_HINT)
        info = answer.get("default_node_info") if isinstance(answer, dict) else None
        if not isinstance(info, dict) or not isinstance(info.get("network"), str):
            raise RpcChainMismatch("the endpoint is not a Cosmos LCD: node_info has no default_node_info.network",
                                   endpoint=self.client.endpoint, hint=_LCD_HINT)
        out: dict[str, Any] = answer
        return out

    def check_chain(self) -> None:
        network = self.node_info()["default_node_info"]["network"]
        if network != self.network:
            raise RpcChainMismatch(
                f"the LCD serves network {network!r}, not {self.chain.name} ({self.network})",
                endpoint=self.client.endpoint, hint=f"pass an LCD URL of {self.network}")

    def head(self) -> int:
        answer = self.client.get_json(LATEST_BLOCK)
        if isinstance(answer, JsonRpcError):
            raise RpcError(f"the LCD refused the latest block (HTTP {answer.code}: {answer.message[:80]})",
                           endpoint=self.client.endpoint, hint=_LCD_HINT)
        for key in ("block", "sdk_block"):
            block = answer.get(key) if isinstance(answer, dict) else None
            header = block.get("header") if isinstance(block, dict) else None
            height = header.get("height") if isinstance(header, dict) else None
            if isinstance(height, str | int) and str(height).isdigit():
                return int(height)
        raise self._protocol("latest block (no block.header.height)")

    def doctor(self) -> list[tuple[str, Any]]:
        answer = self.node_info()
        app = answer.get("application_version") or {}
        head = self.head()
        try:
            self._search(f"tx.height={head}", head, head, 1, 1)
            search = f"{self.style} (" + ("query=, SDK 0.50+" if self.style == "query" else "events=, SDK < 0.50") + ")"
        except RpcError as exc:
            search = f"unsupported: {exc.message}"
        return [("endpoint", self.client.endpoint), ("network", answer["default_node_info"]["network"]),
                ("app", f"{app.get('app_name') or app.get('name') or '?'} {app.get('version') or '?'}".strip()),
                ("cosmos_sdk", app.get("cosmos_sdk_version") or "unknown"), ("head", head),
                ("tx_search", search)]

    # -- searching ----------------------------------------------------------------------------------

    def _params(self, style: str, condition: str, lo: int, hi: int, page: int, size: int) -> dict[str, Any]:
        common = {"order_by": "ORDER_BY_ASC", "page": page, "limit": size}
        if style == "query":
            return {"query": f"{condition} AND tx.height>={lo} AND tx.height<={hi}", **common}
        return {"events": condition, **common, "pagination.offset": (page - 1) * size, "pagination.limit": size}

    def _search(self, condition: str, lo: int, hi: int, page: int, size: int) -> dict[str, Any]:
        """One page of a tx search, in the style the LCD takes (detected on the first search)."""
        refused: JsonRpcError | None = None
        for style in [self.style] if self.style else ["query", "events"]:
            answer = self.client.get_json(METHOD, self._params(style, condition, lo, hi, page, size))
            if isinstance(answer, JsonRpcError):
                if self.style is None and style == "query" and 400 <= (answer.code or 0) < 500:
                    refused = answer  # an SDK before 0.50: it wants events=
                    continue
                before = f"query= answered {refused.code}, " if refused is not None else ""
                raise RpcError(f"the LCD refused the transaction search ({before}{style}= answered "
                               f"{answer.code}: {answer.message[:120]})", endpoint=self.client.endpoint,
                               hint="the node must index transactions (tx_index) and serve the tx module")
            if not isinstance(answer, dict):
                raise self._protocol("transaction search (not a JSON object)")
            self.style = style
            return answer
        raise AssertionError("unreachable")  # pragma: no cover

    def _read(self, search: _Search, lo: int, hi: int) -> list[tuple[int, str, dict[str, Any]]]:
        """The next page of ``search`` as (height, txhash, tx_response), advancing what the search knows."""
        answer = self._search(search.condition, lo, hi, search.page, self.PAGE_SIZE)
        txs = answer.get("tx_responses") or []
        paging = answer.get("pagination")
        totals = [answer.get("total"), paging.get("total") if isinstance(paging, dict) else None]
        if not isinstance(txs, list) or any(t is not None and not str(t).isdigit() for t in totals):
            raise self._protocol("transaction search (tx_responses / total)")
        total = max((int(t) for t in totals if t is not None), default=None)
        rows = []
        for tx in txs:
            height, txhash = (tx.get("height"), tx.get("txhash")) if isinstance(tx, dict) else (None, None)
            if not isinstance(height, str | int) or not str(height).isdigit() or not isinstance(txhash, str):
                raise self._protocol(f"transaction (height {str(height)[:20]!r}, txhash {str(txhash)[:70]!r})")
            if int(height) < search.last:
                raise self._protocol("transaction search (results not in ascending height order)")
            if txhash.upper() in search.seen:
                raise self._protocol(f"transaction search (page {search.page} repeats {txhash[:16]}…)")
            search.last = int(height)
            search.seen.add(txhash.upper())
            rows.append((int(height), txhash.upper(), tx))
        search.read += len(txs)
        search.page += 1
        more = len(txs) >= self.PAGE_SIZE if total is None else search.read < total
        if not txs or not more or (self.style == "events" and search.last > hi):
            search.done, search.known = True, hi
        else:
            search.known = max(search.known, search.last - 1)
        return rows

    def pages(self, address: str, lo: int, hi: int) -> Iterator[Page]:
        address = self.chain.address(address)
        searches = [_Search(f"{c}='{address}'", known=lo - 1) for c in self.CONDITIONS]
        pending: dict[str, tuple[int, dict[str, Any]]] = {}
        cursor = lo
        while cursor <= hi:
            live = [s for s in searches if not s.done]
            if live:
                for height, txhash, tx in self._read(min(live, key=lambda s: s.known), lo, hi):
                    if cursor <= height <= hi:
                        pending.setdefault(txhash, (height, tx))
            boundary = min(hi if s.done else s.known for s in searches)
            if boundary < cursor:
                continue
            page = Page(cursor, boundary, method=METHOD)
            for txhash, (height, tx) in sorted(pending.items(), key=lambda item: item[1][0]):
                if height <= boundary:
                    self._records(page, address, height, txhash, tx)
                    del pending[txhash]
            yield page
            cursor = boundary + 1

    # -- decoding -----------------------------------------------------------------------------------

    def _events(self, tx: dict[str, Any]) -> list[tuple[str, str, list[tuple[str, str]]]]:
        """(locator prefix, type, attributes) of every event of the transaction."""
        events = tx.get("events")
        if isinstance(events, list) and events:
            return [(f"event:{i}", str(e.get("type")), _attributes(e)) for i, e in enumerate(events)
                    if isinstance(e, dict)]
        out = []
        for m, log in enumerate(tx.get("logs") or []):
            index = log.get("msg_index", m) if isinstance(log, dict) else m
            for i, e in enumerate(log.get("events") or [] if isinstance(log, dict) else []):
                if isinstance(e, dict):
                    out.append((f"msg:{index}:{i}", str(e.get("type")), _attributes(e)))
        return out

    @staticmethod
    def _fee(tx: dict[str, Any], events: list[tuple[str, str, list[tuple[str, str]]]]) -> tuple[Coins | None, str]:
        """The fee's coins (None where unknown) and the fee payer ("" where unknown)."""
        tx_attrs = dict(kv for _, kind, attrs in events if kind == "tx" for kv in attrs
                        if kv[0] in ("fee", "fee_payer"))
        body = tx.get("tx")
        auth = body.get("auth_info") if isinstance(body, dict) else None
        fee_obj = auth.get("fee") if isinstance(auth, dict) else None
        fee_obj = fee_obj if isinstance(fee_obj, dict) else {}
        payer = tx_attrs.get("fee_payer") or fee_obj.get("payer") or next(
            (v for _, kind, attrs in events if kind == "message" for k, v in attrs if k == "sender"), "")
        if "fee" in tx_attrs:
            return parse_coins(tx_attrs["fee"]), payer
        amounts = fee_obj.get("amount")
        if isinstance(amounts, list):
            return [(str(c.get("denom")), int(str(c.get("amount")))) for c in amounts if isinstance(c, dict)], payer
        return None, payer

    def _records(self, page: Page, address: str, height: int, txhash: str, tx: dict[str, Any]) -> None:
        """Add the transaction's bank movements touching ``address`` to ``page``."""
        if str(tx.get("code") or 0) != "0":
            return  # failed: its messages moved nothing (its fee is not recorded anyway)
        try:
            events = self._events(tx)
            fee, payer = self._fee(tx, events)
            fee_open = fee is None or bool(fee)
            when = _unix_time(tx.get("timestamp"))
            for prefix, kind, attrs in events:
                if kind != "transfer":
                    continue
                j = 0
                for sender, recipient, amount in _groups(attrs):
                    coins = parse_coins(amount)
                    if fee_open and recipient == self.fee_collector and (fee is None or sorted(coins) == sorted(fee)):
                        fee_open = False  # the fee payment: not recorded, as EVM gas is not
                        j += len(coins)
                        continue
                    for denom, value in coins:
                        if address in (sender, recipient) and value:
                            native = denom == self.native_denom
                            page.transfers.append(Transfer(
                                self.chain.key, height, "", when, txhash, f"{prefix}:{j}",
                                "native" if native else "denom", sender, recipient, "native" if native else denom,
                                value, self.chain.native_decimals if native else None, METHOD))
                        j += 1
        except (ValueError, TypeError, AttributeError) as exc:
            raise self._protocol(f"transaction {txhash[:16]}… ({type(exc).__name__}: {str(exc)[:60]})") from None
        if payer:
            page.tx_from[txhash] = payer
