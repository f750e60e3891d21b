"""EVM data commands: fetch, transfers, approvals, tokens, doctor, export."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach the EVM data commands to the root app."""
