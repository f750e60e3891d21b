"""The checked-in contract artifacts are what the checked-in sources compile to."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from trailscan.devnet import CONTRACTS

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_contracts.py"


def test_artifacts_match_the_sources() -> None:
    spec = importlib.util.spec_from_file_location("build_contracts", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sources = sorted(CONTRACTS.parent.glob("*.vy"))
    assert len(sources) == 6
    for source in sources:
        stored = json.loads((CONTRACTS / f"{source.stem}.json").read_text())
        fresh = module.compile_one(source)
        assert stored == fresh, f"{source.name}: run python scripts/build_contracts.py"
