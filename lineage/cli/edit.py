"""Verbs on versions and their files: download, verify, alias, unalias, delete."""

from __future__ import annotations

import click

from .app import Progress, StoreHandle, cli, echo_json, json_option, pass_store, version_dict, version_line


@cli.command()
@click.argument("ref")
@click.argument("dir", required=False, type=click.Path(file_okay=False))
@click.option(
    "--link/--copy",
    "link",
    default=None,
    help="Hard-link every file to its blob (fast, but root editing a file edits the store), "
    "or copy every file (a reflink where the file system has them). Default: links only where "
    "an edit cannot reach the store (not as root, read-only blobs), copies otherwise.",
)
@json_option
@pass_store
def download(handle: StoreHandle, ref: str, dir: str | None, link: bool | None, as_json: bool) -> None:
    """Download the files of a version into a folder.

    DIR defaults to ./artifacts/<name>:<version>.
    Files are hard links to the read-only blobs where an edit cannot change the blob
    (not as root), copies otherwise; correct files already there are left alone, extra
    files are kept.

    \b
    Example:  lineage download mnist-raw:latest data/raw
    """
    art = handle.store.artifact(ref)
    with Progress(f"downloading {art.name}", art.size) as bar:
        path = art.download(dir, progress=bar.update, link=link)
    if as_json:
        echo_json({"ref": art.qualified_name, "path": path})
    else:
        click.echo(path)


@cli.command()
@click.argument("ref")
@click.argument("dir", required=False, type=click.Path(file_okay=False))
@json_option
@pass_store
def verify(handle: StoreHandle, ref: str, dir: str | None, as_json: bool) -> None:
    """Check that a folder holds exactly a version's files.

    DIR defaults to ./artifacts/<name>:<version>.
    Every file is re-hashed; a missing, extra or altered file is an error naming each one.

    \b
    Example:  lineage verify mnist-raw:v0 data/raw
    """
    # A deleted version can still be checked against a folder made before it was deleted.
    art = handle.store.artifact(ref, allow_deleted=True)
    folder = dir if dir is not None else str(art.default_root())
    with Progress(f"verifying {art.name}", art.size) as bar:
        art.verify(folder, progress=bar.update)
    if as_json:
        echo_json({"ref": art.qualified_name, "path": folder, "ok": True})
    else:
        click.echo(f"ok: {folder} matches {art.qualified_name}")


@cli.command()
@click.argument("ref")
@click.argument("alias")
@json_option
@pass_store
def alias(handle: StoreHandle, ref: str, alias: str, as_json: bool) -> None:
    """Point an alias at a version (moving it if set).

    ALIAS moves from the version of the same artifact that held it; latest is set by
    lineage itself, and v0, v1, ... are reserved.

    \b
    Example:  lineage alias trained-model:v3 production
    """
    _print_version(handle.store.alias(ref, alias), as_json)


@cli.command()
@click.argument("ref")
@click.argument("alias")
@json_option
@pass_store
def unalias(handle: StoreHandle, ref: str, alias: str, as_json: bool) -> None:
    """Remove an alias from a version.

    \b
    Example:  lineage unalias trained-model:v3 production
    """
    _print_version(handle.store.unalias(ref, alias), as_json)


@cli.command()
@click.argument("ref")
@click.option("--delete-aliases", is_flag=True, help="Also remove the aliases it holds (else they refuse it).")
@json_option
@pass_store
def delete(handle: StoreHandle, ref: str, delete_aliases: bool, as_json: bool) -> None:
    """Delete a version; it stays in the lineage graph.

    Its files leave use; lineage queries still show it, marked deleted.

    A version holding aliases other than latest is refused unless --delete-aliases;
    latest moves to the newest live version. 'lineage gc' then frees unused blobs.

    \b
    Example:  lineage delete mnist-raw:v0
    """
    art = handle.store.delete(ref, delete_aliases=delete_aliases)
    if as_json:
        echo_json(version_dict(art))
    else:
        click.echo(f"deleted {art.qualified_name}: run 'lineage gc' to free the files no other version uses")


def _print_version(art, as_json: bool) -> None:
    if as_json:
        echo_json(version_dict(art))
    else:
        click.echo(version_line(art))
