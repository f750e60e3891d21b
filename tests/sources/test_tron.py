"""TronSource against a loopback TronGrid: answers in TronGrid's wire format (its v1 API, the node's HTTP API and
its JSON-RPC at /jsonrpc), read into a real store."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from tests.support.replay import HttpFault, Replay
from trailscan.addresses import tron_from_hex, tron_to_hex
from trailscan.chains import get_chain
from trailscan.cli import main
from trailscan.errors import RpcChainMismatch, RpcError, RpcProtocolError
from trailscan.ingest import FetchOptions
from trailscan.model import Transfer
from trailscan.sources.rpc import RpcClient
from trailscan.sources.tron import METHOD_TRC20, METHOD_TRX, PATH_BLOCK, PATH_INFO, TRANSFER_TOPIC, TronSource
from trailscan.sources.tron_logs import METHOD_TOKEN, PATH_BLOCK_INFO, PATH_JSONRPC
from trailscan.store import Store

MAINNET = "00000000000000001ebf88508a03865c71d452e25f4d51194196a1d22b6653dc"
NILE = "0000000000000000d698d4192c56cb6be724a558448e2684802de4d6cd8690dc"
USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
SLOT0 = 1_700_000_001_000  # a multiple of 3000 ms: Tron block times sit on 3 s slots
MISSED = 105  # the producer of this slot missed it: later blocks are one slot later
PAGE = 2  # the loopback TronGrid's page size, so that every history spans several pages


def _hex20(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:40]


def account(name: str) -> str:
    """A fictional Tron address derived from a name."""
    return tron_from_hex("41" + _hex20(name))


def txid(name: str) -> str:
    return hashlib.sha256(f"tx:{name}".encode()).hexdigest()


ALICE, BOB, CAROL, SHOP, BIG = (account(n) for n in ("alice", "bob", "carol", "shop-contract", "big-token"))
BIG_VALUE = 2**70 + 12345  # above 2**64: must stay exact
TOKENS = {USDT: ("USDT", 6, "Tether USD"), BIG: ("BIG", 18, "Big Token")}  # symbol, decimals, name


def block_time(n: int) -> int:
    if n == 0:
        return 0
    return SLOT0 + 3000 * (n - 1) + (3000 if n >= MISSED else 0)


class FakeTronGrid:
    """A Tron chain's history and the TronGrid endpoints that serve it, in TronGrid's wire format."""

    def __init__(self, head: int = 120, genesis: str = MAINNET, *, descending: bool = False,
                 jsonrpc: bool = True) -> None:
        self.head, self.genesis, self.descending = head, genesis, descending  # descending: ignore order_by
        self.jsonrpc = jsonrpc  # False: no JSON-RPC at /jsonrpc (as a node that does not enable it)
        self.rpc_head: int | None = None  # the JSON-RPC's head, if not the solidified head
        self.max_range: int | None = None  # eth_getLogs: largest toBlock - fromBlock (maxBlockRange)
        self.max_results: int | None = None  # eth_getLogs: most logs one query answers (LogBlockQuery.MAX_RESULT)
        self.removed_logs: list[dict[str, Any]] = []  # logs eth_getLogs answers with removed: true
        self.block_txs: dict[int, list[str]] = {}  # block -> its transactions with a receipt, in block order
        self.slack = 0  # ms the listings widen the asked time window by on each side (coarser bounds)
        self.trx: list[dict[str, Any]] = []  # /v1/accounts/{a}/transactions items
        self.trc20: list[dict[str, Any]] = []  # /v1/accounts/{a}/transactions/trc20 items
        self.receipts: dict[str, dict[str, Any]] = {}
        self.broken_items: dict[str, Any] = {}  # txid -> what a listing answers instead of its item
        self.broken_receipts: dict[str, Any] = {}  # txid -> what gettransactioninfobyid answers instead

    # -- the chain ------------------------------------------------------------------------------------------------

    def transfer(self, name: str, block: int, sender: str, receiver: str, amount: int, *, ret: str = "SUCCESS",
                 call: bool = False) -> str:
        """A TRX TransferContract, or (call=True) a TriggerSmartContract paying ``amount`` as call_value."""
        tx, ts = txid(name), block_time(block)
        kind = "TriggerSmartContract" if call else "TransferContract"
        value: dict[str, Any] = {"owner_address": tron_to_hex(sender)}
        if call:
            value |= {"data": "d0e30db0", "contract_address": tron_to_hex(receiver), "call_value": amount}
        else:
            value |= {"amount": amount, "to_address": tron_to_hex(receiver)}
        self.trx.append({
            "ret": [{"contractRet": ret, "fee": 0}], "signature": ["ab" * 65], "txID": tx, "net_usage": 265,
            "raw_data_hex": "0a02fdf6", "net_fee": 0, "energy_usage": 0, "blockNumber": block, "block_timestamp": ts,
            "energy_fee": 0, "energy_usage_total": 0, "internal_transactions": [],
            "raw_data": {"contract": [{"type": kind, "parameter": {
                                           "value": value, "type_url": f"type.googleapis.com/protocol.{kind}"}}],
                         "ref_block_bytes": "fdf6", "ref_block_hash": "4cd898aed8ce5d14", "expiration": ts + 60_000,
                         "timestamp": ts - 2_000}})
        return tx

    def token_tx(self, name: str, block: int, signer: str, moves: list[tuple[str, str, str, int]],
                 *, listed_for_signer: bool = True, first: bool = False) -> str:
        """A contract call emitting Transfer logs (token, from, to, value), each after an unrelated log; ``first``:
        the block's first transaction, before those already in it."""
        tx, ts = txid(name), block_time(block)
        order = self.block_txs.setdefault(block, [])
        order.insert(0 if first else len(order), tx)
        logs: list[dict[str, Any]] = []
        for token, sender, receiver, value in moves:
            logs.append({"address": _hex20("some-pool"), "topics": ["1c411e9a" + "0" * 56], "data": "00" * 32})
            logs.append({"address": tron_to_hex(token)[2:], "data": f"{value:064x}",
                         "topics": [TRANSFER_TOPIC, "0" * 24 + tron_to_hex(sender)[2:],
                                    "0" * 24 + tron_to_hex(receiver)[2:]]})
            symbol, decimals, title = TOKENS[token]
            self.trc20.append({"transaction_id": tx, "token_info": {"symbol": symbol, "address": token,
                                                                     "decimals": decimals, "name": title},
                               "block_timestamp": ts, "from": sender, "to": receiver, "type": "Transfer",
                               "value": str(value)})
        self.receipts[tx] = {"id": tx, "fee": 27_250_860, "blockNumber": block, "blockTimeStamp": ts,
                             "contractResult": ["0" * 64], "contract_address": tron_to_hex(moves[0][0]),
                             "receipt": {"energy_usage_total": 64_895, "net_usage": 345, "result": "SUCCESS"},
                             "log": logs}
        if listed_for_signer:  # the signer's own transaction listing shows the call (no TRX moved)
            self.transfer(f"call:{name}", block, signer, moves[0][0], 0, call=True)
            self.trx[-1]["txID"] = tx
        return tx

    # -- the endpoints --------------------------------------------------------------------------------------------

    def header(self, n: int) -> dict[str, Any]:
        if n == 0:  # Tron's JSON leaves out zero fields: the genesis block has neither number nor timestamp
            return {"blockID": self.genesis, "block_header": {"raw_data": {
                "txTrieRoot": "0" * 64, "witness_address": "41" + "0" * 40,
                "parentHash": "e58f33f9baf9305dc6f82b9f1934ea8f0ade2defb951258d50167028c780351f"},
                "witness_signature": ""}}
        block_id = f"{n:016x}" + hashlib.sha256(f"block{n}".encode()).hexdigest()[16:]
        return {"blockID": block_id, "block_header": {"raw_data": {
            "number": n, "txTrieRoot": "00" * 32, "witness_address": "41" + _hex20("witness"),
            "parentHash": f"{n - 1:016x}" + "00" * 24, "version": 30, "timestamp": block_time(n)},
            "witness_signature": "cd" * 65}}

    def getblock(self, _: re.Match[str], body: Any) -> Any:
        assert body.get("detail") is False, "headers only"
        wanted = body.get("id_or_num")
        n = self.head if wanted in (None, "") else int(wanted)
        return self.header(n) if n <= self.head else {}

    def info(self, _: re.Match[str], body: Any) -> Any:
        tx = body["value"]
        if tx in self.broken_receipts:
            return self.broken_receipts[tx]
        receipt = self.receipts.get(tx)
        return receipt if receipt is not None and receipt["blockNumber"] <= self.head else {}

    def infos(self, _: re.Match[str], body: Any) -> Any:
        """/walletsolidity/gettransactioninfobyblocknum: the receipts of a block, in block order ({} if none)."""
        n = body["num"]
        assert isinstance(n, int)
        found = [self.receipts[tx] for tx in self.block_txs.get(n, [])] if n <= self.head else []
        return found or {}

    # -- JSON-RPC at /jsonrpc, as java-tron answers it ------------------------------------------------------------

    def rpc(self, _: re.Match[str], body: Any) -> Any:
        rid, method, params = body.get("id"), body.get("method"), body.get("params")
        assert body.get("jsonrpc") == "2.0" and isinstance(params, list)

        def error(code: int, message: str) -> dict[str, Any]:
            return {"jsonrpc": "2.0", "id": rid, "error": {"code": code, "message": message, "data": "{}"}}

        head = self.head if self.rpc_head is None else self.rpc_head
        if method == "eth_chainId":  # the last 4 bytes of the genesis block id
            return {"jsonrpc": "2.0", "id": rid, "result": hex(int(self.genesis[-8:], 16))}
        if method == "eth_blockNumber":
            return {"jsonrpc": "2.0", "id": rid, "result": hex(head)}
        if method == "eth_call":
            call, tag = params
            assert tag == "latest" and re.fullmatch(r"0x[0-9a-f]{40}", call["to"])
            token = TOKENS.get(tron_from_hex("41" + call["to"][2:]))
            if token is None:
                return error(-32000, "REVERT opcode executed")
            symbol, decimals, name = token
            answers = {"0x313ce567": f"{decimals:064x}", "0x95d89b41": abi_string(symbol),
                       "0x06fdde03": abi_string(name)}
            return {"jsonrpc": "2.0", "id": rid, "result": "0x" + answers[call["data"]]}
        if method == "eth_getLogs":
            return self.get_logs(params[0], head, error) | {"id": rid}
        return error(-32601, f"the method {method} does not exist/is not available")

    def get_logs(self, where: dict[str, Any], head: int, error: Any) -> dict[str, Any]:
        assert set(where) == {"fromBlock", "toBlock", "address", "topics"}
        assert re.fullmatch(r"0x[0-9a-f]{40}", where["address"]) and where["topics"] == ["0x" + TRANSFER_TOPIC]
        lo, hi = int(where["fromBlock"], 16), int(where["toBlock"], 16)
        if lo > hi:
            return dict(error(-32602, "please verify: fromBlock <= toBlock"))
        if self.max_range is not None and min(hi, head) - lo > self.max_range:
            return dict(error(-32602, f"exceed max block range: {self.max_range}"))
        found: list[dict[str, Any]] = []
        for n in range(lo, min(hi, head) + 1):  # java-tron's LogMatch.matchBlock: logIndex counts the block's logs
            index = 0
            for i, tx in enumerate(self.block_txs.get(n, [])):
                for log in self.receipts[tx]["log"]:
                    if log["address"] == where["address"][2:] and log["topics"][0] == TRANSFER_TOPIC:
                        block_id = self.header(n)["blockID"]
                        found.append({"address": "0x" + log["address"], "blockHash": "0x" + block_id,
                                      "blockNumber": hex(n), "blockTimestamp": hex(block_time(n) // 1000),
                                      "data": "0x" + log["data"], "logIndex": hex(index), "removed": False,
                                      "topics": ["0x" + t for t in log["topics"]], "transactionHash": "0x" + tx,
                                      "transactionIndex": hex(i)})
                    index += 1
            if self.max_results is not None and len(found) > self.max_results:
                return dict(error(-32005, f"query returned more than {self.max_results} results"))
        found += [log for log in self.removed_logs if lo <= int(log["blockNumber"], 16) <= min(hi, head)]
        return {"jsonrpc": "2.0", "result": found}

    def listing(self, items: list[dict[str, Any]], involves: Any) -> Any:
        def handler(match: re.Match[str], query: dict[str, list[str]]) -> Any:
            q = {k: v[0] for k, v in query.items()}
            if q.get("only_confirmed") != "true" or q.get("order_by") != "block_timestamp,asc":
                raise HttpFault(400, {"success": False, "error": "unexpected query", "statusCode": 400})
            address = match.group("address")
            lo, hi = int(q.get("min_timestamp", 0)), int(q.get("max_timestamp", 2**62))
            head_time = block_time(self.head)
            chosen = sorted((i for i in items if involves(i, address)
                             and lo - self.slack <= i["block_timestamp"] <= hi + self.slack
                             and i["block_timestamp"] <= head_time), key=lambda i: i["block_timestamp"],
                            reverse=self.descending)
            offset = 0
            if "fingerprint" in q:  # opaque to the client; TronGrid wants the other parameters unchanged
                state = orjson.loads(base64.urlsafe_b64decode(q["fingerprint"]))
                if state["window"] != [lo, hi]:
                    raise HttpFault(400, {"success": False, "error": "fingerprint of another query",
                                          "statusCode": 400})
                offset = state["offset"]
            size = min(int(q.get("limit", 20)), PAGE)
            page = [self.broken_items.get(i.get("txID") or i.get("transaction_id"), i)
                    for i in chosen[offset:offset + size]]
            meta: dict[str, Any] = {"at": head_time + 5_000, "page_size": len(page)}
            if offset + size < len(chosen):
                token = base64.urlsafe_b64encode(orjson.dumps({"offset": offset + size, "window": [lo, hi]})).decode()
                meta |= {"fingerprint": token,
                         "links": {"next": f"https://api.trongrid.io{match.group(0)}?fingerprint={token}"}}
            return {"data": page, "success": True, "meta": meta}
        return handler

    def server(self) -> Replay:
        def trx_involves(item: dict[str, Any], address: str) -> bool:
            value = item["raw_data"]["contract"][0]["parameter"]["value"]
            return tron_to_hex(address) in (value["owner_address"], value.get("to_address"),
                                            value.get("contract_address"))

        return Replay(
            rest=[(r"/v1/accounts/(?P<address>[^/]+)/transactions", self.listing(self.trx, trx_involves)),
                  (r"/v1/accounts/(?P<address>[^/]+)/transactions/trc20",
                   self.listing(self.trc20, lambda i, a: a in (i["from"], i["to"])))],
            rest_post=[(PATH_BLOCK, self.getblock), (PATH_INFO, self.info), (PATH_BLOCK_INFO, self.infos),
                       *([(PATH_JSONRPC, self.rpc)] if self.jsonrpc else [])])


def abi_string(text: str) -> str:
    """A string as a contract's eth_call returns it: offset, length, bytes padded to 32."""
    raw = text.encode()
    return f"{32:064x}{len(raw):064x}" + raw.hex().ljust(64 * ((len(raw) + 31) // 32), "0")


def story() -> tuple[FakeTronGrid, dict[str, str]]:
    """Alice's history: TRX in and out (three in one block, split over pages), a reverted paid call, a paid call
    that went through, USDT in, a huge BIG-token payment out (with USDT in the same call), USDT in again, twice the
    same USDT payment in one call, and others' traffic."""
    chain = FakeTronGrid()
    tx = {
        "fund": chain.transfer("fund", 10, BOB, ALICE, 50_000_000),
        "a": chain.transfer("a", 20, ALICE, CAROL, 1_000_000),
        "b": chain.transfer("b", 20, ALICE, CAROL, 2_000_000),
        "c": chain.transfer("c", 20, CAROL, ALICE, 3_000_000),
        "reverted": chain.transfer("reverted", 30, ALICE, SHOP, 7_000_000, ret="REVERT", call=True),
        "paid": chain.transfer("paid", 31, ALICE, SHOP, 4_000_000, call=True),
        "usdt": chain.token_tx("usdt", 40, BOB, [(USDT, BOB, ALICE, 15_500_000)], listed_for_signer=False),
        "big": chain.token_tx("big", MISSED, ALICE, [(BIG, ALICE, CAROL, BIG_VALUE), (USDT, ALICE, BOB, 1)]),
        "tip": chain.token_tx("tip", 110, CAROL, [(USDT, CAROL, ALICE, 2_500_000)], listed_for_signer=False),
        "twice": chain.token_tx("twice", 112, CAROL, [(USDT, CAROL, ALICE, 5), (USDT, CAROL, ALICE, 5)],
                                listed_for_signer=False),
        "others": chain.transfer("others", 50, BOB, CAROL, 9),
    }
    return chain, tx


def expected(tx: dict[str, str]) -> list[tuple[int, str, str, str, str, str, str, int, int | None]]:
    return [
        (10, tx["fund"], "contract:0", "native", BOB, ALICE, "native", 50_000_000, 6),
        *sorted([(20, tx["a"], "contract:0", "native", ALICE, CAROL, "native", 1_000_000, 6),
                 (20, tx["b"], "contract:0", "native", ALICE, CAROL, "native", 2_000_000, 6),
                 (20, tx["c"], "contract:0", "native", CAROL, ALICE, "native", 3_000_000, 6)]),
        (31, tx["paid"], "contract:0", "native", ALICE, SHOP, "native", 4_000_000, 6),
        (40, tx["usdt"], "log:1", "trc20", BOB, ALICE, USDT, 15_500_000, 6),
        (MISSED, tx["big"], "log:1", "trc20", ALICE, CAROL, BIG, BIG_VALUE, 18),
        (MISSED, tx["big"], "log:3", "trc20", ALICE, BOB, USDT, 1, 6),
        (110, tx["tip"], "log:1", "trc20", CAROL, ALICE, USDT, 2_500_000, 6),
        (112, tx["twice"], "log:1", "trc20", CAROL, ALICE, USDT, 5, 6),
        (112, tx["twice"], "log:3", "trc20", CAROL, ALICE, USDT, 5, 6),
    ]


def rows(transfers: list[Transfer]) -> list[tuple[int, str, str, str, str, str, str, int, int | None]]:
    return [(t.block_number, t.tx_hash, t.locator, t.kind, t.from_address, t.to_address, t.asset, t.amount,
             t.decimals) for t in transfers]


@pytest.fixture
def make_client() -> Iterator[Any]:
    made: list[RpcClient] = []

    def make(url: str) -> RpcClient:
        made.append(RpcClient([url], backoff_base=0.01, backoff_cap=0.05, max_retries=3, timeout=5.0))
        return made[-1]

    yield make
    for client in made:
        client.close()


def listings(server: Replay) -> list[dict[str, str]]:
    return [{k: v[0] for k, v in query.items()} | {"path": path} for verb, path, query in server.seen
            if verb == "GET" and path.startswith("/v1/")]


def posts(server: Replay, path: str) -> list[Any]:
    return [body for verb, p, body in server.seen if verb == "POST" and p == path]


# -- fetching --------------------------------------------------------------------------------------------------


def test_fetch_reads_every_page_of_both_listings_into_the_store(store: Store, make_client: Any) -> None:
    chain, tx = story()
    with chain.server() as server:
        source = TronSource(make_client(server.url), get_chain("tron"))
        summary = source.fetch(store, [ALICE])
    assert rows(store.transfers(ALICE, chain="tron:mainnet")) == expected(tx)
    assert summary.records == {"native": 5, "trc20": 6}
    assert (summary.from_block, summary.to_block) == (0, chain.head)
    assert store.covered("tron:mainnet", ["history"], ALICE) == [(0, chain.head)]
    # the reverted paid call is a known transaction of a covered block, yet moved nothing
    assert tx["reverted"] not in {t.tx_hash for t in store.transfers(chain="tron:mainnet")}
    # block times are the blocks' own, in seconds
    assert {t.block_number: t.block_time for t in store.transfers(ALICE)} == {
        n: block_time(n) // 1000 for n in (10, 20, 31, 40, MISSED, 110, 112)}
    # the senders: owners of listed transactions (BOB's USDT call is not in ALICE's listing: unknown)
    senders = dict(store.con.execute("SELECT tx_hash, tx_from FROM transfers").fetchall())
    assert senders == {tx["fund"]: BOB, tx["a"]: ALICE, tx["b"]: ALICE, tx["c"]: CAROL, tx["paid"]: ALICE,
                       tx["usdt"]: None, tx["big"]: ALICE, tx["tip"]: None, tx["twice"]: None}
    tokens = store.tokens("tron:mainnet")
    assert (tokens[USDT].symbol, tokens[USDT].decimals, tokens[BIG].decimals) == ("USDT", 6, 18)
    # the block range was asked as its exact time window, with the same query on every page
    seen = listings(server)
    assert {(q["min_timestamp"], q["max_timestamp"]) for q in seen} == {("0", str(block_time(chain.head) + 1))}
    trx = [q for q in seen if q["path"].endswith("/transactions")]
    assert len(trx) == 4 and [("fingerprint" in q) for q in trx] == [False, True, True, True]
    assert all(q["search_internal"] == "false" and q["limit"] == "200" for q in trx)
    assert len([q for q in seen if q["path"].endswith("/trc20")]) == 3
    # one receipt per TRC-20 transaction, headers only for the head and the genesis-free start
    assert sorted(b["value"] for b in posts(server, PATH_INFO)) == sorted(tx[k] for k in ("usdt", "big", "tip",
                                                                                          "twice"))
    assert posts(server, PATH_BLOCK) == [{"detail": False}]


def test_every_page_holds_every_record_of_its_blocks(make_client: Any) -> None:
    """A block whose records continue on the listing's next page is not committed before that page is read."""
    chain, tx = story()
    with chain.server() as server:
        source = TronSource(make_client(server.url), get_chain("tron"))
        pages = list(source.pages(ALICE, 0, chain.head))
    assert [p.lo for p in pages] == [0, *(p.hi + 1 for p in pages[:-1])] and pages[-1].hi == chain.head
    for page in pages:
        assert all(page.lo <= t.block_number <= page.hi for t in page.transfers)
    (split,) = [p for p in pages if p.lo <= 20 <= p.hi]
    assert sorted(t.tx_hash for t in split.transfers if t.block_number == 20) == sorted([tx["a"], tx["b"], tx["c"]])
    assert rows([t for p in pages for t in p.transfers]) == expected(tx)


def test_a_transfer_above_2_64_stays_exact(store: Store, make_client: Any) -> None:
    chain, _ = story()
    with chain.server() as server:
        TronSource(make_client(server.url), get_chain("tron")).fetch(store, [CAROL])
    (big,) = store.transfers(CAROL, chain="tron:mainnet", asset=BIG)
    assert big.amount == BIG_VALUE and big.amount > 2**64
    assert big.display_amount == "1180.591620717411315769"
    assert big.method == METHOD_TRC20 and big.block_hash == ""


def test_a_rate_limit_is_waited_out(store: Store, make_client: Any) -> None:
    chain, tx = story()
    with chain.server() as server:
        client = make_client(server.url)
        source = TronSource(client, get_chain("tron"))
        server.fail_next(1, 429)  # the head
        summary = source.fetch(store, [ALICE])
    assert summary.retries == 1 and client.stats.retries == 1
    assert rows(store.transfers(ALICE, chain="tron:mainnet")) == expected(tx)


def test_a_rate_limit_mid_listing_is_retried_with_the_same_page(store: Store, make_client: Any) -> None:
    chain, tx = story()
    with chain.server() as server:
        source = TronSource(make_client(server.url), get_chain("tron"))
        original = server.rest[0]
        calls = 0

        def limited_once(match: re.Match[str], query: dict[str, list[str]]) -> Any:
            nonlocal calls
            calls += 1
            if calls == 2:  # the second page
                raise HttpFault(429, {"Error": "too many requests"})
            return original[1](match, query)

        server.rest[0] = (original[0], limited_once)
        source.fetch(store, [ALICE])
    trx = [q for q in listings(server) if q["path"].endswith("/transactions")]
    assert trx[1] == trx[2] and "fingerprint" in trx[1]  # the same page asked again, then on
    assert rows(store.transfers(ALICE, chain="tron:mainnet")) == expected(tx)


def test_a_resumed_fetch_asks_only_for_blocks_no_page_covered(store: Store, make_client: Any) -> None:
    chain, _ = story()
    with chain.server() as server:
        source = TronSource(make_client(server.url), get_chain("tron"))
        source.fetch(store, [ALICE])
        before = len(server.seen)
        again = source.fetch(store, [ALICE])
        assert server.seen[before:] == [("POST", PATH_BLOCK, {"detail": False})]  # the head, nothing else
        assert again.records == {} and again.requests == 1
        # the chain moves on: the next fetch reads only the new blocks' window
        chain.head = 140
        late = chain.transfer("late", 135, CAROL, ALICE, 11)
        before = len(server.seen)
        newer = source.fetch(store, [ALICE])
        fresh = server.seen[before:]
    asked = {(q["min_timestamp"], q["max_timestamp"]) for q in listings(server)[-2:]}
    assert asked == {(str(block_time(121) - 1), str(block_time(140) + 1))}
    assert [b for verb, p, b in fresh if p == PATH_INFO] == []  # no receipt asked again
    assert newer.records == {"native": 1}
    assert rows(store.transfers(ALICE, chain="tron:mainnet"))[-1] == (
        135, late, "contract:0", "native", CAROL, ALICE, "native", 11, 6)
    assert store.covered("tron:mainnet", ["history"], ALICE) == [(0, 140)]


def test_an_interrupted_fetch_keeps_its_pages_and_resumes_after_them(store: Store, make_client: Any) -> None:
    chain, tx = story()
    chain.broken_receipts[tx["tip"]] = {"Error": "class java.lang.NullPointerException : null"}
    with chain.server() as server:
        source = TronSource(make_client(server.url), get_chain("tron"))
        with pytest.raises(RpcProtocolError, match="NullPointerException"):
            source.fetch(store, [ALICE])
        # the pages before the block of the failing receipt's page are committed, with their records
        assert store.covered("tron:mainnet", ["history"], ALICE) == [(0, MISSED - 1)]
        assert rows(store.transfers(ALICE, chain="tron:mainnet")) == expected(tx)[:6]
        del chain.broken_receipts[tx["tip"]]
        before = len(server.seen)
        source.fetch(store, [ALICE])
        resumed = [{k: v[0] for k, v in q.items()} for verb, p, q in server.seen[before:] if verb == "GET"]
    assert {q["min_timestamp"] for q in resumed} == {str(block_time(MISSED) - 1)}
    assert rows(store.transfers(ALICE, chain="tron:mainnet")) == expected(tx)


def test_a_block_range_maps_to_exactly_its_blocks(store: Store, make_client: Any) -> None:
    chain, _ = story()
    with chain.server() as server:
        source = TronSource(make_client(server.url), get_chain("tron"))
        summary = source.fetch(store, [ALICE], options=FetchOptions(from_block=20, to_block=40))
    assert (summary.from_block, summary.to_block) == (20, 40)
    assert {t.block_number for t in store.transfers(ALICE)} == {20, 31, 40}
    assert {(q["min_timestamp"], q["max_timestamp"]) for q in listings(server)} == {
        (str(block_time(20) - 1), str(block_time(40) + 1))}
    assert store.covered("tron:mainnet", ["history"], ALICE) == [(20, 40)]


def test_identical_transfers_of_one_transaction_on_two_pages_stay_two(store: Store, make_client: Any) -> None:
    chain, tx = story()
    with chain.server() as server:
        TronSource(make_client(server.url), get_chain("tron")).fetch(store, [ALICE],
                                                                     options=FetchOptions(from_block=MISSED))
    trc20 = [q for q in listings(server) if q["path"].endswith("/trc20")]
    assert len(trc20) == 3  # big, big | tip, twice | twice: the call's two transfers on two pages
    assert rows(store.transfers(ALICE, chain="tron:mainnet")) == [r for r in expected(tx) if r[0] >= MISSED]


def test_records_of_neighbouring_blocks_a_coarse_window_returns_are_dropped(store: Store, make_client: Any) -> None:
    chain, tx = story()
    chain.slack = 3000  # the listings also return the blocks just before and after the window
    with chain.server() as server:
        TronSource(make_client(server.url), get_chain("tron")).fetch(store, [ALICE],
                                                                     options=FetchOptions(from_block=21, to_block=39))
    assert rows(store.transfers(ALICE, chain="tron:mainnet")) == [r for r in expected(tx) if 21 <= r[0] <= 39]
    assert store.covered("tron:mainnet", ["history"], ALICE) == [(21, 39)]


# -- refusing what is wrong ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value", "message"), [
    ("blockNumber", "20", "blockNumber is not a non-negative integer"),
    ("txID", "0xnothex", "malformed transaction id"),
    ("raw_data", None, "without 'raw_data'"),
])
def test_a_malformed_transaction_is_a_one_line_error(store: Store, make_client: Any, field: str, value: Any,
                                                     message: str) -> None:
    chain, tx = story()
    item = next(i for i in chain.trx if i["txID"] == tx["b"])
    broken = dict(item)
    if value is None:
        del broken[field]
    else:
        broken[field] = value
    chain.broken_items[tx["b"]] = broken
    with chain.server() as server, pytest.raises(RpcProtocolError, match=message) as caught:
        TronSource(make_client(server.url), get_chain("tron")).fetch(store, [ALICE])
    text = str(caught.value)
    assert "\n" not in text and METHOD_TRX in text and "; is the endpoint TronGrid-compatible?" in text


def test_a_malformed_token_value_or_a_receipt_without_the_transfer_is_refused(store: Store, make_client: Any,
                                                                            ) -> None:
    chain, tx = story()
    chain.trc20[0] = chain.trc20[0] | {"value": "1.55e7"}
    with chain.server() as server, pytest.raises(RpcProtocolError, match=r"malformed value '1\.55e7'"):
        TronSource(make_client(server.url), get_chain("tron")).fetch(store, [ALICE])
    chain, tx = story()
    chain.receipts[tx["usdt"]]["log"][1]["data"] = f"{15_500_001:064x}"
    with chain.server() as server, pytest.raises(RpcProtocolError, match="receipt does not show") as caught:
        TronSource(make_client(server.url), get_chain("tron")).fetch(store, [ALICE])
    assert "\n" not in str(caught.value)


def test_a_token_transfer_its_receipt_marks_failed_moves_nothing(store: Store, make_client: Any) -> None:
    chain, tx = story()
    chain.receipts[tx["tip"]]["receipt"]["result"] = "REVERT"
    with chain.server() as server:
        TronSource(make_client(server.url), get_chain("tron")).fetch(store, [ALICE])
    assert rows(store.transfers(ALICE, chain="tron:mainnet")) == [r for r in expected(tx) if r[1] != tx["tip"]]
    assert store.covered("tron:mainnet", ["history"], ALICE) == [(0, chain.head)]


def test_a_listing_that_ignores_the_ascending_order_is_refused(store: Store, make_client: Any) -> None:
    chain, _ = story()
    chain.descending = True
    with chain.server() as server, pytest.raises(RpcProtocolError, match="ignored order_by=block_timestamp,asc"):
        TronSource(make_client(server.url), get_chain("tron")).fetch(store, [ALICE])
    assert store.transfers(ALICE) == []


def test_a_listing_that_repeats_its_fingerprint_is_refused(store: Store, make_client: Any) -> None:
    chain, _ = story()
    with chain.server() as server, pytest.raises(RpcProtocolError, match="same page fingerprint twice"):
        first = chain.trx[0]
        server.rest[0] = (server.rest[0][0], lambda match, query: {
            "data": [first], "success": True, "meta": {"at": 1, "page_size": 1, "fingerprint": "c2FtZQ"}})
        TronSource(make_client(server.url), get_chain("tron")).fetch(store, [BOB])


@pytest.mark.parametrize(("header", "message"), [
    ({"blockID": "ab" * 32, "block_header": {"raw_data": "0x"}}, "malformed block header"),
    ({"blockID": "not-an-id", "block_header": {"raw_data": {"number": 120, "timestamp": 1}}}, "malformed block"),
    ({"blockID": "ab" * 32, "block_header": {"raw_data": {"number": "120", "timestamp": 1}}},
     "number is not a non-negative integer"),
])
def test_a_malformed_head_is_a_one_line_error(store: Store, make_client: Any, header: Any, message: str) -> None:
    with Replay(rest_post=[(PATH_BLOCK, lambda match, body: header)]) as server, \
            pytest.raises(RpcProtocolError, match=message) as caught:
        TronSource(make_client(server.url), get_chain("tron")).fetch(store, [ALICE])
    assert "\n" not in str(caught.value) and "; is the endpoint TronGrid-compatible?" in str(caught.value)


def test_a_listing_without_data_is_refused(store: Store, make_client: Any) -> None:
    chain, _ = story()
    with chain.server() as server, pytest.raises(RpcProtocolError, match="answered no data list"):
        server.rest[0] = (server.rest[0][0], lambda match, query: {"success": True, "meta": {"at": 1}})
        TronSource(make_client(server.url), get_chain("tron")).fetch(store, [ALICE])


def test_a_solana_rpc_given_for_tron_is_refused_by_name(store: Store, make_client: Any) -> None:
    solana = Replay(rpc={"getSlot": lambda params: 312_000_000,
                         "getGenesisHash": lambda params: "5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d"})
    with solana as server:
        source = TronSource(make_client(server.url), get_chain("tron"))
        with pytest.raises(RpcChainMismatch) as caught:
            source.check_chain()
        with pytest.raises(RpcChainMismatch):
            source.fetch(store, [ALICE])
    text = str(caught.value)
    assert text.startswith("the endpoint does not answer Tron's HTTP API (/walletsolidity/getblock): it answered "
                           "JSON-RPC (error -32601: Method not found): an EVM or Solana node?")
    assert "is it a Tron node or TronGrid?" in text and "\n" not in text
    assert store.covered("tron:mainnet", ["history"], ALICE) == []


def test_a_rest_api_of_another_kind_is_refused(make_client: Any) -> None:
    def not_here(match: re.Match[str], body: Any) -> Any:  # what a Cosmos LCD answers for paths it lacks
        raise HttpFault(404, {"code": 5, "message": "Not Implemented", "details": []})

    with Replay(rest_post=[(r"/.*", not_here)]) as server, \
            pytest.raises(RpcChainMismatch, match=r"it answered HTTP 404 \(Not Implemented\)"):
        TronSource(make_client(server.url), get_chain("tron")).check_chain()


def test_a_testnet_is_refused_and_mainnet_accepted(make_client: Any) -> None:
    with FakeTronGrid(genesis=NILE).server() as server, \
            pytest.raises(RpcChainMismatch, match="serves the Tron Nile testnet, not tron"):
        TronSource(make_client(server.url), get_chain("tron")).check_chain()
    with FakeTronGrid().server() as server:
        TronSource(make_client(server.url), get_chain("tron")).check_chain()
        assert posts(server, PATH_BLOCK) == [{"id_or_num": "0", "detail": False}]


def test_doctor_reports_the_endpoint_chain_head_and_methods(make_client: Any) -> None:
    chain = FakeTronGrid()
    with chain.server() as server:
        report = dict(TronSource(make_client(server.url), get_chain("tron")).doctor())
    assert report["endpoint"] == server.url and report["chain"] == "tron:mainnet"
    assert (report["head"], report["head_time"]) == (chain.head, block_time(chain.head) // 1000)
    assert (report[METHOD_TRX], report[METHOD_TRC20], report[PATH_INFO], report[METHOD_TOKEN]) == (
        "yes", "yes", "yes", "yes")
    with Replay(rest_post=[(PATH_BLOCK, chain.getblock)]) as partial:
        report = dict(TronSource(make_client(partial.url), get_chain("tron")).doctor())
    assert (report[METHOD_TRX], report[METHOD_TRC20], report[PATH_INFO], report[METHOD_TOKEN]) == (
        "no", "no", "no", "no")


# -- token-wide: every transfer of a token, by eth_getLogs at /jsonrpc ------------------------------------------


def token_story() -> tuple[FakeTronGrid, dict[str, str]]:
    """The story, plus two calls that put other logs ahead of USDT's in their blocks: java-tron's logIndex counts
    the logs of the whole block, the stored locator only those of the transaction."""
    chain, tx = story()
    tx["pool"] = chain.token_tx("pool", 40, CAROL, [(BIG, CAROL, BOB, 3)], listed_for_signer=False, first=True)
    tx["swap"] = chain.token_tx("swap", 112, BOB, [(BIG, BOB, CAROL, 7), (USDT, BOB, CAROL, 9)],
                                listed_for_signer=False, first=True)
    return chain, tx


def usdt_rows(tx: dict[str, str]) -> list[tuple[int, str, str, str, str, str, str, int, int | None]]:
    return sorted([
        (40, tx["usdt"], "log:1", "trc20", BOB, ALICE, USDT, 15_500_000, 6),
        (MISSED, tx["big"], "log:3", "trc20", ALICE, BOB, USDT, 1, 6),
        (110, tx["tip"], "log:1", "trc20", CAROL, ALICE, USDT, 2_500_000, 6),
        (112, tx["swap"], "log:3", "trc20", BOB, CAROL, USDT, 9, 6),
        (112, tx["twice"], "log:1", "trc20", CAROL, ALICE, USDT, 5, 6),
        (112, tx["twice"], "log:3", "trc20", CAROL, ALICE, USDT, 5, 6),
    ])


def rpc_calls(server: Replay, method: str) -> list[Any]:
    return [body["params"] for body in posts(server, PATH_JSONRPC) if body["method"] == method]


def asked_ranges(server: Replay) -> list[tuple[int, int]]:
    return [(int(p[0]["fromBlock"], 16), int(p[0]["toBlock"], 16)) for p in rpc_calls(server, "eth_getLogs")]


def test_a_token_fetch_stores_every_transfer_of_the_token(store: Store, make_client: Any) -> None:
    chain, tx = token_story()
    chain.max_range = 16  # the endpoint's maxBlockRange: the first range is refused, the next ones fit
    with chain.server() as server:
        summary = TronSource(make_client(server.url), get_chain("tron")).fetch(store, [], [USDT])
    assert rows(store.transfers(chain="tron:mainnet", asset=USDT)) == usdt_rows(tx)
    assert rows(store.transfers(chain="tron:mainnet")) == usdt_rows(tx)  # nothing of other tokens
    assert summary.records == {"trc20": 6}
    assert store.covered("tron:mainnet", ["history:token"], USDT) == [(0, chain.head)]
    # 0-120 refused (exceed max block range: 16), then ranges of the 16 blocks the error named
    assert asked_ranges(server) == [(0, 120), *((a, min(a + 15, 120)) for a in range(0, 121, 16))]
    # the filter in Tron's wire format: 20-byte hex contract, the Transfer topic, hex block numbers
    (first, *_) = rpc_calls(server, "eth_getLogs")
    assert first == [{"fromBlock": "0x0", "toBlock": "0x78", "address": "0xa614f803b6fd780986a42c78ec9c7f77e6ded13c",
                      "topics": ["0x" + TRANSFER_TOPIC]}]
    # receipts: one by one where a block has one USDT transaction, the whole block's where it has two
    assert sorted(b["value"] for b in posts(server, PATH_INFO)) == sorted(tx[k] for k in ("usdt", "big", "tip"))
    assert posts(server, PATH_BLOCK_INFO) == [{"num": 112}]
    # metadata read from the contract; block times from the receipts
    assert store.tokens("tron:mainnet")[USDT] == type(store.tokens("tron:mainnet")[USDT])(
        "tron:mainnet", USDT, "USDT", "Tether USD", 6)
    assert {t.block_number: t.block_time for t in store.transfers(asset=USDT)} == {
        n: block_time(n) // 1000 for n in (40, MISSED, 110, 112)}
    assert {t.method for t in store.transfers(asset=USDT)} == {METHOD_TOKEN}


def test_too_many_results_shrink_the_range_and_sparse_answers_grow_it_back(store: Store, make_client: Any) -> None:
    chain, tx = token_story()
    chain.max_results = 3  # "query returned more than 3 results"
    with chain.server() as server:
        TronSource(make_client(server.url), get_chain("tron")).fetch(store, [], [USDT])
    assert rows(store.transfers(chain="tron:mainnet")) == usdt_rows(tx)
    assert asked_ranges(server) == [
        (0, 120),  # 6 logs: refused
        (0, 59),  # 1 log: the next range doubles
        (60, 120), (60, 89), (90, 120), (90, 104), (105, 120), (105, 112),
        (105, 108), (109, 116), (109, 112), (109, 110), (111, 114), (115, 120)]
    assert store.covered("tron:mainnet", ["history:token"], USDT) == [(0, chain.head)]


def test_a_token_transfer_above_2_64_stays_exact(store: Store, make_client: Any) -> None:
    chain, tx = token_story()
    with chain.server() as server:
        TronSource(make_client(server.url), get_chain("tron")).fetch(store, [], [BIG])
    pool, big, swap = store.transfers(chain="tron:mainnet", asset=BIG)
    assert (big.tx_hash, big.locator, big.amount, big.decimals) == (tx["big"], "log:1", BIG_VALUE, 18)
    assert big.amount > 2**64 and big.display_amount == "1180.591620717411315769"
    assert (pool.tx_hash, pool.locator, pool.amount, swap.tx_hash, swap.locator) == (tx["pool"], "log:1", 3,
                                                                                     tx["swap"], "log:1")


@pytest.mark.parametrize("token_first", [False, True])
def test_a_transfer_read_by_address_and_by_token_is_stored_once(store: Store, make_client: Any,
                                                                token_first: bool) -> None:
    chain, tx = token_story()
    with chain.server() as server:
        source = TronSource(make_client(server.url), get_chain("tron"))
        if token_first:
            by_token = source.fetch(store, [], [USDT])
            by_address = source.fetch(store, [ALICE])
        else:
            by_address = source.fetch(store, [ALICE])
            by_token = source.fetch(store, [], [USDT])
    assert rows(store.transfers(chain="tron:mainnet", asset=USDT)) == usdt_rows(tx)
    keys = store.con.execute("SELECT tx_hash, locator, count(*) FROM transfers GROUP BY ALL").fetchall()
    assert all(n == 1 for *_, n in keys) and len(keys) == 5 + 6 + 1  # ALICE's TRX and BIG, USDT, nothing twice
    alice_usdt = [r for r in usdt_rows(tx) if ALICE in r[4:6]]
    if token_first:
        assert (by_token.records, by_address.records) == ({"trc20": 6}, {"native": 5, "trc20": 1})
    else:
        assert (by_address.records, by_token.records) == ({"native": 5, "trc20": 6}, {"trc20": 6 - len(alice_usdt)})


def test_removed_logs_are_ignored(store: Store, make_client: Any) -> None:
    chain, tx = token_story()
    ghost = txid("reorged")
    chain.removed_logs.append({
        "address": "0x" + tron_to_hex(USDT)[2:], "blockHash": "0x" + chain.header(50)["blockID"],
        "blockNumber": hex(50), "data": "0x" + f"{77:064x}", "logIndex": "0x0", "removed": True,
        "topics": ["0x" + TRANSFER_TOPIC, "0x" + "0" * 24 + tron_to_hex(BOB)[2:],
                   "0x" + "0" * 24 + tron_to_hex(CAROL)[2:]], "transactionHash": "0x" + ghost,
        "transactionIndex": "0x0"})
    with chain.server() as server:
        TronSource(make_client(server.url), get_chain("tron")).fetch(store, [], [USDT])
    assert rows(store.transfers(chain="tron:mainnet")) == usdt_rows(tx)
    assert ghost not in [b["value"] for b in posts(server, PATH_INFO)]


def test_a_failed_transaction_moves_no_token(store: Store, make_client: Any) -> None:
    chain, tx = token_story()
    chain.receipts[tx["tip"]]["receipt"]["result"] = "REVERT"
    with chain.server() as server:
        TronSource(make_client(server.url), get_chain("tron")).fetch(store, [], [USDT])
    assert rows(store.transfers(chain="tron:mainnet")) == [r for r in usdt_rows(tx) if r[1] != tx["tip"]]


def test_a_resumed_token_fetch_asks_nothing_for_covered_blocks(store: Store, make_client: Any) -> None:
    chain, tx = token_story()
    with chain.server() as server:
        source = TronSource(make_client(server.url), get_chain("tron"))
        source.fetch(store, [], [USDT], FetchOptions(to_block=100))
        before = len(server.seen)
        again = source.fetch(store, [], [USDT], FetchOptions(to_block=100))
        assert server.seen[before:] == [("POST", PATH_BLOCK, {"detail": False})]  # the head, nothing else
        assert again.records == {} and again.requests == 1
        # the rest of the chain, and new blocks: only the blocks no page covered are asked
        chain.head = 140
        late = chain.token_tx("late", 135, BOB, [(USDT, BOB, CAROL, 11)], listed_for_signer=False)
        before = len(server.seen)
        newer = source.fetch(store, [], [USDT])
        fresh = server.seen[before:]
    assert [(int(b["params"][0]["fromBlock"], 16), int(b["params"][0]["toBlock"], 16)) for verb, p, b in fresh
            if p == PATH_JSONRPC and b["method"] == "eth_getLogs"] == [(101, 140)]
    assert [b["method"] for verb, p, b in fresh if p == PATH_JSONRPC] == ["eth_blockNumber", "eth_getLogs"]
    assert newer.records == {"trc20": 6}
    assert rows(store.transfers(chain="tron:mainnet")) == sorted([
        *usdt_rows(tx), (135, late, "log:1", "trc20", BOB, CAROL, USDT, 11, 6)])
    assert store.covered("tron:mainnet", ["history:token"], USDT) == [(0, 140)]


@pytest.mark.parametrize(("answer", "found"), [
    (None, r"does not serve eth_chainId \(error -32601: Method not found\)"),
    (HttpFault(404, b"<html><body><h1>404 Not Found</h1></body></html>"), r"it answered HTTP 404"),
    (HttpFault(405, {"Error": "HTTP method POST is not supported by this URL"}), r"it answered HTTP 405"),
    ({"blockID": "ab" * 32}, r"not a JSON-RPC response to eth_chainId"),
])
def test_an_endpoint_without_jsonrpc_is_a_one_line_error(store: Store, make_client: Any, answer: Any,
                                                         found: str) -> None:
    chain = FakeTronGrid(jsonrpc=False)  # None: nothing at /jsonrpc (Replay answers JSON-RPC "Method not found")

    def instead(match: re.Match[str], body: Any) -> Any:
        if isinstance(answer, HttpFault):
            raise answer
        return answer

    with chain.server() as server, pytest.raises(RpcError, match=found) as caught:
        if answer is not None:
            server.rest_post.append((re.compile(PATH_JSONRPC), instead))
        TronSource(make_client(server.url), get_chain("tron")).fetch(store, [], [USDT])
    text = str(caught.value)
    assert "\n" not in text and "token-wide fetches need Tron's JSON-RPC at /jsonrpc" in text
    assert store.covered("tron:mainnet", ["history:token"], USDT) == []


def _corrupt_logs(change: Any) -> Any:
    def handler(chain: FakeTronGrid) -> Any:
        def answer(match: re.Match[str], body: Any) -> Any:
            reply = chain.rpc(match, body)
            return change(reply) if body["method"] == "eth_getLogs" and reply.get("result") else reply
        return answer
    return handler


def _log_field(position: int, **fields: Any) -> Any:
    """The answer with fields of its log at ``position`` changed (None: left out)."""
    def change(reply: dict[str, Any]) -> dict[str, Any]:
        logs = [dict(log) for log in reply["result"]]
        for key, value in fields.items():
            if value is None:
                del logs[position][key]
            else:
                logs[position][key] = value
        return reply | {"result": logs}
    return _corrupt_logs(change)


@pytest.mark.parametrize(("handler", "message"), [
    (_corrupt_logs(lambda reply: {"jsonrpc": "2.0", "id": 1}), "not a JSON-RPC response to eth_getLogs"),
    (_corrupt_logs(lambda reply: reply | {"result": {"logs": reply["result"]}}), "instead of a list of logs"),
    (_log_field(0, transactionHash=None), "a log without 'transactionHash'"),
    (_log_field(0, blockNumber=40), "eth_getLogs blockNumber is not a hex quantity"),
    (_log_field(0, blockNumber="0x7d0"), "a log of block 2000, outside 0-120"),
    (_log_field(0, topics=["0x" + "ab" * 32]), "a log its filter excludes"),
    (_log_field(-1, logIndex="0x9"), "disagree on its Transfer logs"),  # twice's second log is 7
    (_log_field(0, data="0x" + f"{16_000_000:064x}"), "disagree on its Transfer logs"),
])
def test_a_wrong_jsonrpc_answer_is_a_one_line_error(store: Store, make_client: Any, handler: Any,
                                                    message: str) -> None:
    chain, _ = token_story()
    with chain.server() as server, pytest.raises(RpcProtocolError, match=message) as caught:
        server.rest_post = [(p, handler(chain) if p.pattern == PATH_JSONRPC else h) for p, h in server.rest_post]
        TronSource(make_client(server.url), get_chain("tron")).fetch(store, [], [USDT])
    assert "\n" not in str(caught.value)
    assert store.covered("tron:mainnet", ["history:token"], USDT) == []


@pytest.mark.parametrize(("code", "message", "found"), [
    (-32000, "ItemNotFoundException: block 64 pruned",
     r"answered eth_getLogs with error -32000: ItemNotFoundException: block 64 pruned at line 2 \(.*\); retry"),
    (-32602, "invalid address at index 0: 0xzz", r"error -32602: invalid address at index 0: 0xzz"),
    (429, "too many requests", r"error 429: too many requests at line 2 \(.*\); lower --rps"),
])
def test_a_jsonrpc_error_object_is_a_one_line_error(store: Store, make_client: Any, code: int, message: str,
                                                    found: str) -> None:
    chain, _ = token_story()

    def refusing(match: re.Match[str], body: Any) -> Any:
        if body["method"] != "eth_getLogs":
            return chain.rpc(match, body)
        return {"jsonrpc": "2.0", "id": body["id"], "error": {"code": code, "message": message + "\n at line 2"}}

    with chain.server() as server, pytest.raises(RpcError, match=found) as caught:
        server.rest_post = [(p, refusing if p.pattern == PATH_JSONRPC else h) for p, h in server.rest_post]
        TronSource(make_client(server.url), get_chain("tron")).fetch(store, [], [USDT])
    assert "\n" not in str(caught.value) and len(asked_ranges(server)) == 1  # not taken for a range too large


def test_a_jsonrpc_behind_the_solidified_head_or_of_another_network_is_refused(store: Store,
                                                                               make_client: Any) -> None:
    chain, _ = token_story()
    chain.rpc_head = 100  # java-tron would answer blocks above its head with no logs: never committed
    with chain.server() as server, pytest.raises(RpcError, match="/jsonrpc is at block 100, behind block 120"):
        TronSource(make_client(server.url), get_chain("tron")).fetch(store, [], [USDT])
    assert store.covered("tron:mainnet", ["history:token"], USDT) == []
    chain.rpc_head, chain.genesis = None, NILE
    with chain.server() as server, \
            pytest.raises(RpcChainMismatch, match="serves chain id 0xcd8690dc, not tron's 0x2b6653dc"):
        TronSource(make_client(server.url), get_chain("tron")).fetch(store, [], [USDT])


def test_the_cli_fetches_a_token_wide_history(tmp_path: Any, capsys: Any) -> None:
    chain, tx = token_story()
    path = tmp_path / "tron.duckdb"
    with chain.server() as server:
        code = main(["fetch", "--chain", "tron", "--rpc", server.url, "--token", USDT, "--from-block", "41",
                     "--to-block", "115", "--store", str(path)])
    assert code == 0, capsys.readouterr().err
    with Store(path) as db:
        assert rows(db.transfers(chain="tron:mainnet")) == [r for r in usdt_rows(tx) if 41 <= r[0] <= 115]
        assert db.covered("tron:mainnet", ["history:token"], USDT) == [(41, 115)]
