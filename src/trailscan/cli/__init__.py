"""The trailscan command line: parse, call the library, render. No logic of its own lives here."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from .. import __version__
from ..errors import TrailscanError
from . import batch as batch_commands
from . import cluster as cluster_commands
from . import demo as demo_commands
from . import evm as evm_commands
from . import export_graph as export_graph_commands
from . import labels as labels_commands
from . import trace as trace_commands

app = typer.Typer(
    name="trailscan",
    help="Follow crypto payments for rented GPU compute: fetch, label, cluster and trace wallets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"trailscan {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors.")] = False,
) -> None:
    """Follow crypto payments for rented GPU compute."""


evm_commands.register(app)
app.add_typer(labels_commands.app, name="labels")
cluster_commands.register(app)
trace_commands.register(app)
batch_commands.register(app)
export_graph_commands.register(app)
demo_commands.register(app)


def _debug_requested(argv: list[str]) -> bool:
    return "--debug" in argv or os.environ.get("TRAILSCAN_DEBUG", "") not in ("", "0")


def main(argv: list[str] | None = None) -> int:
    """Console entry point: every expected failure becomes one ``Error: ...`` line and a non-zero exit."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = _debug_requested(args)
    try:
        result = app(args=args, prog_name="trailscan", standalone_mode=False)
        return int(result) if isinstance(result, int) else 0
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        typer.echo("Error: aborted", err=True)
        return 130
    except TrailscanError as exc:
        if debug:
            raise
        typer.echo(f"Error: {exc}", err=True)
        return 1
    except KeyboardInterrupt:
        typer.echo("Error: interrupted; the store keeps everything committed so far, run again to resume", err=True)
        return 130
    except Exception as exc:
        if not _is_usage_error(exc) or debug:
            raise
        if type(exc).__name__ == "NoArgsIsHelpError":  # a bare group: show its help, as --help would
            typer.echo(exc.format_message())  # type: ignore[attr-defined]
            return 0
        typer.echo(f"Error: {_usage_message(exc)}", err=True)
        return 2


def _is_usage_error(exc: Exception) -> bool:
    """Typer's (vendored click) usage errors: recognised by their interface, not a private import."""
    return callable(getattr(exc, "format_message", None)) and isinstance(getattr(exc, "exit_code", None), int)


def _usage_message(exc: Exception) -> str:
    message = " ".join(str(exc.format_message()).split()).rstrip(".")  # type: ignore[attr-defined]
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", "trailscan") if ctx is not None else "trailscan"
    return f"{message}; see '{path} --help'"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
