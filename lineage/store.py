"""``Store``: one store folder (``lineage.db`` + ``blobs/``) and its user-facing API.

Where a store is: an explicit folder; else ``$LINEAGE_DIR``; else the nearest
``.lineage/`` in the working directory or a parent; else ``./.lineage/``, created on
the first write.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path

from . import versions
from .blobs import DIGEST_RE, BlobInfo, BlobStore
from .db import DB_NAME, Database, now
from .errors import InvalidArgumentError, LineageError, NotFoundError, StoreBusyError
from .logged import LoggedArtifact
from .openlineage import live
from .processes import hostname, is_alive
from .records import ArtifactInfo, RunInfo, run_infos
from .refs import parse_ref, parse_run_ref
from .staging import LEGACY_LOCK, LOCK_NAME, StagingLock

STORE_FOLDER = ".lineage"
ENV_VAR = "LINEAGE_DIR"
# A source file whose mtime or ctime is this close to the moment we read it could change
# again within the same timestamp tick: it is hashed, but not remembered in file_state.
RACY_NS = 20_000_000


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


class Store:
    """A lineage store: query it, edit aliases, delete versions.

    >>> store = Store("path/to/store")              # doctest: +SKIP
    >>> store.artifact("trained-model:latest").files()  # doctest: +SKIP
    """

    def __init__(self, dir: str | os.PathLike | None = None):
        self.dir = locate(dir)
        self._db: Database | None = None
        self._blobs: BlobStore | None = None
        self._mutex = threading.Lock()
        self.staging = StagingLock(self.dir / LOCK_NAME, legacy=self.dir / LEGACY_LOCK)

    def __repr__(self) -> str:
        return f"Store({str(self.dir)!r})"

    # -- plumbing ----------------------------------------------------------------------
    def check_folder(self) -> None:
        """Refuse a store path that is a file (a wrong --store or $LINEAGE_DIR)."""
        if self.dir.exists() and not self.dir.is_dir():
            raise InvalidArgumentError(
                f"the store {self.dir} is a file, not a folder: point --store or ${ENV_VAR} at a folder"
            )

    def _open(self, create: bool) -> Database:
        with self._mutex:
            if self._db is None:
                self.check_folder()
                if create:
                    self.dir.mkdir(parents=True, exist_ok=True)
                elif not (self.dir / DB_NAME).exists():
                    raise NotFoundError(f"no lineage store at {self.dir}: log a run or run 'lineage init' first")
                self._db = Database(self.dir / DB_NAME, create=create)
                self.mark_crashed_runs()
            return self._db

    @property
    def db(self) -> Database:
        """The store's database (an existing store; see :meth:`create`)."""
        return self._db or self._open(create=False)

    def create(self) -> Store:
        """Create the store folder and database if missing (what the first write does)."""
        self._open(create=True)
        return self

    @property
    def blobs(self) -> BlobStore:
        if self._blobs is None:
            self.check_folder()
            self._blobs = BlobStore(self.dir / "blobs", self._recorded_blob, self._recorded_blobs)
        return self._blobs

    def _recorded_blob(self, sha256: str) -> tuple[int, int] | None:
        if self._db is None and not (self.dir / DB_NAME).exists():
            return None
        return self.db.read_one("SELECT size, mtime_ns FROM blobs WHERE sha256 = ?", (sha256,))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def mark_crashed_runs(self) -> list[str]:
        """Mark runs left ``running`` by processes on this host that died; return their ids.

        A store read-only here is left as it is (its dead runs are marked where it is written).
        """
        db = self._db
        if db.read_only:
            return []
        rows = db.read("SELECT id, pid, pid_started FROM runs WHERE state = 'running' AND host = ?", (hostname(),))
        dead = [run_id for run_id, pid, started in rows if not is_alive(pid, started)]
        marked = []
        if dead:
            with db.write() as con:
                for run_id in dead:
                    changed = con.execute(
                        "UPDATE runs SET state = 'crashed', ended_at = ?, error = 'the process died' "
                        "WHERE id = ? AND state = 'running'",
                        (now(), run_id),
                    ).rowcount
                    if changed:  # another process opening the store may have marked it first
                        marked.append(run_id)
        if marked:
            live.keep_ends(self, marked)
        return dead

    def check_live(self, row: versions.VersionRow) -> None:
        """Refuse a deleted version (for download and open)."""
        if row.deleted_at is not None:
            raise NotFoundError(f"{row.project}/{row.name}:v{row.number} was deleted on {row.deleted_at}")

    def ingest(self, pairs: list[tuple[str, str | Path]], absolute: bool = False) -> dict[str, BlobInfo]:
        """Copy source files into blobs, re-using digests of unchanged files from file_state.

        ``absolute``: the sources are already absolute, normalised paths (from a folder walk).
        An unchanged file (same inode, ctime, mtime and size as remembered) whose blob the
        store records costs one ``stat`` and a dictionary look-up: its blob is neither
        read nor written. Changed and new files are copied in batches (see BlobStore.put_many).
        """
        self._open(create=True)
        started = time.time_ns()
        sources = pairs if absolute else [(path, os.path.abspath(src)) for path, src in pairs]
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
            cached = get(src)
            # ctime moves on every write, so it also tells a rewrite that kept the size and mtime.
            if (
                cached is not None
                and cached[0] == st.st_ino
                and cached[1] == st.st_ctime_ns
                and cached[2] == st.st_mtime_ns
                and cached[3] == st.st_size
            ):
                out[path] = cached[4]
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
            with self.db.write() as con:
                con.executemany(
                    "INSERT OR REPLACE INTO file_state (path, inode, ctime_ns, mtime_ns, size, sha256) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    remember,
                )
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
            has_db = (self.dir / DB_NAME).exists()
            freed = 0
            for sha in sorted(set(shas)):
                if has_db and self.db.read_one("SELECT 1 FROM blobs WHERE sha256 = ?", (sha,)) is not None:
                    continue
                freed += self.blobs.remove(sha) > 0
            if not has_db:
                self._remove_empty_folders()
            return freed
        finally:
            for fd in fds:
                os.close(fd)

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
        out: dict[str, tuple[int, int]] = {}
        if not shas or (self._db is None and not (self.dir / DB_NAME).exists()):
            return out
        ordered = sorted(shas)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            rows = self.db.read(
                f"SELECT sha256, size, mtime_ns FROM blobs WHERE sha256 IN ({','.join('?' * len(chunk))})", chunk
            )
            out.update((sha, (size, mtime)) for sha, size, mtime in rows)
        return out

    def _file_states(self, sources: list[str]) -> dict[str, tuple[int, int, int, int, BlobInfo]]:
        """{source: (inode, ctime_ns, mtime_ns, size, blob)} of remembered files whose blob is recorded.

        One query for the whole batch. A remembered digest whose blob the store no longer
        records (freed by gc) is left out: that file is copied again.
        """
        if not sources:
            return {}
        select = (
            "SELECT f.path, f.inode, f.ctime_ns, f.mtime_ns, f.size, f.sha256, b.size, b.mtime_ns "
            "FROM file_state f JOIN blobs b ON b.sha256 = f.sha256 "
        )
        if len(sources) == 1:
            rows = self.db.read(select + "WHERE f.path = ?", (sources[0],))
        else:
            # The common folder of all sources is the one of the first and last in string order.
            first, last = min(sources), max(sources)
            common = os.path.commonprefix([first, last])
            prefix = common[: common.rfind("/") + 1] or "/"
            rows = self.db.read(select + "WHERE f.path >= ? AND f.path < ?", (prefix, prefix[:-1] + "0"))
        out = {}
        for path, inode, ctime, mtime, size, sha, blob_size, blob_mtime in rows:
            if isinstance(sha, str) and DIGEST_RE.fullmatch(sha):  # a forged digest is never trusted
                out[path] = (inode, ctime, mtime, size, BlobInfo(sha, blob_size, blob_mtime))
        return out

    # -- artifacts ---------------------------------------------------------------------
    def artifact(self, ref: str) -> LoggedArtifact:
        """The version a ref names: ``[project/]name[:alias|:vN]``, bare name = latest."""
        return LoggedArtifact(self, versions.resolve(self.db, parse_ref(ref)))

    def versions(self, name: str, project: str | None = None) -> list[LoggedArtifact]:
        """Every version of an artifact (deleted ones too), v0 first."""
        ref = parse_ref(name, project)
        artifact_id, _, _ = versions.find_artifact(self.db, ref.name, ref.project)
        rows = self.db.read(
            f"SELECT {versions.VERSION_COLUMNS} {versions.FROM_VERSIONS} WHERE v.artifact_id = ? ORDER BY v.number",
            (artifact_id,),
        )
        return [LoggedArtifact(self, versions.VersionRow(*r)) for r in rows]

    def artifacts(self, type: str | None = None, project: str | None = None) -> list[ArtifactInfo]:
        """Every artifact, optionally of one type or project."""
        rows = self.db.read(
            "SELECT a.project, a.name, a.type, a.created_at, "
            "(SELECT count(*) FROM versions v WHERE v.artifact_id = a.id), "
            "(SELECT 'v' || v.number FROM aliases al JOIN versions v ON v.id = al.version_id "
            " WHERE al.artifact_id = a.id AND al.alias = 'latest') "
            "FROM artifacts a WHERE (:type IS NULL OR a.type = :type) AND (:project IS NULL OR a.project = :project) "
            "ORDER BY a.project, a.name",
            {"type": type, "project": project},
        )
        return [ArtifactInfo(*r) for r in rows]

    def runs(self, job_type: str | None = None, project: str | None = None, state: str | None = None) -> list[RunInfo]:
        """Every run, oldest first, optionally filtered."""
        return run_infos(
            self.db,
            "WHERE (:job_type IS NULL OR job_type = :job_type) AND (:project IS NULL OR project = :project) "
            "AND (:state IS NULL OR state = :state)",
            {"job_type": job_type, "project": project, "state": state},
        )

    def run(self, key: str) -> RunInfo:
        """A run by id or name (``run:`` prefix optional); an ambiguous name is an error."""
        key = parse_run_ref(key) or key
        found = run_infos(self.db, "WHERE id = ?", (key,)) or run_infos(self.db, "WHERE name = ?", (key,))
        if not found:
            raise NotFoundError(f"no run with id or name {key!r}")
        if len(found) > 1:
            ids = ", ".join(r.id for r in found)
            raise InvalidArgumentError(f"several runs are named {key!r} (ids {ids}): use run:<id>")
        return found[0]

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
        from .query import ancestry

        return ancestry(self, ref, depth)

    def impact(self, ref: str, depth: int | None = None):
        """Everything that depends on ``ref``."""
        from .query import impact

        return impact(self, ref, depth)

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

    # -- maintenance (lineage/maintenance.py) --------------------------------------------
    def gc(self, dry_run: bool = False):
        """Free blobs no live version or run file uses; returns the plan (executed unless dry_run).

        First deletes the versions whose ttl ran out (W&B's ``artifact.ttl``), unless dry_run.
        """
        from .maintenance import gc

        if not dry_run:
            versions.expire_versions(self.db)
        return gc(self, dry_run=dry_run)

    def fsck(self, quick: bool = False):
        """Check the database and every referenced blob; returns a report of what is wrong."""
        from .maintenance import fsck

        return fsck(self, quick=quick)


def _read_sources(blobs: BlobStore, todo: list[tuple[str, str, os.stat_result]]) -> list[BlobInfo]:
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
