"""``StoreHandle``: one store folder (``lineage.db`` + ``blobs/``): the layer under the user API.

Where a store is: an explicit folder; else ``$LINEAGE_DIR``; else the nearest
``.lineage/`` in the working directory or a parent; else ``./.lineage/``, created on
the first write. The explicit choice or ``$LINEAGE_DIR`` may instead be a
``postgresql://`` (or ``postgres://``) URL: a team store, its metadata in that database
and its blobs under the blob root the database records (``store_settings``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Self, cast

from . import folderstate
from .blobroot import Blobs, check_root, claim_root, open_blob_root, root_owner
from .blobs import DIGEST_RE, BlobInfo, BlobStore, all_digests
from .errors import ConflictError, InvalidArgumentError, LineageError, NotFoundError, StoreBusyError
from .folders import Folder
from .hostdir import private_folder, private_root
from .objectstore import S3BlobStore
from .openlineage import live
from .processes import hostname, is_alive
from .refs import parse_run_ref
from .staging import LEGACY_LOCK, LOCK_NAME, StagingLock, task_lock
from .storage import backlog, runs, settings, upkeep, versions
from .storage import blobs as blob_rows
from .storage import edges as graph_rows
from .storage.db import DB_NAME, Database
from .storage.pg import is_url
from .storage.pg.locks import AdvisoryStagingLock
from .storage.pg.locks import task_lock as pg_task_lock
from .storage.records import RunInfo, StoreStatus, runs_matching, runs_named

STORE_FOLDER = ".lineage"
ENV_VAR = "LINEAGE_DIR"
# A source file whose mtime or ctime is this close to the moment we read it could change
# again within the same timestamp tick: it is hashed, but not remembered in file_state.
RACY_NS = 20_000_000


def database_url(dir: str | os.PathLike | None = None) -> str | None:
    """The PostgreSQL URL chosen (``dir``, else ``$LINEAGE_DIR``), or None for a folder store."""
    chosen = dir if dir is not None else os.environ.get(ENV_VAR) or None
    return chosen if is_url(chosen) else None  # type: ignore[return-value]


def locate(dir: str | os.PathLike | None = None) -> Path:
    """The store folder to use (see the module docstring)."""
    if dir is not None:
        return Path(dir).absolute()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).absolute()
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / STORE_FOLDER).is_dir():
            return folder / STORE_FOLDER
    return here / STORE_FOLDER


class StoreHandle:
    """The lower handle of a store: its folder, database, blob store, staging lock and runs.

    ``lineage.facade.Store`` (exported as ``lineage.Store``) adds the user API above it:
    versions, aliases, queries and maintenance.

    """

    def __init__(self, dir: str | os.PathLike | None = None):
        self.url = database_url(dir)
        self._db: Database | None = None
        self._blobs: Blobs | None = None
        self._mutex = threading.Lock()
        self.staging: StagingLock | AdvisoryStagingLock
        if self.url is not None:
            from .storage.pg.database import redact

            # No folder holds a team store: this user's private one on this host holds the
            # files an S3 root writes before uploading them (made when first needed).
            digest = hashlib.sha256(redact(self.url).encode()).hexdigest()[:16]
            self.dir = private_root() / f"pg-{digest}"
            self.location = redact(self.url)
            self.staging = AdvisoryStagingLock(self.url)
        else:
            self.dir = locate(dir)
            self.location = str(self.dir)
            self.staging = StagingLock(self.dir / LOCK_NAME, legacy=self.dir / LEGACY_LOCK)

    @property
    def target(self) -> str | Path:
        """What opens this store again: its folder, or its PostgreSQL URL."""
        return self.url if self.url is not None else self.dir

    def __repr__(self) -> str:
        return f"Store({self.location!r})"

    # -- plumbing ----------------------------------------------------------------------
    def check_folder(self) -> None:
        """Refuse a store path that is a file (a wrong --store or $LINEAGE_DIR)."""
        if self.url is not None:
            return
        if self.dir.exists() and not self.dir.is_dir():
            raise InvalidArgumentError(
                f"the store {self.dir} is a file, not a folder: point --store or ${ENV_VAR} at a folder"
            )

    def _open(self, create: bool) -> Database:
        with self._mutex:
            if self._db is None:
                self.check_folder()
                if self.url is not None:
                    from .storage.pg.database import PgDatabase

                    self._db = PgDatabase(self.url, create=create)
                    self.mark_crashed_runs()
                    return self._db
                if create:
                    self.dir.mkdir(parents=True, exist_ok=True)
                elif not (self.dir / DB_NAME).exists():
                    raise NotFoundError(f"no lineage store at {self.dir}: log a run or run 'lineage init' first")
                self._db = Database(self.dir / DB_NAME, create=create)
                self.mark_crashed_runs()
            return self._db

    def exists(self) -> bool:
        """True if the store's database exists (a store was created here)."""
        if self.url is not None:
            try:
                self._open(create=False)
            except NotFoundError:
                return False
            return True
        return (self.dir / DB_NAME).exists()

    @property
    def db(self) -> Database:
        """The store's database (an existing store; see :meth:`create`)."""
        return self._db or self._open(create=False)

    def open(self) -> Self:
        """Open an existing store now (``NotFoundError`` if none is here), e.g. to fail early."""
        self._open(create=False)
        return self

    def create(self, blobs: str | os.PathLike | None = None) -> Self:
        """Create the store (its folder and database) if missing (what the first write does).

        ``blobs``: where the store keeps its blobs, recorded in the store (every client
        then finds them): an ``s3://bucket/prefix`` URL or a folder path; default
        ``blobs/`` beside the database of a folder store. A PostgreSQL store has no folder:
        a new one needs ``blobs``. Refused before anything is written when the root is
        malformed or its bucket cannot be reached, and when the store already holds blobs
        under another root.

        >>> lineage.Store("team").create(blobs="s3://ml-bucket/lineage")  # doctest: +SKIP
        """
        if self.url is not None and blobs is None and not self.exists():
            raise InvalidArgumentError(
                f"a PostgreSQL store keeps its files under a blob root: "
                f"run 'lineage init {self.location} --blobs FOLDER|s3://BUCKET/PREFIX' (or create(blobs=...))"
            )
        if blobs is None:
            self._open(create=True)
            return self
        root: str | None = check_root(os.fspath(blobs))
        if self.url is None and root == str(self.dir / "blobs"):
            root = None  # the default: nothing to record
        self.check_folder()
        if self.exists():
            self._refuse_new_root(root)
        if root is None:
            self._open(create=True)
            return self
        root_blobs = open_blob_root(root, lambda _: None, lambda _: {})
        if isinstance(root_blobs, S3BlobStore):
            root_blobs.check_bucket()
        owner = root_owner(root_blobs)
        store_id = self._root_claimant(root, owner)
        db = self._open(create=True)
        if settings.get(db, settings.BLOB_ROOT) != root:
            store_id = settings.put_new(db, settings.STORE_ID, store_id)
            if owner is None:
                claim_root(root_blobs, store_id)
                if root_owner(root_blobs) != store_id:  # another store claimed it a moment before
                    raise ConflictError(f"the blob root {root} was just claimed by another store: give each its own")
            settings.put(db, settings.BLOB_ROOT, root)
            self._blobs = None
        return self

    def _root_claimant(self, root: str, owner: str | None) -> str:
        """The id this store takes ``root`` under (its own, or a new one); refused when another store owns it.

        A root is claimed only after its store's id is committed, so a store that another
        process created meanwhile is found here with the owner's id.
        """
        store_id = settings.get(self.db, settings.STORE_ID) if self.exists() else None
        if owner is not None and owner != store_id:
            raise ConflictError(
                f"the blob root {root} belongs to another store (id {owner}): a store's gc would free the "
                "other's blobs; give each store its own root (or 'lineage copy' one store into the other)"
            )
        return store_id or uuid.uuid4().hex

    def check_owns_blob_root(self) -> None:
        """Raise unless this store owns its recorded blob root (gc would free another store's blobs)."""
        if self.blob_root() is None:
            return
        owner = root_owner(self.blobs)
        if owner is not None and owner != settings.get(self.db, settings.STORE_ID):
            raise ConflictError(
                f"the blob root {self.blobs.root} of store {self.location} belongs to another store (id {owner}): "
                "gc here would free that store's blobs, so it frees nothing"
            )

    def _refuse_new_root(self, root: str | None) -> None:
        current = self.blob_root()
        if current == root:
            return
        if upkeep.counts(self.db)[4]:
            where = current or str(self.dir / "blobs")
            raise ConflictError(
                f"the store {self.location} already holds blobs in {where}: its blob root cannot change to "
                f"{root or self.dir / 'blobs'} (use 'lineage copy' to move its lineage into a new store)"
            )

    def blob_root(self) -> str | None:
        """The blob root the store records (None: ``blobs/`` beside the database)."""
        if self._db is None and not self.exists():
            return None
        return settings.get(self.db, settings.BLOB_ROOT)

    @property
    def blobs(self) -> Blobs:
        """The store's blob store: ``blobs/`` beside the database, or the root it records."""
        if self._blobs is None:
            self.check_folder()
            root = self.blob_root()
            if root is not None:
                scratch = private_folder(self.dir.name, "tmp") if self.url is not None else self.dir / "tmp"
                self._blobs = open_blob_root(root, self._recorded_blob, self._recorded_blobs, scratch=scratch)
            elif self.url is not None:
                raise LineageError(
                    f"store {self.location} records no blob root: run 'lineage init {self.location} --blobs FOLDER'"
                )
            else:
                self._blobs = BlobStore(self.dir / "blobs", self._recorded_blob, self._recorded_blobs)
        return self._blobs

    def _recorded_blob(self, sha256: str) -> tuple[int, int] | None:
        if self._db is None and self.url is None and not (self.dir / DB_NAME).exists():
            return None
        return blob_rows.blob_row(self.db, sha256)

    def task_lock(self, task: str, busy: str) -> contextlib.AbstractContextManager[None]:
        """Hold the lock of ``task`` while one process does it (on any host that shares the
        store), or raise ``StoreBusyError(busy)`` at once if another holds it."""
        if self.url is not None:
            return pg_task_lock(self.url, task, busy)
        self.check_folder()
        self.dir.mkdir(parents=True, exist_ok=True)
        return task_lock(self.dir / f"{task}.lock", busy)

    def close(self) -> None:
        if self.url is not None:
            cast(AdvisoryStagingLock, self.staging).close()
        if self._db is not None:
            self._db.close()
            self._db = None

    def mark_crashed_runs(self) -> list[str]:
        """Mark runs left ``running`` by processes on this host that died; return their ids.

        A store read-only here is left as it is (its dead runs are marked where it is written).
        """
        db = self._db
        assert db is not None  # called by _open, once the database is open
        if db.read_only:
            return []
        rows = runs.running_here(db, hostname())
        dead = [run_id for run_id, pid, started in rows if not is_alive(pid, started)]
        marked = runs.mark_crashed(db, dead) if dead else []
        if marked:
            live.keep_ends(self, marked)
        return dead

    def check_live(self, row: versions.VersionRow) -> None:
        """Refuse a deleted version (for download and open)."""
        if row.deleted_at is not None:
            raise NotFoundError(f"{row.project}/{row.name}:v{row.number} was deleted on {row.deleted_at}")

    def ingest(self, pairs: Sequence[tuple[str, str | Path]], absolute: bool = False) -> dict[str, BlobInfo]:
        """Copy source files into blobs, re-using digests of unchanged files from file_state.

        ``absolute``: the sources are already absolute, normalised paths (from a folder walk).
        An unchanged file (same inode, ctime, mtime and size as remembered) whose blob the
        store records costs one ``stat`` and a dictionary look-up: its blob is neither
        read nor written. Changed and new files are copied in batches (see BlobStore.put_many).
        """
        self._open(create=True)
        started = time.time_ns()
        # absolute: a folder walk's (path, absolute source) pairs, used as they are.
        sources = cast(list[tuple[str, str]], pairs) if absolute else [(p, os.path.abspath(src)) for p, src in pairs]
        known = self._file_states([src for _, src in sources])
        out: dict[str, BlobInfo] = {}
        todo: list[tuple[str, str, os.stat_result]] = []
        get = known.get
        stat = os.stat
        for path, src in sources:
            try:
                st = stat(src)
            except OSError as exc:
                raise InvalidArgumentError(f"cannot add {src!r}: {exc.strerror}") from None
            row = get(src)  # (path, inode, ctime_ns, mtime_ns, size, sha256, blob mtime_ns)
            # ctime moves on every write, so it also tells a rewrite that kept the size and mtime.
            if (
                row is not None
                and row[1] == st.st_ino
                and row[2] == st.st_ctime_ns
                and row[3] == st.st_mtime_ns
                and row[4] == st.st_size
            ):
                out[path] = BlobInfo(row[5], row[4], row[6])
            else:
                todo.append((path, src, st))
        if not todo:
            return out
        blobs = self.blobs
        remember: list[tuple[str, int, int, int, int, str]] = []
        recent = started - RACY_NS
        for (path, src, st), blob in zip(todo, _read_sources(blobs, todo), strict=True):
            out[path] = blob
            if max(st.st_ctime_ns, st.st_mtime_ns) < recent:
                remember.append((src, st.st_ino, st.st_ctime_ns, st.st_mtime_ns, st.st_size, blob.sha256))
        if remember:
            blob_rows.remember_file_states(self.db, remember)
        return out

    def ingest_folders(self, folders: list[Folder]) -> list[list[BlobInfo]]:
        """Copy the files of a folder walk (:func:`lineage.folders.scan_folder`) into blobs; each folder's blobs.

        The re-log cache of folders (folder_state) is read in one query; a folder whose
        files all have the (inode, ctime, mtime, size, mode) remembered costs its stats,
        compared in one string comparison, and nothing else. The other files are compared
        one by one, and the new or changed ones copied (see BlobStore.put_files); the rows
        of the folders that changed are written in one small transaction.
        """
        self._open(create=True)
        started = time.time_ns()
        known = blob_rows.folder_states(self.db, folders[0].source) if folders else {}
        out: list[list[BlobInfo]] = []
        todo: list[tuple[list[BlobInfo | None], int, str, os.stat_result]] = []  # (folder's list, index, source, stat)
        changed: list[tuple[Folder, list[BlobInfo | None], str]] = []  # (folder, its list, its stats packed)
        for folder in folders:
            keys = folderstate.packed_stats(folder.stats)
            stats = folderstate.to_hex(keys)
            names = "/".join(folder.names)
            row = known.get(folder.source)
            if row is not None and row[0] == names and row[1] == stats:
                blobs = folderstate.cached_blobs(row, keys)
                if blobs is not None:
                    out.append(blobs)
                    continue
            found = folderstate.some_cached_blobs(row, folder.names, keys)
            for i, blob in enumerate(found):
                if blob is None:
                    todo.append((found, i, f"{folder.source}/{folder.names[i]}", folder.stats[i]))
            out.append(found)  # type: ignore[arg-type]  # every None is filled in below
            changed.append((folder, found, stats))
        if todo:
            copied = _read_sources(self.blobs, [(None, src, st) for _, _, src, st in todo])  # type: ignore[misc]
            for (found, i, _, _), blob in zip(todo, copied, strict=True):
                found[i] = blob
        if changed:
            recent = started - RACY_NS
            fresh = {id(st) for _, _, _, st in todo if max(st.st_ctime_ns, st.st_mtime_ns) >= recent}
            rows = [
                folderstate.row(folder, cast(list[BlobInfo], found), stats, fresh) for folder, found, stats in changed
            ]
            blob_rows.remember_folder_states(self.db, rows)
        return out

    def unstage(self, shas: list[str]) -> int:
        """Free blobs staged here for an artifact logged into another store; returns how many.

        Only blobs no row of this store names, and only while no process (this one
        included) stages here: otherwise they are left for ``gc``. A store folder that
        staging alone created (no database) is removed once empty.
        """
        try:
            fds = self.staging.exclusive(wait_s=0)
        except StoreBusyError:
            return 0
        try:
            has_db = self.url is not None or (self.dir / DB_NAME).exists()
            doomed = sorted(set(shas))
            if has_db:
                doomed = [sha for sha in doomed if blob_rows.blob_row(self.db, sha) is None]
                blob_rows.forget_blobs(self.db, set(doomed))  # the re-log cache may name them: see gc
            freed = 0
            for sha in doomed:
                freed += self.blobs.remove(sha) > 0
            if not has_db:
                self._remove_empty_folders()
            return freed
        finally:
            self.staging.release_exclusive(fds)

    def _remove_empty_folders(self) -> None:
        blobs = self.dir / "blobs"
        if blobs.is_dir() and not blobs.is_symlink():
            for sub in os.listdir(blobs):
                with contextlib.suppress(OSError):
                    os.rmdir(blobs / sub)
        for leftover in (blobs, self.dir / LOCK_NAME, self.dir):
            with contextlib.suppress(OSError):
                leftover.rmdir() if leftover.is_dir() and not leftover.is_symlink() else leftover.unlink()

    def _recorded_blobs(self, shas: set[str]) -> dict[str, tuple[int, int]]:
        if not shas or (self._db is None and self.url is None and not (self.dir / DB_NAME).exists()):
            return {}
        return blob_rows.recorded_blobs(self.db, shas)

    def _file_states(self, sources: list[str]) -> dict[str, tuple]:
        """{source: row of storage.blobs.file_states} of remembered files whose blob is recorded.

        One query for the whole batch, its rows kept as they come (no object per file).
        A remembered digest whose blob the store no longer records (freed by gc) is left
        out: that file is copied again. So is a forged digest: it is never trusted.
        """
        rows = blob_rows.file_states(self.db, sources)
        if not all_digests([row[5] for row in rows]):
            rows = [row for row in rows if isinstance(row[5], str) and DIGEST_RE.fullmatch(row[5])]
        return {row[0]: row for row in rows}

    def blob_bytes(self) -> int:
        """Bytes of every blob the database records (what a full fsck reads)."""
        return upkeep.blob_bytes(self.db)

    def status(self) -> StoreStatus:
        """The store's schema version, counts, running runs and kept OpenLineage events."""
        db = self.db
        runs_, artifacts, versions_, deleted, blobs, blob_bytes = upkeep.counts(db)
        running = tuple({"id": i, "name": n, "job_type": j, "started_at": s} for i, n, j, s in upkeep.running_runs(db))
        return StoreStatus(
            self.location,
            upkeep.schema_version(db),
            runs_,
            artifacts,
            versions_,
            deleted,
            blobs,
            blob_bytes,
            running,
            backlog.count(db),
        )

    def runs(self, job_type: str | None = None, project: str | None = None, state: str | None = None) -> list[RunInfo]:
        """Every run, oldest first, optionally filtered."""
        return runs_matching(self.db, job_type, project, state)

    def run_io(self, run_id: str) -> list[tuple]:
        """What a run consumed and produced: rows of ``queries/run_io.sql`` (direction, version_id, ref, ...)."""
        return graph_rows.run_io_rows(self.db, run_id)

    def run(self, key: str) -> RunInfo:
        """A run by id or name (``run:`` prefix optional); an ambiguous name is an error."""
        key = parse_run_ref(key) or key
        found = runs_named(self.db, key)
        if not found:
            raise NotFoundError(f"no run with id or name {key!r}")
        if len(found) > 1:
            ids = ", ".join(r.id for r in found)
            raise InvalidArgumentError(f"several runs are named {key!r} (ids {ids}): use run:<id>")
        return found[0]


def _read_sources(blobs: Blobs, todo: list[tuple[str, str, os.stat_result]]) -> list[BlobInfo]:
    """Copy source files into the blobs; a file that cannot be read is one clear line."""
    try:
        return blobs.put_files([(src, st.st_size) for _, src, st in todo])
    except LineageError:
        raise
    except OSError as exc:
        name = exc.filename if exc.filename is not None else (todo[0][1] if len(todo) == 1 else None)
        if name not in {src for _, src, _ in todo}:
            raise  # not the source's fault: the store's own folders
        raise InvalidArgumentError(f"cannot read {name!r} to add it: {exc.strerror or exc}") from None
