"""Solana through its JSON-RPC API: native SOL and SPL token transfers (Token and Token-2022) of a wallet.

How a wallet's history is read, exactly, for the slots [lo, hi]:

1. Its token accounts (``getTokenAccountsByOwner`` under both token programs), because a token payment to a
   wallet names only the receiving token account, never the wallet: the wallet's own signatures miss it.
2. ``getSignaturesForAddress`` of the wallet and of each token account, newest first, paged with the
   ``before`` cursor (1,000 a page) until a page reaches below ``lo``; finalized commitment. Signatures of
   failed transactions (``err`` set) are dropped here: a failed transaction moves nothing.
3. ``getTransaction`` of each signature, batched, with ``jsonParsed`` encoding and
   ``maxSupportedTransactionVersion: 0`` (versioned transactions and their lookup-table accounts included),
   oldest first, in chunks that end at a slot boundary: each chunk is one committed :class:`Page`.
4. Every ``transfer`` / ``transferWithSeed`` of the system program and every ``transfer`` /
   ``transferChecked`` / ``transferCheckedWithFee`` of the two token programs, outer or inner (a CPI), that
   touches the wallet or one of its token accounts, becomes a record: ``ix:<outer>`` or ``ix:<outer>.<inner>``
   is its locator. A token transfer moves between token accounts: the record's from/to are the accounts'
   owners (from the transaction's pre/post token balances, else ``getAccountInfo``), and the accounts are
   kept in ``from_account`` / ``to_account``. Its mint and decimals come from the instruction or the balances.

Slots are the heights; a slot's block hash is not read (the store keeps ""); the fee payer is the sender and the
first program called that is not plumbing (system, token, associated-token, compute-budget, memo) the target of
each transaction (``tx_senders``): a payment made in a call to a marketplace's program is recognised by it.
Limits: a token account closed before the fetch is not found in step 1, so payments it received are missed
unless the wallet itself signed them; rent deposits (``createAccount``) are not recorded as transfers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ..errors import RpcChainMismatch, RpcProtocolError
from ..model import NATIVE, Token, Transfer
from .paged import Page, PagedSource
from .rpc import JsonRpcError

MAINNET_GENESIS = "5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d"
CLUSTERS = {MAINNET_GENESIS: "mainnet-beta", "EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG": "devnet",
            "4uhcVJyU9pJkvQyS88uRDiswHXSCkY3zQawwpjk2NsNY": "testnet"}
SYSTEM_PROGRAM = "11111111111111111111111111111111"
TOKEN_PROGRAMS = ("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA", "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
# programs every kind of transaction calls: never the application a transaction is for
PLUMBING = {SYSTEM_PROGRAM, *TOKEN_PROGRAMS, "ComputeBudget111111111111111111111111111111",
            "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL", "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr",
            "Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo"}
SIGNATURE_PAGE = 1_000  # the most getSignaturesForAddress returns at once
TX_CHUNK = 100  # getTransaction calls in one batch, and (at least) the signatures of one committed page
FINALIZED = {"commitment": "finalized"}
NATIVE_TYPES = ("transfer", "transferWithSeed")
TOKEN_TYPES = ("transfer", "transferChecked", "transferCheckedWithFee")


class SolanaSource(PagedSource):
    NAME = "solana"
    HISTORY_METHODS = ("getSignaturesForAddress", "getTransaction")
    ENDPOINT = "a Solana JSON-RPC endpoint"

    # -- identity -------------------------------------------------------------------------------------

    def _genesis(self) -> str:
        try:
            genesis = self.client.call("getGenesisHash")
        except JsonRpcError as exc:
            raise RpcChainMismatch("the endpoint does not answer Solana's getGenesisHash "
                                   f"({exc.message[:80]}): it is not a Solana RPC", endpoint=self.client.endpoint,
                                   hint="pass a Solana JSON-RPC URL with --rpc, or the right --chain") from None
        if not isinstance(genesis, str):
            raise RpcProtocolError(f"the endpoint answered a malformed genesis hash: {str(genesis)[:40]!r}",
                                   endpoint=self.client.endpoint)
        return genesis

    def check_chain(self) -> None:
        genesis = self._genesis()
        if genesis != MAINNET_GENESIS:
            cluster = CLUSTERS.get(genesis, f"an unknown cluster with genesis {genesis[:12]}...")
            raise RpcChainMismatch(f"the endpoint serves Solana {cluster}, not mainnet-beta",
                                   endpoint=self.client.endpoint, hint="pass a mainnet-beta RPC URL with --rpc")

    def head(self) -> int:
        slot = self.client.call("getSlot", [FINALIZED])
        if not isinstance(slot, int) or slot < 0:
            raise RpcProtocolError(f"the endpoint answered a malformed slot: {str(slot)[:40]!r}",
                                   endpoint=self.client.endpoint)
        return slot

    def doctor(self) -> list[tuple[str, Any]]:
        genesis = self._genesis()
        head = self.head()
        probe = self.client.batch([("getVersion", []),
                                   ("getSignaturesForAddress", [SYSTEM_PROGRAM, {"limit": 1, **FINALIZED}])])
        version = probe[0].get("solana-core") if isinstance(probe[0], dict) else None
        return [("endpoint", self.client.endpoint), ("cluster", CLUSTERS.get(genesis, f"unknown ({genesis})")),
                ("head_slot (finalized)", head), ("version", version or "unknown"),
                ("getSignaturesForAddress", "no" if isinstance(probe[1], JsonRpcError) else "yes"),
                ("history via", ", ".join(self.HISTORY_METHODS))]

    # -- history --------------------------------------------------------------------------------------

    def pages(self, address: str, lo: int, hi: int) -> Iterator[Page]:
        accounts = self._token_accounts(address)
        watched = {address, *accounts}
        signatures: dict[str, int] = {}
        for subject in sorted(watched):
            signatures.update(self._signatures(subject, lo, hi))
        ordered = sorted(signatures.items(), key=lambda item: (item[1], item[0]))
        start = lo
        while ordered:
            chunk = ordered[:TX_CHUNK]
            cut = len(chunk)
            if cut < len(ordered):  # end at a slot boundary, so that the page covers whole slots
                last = chunk[-1][1]
                while cut < len(ordered) and ordered[cut][1] == last:
                    cut += 1
                chunk = ordered[:cut]
            ordered = ordered[cut:]
            end = hi if not ordered else chunk[-1][1]
            yield self._page([s for s, _ in chunk], watched, start, end)
            start = end + 1
        if start <= hi:
            yield Page(start, hi, method="getSignaturesForAddress")

    def _token_accounts(self, owner: str) -> list[str]:
        calls = [("getTokenAccountsByOwner", [owner, {"programId": p}, {"encoding": "jsonParsed", **FINALIZED}])
                 for p in TOKEN_PROGRAMS]
        found: list[str] = []
        for answer in self.client.batch(calls):
            if isinstance(answer, JsonRpcError):
                raise answer
            try:
                found += [str(item["pubkey"]) for item in answer["value"]]
            except (KeyError, TypeError):
                raise RpcProtocolError("the endpoint answered a malformed getTokenAccountsByOwner",
                                       endpoint=self.client.endpoint) from None
        return found

    def _signatures(self, address: str, lo: int, hi: int) -> dict[str, int]:
        """Signatures of successful transactions touching ``address`` in slots [lo, hi], with their slots."""
        out: dict[str, int] = {}
        before: str | None = None
        while True:
            options: dict[str, Any] = {"limit": SIGNATURE_PAGE, **FINALIZED}
            if before is not None:
                options["before"] = before
            page = self.client.call("getSignaturesForAddress", [address, options])
            if not isinstance(page, list):
                raise RpcProtocolError("the endpoint answered a malformed getSignaturesForAddress",
                                       endpoint=self.client.endpoint)
            for item in page:
                try:
                    signature, slot = str(item["signature"]), int(item["slot"])
                except (KeyError, TypeError, ValueError):
                    raise RpcProtocolError("the endpoint answered a malformed signature entry",
                                           endpoint=self.client.endpoint) from None
                if lo <= slot <= hi and item.get("err") is None:
                    out[signature] = slot
            if len(page) < SIGNATURE_PAGE or int(page[-1]["slot"]) < lo:
                return out
            before = str(page[-1]["signature"])

    def _page(self, signatures: Sequence[str], watched: set[str], lo: int, hi: int) -> Page:
        page = Page(lo, hi, method="getTransaction")
        options = {"encoding": "jsonParsed", "maxSupportedTransactionVersion": 0, **FINALIZED}
        answers = self.client.batch([("getTransaction", [s, options]) for s in signatures])
        unknown_owners: dict[str, list[int]] = {}
        for signature, tx in zip(signatures, answers, strict=True):
            if isinstance(tx, JsonRpcError):
                raise tx
            if tx is None:
                raise RpcProtocolError(f"the endpoint does not know the finalized transaction {signature}",
                                       endpoint=self.client.endpoint, hint="is the node missing old blocks?")
            try:
                self._records(page, signature, tx, watched, unknown_owners)
            except (KeyError, TypeError, ValueError, IndexError) as exc:
                raise RpcProtocolError(f"the endpoint answered a malformed transaction {signature} "
                                       f"({type(exc).__name__}: {exc})", endpoint=self.client.endpoint) from None
        if unknown_owners:
            self._fill_owners(page, unknown_owners)
        return page

    def _records(self, page: Page, signature: str, tx: dict[str, Any], watched: set[str],
                 unknown: dict[str, list[int]]) -> None:
        meta = tx.get("meta") or {}
        if meta.get("err") is not None:
            return  # failed: moves nothing
        slot, when = int(tx["slot"]), tx.get("blockTime")
        message = tx["transaction"]["message"]
        keys = [k["pubkey"] if isinstance(k, dict) else str(k) for k in message["accountKeys"]]
        owners: dict[str, str] = {}
        mints: dict[str, tuple[str, int | None]] = {}
        for balance in (meta.get("preTokenBalances") or []) + (meta.get("postTokenBalances") or []):
            account = keys[int(balance["accountIndex"])]
            if balance.get("owner"):
                owners[account] = str(balance["owner"])
            decimals = (balance.get("uiTokenAmount") or {}).get("decimals")
            mints[account] = (str(balance["mint"]), int(decimals) if decimals is not None else None)
        page.tx_from[signature] = keys[0]
        apps = [str(ix.get("programId")) for ix in message["instructions"] if ix.get("programId") not in PLUMBING]
        if apps:  # the application the transaction calls (a marketplace's program), as an EVM tx's target
            page.tx_to[signature] = apps[0]
        inner = {int(group["index"]): group["instructions"] for group in meta.get("innerInstructions") or []}
        for i, outer in enumerate(message["instructions"]):
            steps = [(f"ix:{i}", outer)] + [(f"ix:{i}.{j}", ix) for j, ix in enumerate(inner.get(i, []))]
            for locator, ix in steps:
                record = self._transfer(ix, signature, locator, slot, when, watched, owners, mints, page)
                if record is not None:
                    page.transfers.append(record)
                    if record.from_address == "" or record.to_address == "":
                        unknown.setdefault(signature, []).append(len(page.transfers) - 1)

    def _transfer(self, ix: dict[str, Any], signature: str, locator: str, slot: int, when: int | None,
                  watched: set[str], owners: dict[str, str], mints: dict[str, tuple[str, int | None]],
                  page: Page) -> Transfer | None:
        parsed, program = ix.get("parsed"), ix.get("programId")
        if not isinstance(parsed, dict):
            return None
        kind, info = parsed.get("type"), parsed.get("info") or {}
        if program == SYSTEM_PROGRAM and kind in NATIVE_TYPES:
            source, destination = str(info["source"]), str(info["destination"])
            if not watched & {source, destination}:
                return None
            return Transfer(self.chain.key, slot, "", when, signature, locator, NATIVE, source, destination, NATIVE,
                            int(info["lamports"]), self.chain.native_decimals, "getTransaction")
        if program not in TOKEN_PROGRAMS or kind not in TOKEN_TYPES:
            return None
        source, destination = str(info["source"]), str(info["destination"])
        sender, receiver = owners.get(source, ""), owners.get(destination, "")
        if not watched & {source, destination, sender, receiver}:
            return None
        if kind == "transfer":
            amount, decimals = int(info["amount"]), None
            mint = (mints.get(source) or mints.get(destination) or ("", None))
            asset, decimals = mint
        else:
            token_amount = info["tokenAmount"]
            amount, decimals, asset = int(token_amount["amount"]), int(token_amount["decimals"]), str(info["mint"])
        if not asset:
            raise ValueError(f"no mint known for token account {source}")
        page.accounts[(signature, locator)] = (source, destination)
        if decimals is not None and all(t.address != asset for t in page.tokens):
            page.tokens.append(Token(self.chain.key, asset, None, None, decimals))
        return Transfer(self.chain.key, slot, "", when, signature, locator, "spl", sender, receiver, asset, amount,
                        decimals, "getTransaction")

    def _fill_owners(self, page: Page, unknown: dict[str, list[int]]) -> None:
        """Owners of token accounts the transactions' balances did not name, by getAccountInfo."""
        positions = [p for ps in unknown.values() for p in ps]
        accounts = sorted({a for p in positions for a in page.accounts[
            (page.transfers[p].tx_hash, page.transfers[p].locator)] if a})
        owners = dict(zip(accounts, self._account_owners(accounts), strict=True))
        for p in positions:
            t = page.transfers[p]
            source, destination = page.accounts[(t.tx_hash, t.locator)]
            page.transfers[p] = Transfer(
                t.chain, t.block_number, t.block_hash, t.block_time, t.tx_hash, t.locator, t.kind,
                t.from_address or owners.get(source or "", "") or source or "",
                t.to_address or owners.get(destination or "", "") or destination or "",
                t.asset, t.amount, t.decimals, t.method)

    def _account_owners(self, accounts: Iterable[str]) -> list[str | None]:
        wanted = list(accounts)
        answers = self.client.batch([("getAccountInfo", [a, {"encoding": "jsonParsed", **FINALIZED}])
                                     for a in wanted])
        out: list[str | None] = []
        for answer in answers:
            try:
                out.append(str(answer["value"]["data"]["parsed"]["info"]["owner"]))
            except (KeyError, TypeError):
                out.append(None)  # closed since, or not a token account: the account stands for its owner
        return out
