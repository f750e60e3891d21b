"""The Cosmos source against a loopback LCD answering in the Cosmos SDK's REST wire format (Akash).

The fake LCD below keeps a list of transactions and serves ``GET /cosmos/tx/v1beta1/txs`` the way the SDK proxies
CometBFT's tx_search: SDK 0.50 (``query=``, ``page``/``limit``, plain attributes, ``total``) or SDK 0.45
(``events=``, ``pagination.offset``/``pagination.limit``, base64 attributes, ``pagination.total``, HTTP 400 for
``query=``). Addresses are fictional: bech32 of a name's sha256.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import bech32
import pytest

from trailscan.chains import get_chain
from trailscan.errors import AddressError, RpcChainMismatch, RpcProtocolError
from trailscan.ingest import FetchOptions
from trailscan.sources.cosmos import METHOD, CosmosSource, module_address, parse_coins
from trailscan.sources.rpc import RpcClient
from trailscan.store import Store

from ..support.replay import HttpFault, Replay

AKASH = get_chain("akash")
KEY = "cosmos:akashnet-2"


def addr(name: str, prefix: str = "akash") -> str:
    """A fictional account: bech32 of the first 20 bytes of a name's sha256; no one holds its key."""
    words = bech32.convertbits(hashlib.sha256(f"trailscan-cosmos:{name}".encode()).digest()[:20], 8, 5)
    return str(bech32.bech32_encode(prefix, words))


ALICE, BOB, CAROL, PROVIDER = addr("tenant alice"), addr("payer bob"), addr("carol"), addr("gpu provider")
ESCROW = module_address("akash", "escrow")
FEE_COLLECTOR = module_address("akash", "fee_collector")
IBC_USDC = "ibc/" + hashlib.sha256(b"transfer/channel-9/uusdc").hexdigest().upper()
BIG = 2**64 + 12_345  # above uint64: must stay exact end to end
T0 = 1_709_287_200  # 2024-03-01T10:00:00Z


def txhash(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest().upper()


def stamp(height: int) -> str:
    return datetime.fromtimestamp(T0 + 6 * height, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _event(kind: str, **attrs: str) -> dict[str, Any]:
    return {"type": kind, "attributes": [{"key": k, "value": v, "index": True} for k, v in attrs.items()]}


def _bank(sender: str, recipient: str, amount: str, **extra: str) -> list[dict[str, Any]]:
    return [_event("coin_spent", spender=sender, amount=amount, **extra),
            _event("coin_received", receiver=recipient, amount=amount, **extra),
            _event("transfer", recipient=recipient, sender=sender, amount=amount, **extra)]


def tx(height: int, name: str, signer: str, msg: str, moves: list[tuple[str, str, str]], *, fee: int = 5000,
       code: int = 0, index: int = 0, legacy_logs: bool = False) -> dict[str, Any]:
    """A transaction: its ante events (fee), then per message its bank moves, as an SDK 0.50 node emits them."""
    events = [*_bank(signer, FEE_COLLECTOR, f"{fee}uakt"), _event("message", sender=signer)] if fee else []
    events += [_event("tx", fee=f"{fee}uakt" if fee else "", fee_payer=signer),
               _event("tx", acc_seq=f"{signer}/7"), _event("tx", signature="c2lnbmF0dXJl")]
    events.append(_event("message", action=msg, sender=signer, module=msg.split(".")[1], msg_index="0"))
    for sender, recipient, amount in moves:  # a node may keep message events of a failed tx: they must not count
        events += _bank(sender, recipient, amount, msg_index="0")
    return {"height": height, "index": index, "hash": txhash(name), "signer": signer, "msg": msg, "fee": fee,
            "code": code, "events": events, "moves": moves, "legacy_logs": legacy_logs}


def world() -> list[dict[str, Any]]:
    return [
        tx(100, "bob pays alice", BOB, "/cosmos.bank.v1beta1.MsgSend", [(BOB, ALICE, f"1500000uakt,{BIG}{IBC_USDC}")]),
        tx(105, "alice deploys", ALICE, "/akash.deployment.v1beta3.MsgCreateDeployment",
           [(ALICE, ESCROW, "5000000uakt")]),
        tx(105, "carol pays bob", CAROL, "/cosmos.bank.v1beta1.MsgSend", [(CAROL, BOB, "42uakt")], index=1),
        tx(110, "alice fails", ALICE, "/cosmos.bank.v1beta1.MsgSend", [(ALICE, BOB, "999uakt")], code=5),
        tx(120, "alice tops up", ALICE, "/akash.deployment.v1beta3.MsgDepositDeployment",
           [(ALICE, ESCROW, "2000000uakt")]),
        tx(130, "provider withdraws", PROVIDER, "/akash.market.v1beta4.MsgWithdrawLease",
           [(ESCROW, PROVIDER, "300000uakt")]),
        tx(140, "alice closes", ALICE, "/akash.deployment.v1beta3.MsgCloseDeployment",
           [(ESCROW, ALICE, "1200000uakt")]),
        tx(900, "bob pays alice late", BOB, "/cosmos.bank.v1beta1.MsgSend", [(BOB, ALICE, "7uakt")], fee=0),
    ]


ALICE_WANT = [  # (height, from, to, kind, asset, amount), fees and the failed tx left out
    (100, BOB, ALICE, "native", "native", 1_500_000),
    (100, BOB, ALICE, "denom", IBC_USDC, BIG),
    (105, ALICE, ESCROW, "native", "native", 5_000_000),
    (120, ALICE, ESCROW, "native", "native", 2_000_000),
    (140, ESCROW, ALICE, "native", "native", 1_200_000),
    (900, BOB, ALICE, "native", "native", 7),
]

_COND = re.compile(r"([a-z_]+)\.([a-z_]+)(>=|<=|=)(?:'([^']*)'|(\d+))")


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class Lcd:
    """A Cosmos LCD of one chain: node_info, latest block, and the tx search of SDK 0.50 or 0.45."""

    def __init__(self, txs: list[dict[str, Any]], *, sdk: str = "0.50", network: str = "akashnet-2",
                 head: int = 1000) -> None:
        self.txs, self.sdk, self.network, self.head = txs, sdk, network, head
        self.overruns = 0
        self.override: dict[str, Any] | None = None  # a txs answer to give instead (malformed answers)

    def routes(self) -> list[tuple[str, Any]]:
        return [("/cosmos/base/tendermint/v1beta1/node_info", self.node_info),
                ("/cosmos/base/tendermint/v1beta1/blocks/latest", self.latest),
                ("/cosmos/tx/v1beta1/txs", self.search)]

    def node_info(self, match: re.Match[str], query: dict[str, list[str]]) -> Any:
        return {"default_node_info": {"protocol_version": {"p2p": "8", "block": "11", "app": "0"},
                                      "default_node_id": "a" * 40, "listen_addr": "tcp://0.0.0.0:26656",
                                      "network": self.network, "version": "0.38.17", "channels": "40202122233038",
                                      "moniker": "replay", "other": {"tx_index": "on", "rpc_address": ""}},
                "application_version": {"name": "akash", "app_name": "akash", "version": "v1.0.0",
                                        "git_commit": "", "build_tags": "", "go_version": "go1.22",
                                        "build_deps": [], "cosmos_sdk_version": f"v{self.sdk}.1"}}

    def latest(self, match: re.Match[str], query: dict[str, list[str]]) -> Any:
        header = {"chain_id": self.network, "height": str(self.head), "time": stamp(self.head)}
        return {"block_id": {"hash": _b64("h" * 32)}, "block": {"header": header, "data": {"txs": []}},
                "sdk_block": {"header": header}}

    def search(self, match: re.Match[str], query: dict[str, list[str]]) -> Any:
        if self.override is not None:
            return self.override
        if self.sdk == "0.50":
            if "query" not in query:
                raise HttpFault(500, {"code": 13, "message": "query cannot be empty", "details": []})
            conds = _COND.findall(query["query"][0])
            limit = min(int(query.get("limit", ["100"])[0]) or 100, 100)
            page = int(query.get("page", ["1"])[0]) or 1
        else:
            if "events" not in query:
                raise HttpFault(400, {"code": 3, "message": "must declare at least one event to search",
                                      "details": []})
            conds = [c for event in query["events"] for c in _COND.findall(event)]
            limit = min(int(query.get("pagination.limit", ["100"])[0]) or 100, 100)
            page = int(query.get("pagination.offset", ["0"])[0]) // limit + 1
        hits = sorted((t for t in self.txs if all(self._match(t, c) for c in conds)),
                      key=lambda t: (t["height"], t["index"]), reverse=query.get("order_by") == ["ORDER_BY_DESC"])
        last = max(1, math.ceil(len(hits) / limit))
        if page > last:  # CometBFT refuses a page past the end
            self.overruns += 1
            raise HttpFault(400, {"code": 2, "message": f"page should be within [1, {last}] range, given {page}",
                                  "details": []})
        chunk = [self._wire(t) for t in hits[(page - 1) * limit: page * limit]]
        answer: dict[str, Any] = {"txs": [r["tx"] for r in chunk], "tx_responses": chunk}
        if self.sdk == "0.50":
            return {**answer, "pagination": None, "total": str(len(hits))}
        return {**answer, "pagination": {"next_key": None, "total": str(len(hits))}}

    @staticmethod
    def _match(t: dict[str, Any], cond: tuple[str, str, str, str, str]) -> bool:
        kind, key, op, text, number = cond
        if (kind, key) == ("tx", "height"):
            return {">=": t["height"] >= int(number), "<=": t["height"] <= int(number),
                    "=": t["height"] == int(number)}[op]
        return any(e["type"] == kind and any(a["key"] == key and a["value"] == text for a in e["attributes"])
                   for e in t["events"])

    def _wire(self, t: dict[str, Any]) -> dict[str, Any]:
        body = {"@type": "/cosmos.tx.v1beta1.Tx",
                "body": {"messages": [{"@type": t["msg"]}], "memo": "", "timeout_height": "0",
                         "extension_options": [], "non_critical_extension_options": []},
                "auth_info": {"signer_infos": [], "fee": {"amount": [{"denom": "uakt", "amount": str(t["fee"])}]
                                                          if t["fee"] else [], "gas_limit": "200000",
                                                          "payer": "", "granter": ""}},
                "signatures": ["c2lnbmF0dXJl"]}
        events = t["events"]
        logs: list[dict[str, Any]] = []
        if self.sdk != "0.50":
            # SDK 0.45: no tx/fee event yet, attributes in base64; logs hold the message events in plain text
            events = [{"type": e["type"], "attributes": [{"key": _b64(a["key"]), "value": _b64(a["value"]),
                                                         "index": True} for a in e["attributes"]]}
                      for e in events if not (e["type"] == "tx" and e["attributes"][0]["key"] == "fee")]
            logs = [{"msg_index": 0, "log": "", "events": [e for e in t["events"] if e["type"] != "tx"]}]
        if t["legacy_logs"]:
            # before SDK 0.42.11: no events; logs merge the events of one type, the fee transfer included
            transfers = [(t["signer"], FEE_COLLECTOR, f"{t['fee']}uakt"), *t["moves"]]
            merged = [{"key": k, "value": v} for s, r, a in transfers
                      for k, v in (("recipient", r), ("sender", s), ("amount", a))]
            events = []
            logs = [{"msg_index": 0, "log": "", "events": [
                {"type": "message", "attributes": [{"key": "action", "value": "create-deployment"},
                                                   {"key": "sender", "value": t["signer"]}]},
                {"type": "transfer", "attributes": merged}]}]
        return {"height": str(t["height"]), "txhash": t["hash"], "codespace": "" if t["code"] == 0 else "sdk",
                "code": t["code"], "data": "", "raw_log": "" if t["code"] == 0 else "insufficient funds",
                "logs": logs, "info": "", "gas_wanted": "200000", "gas_used": "150000", "tx": body,
                "timestamp": stamp(t["height"]), "events": events}


class SmallPages(CosmosSource):
    PAGE_SIZE = 2  # pages of two transactions, so that paging and page boundaries are exercised


@contextmanager
def lcd_source(lcd: Lcd, cls: type[CosmosSource] = SmallPages) -> Iterator[tuple[Replay, CosmosSource]]:
    with Replay(rest=lcd.routes()) as server:
        client = RpcClient([server.url], backoff_base=0.01, backoff_cap=0.05, max_retries=3)
        try:
            yield server, cls(client, AKASH)
        finally:
            client.close()


def rows(store: Store, address: str) -> list[tuple[int, str, str, str, str, int]]:
    return [(t.block_number, t.from_address, t.to_address, t.kind, t.asset, t.amount)
            for t in store.transfers(address, chain=KEY)]


def searches(server: Replay) -> list[dict[str, list[str]]]:
    return [query for verb, path, query in server.seen if path == "/cosmos/tx/v1beta1/txs"]


# -- addresses ----------------------------------------------------------------------------------------------


def test_module_addresses_match_published_accounts() -> None:
    # Cosmos SDK auth docs list the Hub's fee_collector; Akash's docs show a deployment paying its 5 AKT deposit
    # to the escrow account and its fee to the fee collector (akash tx deployment create output)
    assert module_address("cosmos", "fee_collector") == "cosmos17xpfvakm2amg962yls6f84z3kell8c5lserqta"
    assert module_address("cosmos", "distribution") == "cosmos1jv65s3grqf6v6jl3dp4t6c9t9rk99cd88lyufl"
    assert ESCROW == "akash14pphss726thpwws3yc458hggufynm9x77l4l2u"
    assert FEE_COLLECTOR == "akash17xpfvakm2amg962yls6f84z3kell8c5lazw8j8"
    assert AKASH.address(ESCROW) == ESCROW


def test_wrong_prefix_is_rejected_before_any_request(store: Store) -> None:
    hub = addr("tenant alice", "cosmos")
    with pytest.raises(AddressError, match="prefix 'cosmos'"):
        AKASH.address(hub)
    with lcd_source(Lcd(world())) as (server, source), pytest.raises(AddressError):
        source.fetch(store, [hub])
    assert searches(server) == []


def test_parse_coins_is_exact() -> None:
    assert parse_coins(f"1500uakt,{BIG}{IBC_USDC}") == [("uakt", 1500), (IBC_USDC, BIG)]
    assert parse_coins("") == []
    with pytest.raises(ValueError):
        parse_coins("1.5uakt")


# -- history ------------------------------------------------------------------------------------------------


def test_history_pages_escrow_multicoin_and_failed_tx(store: Store) -> None:
    lcd = Lcd(world())
    with lcd_source(lcd) as (server, source):
        summary = source.fetch(store, [ALICE, PROVIDER])
    assert rows(store, ALICE) == ALICE_WANT
    assert rows(store, PROVIDER) == [(130, ESCROW, PROVIDER, "native", "native", 300_000)]
    got = store.transfers(ALICE, chain=KEY)
    assert {t.method for t in got} == {METHOD}
    assert all(t.block_hash == "" and t.block_time == T0 + 6 * t.block_number for t in got)
    assert [t.decimals for t in got[:2]] == [6, None]
    # the multi-coin transfer: one record per coin of the same event (the msg transfer after the 7 ante/message
    # events and the fee's coin_spent / coin_received / transfer)
    assert [t.locator for t in got[:2]] == ["event:10:0", "event:10:1"]
    assert txhash("alice fails") not in {t.tx_hash for t in store.transfers(chain=KEY)}
    assert FEE_COLLECTOR not in {t.to_address for t in store.transfers(chain=KEY)}  # fees are not recorded
    payers = dict(store.con.execute("SELECT DISTINCT tx_hash, tx_from FROM transfers").fetchall())
    assert payers[txhash("alice deploys")] == ALICE and payers[txhash("bob pays alice")] == BOB
    # two searches per address (sent, received), each over the whole range, paged two at a time, never past the end
    queries = [q["query"][0] for q in searches(server)]
    assert f"transfer.sender='{ALICE}' AND tx.height>=0 AND tx.height<=1000" in queries
    assert f"transfer.recipient='{ALICE}' AND tx.height>=0 AND tx.height<=1000" in queries
    # alice sent 4 transactions: pages 1 and 2 of two each, and no page 3 (the total says there is none)
    sent = [q["page"][0] for q in searches(server) if q["query"][0].startswith(f"transfer.sender='{ALICE}'")]
    assert sent == ["1", "2"] and lcd.overruns == 0
    assert all(q["order_by"] == ["ORDER_BY_ASC"] and q["limit"] == ["2"] for q in searches(server))
    assert store.covered(KEY, ["history"], ALICE) == [(0, 1000)]
    assert summary.records == {"native": 6, "denom": 1} and summary.to_block == 1000


def test_pages_cover_exact_height_ranges() -> None:
    with lcd_source(Lcd(world())) as (_, source):
        pages = list(source.pages(ALICE, 0, 1000))
    assert pages[0].lo == 0 and pages[-1].hi == 1000
    assert all(a.hi + 1 == b.lo for a, b in itertools.pairwise(pages))  # contiguous, no overlap
    assert len(pages) > 2
    for page in pages:  # every record lies in its page's range, and every height's records are in one page
        assert all(page.lo <= t.block_number <= page.hi for t in page.transfers)
    heights = [t.block_number for page in pages for t in page.transfers]
    assert heights == sorted(heights) and len(heights) == len(ALICE_WANT)


def test_a_height_split_across_result_pages_is_read_whole(store: Store) -> None:
    # alice receives three payments at height 140: result pages of two end inside that height
    more = [tx(140, f"bob pays alice {i}", BOB, "/cosmos.bank.v1beta1.MsgSend", [(BOB, ALICE, f"{i}uakt")],
               index=i) for i in (1, 2)]
    with lcd_source(Lcd(world() + more)) as (server, source):
        source.fetch(store, [ALICE])
    received = [q["page"][0] for q in searches(server) if "transfer.recipient" in q["query"][0]]
    assert received == ["1", "2", "3"]
    assert sorted(t.amount for t in store.transfers(ALICE, chain=KEY) if t.block_number == 140) == [1, 2, 1_200_000]


def test_rate_limit_then_success(store: Store) -> None:
    with lcd_source(Lcd(world())) as (server, source):
        server.fail_next(1, 429)
        summary = source.fetch(store, [ALICE])
    assert summary.retries == 1
    assert rows(store, ALICE) == ALICE_WANT


def test_resumed_fetch_asks_nothing_for_covered_heights(store: Store) -> None:
    with lcd_source(Lcd(world())) as (server, source):
        source.fetch(store, [ALICE], options=FetchOptions(to_block=500))
        assert rows(store, ALICE) == ALICE_WANT[:-1]
        before = len(searches(server))
        source.fetch(store, [ALICE])
        resumed = searches(server)[before:]
        assert resumed and all("tx.height>=501 AND tx.height<=1000" in q["query"][0] for q in resumed)
        assert rows(store, ALICE) == ALICE_WANT
        before = len(searches(server))
        summary = source.fetch(store, [ALICE])
        assert searches(server)[before:] == [] and summary.records == {}
    assert store.covered(KEY, ["history"], ALICE) == [(0, 1000)]


def test_old_sdk_events_style_and_base64_attributes(store: Store) -> None:
    lcd = Lcd(world(), sdk="0.45")
    with lcd_source(lcd) as (server, source):
        source.fetch(store, [ALICE], options=FetchOptions(from_block=101, to_block=130))
        assert source.style == "events"
        assert rows(store, ALICE) == ALICE_WANT[2:4]  # heights outside [101, 130] filtered here
        source.fetch(store, [ALICE])
    assert rows(store, ALICE) == ALICE_WANT
    asked = searches(server)
    assert "query" in asked[0] and "events" not in asked[0]  # SDK 0.50 style first; refused with HTTP 400
    assert all("events" in q for q in asked[1:]) and lcd.overruns == 0
    assert any(q["pagination.offset"] == ["2"] and q["page"] == ["2"] for q in asked[1:])
    assert FEE_COLLECTOR not in {t.to_address for t in store.transfers(chain=KEY)}  # fee from auth_info


def test_legacy_logs_with_merged_transfer_event(store: Store) -> None:
    txs = [tx(140, "old deploy", ALICE, "/akash.deployment.v1beta1.MsgCreateDeployment",
              [(ALICE, ESCROW, "5000000uakt")], legacy_logs=True)]
    with lcd_source(Lcd(txs, sdk="0.45")) as (_, source):
        source.fetch(store, [ALICE])
    got = store.transfers(ALICE, chain=KEY)
    assert [(t.from_address, t.to_address, t.amount, t.locator) for t in got] == [
        (ALICE, ESCROW, 5_000_000, "msg:0:1:1")]  # the merged event's first group (the fee) is skipped


# -- errors -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", [
    {"tx_responses": [{"height": "12a", "txhash": "AB"}], "total": "1"},
    {"tx_responses": "none", "total": "1"},
    {"tx_responses": [], "total": "many"},
])
def test_malformed_answer_is_one_line_error(store: Store, answer: dict[str, Any]) -> None:
    lcd = Lcd(world())
    lcd.override = answer
    with lcd_source(lcd) as (_, source), pytest.raises(RpcProtocolError) as caught:
        source.fetch(store, [ALICE])
    text = str(caught.value)
    assert "\n" not in text and "malformed" in text and "Cosmos LCD" in text
    assert store.covered(KEY, ["history"], ALICE) == []


def test_malformed_amount_is_one_line_error(store: Store) -> None:
    bad = tx(100, "bad amount", BOB, "/cosmos.bank.v1beta1.MsgSend", [(BOB, ALICE, "1.5uakt")])
    with lcd_source(Lcd([bad])) as (_, source), pytest.raises(RpcProtocolError) as caught:
        source.fetch(store, [ALICE])
    assert "\n" not in str(caught.value) and txhash("bad amount")[:16] in str(caught.value)


def test_check_chain_accepts_akash_and_names_another_network() -> None:
    with lcd_source(Lcd(world())) as (_, source):
        source.check_chain()
        assert source.head() == 1000
    with lcd_source(Lcd(world(), network="cosmoshub-4")) as (_, source), \
            pytest.raises(RpcChainMismatch) as caught:
        source.check_chain()
    text = str(caught.value)
    assert "'cosmoshub-4'" in text and "akashnet-2" in text and "\n" not in text


class _HtmlOrJsonRpcOnly(Replay):
    """A JSON-RPC endpoint (EVM / Solana): GET answers 405 in plain text, or an HTML page with 200."""

    def __init__(self, status: int) -> None:
        super().__init__(rpc={"eth_chainId": lambda params: "0x1"})
        self.status = status

    def answer_rest(self, target: str) -> tuple[int, Any]:
        self.seen.append(("GET", target, None))
        return self.status, b"<html>method not allowed</html>" if self.status == 200 else b"Method Not Allowed\n"


@pytest.mark.parametrize("status", [405, 200])
def test_check_chain_refuses_a_json_rpc_endpoint(status: int) -> None:
    with _HtmlOrJsonRpcOnly(status) as server:
        client = RpcClient([server.url], backoff_base=0.01, backoff_cap=0.05)
        with pytest.raises(RpcChainMismatch) as caught:
            CosmosSource(client, AKASH).check_chain()
    text = str(caught.value)
    assert "not a Cosmos LCD" in text and "\n" not in text and "1317" in text
    assert ("HTTP 405" in text) if status == 405 else ("non-JSON" in text)


def test_check_chain_refuses_a_rest_api_without_node_info() -> None:
    with Replay(rpc={"getSlot": lambda params: 300}) as server:  # answers any GET with a 404 JSON body
        client = RpcClient([server.url], backoff_base=0.01, backoff_cap=0.05)
        with pytest.raises(RpcChainMismatch, match="HTTP 404"):
            CosmosSource(client, AKASH).check_chain()


@pytest.mark.parametrize(("sdk", "style"), [("0.50", "query"), ("0.45", "events")])
def test_doctor_rows(sdk: str, style: str) -> None:
    with lcd_source(Lcd(world(), sdk=sdk)) as (server, source):
        report = dict(source.doctor())
    assert report["endpoint"] == server.url and report["network"] == "akashnet-2" and report["head"] == 1000
    assert report["tx_search"].startswith(style) and report["cosmos_sdk"] == f"v{sdk}.1"



def test_the_cli_fetches_akash_and_the_trace_ends_at_the_escrow(tmp_path: Any,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Through the real commands: fetch --chain akash, then trace: the deposits reach Akash's escrow, which the
    derived module-account label names a GPU marketplace."""
    from trailscan.cli import main

    store = str(tmp_path / "case.duckdb")
    with Replay(rest=Lcd(world()).routes()) as server:
        assert main(["doctor", "--chain", "akash", "--rpc", server.url]) == 0
        assert main(["fetch", "--chain", "akash", "--rpc", server.url, "--address", ALICE, "--store", store]) == 0
        capsys.readouterr()
        assert main(["trace", ALICE, "--store", store, "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)["results"][0]
    (escrow,) = [e for e in result["exposure"] if e["node"] == ESCROW]
    assert (escrow["category"], escrow["actor"]) == ("gpu-marketplace", "akash")
    assert escrow["labels"][0]["source"].startswith("derived: the Cosmos SDK account of module 'escrow'")
    # alice received 1.5 AKT from bob before depositing 5 + 2 AKT: all of what she sent is traced as hers
    assert {a["asset"]: a["raw"] for a in escrow["amounts"]} == {"native": "7000000"}
