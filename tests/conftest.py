"""Shared fixtures: a real anvil node on loopback, a deterministic world on it, temporary stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from trailscan.devnet import Anvil
from trailscan.store import Store

from .support.faultproxy import FaultProxy
from .world import World, build_world


@pytest.fixture(scope="session")
def world_node() -> Iterator[tuple[Anvil, World]]:
    """One anvil with the test world, shared by tests that only read from it."""
    with Anvil.start() as node:
        yield node, build_world(node)


@pytest.fixture()
def node() -> Iterator[Anvil]:
    """A fresh anvil for a test that changes chain state (reorgs, extra blocks)."""
    with Anvil.start() as fresh:
        yield fresh


@pytest.fixture()
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "case.duckdb"


@pytest.fixture()
def store(store_path: Path) -> Iterator[Store]:
    with Store(store_path) as db:
        yield db


@pytest.fixture(scope="module")
def anvil() -> Iterator[Anvil]:
    """One anvil per test module, for modules that build their own small state."""
    with Anvil.start() as node:
        yield node


@pytest.fixture()
def proxy(anvil: Anvil) -> Iterator[FaultProxy]:
    """A fault-injecting JSON-RPC proxy in front of the module's anvil."""
    with FaultProxy(anvil.url) as running:
        yield running
