"""trailscan: follow crypto payments for rented GPU compute.

The library API mirrors the CLI. Names are imported on first use, so ``import trailscan`` stays cheap::

    import trailscan

    chain = trailscan.get_chain("ethereum")
    with trailscan.RpcClient([url]) as client, trailscan.Store("case.duckdb") as store:
        trailscan.fetch(store, trailscan.EvmSource(client, chain), [chain.address(wallet)])
        for t in store.transfers(chain.address(wallet)):
            ...
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "get_chain": "chains", "Chain": "chains",
    "Store": "store",
    "fetch": "ingest", "FetchOptions": "ingest",
    "EvmSource": "sources.evm", "RpcClient": "sources.rpc",
    "Transfer": "model", "Approval": "model", "Token": "model", "FetchSummary": "model",
    "load_labels": "labels", "LabelSet": "labels",
    "TrailscanError": "errors",
    "build_clusters": "clustering", "ClusterOptions": "clustering",
    "trace": "tracing", "TraceOptions": "tracing", "TraceResult": "tracing",
}
__all__ = [
    "Approval", "Chain", "ClusterOptions", "EvmSource", "FetchOptions", "FetchSummary", "LabelSet", "RpcClient",
    "Store", "Token", "TraceOptions", "TraceResult", "TrailscanError", "Transfer", "__version__", "build_clusters",
    "fetch", "get_chain", "load_labels", "trace",
]

if TYPE_CHECKING:
    from .chains import Chain, get_chain
    from .clustering import ClusterOptions, build_clusters
    from .errors import TrailscanError
    from .ingest import FetchOptions, fetch
    from .labels import LabelSet, load_labels
    from .model import Approval, FetchSummary, Token, Transfer
    from .sources.evm import EvmSource
    from .sources.rpc import RpcClient
    from .store import Store
    from .tracing import TraceOptions, TraceResult, trace


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'trailscan' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
