"""The fetch job: plan what the store lacks, pull it through the EVM source, decode, commit with checkpoints.

The plan is made of (query, subjects, block range) tasks derived from the coverage gaps of each
subject, so a second run fetches only what the first did not commit. Ranges are split adaptively:
halved when the provider refuses a range or result size, grown back after successes.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Protocol

from .chains import Chain
from .errors import InputError, RangeTooLarge, RpcError, RpcProtocolError
from .gcpause import paused_gc
from .model import METHOD_BLOCK_SCAN, NATIVE, FetchSummary
from .sources.evm import EvmSource
from .sources.evm_logs import ADDRESS_QUERIES, TOKEN_QUERY, DecodeStats, LogQuery, decode_logs
from .sources.evm_native import RUNG_BY_NAME, Move, Rung
from .sources.rpc import JsonRpcError, raise_for_range
from .store import Batch, Store, merge_ranges, subtract_ranges

MAX_TOPIC_ADDRESSES = 50  # addresses OR-ed in one topic position (providers cap filter sizes)


class Progress(Protocol):
    def start(self, total_blocks: int, description: str) -> None: ...
    def advance(self, blocks: int) -> None: ...


@dataclass(frozen=True)
class FetchOptions:
    from_block: int | None = None
    to_block: int | None = None
    native: bool = True
    native_method: str | None = None  # force a rung (see sources.evm_native.RUNGS); default: best supported
    workers: int = 2
    initial_range: int = 2_000
    max_range: int = 100_000
    native_range: int = 5_000
    max_scan_blocks: int = 10_000
    flush_rows: int = 50_000
    flush_seconds: float = 5.0


@dataclass
class _Task:
    kind: str  # logs | token | native
    scopes: tuple[str, ...]  # the coverage written for each subject when a range is done
    subjects: tuple[str, ...]
    queries: tuple[LogQuery, ...]  # sent together as one JSON-RPC batch per range (none for native)
    tokens: tuple[str, ...]


Coverage = tuple[str, list[str]]  # (scope written, scopes that already count as covered)


class _Chunker:
    """Adaptive range size, within [1, maximum]:
    - halved when the provider refuses a range or its result size;
    - scaled down when a range returned more than ``target`` records (dense ranges: keeps answers small
      and lets workers overlap with decoding);
    - doubled after two successes that returned less than half of ``target``."""

    def __init__(self, initial: int, maximum: int, target: int = 10_000) -> None:
        self.size = max(1, min(initial, maximum))
        self.maximum = maximum
        self.target = target
        self._streak = 0

    def shrink(self, refused_span: int) -> None:
        self.size = max(1, min(self.size, refused_span) // 2)
        self._streak = 0

    def success(self, span: int, count: int) -> None:
        if count > self.target:
            self.size = max(1, min(self.size, span * self.target // count))
            self._streak = 0
            return
        if count * 2 > self.target:
            return
        self._streak += 1
        if self._streak >= 2 and self.size < self.maximum:
            self.size = min(self.maximum, self.size * 2)
            self._streak = 0


def fetch(
    store: Store,
    source: EvmSource,
    addresses: Sequence[str] = (),
    tokens: Sequence[str] = (),
    options: FetchOptions | None = None,
    progress: Progress | None = None,
) -> FetchSummary:
    """Fetch history for ``addresses`` (and/or every transfer of ``tokens``) into ``store``."""
    opts = options or FetchOptions()
    validate_request(addresses, tokens, opts)
    with paused_gc():  # parsed logs and decoded columns are acyclic; see gcpause
        return _Job(store, source, list(dict.fromkeys(addresses)), list(dict.fromkeys(tokens)), opts,
                    progress).run()


def validate_request(addresses: Sequence[str], tokens: Sequence[str], opts: FetchOptions) -> None:
    """Reject impossible requests before any I/O."""
    if not addresses and not tokens:
        raise InputError("nothing to fetch", hint="give at least one --address or --token")
    if opts.native_method is not None and opts.native_method not in RUNG_BY_NAME:
        raise InputError(f"unknown native method {opts.native_method!r}", hint=f"use one of {', '.join(RUNG_BY_NAME)}")
    if opts.from_block is not None and opts.to_block is not None and opts.from_block > opts.to_block:
        raise InputError(f"--from-block {opts.from_block} is after --to-block {opts.to_block}",
                         hint="swap them, or omit one")


class _Job:
    def __init__(self, store: Store, source: EvmSource, addresses: list[str], tokens: list[str],
                 opts: FetchOptions, progress: Progress | None) -> None:
        self.store, self.source, self.opts, self.progress = store, source, opts, progress
        self.chain: Chain = source.chain
        self.addresses, self.tokens = addresses, tokens
        self.watched = set(addresses)
        self.batch = Batch.empty()
        self.stats = DecodeStats()
        self.token_cache = store.tokens(self.chain.key)
        self.last_flush = time.monotonic()
        self.finalized = 0
        # One writer thread: a commit (DuckDB releases the GIL) overlaps with fetching and decoding the
        # next batch. The main thread touches the store only after draining the writer.
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trailscan-writer")
        self.pending: Future[dict[str, int]] | None = None
        self.counts: dict[str, int] = {}
        self.native_rung: Rung | None = None

    # -- orchestration ---------------------------------------------------------------------------

    def run(self) -> FetchSummary:
        started = time.monotonic()
        self.source.check_chain()
        head = self.source.head()
        lo = self.opts.from_block if self.opts.from_block is not None else 0
        hi = self.opts.to_block if self.opts.to_block is not None else head
        if hi > head:
            raise InputError(f"--to-block {hi} is beyond the chain head {head}", hint="omit it to fetch up to the head")
        if lo > hi:
            raise InputError(f"--from-block {lo} is beyond the chain head {head}", hint="pick an earlier block")
        self.finalized = self.source.finalized(head)
        summary = FetchSummary(self.chain.key, lo, hi)
        summary.reorged_blocks = self._check_reorgs()
        tasks = self._plan(lo, hi, summary)
        ranges = [(t, g_lo, g_hi) for t, gaps in tasks for g_lo, g_hi in gaps]
        if self.progress:
            self.progress.start(sum(h - lo_ + 1 for _, lo_, h in ranges), f"{self.chain.name} {lo}-{hi}")
        try:
            self._execute(ranges)
            self._flush(force=True)
        finally:
            self._drain()
            self.writer.shutdown()
        self.store.mark_finalized(self.chain.key, self.finalized)
        summary.records = {k: v for k, v in self.counts.items() if v}
        summary.blocks_covered = hi - lo + 1
        summary.requests = self.source.client.stats.requests
        summary.retries = self.source.client.stats.retries
        summary.elapsed = round(time.monotonic() - started, 3)
        if self.stats.skipped:
            summary.missing.append(f"{self.stats.skipped} logs with a standard event topic but a non-standard "
                                   "layout were skipped")
        return summary

    def _check_reorgs(self) -> list[int]:
        """Re-check stored blocks above the finality point by hash; forget everything from the first mismatch."""
        pending = self.store.unfinalized_blocks(self.chain.key)
        if not pending:
            return []
        current = self.source.headers(n for n, _ in pending)
        changed = [n for n, h in pending if current.get(n, (h, 0))[0] != h]
        if changed:
            self.store.rollback_from(self.chain.key, min(changed))
        return changed

    def _plan(self, lo: int, hi: int, summary: FetchSummary) -> list[tuple[_Task, list[tuple[int, int]]]]:
        plan: list[tuple[_Task, list[tuple[int, int]]]] = []
        token_key = ",".join(sorted(self.tokens))
        if self.addresses:
            parts: list[Coverage] = []
            for query in ADDRESS_QUERIES:
                base = f"logs:{query.name}"
                scope = f"{base}@{token_key}" if token_key else base
                parts.append((scope, [base, scope]))
            plan += self._grouped("logs", parts, self.addresses, lo, hi, ADDRESS_QUERIES)
        else:
            plan += self._grouped("token", [("token-logs", ["token-logs"])], self.tokens, lo, hi, (TOKEN_QUERY,))
        if self.opts.native and self.addresses:
            plan += self._native_plan(lo, hi, summary)
        elif self.opts.native:
            summary.missing.append("native transfers not collected: no --address given (token-wide fetch)")
        return plan

    def _grouped(self, kind: str, parts: list[Coverage], subjects: Sequence[str], lo: int, hi: int,
                 queries: tuple[LogQuery, ...]) -> list[tuple[_Task, list[tuple[int, int]]]]:
        """Subjects with the same coverage gaps share one task (their addresses are OR-ed in one filter).

        A subject's gaps are the blocks any of the task's queries still lacks."""
        by_gaps: dict[tuple[tuple[int, int], ...], list[str]] = {}
        for subject in subjects:
            gaps = tuple(merge_ranges(
                gap for _, counted in parts
                for gap in subtract_ranges(lo, hi, self.store.covered(self.chain.key, counted, subject))))
            if gaps:
                by_gaps.setdefault(gaps, []).append(subject)
        tokens = tuple(self.tokens) if kind != "native" else ()
        out = []
        for gaps, members in by_gaps.items():
            for start in range(0, len(members), MAX_TOPIC_ADDRESSES):
                group = tuple(members[start:start + MAX_TOPIC_ADDRESSES])
                out.append((_Task(kind, tuple(scope for scope, _ in parts), group, queries, tokens), list(gaps)))
        return out

    def _native_plan(self, lo: int, hi: int, summary: FetchSummary) -> list[tuple[_Task, list[tuple[int, int]]]]:
        plan = self._grouped("native", [("native", ["native"])], self.addresses, lo, hi, ())
        if not plan:
            return []  # everything already covered: no need to probe the endpoint
        caps = self.source.probe()
        rung = caps.native_rung
        if self.opts.native_method is not None:
            if not caps.methods.get(self.opts.native_method):
                raise InputError(f"the endpoint does not support {self.opts.native_method}",
                                 hint="run 'trailscan doctor' to see what it supports")
            rung = self.opts.native_method
        summary.native_method = rung
        if rung is None:
            summary.missing.append("no native-value method answered: native transfers not collected")
            return []
        self.native_rung = self.source.rung(rung)
        if rung == METHOD_BLOCK_SCAN:
            summary.missing.append("no trace API: internal transfers not collected (top-level value only)")
        if self.native_rung.BLOCKWISE:
            # a block-by-block method reads each block once for every address: one task over the union of gaps
            union = merge_ranges(r for _, gaps in plan for r in gaps)
            members = tuple(dict.fromkeys(a for task, _ in plan for a in task.subjects))
            plan = [(_Task("native", ("native",), members, (), ()), union)]
            span = sum(h - lo_ + 1 for lo_, h in union)
            if span > self.opts.max_scan_blocks:
                raise InputError(
                    f"this endpoint only offers {rung} for native value, which reads every block; "
                    f"{span} blocks is more than --max-scan-blocks {self.opts.max_scan_blocks}",
                    hint="narrow --from-block/--to-block, raise --max-scan-blocks, or pass --no-native",
                )
        return plan

    # -- execution -------------------------------------------------------------------------------

    def _execute(self, ranges: list[tuple[_Task, int, int]]) -> None:
        pending: deque[tuple[_Task, int, int]] = deque(ranges)
        chunkers = {
            "logs": _Chunker(self.opts.initial_range, self.opts.max_range),
            # a token's own transfers are dense: start small, results decide how far to grow
            "token": _Chunker(min(10, self.opts.initial_range), self.opts.max_range),
            "native": _Chunker(self.opts.native_range, self.opts.max_range),
        }
        if self.native_rung is not None and self.native_rung.BLOCKWISE:
            chunkers["native"] = _Chunker(20, 20)
        in_flight: dict[Future[Any], tuple[_Task, int, int]] = {}
        with ThreadPoolExecutor(max_workers=max(1, self.opts.workers)) as pool:
            while pending or in_flight:
                while pending and len(in_flight) < self.opts.workers * 2:
                    task, lo, hi = pending.popleft()
                    end = min(hi, lo + chunkers[task.kind].size - 1)
                    if end < hi:
                        pending.appendleft((task, end + 1, hi))
                    in_flight[pool.submit(self._fetch_range, task, lo, end)] = (task, lo, end)
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    task, lo, hi = in_flight.pop(future)
                    try:
                        result = future.result()
                    except RangeTooLarge as exc:
                        if hi == lo:
                            raise RpcError(f"the provider refuses even a one-block query ({exc.message})",
                                           endpoint=self.source.client.endpoint,
                                           hint="use an endpoint without that limit") from None
                        chunkers[task.kind].shrink(hi - lo + 1)
                        mid = (lo + hi) // 2
                        pending.appendleft((task, mid + 1, hi))
                        pending.appendleft((task, lo, mid))
                        continue
                    chunkers[task.kind].success(hi - lo + 1, len(result))
                    self._absorb(task, lo, hi, result)
                    if self.progress:
                        self.progress.advance(hi - lo + 1)
                    self._flush()

    def _fetch_range(self, task: _Task, lo: int, hi: int) -> Any:
        """Runs on a worker thread: one history query."""
        client = self.source.client
        if task.kind == "native":
            assert self.native_rung is not None
            try:
                return self.native_rung.collect(task.subjects, lo, hi)
            except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
                # the node's answers are untrusted data: a wrong shape is the node's fault, reported as such
                raise RpcProtocolError(f"the RPC endpoint answered malformed {self.native_rung.NAME} data "
                                       f"({type(exc).__name__}: {str(exc)[:80]})", endpoint=client.endpoint) from exc
        tokens = task.subjects if task.kind == "token" else task.tokens
        subjects = task.subjects if task.kind == "logs" else ()
        logs: list[Any] = []
        for answer in client.batch([("eth_getLogs", [q.params(lo, hi, subjects, tokens)]) for q in task.queries]):
            if isinstance(answer, JsonRpcError):
                raise_for_range(answer, client.endpoint)  # a refusal of any query splits the whole range
            if not isinstance(answer, list):
                raise RpcProtocolError("the RPC endpoint answered eth_getLogs with something that is not a list",
                                       endpoint=client.endpoint)
            logs += answer
        return logs

    def _absorb(self, task: _Task, lo: int, hi: int, result: Any) -> None:
        method = "eth_getLogs"
        if task.kind == "native":
            assert self.native_rung is not None
            method = self.native_rung.NAME
            self._add_moves(result, method)
        else:
            decode_logs(result, self.chain.key, lo, hi, self.batch, self.stats)
        for scope in task.scopes:
            for subject in task.subjects:
                self.batch.coverage.append((scope, subject, lo, hi, method))

    def _add_moves(self, moves: list[Move], method: str) -> None:
        t = self.batch.transfers
        for m in moves:
            if m.sender not in self.watched and m.receiver not in self.watched:
                continue
            values = (self.chain.key, m.block_number, m.block_hash, None, m.tx_hash, f"call:{m.path}", NATIVE,
                      m.sender, m.receiver, NATIVE, None, str(m.value), self.chain.native_decimals, method,
                      m.tx_index, m.tx_from)
            for column, value in zip(("chain", "block_number", "block_hash", "block_time", "tx_hash", "locator",
                                      "kind", "from_address", "to_address", "asset", "token_id", "amount",
                                      "decimals", "method", "tx_index", "tx_from"), values, strict=True):
                t[column].append(value)
            if m.block_number not in self.batch.blocks:
                self.batch.blocks[m.block_number] = (m.block_hash, None, False)
                self.stats.blocks_without_time.add(m.block_number)

    # -- committing -------------------------------------------------------------------------------

    def _flush(self, *, force: bool = False) -> None:
        due = self.batch.size >= self.opts.flush_rows or time.monotonic() - self.last_flush >= self.opts.flush_seconds
        if not (force or due) or not (self.batch.size or self.batch.coverage):
            return
        self._complete_blocks()
        self._complete_tokens()
        self._drain()  # at most one commit in flight, so memory stays bounded and order is kept
        self.pending = self.writer.submit(self.store.write, self.chain.key, self.batch)
        self.batch = Batch.empty()
        self.stats.blocks_without_time.clear()
        self.last_flush = time.monotonic()

    def _drain(self) -> None:
        """Wait for the commit in flight (re-raising its error) and add up what it inserted."""
        if self.pending is not None:
            done, self.pending = self.pending, None
            for kind, n in done.result().items():
                self.counts[kind] = self.counts.get(kind, 0) + n

    def _complete_blocks(self) -> None:
        """Fill in block time (and hash for native records) and mark blocks at or below finality."""
        missing = sorted(self.stats.blocks_without_time)
        if missing:
            self._drain()
        known = self.store.block_times(self.chain.key, missing)
        fetched = self.source.headers(n for n in missing if n not in known or known[n][1] is None)
        times = {n: t for n, (_, t) in known.items() if t is not None}
        times.update({n: t for n, (_, t) in fetched.items()})
        blocks = self.batch.blocks  # records without a time take it from these headers when stored
        for n, (h, t, _) in list(blocks.items()):
            blocks[n] = (h, t if t is not None else times.get(n), n <= self.finalized)

    def _complete_tokens(self) -> None:
        """Read metadata of ERC-20 contracts not seen before (records take their decimals when stored)."""
        t = self.batch.transfers
        assets = {a for a, k in zip(t["asset"], t["kind"], strict=True) if k == "erc20"}
        new = sorted(assets - self.token_cache.keys())
        if new:
            fresh = self.source.tokens(new)
            self._drain()
            self.store.put_tokens(fresh)
            self.token_cache.update({tok.address: tok for tok in fresh})

