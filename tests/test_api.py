"""The top-level library API: every exported name resolves, and importing trailscan stays light."""

from __future__ import annotations

import subprocess
import sys

import trailscan


def test_every_exported_name_resolves() -> None:
    assert set(trailscan.__all__) == {*trailscan._EXPORTS, "__version__"}
    for name in trailscan.__all__:
        assert getattr(trailscan, name) is not None
    assert trailscan.fetch.__module__ == "trailscan.ingest"
    assert trailscan.get_chain("base").chain_id == 8453


def test_import_is_lazy() -> None:
    code = "import sys, trailscan; print(sorted(m for m in ('duckdb', 'pyarrow', 'httpx', 'web3') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
