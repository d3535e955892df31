"""``Store``: the user-facing API of one store, above the handle, the queries and maintenance.

>>> store = Store("path/to/store")              # doctest: +SKIP
>>> store.artifact("trained-model:latest").files()  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from . import walks
from .logged import LoggedArtifact
from .refs import parse_ref
from .storage import listing, registry, versions
from .storage.records import ArtifactInfo, StoreContents
from .storage.registry import Link
from .store import StoreHandle


class Store(StoreHandle):
    """A lineage store: query it, edit aliases, delete versions.

    >>> store = Store("path/to/store")              # doctest: +SKIP
    >>> store.artifact("trained-model:latest").files()  # doctest: +SKIP
    """

    # -- artifacts ---------------------------------------------------------------------
    def artifact(self, ref: str, allow_deleted: bool = False) -> LoggedArtifact:
        """The version a ref names: ``[project/]name[:alias|:vN]``, bare name = latest.

        A deleted version is refused unless ``allow_deleted`` (for looking at it: show, files, verify).
        """
        return LoggedArtifact(self, versions.resolve(self.db, parse_ref(ref), allow_deleted=allow_deleted))

    def links(self, collection: str | None = None) -> list[Link]:
        """The model registry's links (of one ``[registry/]collection`` if given), by registry, collection, number."""
        where = registry.parse_target(collection) if collection else (None, None)
        return registry.links(self.db, *where)

    def contents(self) -> StoreContents:
        """Every artifact, stored file, history row and run file, in one read each (what the report draws)."""
        return StoreContents(
            tuple(listing.artifact_rows(self.db)),
            tuple(listing.file_rows(self.db)),
            tuple(listing.history_rows(self.db)),
            tuple(listing.run_file_rows(self.db)),
        )

    def versions(self, name: str, project: str | None = None) -> list[LoggedArtifact]:
        """Every version of an artifact (deleted ones too), v0 first."""
        ref = parse_ref(name, project)
        artifact_id, _, _ = versions.find_artifact(self.db, ref.name, ref.project)
        return [LoggedArtifact(self, row) for row in versions.artifact_versions(self.db, artifact_id)]

    def artifacts(self, type: str | None = None, project: str | None = None) -> list[ArtifactInfo]:
        """Every artifact, optionally of one type or project."""
        return [ArtifactInfo(*r) for r in versions.artifact_rows(self.db, type, project)]

    def alias(self, ref: str, alias: str) -> LoggedArtifact:
        """Point ``alias`` at the version ``ref`` names, moving it from any other version."""
        return LoggedArtifact(self, versions.set_alias(self.db, parse_ref(ref), alias))

    def unalias(self, ref: str, alias: str) -> LoggedArtifact:
        """Remove ``alias`` from the version ``ref`` names."""
        return LoggedArtifact(self, versions.remove_alias(self.db, parse_ref(ref), alias))

    def delete(self, ref: str, delete_aliases: bool = False) -> LoggedArtifact:
        """Delete a version: its files leave use, it stays in the lineage graph.

        A version holding aliases other than ``latest`` is refused unless
        ``delete_aliases=True``; ``latest`` moves to the newest live version.
        """
        row = versions.delete_version(self.db, parse_ref(ref), delete_aliases=delete_aliases)
        return LoggedArtifact(self, versions.version_row(self.db, row.id))

    # -- queries (lineage/query.py) ------------------------------------------------------
    def ancestry(self, ref: str, depth: int | None = None):
        """Everything ``ref`` (an artifact ref or ``run:<name or id>``) came from."""
        return walks.ancestry(self, ref, depth)

    def impact(self, ref: str, depth: int | None = None):
        """Everything that depends on ``ref``."""
        return walks.impact(self, ref, depth)

    def graph(self, explode: bool = False):
        """The whole store as a ``networkx.DiGraph``: type view, or one node per version and run."""
        from .query import graph

        return graph(self, explode)

    def sql(self, query: str, params: tuple | dict = ()):
        """Run SQL on a read-only connection; returns a ``pyarrow.Table``."""
        from .query import sql

        return sql(self, query, params)

    def duckdb(self):
        """A DuckDB connection with this store attached read-only (as schema ``lineage``)."""
        from .query import duckdb_connection

        return duckdb_connection(self)

    def export(self, dir: str | os.PathLike) -> list[Path]:
        """Write every table and view as Parquet under ``dir``; returns the files."""
        from .query import export

        return export(self, dir)

    # -- maintenance (lineage/gc.py, lineage/fsck.py) ------------------------------------
    def gc(self, dry_run: bool = False, grace_s: float | None = None):
        """Free blobs no live version or run file uses; returns the plan (executed unless dry_run).

        First deletes the versions whose ttl ran out (W&B's ``artifact.ttl``), unless dry_run.
        ``grace_s``: keep unreferenced blobs younger than this (default: none in a folder,
        an hour in S3, where a writer on another host may be about to commit them).
        """
        from .gc import gc

        if not dry_run:
            versions.expire_versions(self.db)
        return gc(self, dry_run=dry_run, grace_s=grace_s)

    def fsck(self, quick: bool = False, progress: Callable[[int, int], None] | None = None):
        """Check the database and every referenced blob; returns a report of what is wrong.

        ``progress(done, total)`` is called with the bytes of blobs checked so far and in all.
        """
        from .fsck import fsck

        return fsck(self, quick=quick, progress=progress)

    def copy_to(self, dst: str | os.PathLike | Store, progress: Callable[[int, int], None] | None = None) -> dict:
        """Copy this store's lineage into ``dst`` (created if missing): see :func:`copy`."""
        return copy(self, dst, progress)


def copy(
    src: str | os.PathLike | Store, dst: str | os.PathLike | Store, progress: Callable[[int, int], None] | None = None
) -> dict[str, int]:
    """Copy a store's runs, versions, aliases, edges, files and blobs into another; ids kept, idempotent.

    Returns how many rows of each kind were new (all 0 for a copy done before).

    >>> lineage.copy("./.lineage", "./team")  # doctest: +SKIP
    """
    from .storecopy import copy as copy_store

    source = src if isinstance(src, Store) else Store(src)
    target = dst if isinstance(dst, Store) else Store(dst)
    return copy_store(source, target, progress)
