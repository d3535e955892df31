"""Verbs that read the store: init, status, runs, artifacts, versions, show, files."""

from __future__ import annotations

from typing import Any

import click

from ..formats import run_label
from ..refs import parse_run_ref
from .app import (
    StoreHandle,
    cli,
    echo_json,
    human_size,
    json_option,
    pass_store,
    print_fields,
    print_table,
    short_time,
    version_dict,
)


@cli.command()
@click.argument("where", required=False, metavar="[STORE]")
@click.option(
    "--blobs",
    "blob_root",
    metavar="ROOT",
    help="keep blobs at ROOT (s3://bucket/prefix or a shared folder), recorded in the store",
)
@json_option
@click.pass_obj
def init(handle: StoreHandle, where: str | None, blob_root: str | None, as_json: bool) -> None:
    """Create a store here (or at STORE, or --store) if there is none.

    Creates the folder, its lineage.db and blobs/; an existing store is left as it is.
    With --blobs the store keeps its blobs in S3 (or another folder) and records where,
    so every client finds them (credentials and endpoint: the usual AWS_* settings).
    STORE may be a postgresql:// URL (a team store), which needs --blobs.

    \b
    Example:  lineage --store ./.lineage init
              lineage init ./team --blobs s3://ml-bucket/lineage
    """
    from ..facade import Store

    store = Store(where if where is not None else handle.dir)
    existed = store.exists()
    store.create(blobs=blob_root)
    root = store.blob_root()
    if as_json:
        echo_json({"store": store.location, "created": not existed, "blobs": root or str(store.dir / "blobs")})
    else:
        click.echo(f"{'store already at' if existed else 'created store at'} {store.location}")
        if root is not None:
            click.echo(f"blobs at {root}")


@cli.command()
@json_option
@pass_store
def status(handle: StoreHandle, as_json: bool) -> None:
    """Show the store's path, schema, contents (and where its blobs are) and running runs.

    \b
    Example:  lineage status
    """
    store = handle.store
    now = store.status()
    runs, artifacts, versions, deleted = now.runs, now.artifacts, now.versions, now.deleted_versions
    blobs, blob_bytes, schema, kept = now.blobs, now.blob_bytes, now.schema_version, now.openlineage_kept
    running = list(now.running)
    root = store.blob_root() or str(store.dir / "blobs")
    if as_json:
        echo_json(
            {
                "store": store.location,
                "schema_version": schema,
                "runs": runs,
                "artifacts": artifacts,
                "versions": versions,
                "deleted_versions": deleted,
                "blobs": blobs,
                "blob_bytes": blob_bytes,
                "blob_root": root,
                "running": running,
                "openlineage_kept": kept,
            }
        )
        return
    print_fields(
        [
            ("store", store.location),
            ("schema", f"version {schema}"),
            ("runs", runs),
            ("artifacts", artifacts),
            ("versions", f"{versions} ({deleted} deleted)" if deleted else versions),
            ("blobs", f"{blobs} ({human_size(blob_bytes)}) in {root}"),
            ("running", ", ".join(f"{run_label(r['job_type'], r['name'])} ({r['id']})" for r in running) or "none"),
            *([("openlineage", f"{kept} event(s) kept: lineage export --format openlineage --send")] if kept else []),
        ]
    )


@cli.command()
@click.option("--job-type", help="Only runs of this job type.")
@click.option("--project", help="Only runs of this project.")
@click.option(
    "--state", type=click.Choice(["running", "finished", "failed", "crashed"]), help="Only runs in this state."
)
@json_option
@pass_store
def runs(handle: StoreHandle, job_type: str | None, project: str | None, state: str | None, as_json: bool) -> None:
    """List runs, oldest first.

    \b
    Example:  lineage runs --job-type train
    """
    found = handle.store.runs(job_type=job_type, project=project, state=state)
    if as_json:
        echo_json(found)
        return
    print_table(
        ["name", "id", "project", "job type", "state", "started", "ended"],
        [
            [r.name, r.id, r.project, r.job_type, r.state, short_time(r.started_at), short_time(r.ended_at)]
            for r in found
        ],
        empty="no runs",
    )


@cli.command()
@click.option("--type", "type_", metavar="TYPE", help="Only artifacts of this type (dataset, model, ...).")
@click.option("--project", help="Only artifacts of this project.")
@json_option
@pass_store
def artifacts(handle: StoreHandle, type_: str | None, project: str | None, as_json: bool) -> None:
    """List artifacts, their version counts and latest.

    \b
    Example:  lineage artifacts --type dataset
    """
    found = handle.store.artifacts(type=type_, project=project)
    if as_json:
        echo_json(found)
        return
    print_table(
        ["project", "name", "type", "versions", "latest", "created"],
        [[a.project, a.name, a.type, a.version_count, a.latest, short_time(a.created_at)] for a in found],
        empty="no artifacts",
    )


@cli.command()
@click.argument("name")
@json_option
@pass_store
def versions(handle: StoreHandle, name: str, as_json: bool) -> None:
    """List every version of an artifact, v0 first.

    NAME is [project/]name; deleted versions are listed too, marked.

    \b
    Example:  lineage versions mnist-raw
    """
    store = handle.store
    found = store.versions(name)
    extras = {v.id: (v.file_count, v.created_by_name) for v in found}
    if as_json:
        echo_json([{**version_dict(v), "file_count": extras[v.id][0], "created_by": extras[v.id][1]} for v in found])
        return
    print_table(
        ["version", "aliases", "digest", "size", "files", "created", "by run", "deleted"],
        [
            [
                v.version,
                ", ".join(v.aliases),
                v.digest[:12],
                human_size(v.size),
                extras[v.id][0],
                short_time(v.created_at),
                extras[v.id][1],
                "deleted" if v.deleted else "",
            ]
            for v in found
        ],
    )


def _run_details(store, key: str) -> dict[str, Any]:
    run = store.run(key)
    io = store.run_io(run.id)
    return {
        "kind": "run",
        "id": run.id,
        "name": run.name,
        "label": run.label,
        "project": run.project,
        "job_type": run.job_type,
        "state": run.state,
        "error": run.error,
        "started_at": run.started_at,
        "ended_at": run.ended_at,
        "notes": run.notes,
        "config": run.config,
        "summary": run.summary,
        "consumed": [row[2] for row in io if row[0] == "input"],
        "produced": [row[2] for row in io if row[0] == "output"],
    }


def _version_details(store, ref: str) -> dict[str, Any]:
    # show is for looking, so a deleted version is shown (marked) instead of refused.
    art = store.artifact(ref, allow_deleted=True)
    logged_by = art.logged_by()
    return {
        "kind": "version",
        **version_dict(art),
        "file_count": art.file_count,
        "logged_by": logged_by.label if logged_by else None,
        "used_by": [r.label for r in art.used_by()],
        "linked": [link.label for link in art.linked()],
    }


@cli.command()
@click.argument("ref")
@json_option
@pass_store
def show(handle: StoreHandle, ref: str, as_json: bool) -> None:
    """Show one version or run with all its fields.

    REF is a version ([project/]name[:alias|:vN]) or a run (run:<name or id>).

    \b
    Example:  lineage show trained-model:best
              lineage show run:sunny-smoke-4
    """
    store = handle.store
    is_run = parse_run_ref(ref) is not None
    details = _run_details(store, ref) if is_run else _version_details(store, ref)
    if as_json:
        echo_json(details)
        return
    if is_run:
        fields = [(k, details[k]) for k in ("label", "id", "project", "state", "error", "started_at", "ended_at")]
        fields += [(k, details[k]) for k in ("notes", "config", "summary")]
        fields += [("consumed", ", ".join(details["consumed"])), ("produced", ", ".join(details["produced"]))]
    else:
        fields = [
            ("ref", details["qualified_ref"]),
            ("type", details["type"]),
            ("aliases", ", ".join(details["aliases"])),
        ]
        fields += [(k, details[k]) for k in ("digest", "description", "metadata", "created_at")]
        fields += [
            ("size", f"{human_size(details['size'])} in {details['file_count']} files"),
            ("deleted", "yes" if details["deleted"] else "no"),
            ("logged_by", details["logged_by"]),
            ("used_by", ", ".join(details["used_by"])),
            ("linked", ", ".join(details["linked"])),
        ]
    print_fields(fields)


@cli.command()
@click.argument("ref")
@json_option
@pass_store
def files(handle: StoreHandle, ref: str, as_json: bool) -> None:
    """List the files of a version: path, size, SHA-256.

    \b
    Example:  lineage files mnist-raw:v0
    """
    art = handle.store.artifact(ref, allow_deleted=True)
    found = art.files()
    if as_json:
        echo_json(found)
        return
    rows = [[f.path, "" if f.size is None else human_size(f.size), f.digest or f"ref {f.ref}"] for f in found]
    print_table(["path", "size", "sha256"], rows, empty="no files")
