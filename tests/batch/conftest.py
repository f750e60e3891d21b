"""The planted trails of tests/trace_world.py, fetched into one store shared by the batch tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from trailscan.cli import main
from trailscan.devnet import Anvil

from ..trace_world import BROKER_PACK, DEPOSIT, FORWARDER, HUB, I1, R1, R2, S1, S2, S3, H, M, T, W, build_trace_world

FETCHED = [W, I1, DEPOSIT, T, S1, S2, S3, M, H, HUB, FORWARDER, R1, R2]


@pytest.fixture(scope="package")
def trails(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(store, case label folder): every address on the trails fetched; the broker labeled by a case pack."""
    base = tmp_path_factory.mktemp("batch")
    labels = base / "case-labels"
    labels.mkdir()
    (labels / "broker.yaml").write_text(BROKER_PACK)
    with Anvil.start(chain_id=1) as node:
        build_trace_world(node)
        store = base / "case.duckdb"
        fetch = ["fetch", "--rpc", node.url, "--store", str(store)]
        for a in FETCHED:
            fetch += ["--address", a]
        assert main(fetch) == 0
    yield store, labels
