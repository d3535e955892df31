"""The ``lineage`` click group and what every verb shares: the store, ``--json``, output.

Start-up stays light: this module imports click and the core only. rich, pyarrow, duckdb
and networkx are imported inside the verbs (and formats) that need them, so
``lineage ancestry REF`` starts in about the time of ``import lineage``.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from ..formats import format_size, format_time, plain_json

if TYPE_CHECKING:
    from ..facade import Store
    from ..logged import LoggedArtifact


class StoreHandle:
    """The store named by ``--store`` (or found as usual), opened on first use.

    Verbs other than ``init`` never create a store: a missing one is a one-line error.
    """

    def __init__(self, dir: str | None):
        self.dir = dir
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            from ..facade import Store

            self._store = Store(self.dir).open()  # now, so "no store here" is reported first
        return self._store


class Group(click.Group):
    """Lists verbs in the order they are declared (the order of SPEC section 6), not A-Z."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


@click.group(cls=Group, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--store",
    "store_dir",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="The store folder. Default: $LINEAGE_DIR, else the nearest .lineage/ here or in a parent folder.",
)
@click.version_option(package_name="lineage", prog_name="lineage", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, store_dir: str | None) -> None:
    """Track ML pipelines offline: runs, artifacts, versions and their lineage.

    A REF names a version: [project/]name[:alias|:vN] (a bare name means :latest);
    where a command also takes a run, write run:<name or id>.
    """
    ctx.obj = StoreHandle(store_dir)
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


pass_store = click.make_pass_decorator(StoreHandle)

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for programs instead of text.")


# -- output ------------------------------------------------------------------------------
_plain = plain_json  # lineage/formats.py: one rule for strict JSON, shared with the renderer


def echo_json(value: Any) -> None:
    """Print ``value`` as indented, strict JSON on stdout."""
    click.echo(json.dumps(_plain(value), indent=2, ensure_ascii=False, allow_nan=False))


human_size = format_size  # the CLI's names for the one size and time rule (lineage/formats.py)
short_time = format_time


def print_table(columns: list[str], rows: list[list[Any]], empty: str = "(none)") -> None:
    """A table for people on stdout (rich; never wrapped or cut when piped)."""
    if not rows:
        click.echo(empty)
        return
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, highlight=False)
    for name in columns:
        table.add_column(name, overflow="fold")
    for row in rows:
        # Text, not markup: a run named '[/]' or '[bold]' is shown as typed, never parsed.
        table.add_row(*(Text("" if cell is None else str(cell)) for cell in row))
    if sys.stdout.isatty():
        console().print(table)
        return
    # Piped: no wrapping, no colour, and no trailing blanks from column padding.
    out = console()
    with out.capture() as captured:
        out.print(table)
    click.echo("\n".join(line.rstrip() for line in captured.get().splitlines()))


def print_fields(fields: list[tuple[str, Any]]) -> None:
    """``key: value`` lines, keys aligned (for ``show`` and ``status``)."""
    width = max(len(k) for k, _ in fields)
    for key, value in fields:
        if isinstance(value, dict | list):
            value = json.dumps(_plain(value), ensure_ascii=False) if value else "-"
        click.echo(f"{key + ':':<{width + 1}} {'-' if value is None or value == '' else value}")


def console(stderr: bool = False):
    """A rich console; when not on a terminal, wide enough that tables are never wrapped."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(file=stream, highlight=False)
    return Console(file=stream, width=10_000, highlight=False, color_system=None, soft_wrap=True)


class Progress:
    """A rich progress bar on stderr, shown only when stderr is a terminal."""

    def __init__(self, description: str, total_bytes: int):
        self._bar = None
        if sys.stderr.isatty():
            from rich import progress

            self._bar = progress.Progress(
                progress.TextColumn("{task.description}"),
                progress.BarColumn(),
                progress.DownloadColumn(),
                progress.TransferSpeedColumn(),
                progress.TimeRemainingColumn(),
                console=console(stderr=True),
                transient=True,
            )
            self._task = self._bar.add_task(description, total=total_bytes)

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def update(self, path: str, size: int) -> None:
        """One more file of ``size`` bytes done (download and verify call this)."""
        if self._bar is not None:
            self._bar.advance(self._task, size)

    def reached(self, done: int, total: int) -> None:
        """``done`` of ``total`` bytes done (fsck calls this)."""
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=total)


# -- records as rows and dicts -----------------------------------------------------------
def version_dict(art: LoggedArtifact, aliases: list[str] | None = None) -> dict[str, Any]:
    """A version as ``--json`` prints it (the fields of the exploded graph's version nodes)."""
    return {
        "id": art.id,
        "project": art.project,
        "name": art.base_name,
        "type": art.type,
        "version": art.version,
        "ref": art.name,
        "qualified_ref": art.qualified_name,
        "aliases": art.aliases if aliases is None else aliases,
        "digest": art.digest,
        "size": art.size,
        "description": art.description,
        "metadata": art.metadata,
        "created_at": art.created_at,
        "deleted": art.deleted,
    }


def version_line(art: LoggedArtifact) -> str:
    """``mnist/mnist-raw:v1 (dataset) aliases: best, latest`` for one-line confirmations."""
    aliases = ", ".join(art.aliases) or "none"
    return f"{art.qualified_name} ({art.type}) aliases: {aliases}"
