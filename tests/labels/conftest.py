"""Helpers for label tests: write packs, run the CLI, keep $TRAILSCAN_LABELS out of the way."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from trailscan.cli import main

# Excerpts of real packs of graphsense/graphsense-tagpacks (see the comment atop each file).
GRAPHSENSE = Path(__file__).resolve().parent / "fixtures" / "graphsense"

HEADER = """title: Case pack
creator: test
source: https://example.org/evidence
confidence: manual_transaction
network: ethereum
category: exchange
tags:
"""


@pytest.fixture(autouse=True)
def _no_env_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRAILSCAN_LABELS", raising=False)


@pytest.fixture()
def write(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """write(relative path, text or bytes) -> the file, under tmp_path."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture()
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def _run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return _run
