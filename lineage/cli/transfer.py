"""Verbs that bring lineage in from other tools and stores: import, copy."""

from __future__ import annotations

import click

from .app import Progress, StoreHandle, cli, echo_json, json_option, pass_store


@cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["openlineage"]),
    default="openlineage",
    show_default=True,
    help="openlineage: RunEvents, one JSON per line (or a JSON array), from dbt, Spark, Airflow or lineage export.",
)
@json_option
@pass_store
def import_(handle: StoreHandle, file: str, fmt: str, as_json: bool) -> None:
    """Import lineage from other tools: their runs, datasets and edges.

    OpenLineage RunEvents become runs (project = job namespace, job type = job name) and
    reference-only versions of their datasets (no files stored), with consume and
    produce edges, so ancestry walks from a model back through the jobs that built its
    data. Creates the store if needed; importing the same file again adds nothing.

    
    Example:  lineage import --format openlineage dbt-events.ndjson
    """
    from ..facade import Store
    from ..openlineage import import_events

    counts = import_events(Store(handle.dir), file)
    if as_json:
        echo_json(counts)
    else:
        click.echo(
            f"{counts['events']} events: {counts['runs']} new runs, {counts['versions']} new versions, "
            f"{counts['edges']} new edges"
        )


@cli.command("copy")
@click.argument("src")
@click.argument("dst")
@json_option
@click.pass_obj
def copy_(handle: StoreHandle, src: str, dst: str, as_json: bool) -> None:
    """Copy the store SRC into the store DST (created if missing): its lineage, registry and blobs.

    Runs, artifacts, versions, aliases, edges, registry links and aliases, files and blobs.
    Ids are kept and a second copy adds nothing, so offline work joins a team store (and
    back). Blobs go into DST's blob root (a folder, or S3 with 'lineage init DST --blobs').
    A version both stores hold with other content is refused and nothing is copied.

    \b
    Example:  lineage copy ./.lineage ./team
    """
    from .. import copy

    with Progress("copying blobs", 0) as bar:
        counts = copy(src, dst, progress=bar.reached)
    if as_json:
        echo_json(counts)
    else:
        click.echo(", ".join(f"{n} new {what}" for what, n in counts.items()))
