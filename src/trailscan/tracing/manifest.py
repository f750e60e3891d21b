"""The reproducibility manifest of a trace: the version, the data it read (chain heads and block hashes, the
label files and their hashes, endpoints with secrets redacted) and every parameter."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import InputError
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


def read_manifest(path: Path) -> dict[str, Any]:
    """A saved trace: a FILE.manifest.json written beside a report, or a `trace --format json` result."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the manifest {path}: {exc.strerror}", hint="check the path") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"the manifest {path} is not JSON ({str(exc)[:80]})",
                         hint="give a FILE.manifest.json or a 'trace --format json' result") from None
    if isinstance(data, dict) and isinstance(data.get("results"), list) and data["results"]:
        data = data["results"][0]
    query = data.get("query") if isinstance(data, dict) else None
    needed = ("address", "chain", "direction", "hops", "policy", "entities", "stops", "hub_limit")
    if not isinstance(query, dict) or any(k not in query for k in needed) or not isinstance(
            data.get("manifest"), dict):
        raise InputError(f"the manifest {path} does not describe a trace",
                         hint="give a FILE.manifest.json or a 'trace --format json' result")
    return {"query": query, "manifest": data["manifest"]}


def compare_manifests(saved: dict[str, Any], now: dict[str, Any], source: str) -> list[str]:
    """What differs between the data a saved trace read and the data this run read."""
    notes = []
    if saved.get("head") != now.get("head"):
        notes.append(f"run again from {source}: the store's newest block was {saved.get('head')}, now "
                     f"{now.get('head')}; figures may differ")
    was = {s["layer"]: s["sha256"] for s in saved.get("label_sets", [])}
    is_ = {s["layer"]: s["sha256"] for s in now.get("label_sets", [])}
    if was != is_:
        notes.append(f"run again from {source}: the label sets differ (then {sorted(was)}, now {sorted(is_)} "
                     "or their contents); pass the same --labels")
    if saved.get("trailscan") != now.get("trailscan"):
        notes.append(f"run again from {source}: written by trailscan {saved.get('trailscan')}, run by "
                     f"{now.get('trailscan')}")
    return notes or [f"run again from {source}: same store head, label sets and version"]
