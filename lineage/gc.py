"""``gc``: free the blobs no live version or run file uses, and stray temp files.

Destructive work is planned first: :func:`plan_gc` returns a :class:`GcPlan` (what would
be freed, how many bytes) that ``lineage gc --dry-run`` prints; :func:`gc` makes the same
plan under the store's staging lock and executes it.

Why it is safe next to running uploads: every process holds ``store.staging`` (a shared
``flock``) from its first new blob or temp file until the version using them commits, and
gc holds it exclusively while it plans and frees. So a blob an upload placed but has not
committed yet, or an unreferenced blob it is about to re-use, is never collected. Blob
rows are deleted in one transaction before files are unlinked, and only rows nothing
references at all (files of deleted versions keep their rows: the manifest of a deleted
version stays readable). A crash in between leaves unreferenced files, which the next gc
frees, because gc frees every blob *file* that no live version or run file uses, whether
the database has a row for it or not.

Blobs in object storage (an ``s3://`` blob root) are freed the same way, through the blob
store's ``listing``/``remove``; an unreferenced object younger than the store's grace
period (``S3BlobStore.grace_s``, an hour) is left for a later gc: a writer on another
host, which the host-local staging lock does not see, may be about to commit it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

from .blobs import DIGEST_RE, TEMP_PID_RE, dead_temps
from .formats import format_bytes
from .storage import blobs as blob_rows
from .storage import upkeep

__all__ = ["TEMP_PID_RE", "GcItem", "GcPlan", "gc", "plan_gc", "stray_temps"]
stray_temps = dead_temps  # the temp files whose writing process is no longer alive


@dataclass(frozen=True)
class GcItem:
    """One file gc frees: a blob (``sha256`` set) or a stray temp file (``sha256`` is None).

    ``path``: the file's path, or the object's ``s3://`` URL.
    """

    path: Path | str
    size: int
    sha256: str | None = None


@dataclass(frozen=True)
class GcPlan:
    """What gc frees (a dry run) or freed (``executed``).

    ``blobs``: blob files no live version or run file uses; ``temp_files``: temp files
    left by processes that died mid-write; ``rows``: digests of blob rows nothing
    references any more, deleted from the database. ``freed_bytes`` counts what was
    actually unlinked (0 for a dry run).
    """

    blobs: tuple[GcItem, ...]
    temp_files: tuple[GcItem, ...]
    rows: tuple[str, ...]
    executed: bool = False
    freed_bytes: int = 0

    @property
    def bytes(self) -> int:
        """Bytes the plan frees: its blobs and temp files."""
        return sum(item.size for item in (*self.blobs, *self.temp_files))

    @property
    def empty(self) -> bool:
        """True when there is nothing to free."""
        return not (self.blobs or self.temp_files or self.rows)

    def describe(self) -> str:
        """One line for people: ``freed 3 blobs and 1 temp file (2.0 MB)``."""
        if self.empty:
            return "nothing to free"
        verb = "freed" if self.executed else "would free"
        amount = self.freed_bytes if self.executed else self.bytes
        return (
            f"{verb} {_count(len(self.blobs), 'blob')} and {_count(len(self.temp_files), 'temp file')} "
            f"({format_bytes(amount)})"
        )


def plan_gc(store, grace_s: float | None = None) -> GcPlan:
    """What gc would free now (no lock taken: see :func:`gc` for the safe way to free it).

    Without the lock the plan may list a blob an upload in another process placed a
    moment ago and has not committed; :func:`gc` plans again under the lock. Blobs
    younger than ``grace_s`` seconds are kept (default: the blob store's grace period).
    """
    store.check_owns_blob_root()
    blob_store = store.blobs
    grace = blob_store.grace_s if grace_s is None else grace_s
    young = (time.time() - grace) * 1e9 if grace > 0 else None
    live = upkeep.live_blobs(store.db)
    blobs = [
        GcItem(Path(item.where) if isinstance(blob_store.root, Path) else item.where, item.size, item.name)
        for item in blob_store.listing()
        if DIGEST_RE.fullmatch(item.name) and item.name not in live and (young is None or item.mtime_ns < young)
    ]
    temps = [GcItem(Path(w) if not w.startswith("s3://") else w, size) for w, size in blob_store.stray_temps(grace)]
    rows = upkeep.unused_blob_rows(store.db)
    return GcPlan(blobs=tuple(blobs), temp_files=tuple(temps), rows=rows)


def gc(store, dry_run: bool = False, wait_s: float = 10.0, grace_s: float | None = None) -> GcPlan:
    """Free blobs no live version or run file uses, and temp files of dead processes.

    Returns the plan, executed unless ``dry_run``. Waits up to ``wait_s`` seconds for
    uploads in other processes to commit, then raises ``StoreBusyError``. ``grace_s``:
    keep blobs younger than this (default: the blob store's, 0 for a folder, an hour for S3).

    >>> store.delete("mnist-raw:v0"); print(store.gc().describe())  # doctest: +SKIP
    freed 3 blobs and 0 temp files (52.1 MB)
    """
    if dry_run:
        return plan_gc(store, grace_s)
    store.db  # noqa: B018 (a missing store is reported before the lock file is created)
    fds = store.staging.exclusive(wait_s)
    try:
        plan = plan_gc(store, grace_s)
        if plan.rows:
            upkeep.delete_unused_blob_rows(store.db, plan.rows)
        # The re-log cache trusts its digests without looking at their blobs: none may outlive its file.
        blob_rows.forget_blobs(store.db, {item.sha256 for item in plan.blobs if item.sha256 is not None})
        freed = 0
        # Fan-out folders are never removed, even empty: other processes cache that
        # they exist and create temp files in them without checking again.
        blobs = store.blobs
        for item in plan.blobs:
            assert item.sha256 is not None
            freed += blobs.remove(item.sha256)
        for item in plan.temp_files:
            blobs.remove_temp(str(item.path))
            freed += item.size
        return replace(plan, executed=True, freed_bytes=freed)
    finally:
        store.staging.release_exclusive(fds)


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"
