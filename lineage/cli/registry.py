"""The ``registry`` verb: the offline model registry's collections and links."""

from __future__ import annotations

from dataclasses import asdict

import click

from .app import StoreHandle, cli, echo_json, json_option, pass_store, print_table


@cli.command()
@click.argument("collection", required=False)
@json_option
@pass_store
def registry(handle: StoreHandle, collection: str | None, as_json: bool) -> None:
    """List the model registry: each linked version with its collection's aliases.

    COLLECTION ([registry/]name, e.g. model-registry/mnist-model) lists one collection.
    Links are made by run.link_artifact, link_model or artifact.link.

    \b
    Example:  lineage registry model-registry/mnist-model
    """
    found = handle.store.links(collection)
    if as_json:
        echo_json([{**asdict(link), "ref": link.ref} for link in found])
        return
    rows = [[link.ref, link.version_ref, ", ".join(link.aliases), link.created_at] for link in found]
    print_table(["link", "version", "aliases", "linked_at"], rows, empty="no linked versions")
