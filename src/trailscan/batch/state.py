"""A batch's memory of finished wallets: ``state.jsonl`` in the output folder, one line per finished wallet.

Append-only and flushed to disk per wallet, so a killed batch loses nothing finished. A wallet is finished
for a policy: its line carries the policy's SHA-256, and a rerun under another policy traces it again.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

import orjson

STATE_FILE = "state.jsonl"


def state_key(chain: str, address: str, policy_sha256: str) -> tuple[str, str, str]:
    return (chain, address, policy_sha256)


class State:
    def __init__(self, folder: Path) -> None:
        self.path = folder / STATE_FILE
        self.records: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.policies: set[str] = set()
        self._file: IO[bytes] | None = None
        if self.path.exists():
            self._load()

    def _load(self) -> None:
        """Earlier lines; a line cut short by a kill (the last one) is ignored: that wallet runs again."""
        for raw in self.path.read_bytes().splitlines():
            try:
                record = orjson.loads(raw)
                key = state_key(record["chain"], record["address"], record["policy_sha256"])
            except (orjson.JSONDecodeError, KeyError, TypeError):
                continue
            self.records[key] = record
            self.policies.add(record["policy_sha256"])

    def finished(self, chain: str, address: str, policy_sha256: str, folder: Path) -> dict[str, Any] | None:
        """The record of a wallet finished under this policy whose report is still on disk, else None."""
        record = self.records.get(state_key(chain, address, policy_sha256))
        if record is None or not (folder / str(record.get("file", ""))).is_file():
            return None
        return record

    def append(self, record: dict[str, Any]) -> None:
        if self._file is None:
            self._file = open(self.path, "ab")  # noqa: SIM115 - kept open for the run, closed by close()
            if self._file.tell() and not self.path.read_bytes().endswith(b"\n"):
                self._file.write(b"\n")  # after a line cut short by a kill
        self._file.write(orjson.dumps(record) + b"\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        self.records[state_key(record["chain"], record["address"], record["policy_sha256"])] = record

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file next to ``path``, then rename it over ``path``: never half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
