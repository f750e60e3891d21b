"""The fetch job of sources whose endpoint lists one address's history page by page (Solana's signatures,
TronGrid's account transactions, a Cosmos LCD's transaction search), rather than answering range queries.

A :class:`PagedSource` yields :class:`Page` objects: the records of one address within a height range the page
completes. Pages are committed with their coverage, several at a time (``FetchOptions.flush_rows`` records or
``flush_seconds``, as the EVM fetch does), so an interrupted fetch resumes from the first range not committed,
and a second fetch reads only heights no page has covered.
"""

from __future__ import annotations

import contextlib
import time
from abc import abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from ..errors import InputError
from ..model import FetchSummary, Token, Transfer
from ..store import Batch, subtract_ranges
from .base import Source

if TYPE_CHECKING:
    from ..ingest import FetchOptions, Progress
    from ..store import Store


@dataclass
class Page:
    """Every record of one subject with a height in [lo, hi], and the metadata they need."""

    lo: int
    hi: int
    transfers: list[Transfer] = field(default_factory=list)
    # token accounts of the records, where the chain moves tokens between accounts owned by wallets
    accounts: dict[tuple[str, str], tuple[str | None, str | None]] = field(default_factory=dict)
    tx_index: dict[str, int] = field(default_factory=dict)  # tx hash -> position in its block, where known
    tx_from: dict[str, str] = field(default_factory=dict)  # tx hash -> the account that signed / paid for it
    tx_to: dict[str, str] = field(default_factory=dict)  # tx hash -> the program or contract it called
    tokens: list[Token] = field(default_factory=list)
    method: str = ""


class PagedSource(Source):
    SCOPE: ClassVar[str] = "history"  # the coverage scope an address's pages write
    TOKEN_SCOPE: ClassVar[str] = "history:token"

    @abstractmethod
    def pages(self, address: str, lo: int, hi: int) -> Iterator[Page]:
        """Pages of ``address``'s records with heights in [lo, hi]; together they must cover [lo, hi]."""

    def token_pages(self, token: str, lo: int, hi: int) -> Iterator[Page]:
        """Pages of every transfer of ``token``; most page-by-page endpoints cannot list them."""
        raise InputError(f"{self.chain.name} has no token-wide history here", hint="fetch with --address instead")

    def fetch(self, store: Store, addresses: Sequence[str], tokens: Sequence[str] = (),
              options: FetchOptions | None = None, progress: Progress | None = None) -> FetchSummary:
        from ..ingest import FetchOptions, validate_request

        opts = options or FetchOptions()
        validate_request(addresses, tokens, opts)
        if opts.native_method is not None:
            raise InputError(f"--native-method is for EVM chains; {self.chain.name} reads native value with "
                             f"{', '.join(self.HISTORY_METHODS)}", hint="drop --native-method")
        started, spent = time.monotonic(), self.client.stats.requests
        retries = self.client.stats.retries
        head = self.head()
        lo = opts.from_block or 0
        hi = min(opts.to_block if opts.to_block is not None else head, head)
        summary = FetchSummary(self.chain.key, lo, hi)
        work: list[tuple[str, str, Callable[[str, int, int], Iterator[Page]]]] = [
            (self.SCOPE, a, self.pages) for a in dict.fromkeys(addresses)]
        work += [(self.TOKEN_SCOPE, t, self.token_pages) for t in dict.fromkeys(tokens)]
        plan = [(scope, subject, reader, gaps) for scope, subject, reader in work
                if (gaps := subtract_ranges(lo, hi, store.covered(self.chain.key, [scope], subject)))]
        if progress is not None:
            progress.start(sum(g_hi - g_lo + 1 for *_, gaps in plan for g_lo, g_hi in gaps),
                           f"fetching {self.chain.name}")
        known = store.tokens(self.chain.key)
        batch, flushed = Batch.empty(), time.monotonic()

        def commit() -> None:
            nonlocal batch, flushed
            if batch.size or batch.coverage:
                for kind, n in store.write(self.chain.key, batch).items():
                    summary.records[kind] = summary.records.get(kind, 0) + n
            batch, flushed = Batch.empty(), time.monotonic()

        try:
            for scope, subject, reader, gaps in plan:
                for g_lo, g_hi in gaps:
                    for page in reader(subject, g_lo, g_hi):
                        fresh = [t for t in page.tokens if t.address not in known]
                        if fresh:
                            store.put_tokens(fresh)
                            known.update({t.address: t for t in fresh})
                        _add(batch, page, scope, subject)
                        # pages are committed together (each commit is a resume point) as the EVM fetch does
                        if batch.size >= opts.flush_rows or time.monotonic() - flushed >= opts.flush_seconds:
                            commit()
                        if progress is not None:
                            progress.advance(page.hi - page.lo + 1)
        except BaseException:
            # a failure (or Ctrl-C) while reading the next page: the pages read so far are whole; keep them
            with contextlib.suppress(Exception):
                commit()
            raise
        commit()
        summary.blocks_covered = hi - lo + 1 if hi >= lo else 0
        summary.requests = self.client.stats.requests - spent
        summary.retries = self.client.stats.retries - retries
        summary.elapsed = round(time.monotonic() - started, 3)
        summary.native_method = ", ".join(self.HISTORY_METHODS)
        return summary


def _add(batch: Batch, page: Page, scope: str, subject: str) -> None:
    """Add a page's records, senders and coverage to ``batch``."""
    t = batch.transfers
    for r in page.transfers:
        accounts = page.accounts.get((r.tx_hash, r.locator), (None, None))
        for column, value in (("chain", r.chain), ("block_number", r.block_number), ("block_hash", r.block_hash),
                              ("block_time", r.block_time), ("tx_hash", r.tx_hash), ("locator", r.locator),
                              ("kind", r.kind), ("from_address", r.from_address), ("to_address", r.to_address),
                              ("asset", r.asset), ("token_id", None if r.token_id is None else str(r.token_id)),
                              ("amount", str(r.amount)), ("decimals", r.decimals), ("method", r.method),
                              ("tx_index", page.tx_index.get(r.tx_hash)), ("tx_from", page.tx_from.get(r.tx_hash)),
                              ("from_account", accounts[0]), ("to_account", accounts[1])):
            t[column].append(value)
        batch.blocks.setdefault(r.block_number, (r.block_hash, r.block_time, True))
    blocks = {r.tx_hash: r.block_number for r in page.transfers}
    batch.senders += [(tx, blocks[tx], page.tx_index.get(tx), sender, page.tx_to.get(tx))
                      for tx, sender in page.tx_from.items() if tx in blocks]
    batch.coverage.append((scope, subject, page.lo, page.hi, page.method))
