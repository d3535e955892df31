"""The ``lineage`` command line (SPEC section 6): ``lineage [--store DIR] COMMAND``.

Tables for people, ``--json`` for programs, graphs as text or ``--format
dot|mermaid|json|graphml``. A user error prints one line, ``lineage: error: ...``, on
stderr and exits 1, with no traceback.
"""

from __future__ import annotations

import os
import sqlite3
import sys

import click

from ..errors import LineageError
from . import browse, edit, explore, registry, transfer, upkeep  # noqa: F401 - each module registers its verbs
from .app import cli

__all__ = ["cli", "main", "run"]

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "unknown error"


def fail(message: str) -> int:
    """Print the one-line error and return the exit status for it."""
    click.echo(f"lineage: error: {_one_line(message)}", err=True)
    return EXIT_ERROR


def run(argv: list[str] | None = None) -> int:
    """Run the command line on ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    try:
        result = cli.main(args=argv, prog_name="lineage", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else "lineage"
        return fail(f"{exc.format_message().rstrip('.')} (see '{where} --help')")
    except click.ClickException as exc:
        return fail(exc.format_message())
    except click.Abort as exc:
        if isinstance(exc.__context__, KeyboardInterrupt):  # click turns Ctrl-C into Abort
            click.echo("lineage: interrupted", err=True)
            return EXIT_INTERRUPTED
        return fail("aborted")
    except LineageError as exc:
        return fail(str(exc))
    except sqlite3.Error as exc:
        # From hand-written SQL (lineage sql) or a store SQLite cannot read.
        return fail(f"SQL error: {exc}")
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        # A folder that cannot be written, a file that is not there.
        where = f": {exc.filename}" if exc.filename else ""
        return fail(f"{exc.strerror or exc}{where}")
    except KeyboardInterrupt:
        click.echo("lineage: interrupted", err=True)
        return EXIT_INTERRUPTED


def main(argv: list[str] | None = None) -> None:
    """The console script: ``lineage ...``."""
    try:
        status = run(argv)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (``lineage runs | head``): not an error worth a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        status = 0
    sys.exit(status)
