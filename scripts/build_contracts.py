"""Compile contracts/*.vy with vyper and write contracts/build/<Name>.json (abi, bytecode, runtime).

The JSON artifacts are checked in so that running trailscan's tests and example needs no compiler;
tests/devnet/test_contracts.py recompiles and checks the artifacts are current. Run: python scripts/build_contracts.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import vyper

ROOT = Path(__file__).resolve().parent.parent / "src" / "trailscan" / "devnet" / "contracts"


def compile_one(path: Path) -> dict[str, object]:
    out = vyper.compile_code(path.read_text(), output_formats=["abi", "bytecode", "bytecode_runtime"])
    return {
        "source": path.name,
        "compiler": f"vyper {vyper.__version__}",
        "abi": out["abi"],
        "bytecode": out["bytecode"],
        "runtime": out["bytecode_runtime"],
    }


def main() -> int:
    build = ROOT / "build"
    build.mkdir(exist_ok=True)
    for path in sorted(ROOT.glob("*.vy")):
        (build / f"{path.stem}.json").write_text(json.dumps(compile_one(path), indent=1) + "\n")
        print(f"compiled {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
