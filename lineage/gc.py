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
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from .blobs import DIGEST_RE, TEMP_MARK
from .formats import format_bytes
from .processes import is_alive
from .storage import upkeep

TEMP_PID_RE = re.compile(re.escape(TEMP_MARK) + r"(\d+)-\d+$")


@dataclass(frozen=True)
class GcItem:
    """One file gc frees: a blob (``sha256`` set) or a stray temp file (``sha256`` is None)."""

    path: Path
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


def plan_gc(store) -> GcPlan:
    """What gc would free now (no lock taken: see :func:`gc` for the safe way to free it).

    Without the lock the plan may list a blob an upload in another process placed a
    moment ago and has not committed; :func:`gc` plans again under the lock.
    """
    live = upkeep.live_blobs(store.db)
    blobs = [
        GcItem(path, size, sha256)
        for sha256, path in store.blobs.iter_blobs()
        if DIGEST_RE.fullmatch(sha256) and sha256 not in live and (size := _size(path)) is not None
    ]
    temps = [GcItem(path, size) for path in stray_temps(store.blobs.iter_temps()) if (size := _size(path)) is not None]
    rows = upkeep.unused_blob_rows(store.db)
    return GcPlan(blobs=tuple(blobs), temp_files=tuple(temps), rows=rows)


def gc(store, dry_run: bool = False, wait_s: float = 10.0) -> GcPlan:
    """Free blobs no live version or run file uses, and temp files of dead processes.

    Returns the plan, executed unless ``dry_run``. Waits up to ``wait_s`` seconds for
    uploads in other processes to commit, then raises ``StoreBusyError``.

    >>> store.delete("mnist-raw:v0"); print(store.gc().describe())  # doctest: +SKIP
    freed 3 blobs and 0 temp files (52.1 MB)
    """
    if dry_run:
        return plan_gc(store)
    store.db  # noqa: B018 (a missing store is reported before the lock file is created)
    fds = store.staging.exclusive(wait_s)
    try:
        plan = plan_gc(store)
        if plan.rows:
            upkeep.delete_unused_blob_rows(store.db, plan.rows)
        freed = 0
        # Fan-out folders are never removed, even empty: other processes cache that
        # they exist and create temp files in them without checking again.
        for item in (*plan.blobs, *plan.temp_files):
            try:
                os.unlink(item.path)
            except FileNotFoundError:
                continue
            freed += item.size
        return replace(plan, executed=True, freed_bytes=freed)
    finally:
        store.staging.release_exclusive(fds)


def stray_temps(paths: Iterable[Path]) -> list[Path]:
    """The temp files whose writing process (named in the file name) is no longer alive."""
    out = []
    for path in paths:
        match = TEMP_PID_RE.search(path.name)
        if match is None or not is_alive(int(match.group(1)), None):
            out.append(path)
    return sorted(out)


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def _size(path: Path) -> int | None:
    try:
        return os.lstat(path).st_size
    except FileNotFoundError:
        return None
