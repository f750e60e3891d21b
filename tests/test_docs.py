"""Every command has help text and is documented in the README with an example."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer

from trailscan.cli import app, main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    subs = getattr(command, "commands", None)
    if not subs:
        return [prefix]
    out: list[tuple[str, ...]] = []
    for name, sub in sorted(subs.items()):
        out += _paths(sub, (*prefix, name))
    return out


COMMANDS = _paths(typer.main.get_command(app))


def test_the_cli_has_the_expected_commands() -> None:
    assert {("fetch",), ("transfers",), ("doctor",), ("export",)} <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_command_has_help_and_a_readme_example(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*path, "--help"]) == 0
    out = capsys.readouterr().out
    assert f"Usage: trailscan {' '.join(path)}" in out
    assert len(out.splitlines()) > 3
    assert f"trailscan {' '.join(path)}" in README, f"README lacks an example of trailscan {' '.join(path)}"


def test_every_guarantee_names_tests_that_exist() -> None:
    section = README[README.index("## Guarantees"):README.index("## What trailscan can and cannot see")]
    cited = re.findall(r"`([\w/]+\.py)(?:::(\w+))?`", section)
    assert len(cited) >= 15
    tests = Path(__file__).resolve().parent
    for path, name in cited:
        source = (tests / path).read_text()
        assert not name or f"def {name}(" in source, f"{path}::{name}"
