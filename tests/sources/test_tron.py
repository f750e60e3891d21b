"""TronSource against a loopback TronGrid: answers in TronGrid's wire format, read into a real store."""

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
from trailscan.errors import RpcChainMismatch, RpcProtocolError
from trailscan.ingest import FetchOptions
from trailscan.model import Transfer
from trailscan.sources.rpc import RpcClient
from trailscan.sources.tron import METHOD_TRC20, METHOD_TRX, PATH_BLOCK, PATH_INFO, TRANSFER_TOPIC, TronSource
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


def block_time(n: int) -> int:
    if n == 0:
        return 0
    return SLOT0 + 3000 * (n - 1) + (3000 if n >= MISSED else 0)


class FakeTronGrid:
    """A Tron chain's history and the TronGrid endpoints that serve it, in TronGrid's wire format."""

    def __init__(self, head: int = 120, genesis: str = MAINNET, *, descending: bool = False) -> None:
        self.head, self.genesis, self.descending = head, genesis, descending  # descending: ignore order_by
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
                 *, listed_for_signer: bool = True) -> str:
        """A contract call emitting Transfer logs (token, from, to, value), each after an unrelated log."""
        tx, ts = txid(name), block_time(block)
        logs: list[dict[str, Any]] = []
        for token, sender, receiver, value in moves:
            logs.append({"address": _hex20("some-pool"), "topics": ["1c411e9a" + "0" * 56], "data": "00" * 32})
            logs.append({"address": tron_to_hex(token)[2:], "data": f"{value:064x}",
                         "topics": [TRANSFER_TOPIC, "0" * 24 + tron_to_hex(sender)[2:],
                                    "0" * 24 + tron_to_hex(receiver)[2:]]})
            symbol, decimals, title = ("USDT", 6, "Tether USD") if token == USDT else ("BIG", 18, "Big Token")
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
            rest_post=[(PATH_BLOCK, self.getblock), (PATH_INFO, self.info)])


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
    assert (report[METHOD_TRX], report[METHOD_TRC20], report[PATH_INFO]) == ("yes", "yes", "yes")
    with Replay(rest_post=[(PATH_BLOCK, chain.getblock)]) as partial:
        report = dict(TronSource(make_client(partial.url), get_chain("tron")).doctor())
    assert (report[METHOD_TRX], report[METHOD_TRC20], report[PATH_INFO]) == ("no", "no", "no")
