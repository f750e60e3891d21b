"""Ingestion benchmark: ERC-20 Transfer events per second, from one anvil, over one block range.

  (a) trailscan fetch          the product: fetch, decode and store in DuckDB (a subprocess)
  (b) raw eth_getLogs          the node's ceiling: batched JSON-RPC over keep-alive HTTP + orjson, no decoding
  (c) ethereum-etl             export_token_transfers 2.4.2 from benchmarks/.venv-etl (a subprocess)
  (d) naive web3.py            Web3(HTTPProvider).eth.get_logs, sequential, decoding from/to/value

Run: .venv/bin/python benchmarks/bench_fetch.py [--transfers 200000] [--only a,b,c,d]
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import httpx
import orjson
from web3 import HTTPProvider, Web3

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _world

HERE = Path(__file__).resolve().parent
ETL = HERE / ".venv-etl" / "bin" / "ethereumetl"
RESULTS = HERE / "results"
TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
METHODS = {
    "a": "trailscan fetch (library)",
    "A": "trailscan fetch (CLI)",
    "b": "raw eth_getLogs (ceiling)",
    "c": "ethereum-etl 2.4.2",
    "d": "naive web3.py get_logs",
}
Range = tuple[int, int]


@dataclass
class Result:
    key: str
    method: str
    transfers: int | None = None
    seconds: float | None = None
    error: str | None = None

    @property
    def rate(self) -> float | None:
        if self.transfers is None or not self.seconds:
            return None
        return self.transfers / self.seconds


@dataclass(frozen=True)
class Settings:
    range_size: int
    workers: int
    batch: int
    timeout: float
    repeat: int


def ranges(world: _world.World, size: int) -> list[Range]:
    return [(lo, min(lo + size - 1, world.to_block)) for lo in range(world.from_block, world.to_block + 1, size)]


def log_filter(token: str, lo: int, hi: int) -> dict[str, Any]:
    return {"fromBlock": hex(lo), "toBlock": hex(hi), "address": token, "topics": [TRANSFER_TOPIC]}


def timed(key: str, run: Callable[[], int]) -> Result:
    """Run one measurement; any failure becomes the result's error, never a number."""
    start = time.perf_counter()
    try:
        count = run()
    except Exception as exc:
        return Result(key, METHODS[key], error=f"{type(exc).__name__}: {exc}"[:500])
    return Result(key, METHODS[key], count, time.perf_counter() - start)


# -- (a) trailscan fetch -------------------------------------------------------------------------


def trailscan_command() -> list[str]:
    script = Path(sys.executable).parent / "trailscan"
    return [str(script)] if script.exists() else [sys.executable, "-m", "trailscan.cli"]


def stored_erc20(store: Path) -> int:
    with duckdb.connect(str(store), read_only=True) as con:
        row = con.execute("SELECT count(*) FROM transfers WHERE kind = 'erc20'").fetchone()
    return int(row[0]) if row else 0


def run_subprocess(args: list[str], timeout: float) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        lines = (proc.stderr.strip() or proc.stdout.strip() or "(no output)").splitlines()
        raise RuntimeError(f"exit {proc.returncode}: {lines[-1][:400]}")


def trailscan_library(world: _world.World, tmp: Path) -> int:
    """The same fetch as the command, through the library in this process: like (b), no interpreter
    start-up or imports are counted (the CLI line shows what they add)."""
    from trailscan.chains import get_chain
    from trailscan.ingest import FetchOptions, fetch
    from trailscan.sources.evm import EvmSource
    from trailscan.sources.rpc import RpcClient
    from trailscan.store import Store

    path = tmp / "bench-lib.duckdb"
    for stale in tmp.glob("bench-lib.duckdb*"):
        stale.unlink()
    with RpcClient([world.url]) as client, Store(path) as store:
        fetch(store, EvmSource(client, get_chain(world.chain_id)), tokens=[world.token],
              options=FetchOptions(from_block=world.from_block, to_block=world.to_block, native=False))
    return stored_erc20(path)


def trailscan_fetch(world: _world.World, tmp: Path, settings: Settings) -> int:
    store = tmp / "bench.duckdb"
    for stale in tmp.glob("bench.duckdb*"):  # each pass starts from an empty store
        stale.unlink()
    run_subprocess([*trailscan_command(), "fetch", "--rpc", world.url, "--chain", str(world.chain_id),
                    "--token", world.token, "--from-block", str(world.from_block),
                    "--to-block", str(world.to_block), "--store", str(store), "--format", "json"],
                   settings.timeout)
    return stored_erc20(store)


# -- (b) the node's raw ceiling ------------------------------------------------------------------


def chunks(items: list[Range], size: int) -> Iterator[list[Range]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def raw_batch(client: httpx.Client, url: str, token: str, batch: list[Range]) -> int:
    body = [{"jsonrpc": "2.0", "id": i, "method": "eth_getLogs", "params": [log_filter(token, lo, hi)]}
            for i, (lo, hi) in enumerate(batch)]
    response = client.post(url, content=orjson.dumps(body), headers={"Content-Type": "application/json"})
    replies = orjson.loads(response.content)
    if not isinstance(replies, list):
        raise RuntimeError(f"eth_getLogs batch refused: {str(replies)[:300]}")
    errors = [reply["error"] for reply in replies if "error" in reply]
    if errors:
        raise RuntimeError(f"eth_getLogs failed: {errors[0]}")
    return sum(len(reply["result"]) for reply in replies)


def raw_worker(world: _world.World, batches: list[list[Range]]) -> int:
    with httpx.Client(timeout=120) as client:
        return sum(raw_batch(client, world.url, world.token, batch) for batch in batches)


def raw_ceiling(world: _world.World, settings: Settings) -> int:
    batches = list(chunks(ranges(world, settings.range_size), settings.batch))
    shares = [batches[i::settings.workers] for i in range(settings.workers)]
    with ThreadPoolExecutor(settings.workers) as pool:
        return sum(pool.map(lambda share: raw_worker(world, share), shares))


# -- (c) ethereum-etl ----------------------------------------------------------------------------


def csv_rows(path: Path) -> int:
    with path.open(newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def ethereum_etl(world: _world.World, tmp: Path, settings: Settings) -> int:
    if not ETL.exists():
        raise FileNotFoundError(f"{ETL.relative_to(HERE.parent)} is missing; create it with "
                                "'bash benchmarks/setup_etl.sh'")
    output = tmp / "token_transfers.csv"
    run_subprocess([str(ETL), "export_token_transfers", "--start-block", str(world.from_block),
                    "--end-block", str(world.to_block), "--provider-uri", world.url, "--output", str(output),
                    "--tokens", Web3.to_checksum_address(world.token), "--max-workers", str(settings.workers),
                    "--batch-size", str(settings.range_size)], settings.timeout)
    return csv_rows(output)


# -- (d) naive web3.py ---------------------------------------------------------------------------


def decode_naive(log: Any) -> tuple[str, str, int]:
    topics = log["topics"]
    return "0x" + topics[1][-20:].hex(), "0x" + topics[2][-20:].hex(), int.from_bytes(log["data"], "big")


def naive_web3(world: _world.World, settings: Settings) -> int:
    w3 = Web3(HTTPProvider(world.url, request_kwargs={"timeout": 120}))
    token = Web3.to_checksum_address(world.token)
    count = 0
    for lo, hi in ranges(world, settings.range_size):
        logs = w3.eth.get_logs({"fromBlock": lo, "toBlock": hi, "address": token, "topics": [TRANSFER_TOPIC]})
        count += len([decode_naive(log) for log in logs])
    return count


# -- the run -------------------------------------------------------------------------------------


def measure(key: str, world: _world.World, tmp: Path, settings: Settings) -> Result:
    """The fastest of ``settings.repeat`` passes; a failed pass ends the measurement."""
    runs: dict[str, Callable[[], int]] = {
        "a": lambda: trailscan_library(world, tmp),
        "A": lambda: trailscan_fetch(world, tmp, settings),
        "b": lambda: raw_ceiling(world, settings),
        "c": lambda: ethereum_etl(world, tmp, settings),
        "d": lambda: naive_web3(world, settings),
    }
    passes: list[Result] = []
    for attempt in range(1, settings.repeat + 1):
        print(f"  measuring ({key}) {METHODS[key]}, pass {attempt}/{settings.repeat} ...",
              file=sys.stderr, flush=True)
        passes.append(timed(key, runs[key]))
        if passes[-1].error:
            return passes[-1]
    return min(passes, key=lambda r: r.seconds or 0.0)


def ratio(top: float | None, bottom: float | None) -> float | None:
    return top / bottom if top and bottom else None


def fmt(value: float | None, spec: str, width: int, suffix: str = "") -> str:
    return ("-" if value is None else f"{value:{spec}}{suffix}").rjust(width)


def table(results: list[Result], world: _world.World) -> str:
    by_key = {r.key: r for r in results}
    raw, etl = (by_key.get(k, Result(k, "")).rate for k in ("b", "c"))
    head = f"{'method':<30} {'transfers':>10} {'seconds':>9} {'transfers/s':>12} {'x raw':>7} {'x etl':>7}"
    lines = [head, "-" * len(head)]
    for r in results:
        if r.error:
            lines.append(f"{'(' + r.key + ') ' + r.method:<30} not available: {r.error}")
            continue
        flag = "" if r.transfers == world.transfers else f"   <-- MISMATCH: expected {world.transfers}"
        lines.append(f"{'(' + r.key + ') ' + r.method:<30} {r.transfers:>10} {fmt(r.seconds, '.2f', 9)} "
                     f"{fmt(r.rate, ',.0f', 12)} {fmt(ratio(r.rate, raw), '.2f', 7, 'x')} "
                     f"{fmt(ratio(r.rate, etl), '.1f', 7, 'x')}{flag}")
    return "\n".join(lines)


def summary(results: list[Result], world: _world.World) -> list[str]:
    by_key = {r.key: r for r in results}
    notes = [f"({r.key}) {r.method}: not available: {r.error}" for r in results if r.error]
    notes += [f"MISMATCH: ({r.key}) {r.method} saw {r.transfers} transfers, the world holds {world.transfers}"
              for r in results if not r.error and r.transfers != world.transfers]
    a, cli, b, c = (by_key.get(k, Result(k, "")).rate for k in "aAbc")
    if a and b:
        notes.append(f"goal (a) >= 0.5x (b): {a / b:.2f}x -> {'met' if a / b >= 0.5 else 'NOT met'}")
    if cli and b:
        notes.append(f"(A) the command, start-up included: {cli / b:.2f}x (b)")
    for name, rate in (("(a)", a), ("(A)", cli)):
        if rate and c:
            notes.append(f"{name} / (c), trailscan vs ethereum-etl: {rate / c:.1f}x")
    return notes


def anvil_version() -> str:
    from trailscan.devnet import find_anvil

    proc = subprocess.run([find_anvil(), "--version"], capture_output=True, text=True, check=False)
    return proc.stdout.splitlines()[0] if proc.stdout else "unknown"


def save(results: list[Result], world: _world.World, settings: Settings, build_seconds: float,
         load_start: float) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    payload = {
        "when": stamp,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "anvil": anvil_version(),
                    "platform": platform.platform(), "load_average_1m": {"start": load_start,
                                                                         "end": os.getloadavg()[0]}},
        "world": {**asdict(world), "blocks": world.blocks, "build_seconds": round(build_seconds, 2)},
        "settings": asdict(settings),
        "results": [{**asdict(r), "transfers_per_second": r.rate} for r in results],
        "all_counts_match": all(r.transfers == world.transfers for r in results if not r.error),
    }
    path = RESULTS / f"fetch-{stamp}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transfers", type=int, default=200_000, help="ERC-20 transfers to build (default 200000)")
    parser.add_argument("--only", default="a,A,b,c,d",
                        help="measurements to run, e.g. 'b,c' (default a,A,b,c,d; A is the CLI)")
    parser.add_argument("--range-size", type=int, default=20, help="blocks per eth_getLogs (default 20)")
    parser.add_argument("--workers", type=int, default=2, help="workers for (b) and (c) (default 2)")
    parser.add_argument("--batch", type=int, default=2, help="eth_getLogs calls per HTTP batch in (b) (default 2)")
    parser.add_argument("--repeat", type=int, default=1, help="passes per measurement; the fastest counts")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed per subprocess")
    args = parser.parse_args(argv)
    keys = [k.strip() for k in args.only.split(",") if k.strip()]
    unknown = [k for k in keys if k not in METHODS]
    if unknown or not keys:
        parser.error(f"--only takes letters among a,b,c,d; got {args.only!r}")
    args.keys = [k for k in "baAcd" if k in keys]
    return args


def run_all(transfers: int, keys: list[str], settings: Settings) -> tuple[_world.World, list[Result], float]:
    """Build the world on a fresh anvil, measure each method against it, stop the node."""
    print(f"building the world: {transfers} ERC-20 transfers on anvil ...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    with _world.start_node() as node:
        world = _world.build(node, transfers)
        build_seconds = time.perf_counter() - start
        print(f"world: {world.transfers} transfers of {world.token} in blocks {world.from_block}-"
              f"{world.to_block} ({world.blocks} blocks), built in {build_seconds:.1f}s", flush=True)
        raw_ceiling(world, settings)  # warm-up, untimed: no method pays for a cold node
        with tempfile.TemporaryDirectory(prefix="trailscan-bench-") as tmp:
            results = [measure(key, world, Path(tmp), settings) for key in keys]
    return world, results, build_seconds


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load_start = os.getloadavg()[0]
    if load_start > 0.5:
        print(f"note: 1-minute load average is {load_start:.2f}; other work on this machine skews the figures",
              file=sys.stderr)
    settings = Settings(args.range_size, args.workers, args.batch, args.timeout, max(1, args.repeat))
    world, results, build_seconds = run_all(args.transfers, args.keys, settings)
    print(table(results, world))
    notes = summary(results, world)
    print("\n".join(notes))
    for note in notes:
        if note.startswith("MISMATCH"):
            print(f"*** {note} ***", file=sys.stderr)
    path = save(results, world, settings, build_seconds, load_start)
    print(f"figures written to {path.relative_to(HERE.parent)}")
    return 1 if any("MISMATCH" in note for note in notes) else 0


if __name__ == "__main__":
    sys.exit(main())
