"""The reproducibility manifest of a trace: the version, the data it read (chain heads and block hashes, the
label files and their hashes, endpoints with secrets redacted) and every parameter."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import __version__
from ..labels.loader import label_dirs, shipped_dir
from ..redact import redact_url
from ..store import Store


def label_sets(extra: Sequence[Path] | None) -> list[dict[str, Any]]:
    """Every label directory in force, with one SHA-256 over its files (names and contents, sorted)."""
    out = []
    for layer, folder in [("shipped", shipped_dir()), *((str(d), Path(d)) for d in label_dirs(extra))]:
        digest = hashlib.sha256()
        files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml", ".csv"))
        for path in files:
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
        out.append({"layer": layer, "files": len(files), "sha256": digest.hexdigest()})
    return out


def build_manifest(store: Store, chain: str, *, labels: Sequence[Path] | None, rpc: Sequence[str]) -> dict[str, Any]:
    row = store.con.execute("SELECT number, hash FROM blocks WHERE chain = ? ORDER BY number DESC LIMIT 1",
                            [chain]).fetchall()
    counts = store.con.execute("SELECT count(*) FROM transfers WHERE chain = ?", [chain]).fetchall()[0][0]
    run = store.con.execute("SELECT run_id, finished FROM cluster_runs ORDER BY run_id DESC LIMIT 1").fetchall()
    return {
        "trailscan": __version__, "store": str(store.path), "chain": chain,
        "head": {"block": int(row[0][0]), "hash": str(row[0][1])} if row else None,
        "transfers_stored": int(counts),
        "cluster_run": {"run_id": int(run[0][0]), "finished": str(run[0][1])} if run else None,
        "label_sets": label_sets(labels), "endpoints": [redact_url(u) for u in rpc],
    }
