"""Verbs that answer lineage questions: ancestry, impact, graph, sql, export, report."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click

from ..errors import InvalidArgumentError
from ..graphs import node_marks
from ..render import FORMATS, GraphView, from_networkx, from_subgraph, render
from .app import StoreHandle, cli, echo_json, json_option, pass_store, print_table

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for people; dot (Graphviz), mermaid, json (networkx node-link) or graphml for programs.",
)
graph_json_option = click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
depth_option = click.option(
    "--depth", type=click.IntRange(min=0), metavar="N", help="Follow at most N edges (default: no limit)."
)


def _mark(store, view: GraphView) -> None:
    """Add aliases, ``deleted`` and run states to a subgraph's nodes, for the text tree."""
    by_kind: dict[str, list[Any]] = {"version": [], "run": []}
    for attrs in view.nodes.values():
        if attrs.get("kind") in by_kind:
            by_kind[attrs["kind"]].append(attrs["id"])
    marks = node_marks(store, by_kind["version"], by_kind["run"])
    for key, extra in marks.items():
        view.nodes[key].update(extra)


def _print_subgraph(store, sub: Any, upstream: bool, fmt: str, as_json: bool) -> None:
    fmt = "json" if as_json else fmt
    view = from_subgraph(sub, upstream=upstream, full=fmt in ("json", "graphml"))
    if fmt == "text":
        _mark(store, view)
    click.echo(render(view, fmt, tree=True))


@cli.command()
@click.argument("ref")
@depth_option
@format_option
@graph_json_option
@pass_store
def ancestry(handle: StoreHandle, ref: str, depth: int | None, fmt: str, as_json: bool) -> None:
    """Show everything a version or run came from.

    REF is a version or run:<name or id>. Text is a tree, root first; a node reached
    twice is printed again, marked (see above), and not expanded again.

    \b
    Example:  lineage ancestry trained-model:latest --depth 2
    """
    store = handle.store
    _print_subgraph(store, store.ancestry(ref, depth), True, fmt, as_json)


@cli.command()
@click.argument("ref")
@depth_option
@format_option
@graph_json_option
@pass_store
def impact(handle: StoreHandle, ref: str, depth: int | None, fmt: str, as_json: bool) -> None:
    """Show everything that depends on a version or run.

    REF is a version or run:<name or id>. Text is a tree, root first; a node reached
    twice is printed again, marked (see above), and not expanded again.

    \b
    Example:  lineage impact mnist-raw:v0 --format mermaid
    """
    store = handle.store
    _print_subgraph(store, store.impact(ref, depth), False, fmt, as_json)


@cli.command()
@click.option("--explode", is_flag=True, help="One node per version and run, instead of types and job types.")
@format_option
@graph_json_option
@pass_store
def graph(handle: StoreHandle, explode: bool, fmt: str, as_json: bool) -> None:
    """Show the whole store as a graph (type view or --explode).

    By default nodes are artifact types and job types, as in W&B's graph view; with
    --explode, one node per version and per run. Text is an edge list.

    \b
    Example:  lineage graph --explode --format dot > lineage.dot
    """
    view = from_networkx(handle.store.graph(explode=explode))
    click.echo(render(view, "json" if as_json else fmt, tree=False))


_PARAM_KEY = re.compile(r"[$:@]?([A-Za-z_][A-Za-z0-9_]*)")


def parse_params(pairs: tuple[str, ...]) -> dict[str, Any]:
    """``("ref=mnist-raw:v0", "depth=2")`` -> ``{"ref": "mnist-raw:v0", "depth": 2}``.

    Numbers become numbers, because SQLite compares text and integers by type
    (``2 < '3'`` is true for any text), so ``$depth`` must arrive as an integer.
    """
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        match = _PARAM_KEY.fullmatch(key)
        if not sep or match is None:
            raise InvalidArgumentError(f"invalid --param {pair!r}: write NAME=VALUE, e.g. --param ref=mnist-raw:v0")
        out[match.group(1)] = _number_or_text(value)
    return out


def _number_or_text(value: str) -> Any:
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def ready_made_queries() -> dict[str, str]:
    """The files of ``queries/`` shipped in the package: name -> what it answers (its header)."""
    from ..query import query_names, read_query

    out = {}
    for name in query_names():
        words: list[str] = []
        for line in read_query(name).splitlines():  # the header's first paragraph
            text = line.strip().removeprefix("--").strip()
            if not line.strip().startswith("--") or (not text and words):
                break
            words.append(text)
        out[name] = " ".join(words).removeprefix(f"{name}.sql:").strip()
    return out


def is_query_file(text: str) -> bool:
    """True when QUERY_OR_FILE names a query file (or a ready-made query), not SQL itself."""
    return bool(re.fullmatch(r"[\w.\-/]+", text.strip())) and (
        text.endswith(".sql") or Path(text).is_file() or "/" not in text
    )


@cli.command()
@click.argument("query_or_file", metavar="[QUERY_OR_FILE]", required=False)
@click.option(
    "--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help="A $NAME parameter of the query (repeatable)."
)
@click.option("--list", "list_queries", is_flag=True, help="List the ready-made queries and exit.")
@json_option
@pass_store
def sql(
    handle: StoreHandle, query_or_file: str | None, params: tuple[str, ...], list_queries: bool, as_json: bool
) -> None:
    """Run read-only SQL: a query file, a query name or SQL.

    The ready-made queries (see --list) are the files of queries/; they take $name
    parameters. The database is opened read-only: writes are refused.

    \b
    Examples: lineage sql ancestry --param ref=trained-model:latest --param depth=-1
              lineage sql "SELECT label, state FROM run_labels"
    """
    if list_queries:
        names = ready_made_queries()
        if as_json:
            echo_json(names)
        else:
            print_table(["query", "answers"], [[k, v] for k, v in names.items()])
        return
    if query_or_file is None:
        raise click.UsageError("missing QUERY_OR_FILE (or --list)")
    values = parse_params(params)
    from .. import query

    store = handle.store
    if is_query_file(query_or_file):
        table = query.run_query_file(store, query_or_file.strip(), values)
    else:
        table = query.sql(store, query_or_file, values)
    rows = table.to_pylist()
    if as_json:
        echo_json(rows)
    else:
        print_table(table.column_names, [[row[c] for c in table.column_names] for row in rows], empty="no rows")


@cli.command()
@click.argument("out", metavar="OUT", required=False, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["parquet", "openlineage"]),
    default="parquet",
    show_default=True,
    help="parquet: every table and view under the folder OUT. openlineage: RunEvents as NDJSON in the file OUT.",
)
@click.option("--since", metavar="TIME", help="openlineage: only events at or after TIME (ISO 8601; UTC if no zone).")
@click.option(
    "--send",
    is_flag=True,
    help="openlineage: first deliver the events live emission kept in the store (the endpoint was down).",
)
@json_option
@pass_store
def export(handle: StoreHandle, out: str | None, fmt: str, since: str | None, send: bool, as_json: bool) -> None:
    """Export the store: tables as Parquet, or runs as OpenLineage events.

    Parquet: one file per table and view under the folder OUT; prints the paths.
    OpenLineage: a START and a COMPLETE/FAIL/ABORT event per run, one JSON per line, in
    the file OUT (- for stdout); the same store exports the same bytes. --send delivers
    the backlog to the endpoint configured for live emission (OPENLINEAGE_URL or
    openlineage.yml), each event once.

    \b
    Examples: lineage export out/parquet
              lineage export --format openlineage lineage.ndjson --since 2026-12-01
              lineage export --format openlineage --send
    """
    if fmt == "parquet":
        if since is not None or send:
            raise click.UsageError("--since and --send go with --format openlineage")
        if out is None:
            raise click.UsageError("missing OUT, the folder for the Parquet files")
        paths = handle.store.export(out)
        if as_json:
            echo_json([str(p) for p in paths])
        else:
            for path in paths:
                click.echo(str(path))
        return
    from .. import openlineage

    if out is None and not send:
        raise click.UsageError("missing OUT, the file for the events (- for stdout), or --send")
    result: dict = {}
    if send:
        sent, kept = openlineage.send_backlog(handle.store)
        result.update(sent=sent, kept=kept)
    if out is not None:
        result.update(events=openlineage.export(handle.store, out, since=since), out=out)
    if out == "-":
        return
    if as_json:
        echo_json(result)
        return
    if send:
        click.echo(f"sent {result['sent']} kept event(s); {result['kept']} still kept")
    if out is not None:
        click.echo(f"{result['events']} events -> {out}")


@cli.command()
@click.argument("ref", required=False)
@click.option(
    "--out",
    "out_dir",
    metavar="DIR",
    default="lineage-report",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where to write the site.",
)
@click.option(
    "--full",
    is_flag=True,
    help="Draw the whole graph even on a large store (default: around REF or the newest version).",
)
@json_option
@pass_store
def report(handle: StoreHandle, ref: str | None, out_dir: str, full: bool, as_json: bool) -> None:
    """Write an offline HTML report of the store.

    Runs, versions, the graph (W&B's type view and Explode), charts and images.

    With REF (a version or run:<name or id>), the graph page opens on its ancestry and
    impact. Open DIR/index.html in a browser; it needs no network.

    \b
    Example:  lineage report --out site trained-model:latest
    """
    from ..report import write_report

    index = write_report(handle.store, out_dir, ref=ref, full=full)
    if as_json:
        echo_json({"index": str(index)})
    else:
        click.echo(str(index))
