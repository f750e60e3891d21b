"""`trailscan labels ...`: list, show, search, validate, add, import, export and match labels."""

from __future__ import annotations

import typer

app = typer.Typer(help="Work with label sets: list, show, search, validate, add, import, export, match.",
                  no_args_is_help=True, rich_markup_mode=None)
