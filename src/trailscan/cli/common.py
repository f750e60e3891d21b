"""Options shared by every command, so each is spelled and documented once."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ..output import Format

FormatOpt = Annotated[
    Format,
    typer.Option("--format", "-f",
                 help="Output format: table for people, json (stable schema) or csv for tools, markdown for reports."),
]
StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="The store file (DuckDB). Default: $TRAILSCAN_STORE, else ./trailscan.duckdb.",
        show_default=False,
    ),
]
RpcOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--rpc",
        help="JSON-RPC endpoint URL; repeat for failover. Default: $TRAILSCAN_RPC_URL, else $ETH_RPC_URL.",
        show_default=False,
    ),
]
ChainOpt = Annotated[
    str,
    typer.Option("--chain", "-c",
                 help="Chain name (ethereum, polygon, bsc, ..., solana, tron, akash) or numeric EVM chain id."),
]
LabelsOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--labels",
        help="A case label directory (repeatable); overrides shipped labels. Also $TRAILSCAN_LABELS (':'-separated).",
        show_default=False,
    ),
]


def store_path(store: Path | None) -> Path:
    if store is not None:
        return store
    env = os.environ.get("TRAILSCAN_STORE")
    return Path(env) if env else Path("trailscan.duckdb")


def rpc_urls(rpc: list[str] | None) -> list[str]:
    if rpc:
        return list(rpc)
    for var in ("TRAILSCAN_RPC_URL", "ETH_RPC_URL"):
        value = os.environ.get(var, "").strip()
        if value:
            return [u.strip() for u in value.split(",") if u.strip()]
    return []
