"""Runs: ``init``, ``config``, ``log``, ``summary``, ``save``, ``finish`` (the W&B names).

One run is active at a time in a process, as in W&B; the module-level helpers in
``lineage`` (``lineage.log``, ``lineage.config``, ...) act on it.
"""

from __future__ import annotations

import atexit
import os
import secrets
import string
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import versions
from .artifact import Artifact
from .config import Config
from .db import now
from .errors import InvalidArgumentError, LineageError
from .logged import LoggedArtifact
from .media import Image
from .names import run_name
from .processes import identity
from .refs import check_name, check_path, check_run_name, check_text, parse_ref
from .store import Store, locate
from .summary import Summary
from .values import check_keys, clean_object, dump_object, encode_metric

DEFAULT_PROJECT = "uncategorized"
MAX_STEP = 2**63 - 1  # steps are SQLite integers, and the next step is one more
_stores: dict[Path, Store] = {}
_active: Run | None = None
_uncaught: list[BaseException] = []


def shared_store(dir: str | os.PathLike | None = None) -> Store:
    """The process-wide Store for a folder (runs and artifacts share its connection)."""
    path = locate(dir)
    if path not in _stores:
        _stores[path] = Store(path)
    return _stores[path]


def current_store() -> Store:
    """The active run's store, else the default store (where new artifacts write)."""
    return _active.store if _active is not None else shared_store()


class Run:
    """A tracked run (what ``lineage.init`` returns); also a context manager."""

    def __init__(
        self,
        store: Store,
        project: str,
        job_type: str | None,
        config: Mapping[str, Any] | None,
        name: str | None,
        notes: str | None,
    ):
        self.store = store.create()
        self.project = check_name(project, "project")
        if job_type is not None:
            check_name(job_type, "job type")
        if name is not None:
            check_run_name(name)
        if notes is not None:
            check_text(notes, "run notes")
        self.job_type = job_type
        self.id = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(8))
        self._state = "running"
        self._next_step = 0
        config_values = clean_object(config, "config")
        host, pid, started = identity()
        self.started_at = now()
        with self.store.db.write() as con:
            if name is None:
                count = con.execute("SELECT count(*) FROM runs WHERE project = ?", (self.project,)).fetchone()[0]
                name = run_name(count + 1)
            con.execute(
                "INSERT INTO runs (id, project, name, job_type, state, config, notes, started_at, host, pid, "
                "pid_started) VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?)",
                (
                    self.id,
                    self.project,
                    name,
                    job_type,
                    dump_object(config_values),
                    notes,
                    self.started_at,
                    host,
                    pid,
                    started,
                ),
            )
        self.name = name
        self.config = Config(self, config_values)
        self.summary = Summary(self)

    def __repr__(self) -> str:
        return f"<Run {self.name} ({self.id}) {self.job_type or ''} {self._state}>"

    @property
    def state(self) -> str:
        return self._state

    @property
    def label(self) -> str:
        return f"{self.job_type or 'run'}:{self.name}"

    # -- writing -----------------------------------------------------------------------
    def _check_running(self) -> None:
        if self._state != "running":
            raise LineageError(f"run {self.name} is {self._state}: start a new run with lineage.init()")

    def _write(self, sql: str, params: tuple) -> None:
        with self.store.db.write() as con:
            con.execute(sql, params)

    def _write_many(self, sql: str, rows: list[tuple]) -> None:
        with self.store.db.write() as con:
            con.executemany(sql, rows)

    def _keep_files(self, files: list[tuple[str, Any]]) -> None:
        """Record (path in run, blob) pairs as the run's files, once their blobs are durable."""
        blobs = self.store.blobs
        blobs.sync()
        with self.store.db.write(durable=True) as con:
            con.executemany(
                "INSERT INTO blobs (sha256, size, mtime_ns) VALUES (?, ?, ?) ON CONFLICT (sha256) "
                "DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns",
                [(b.sha256, b.size, b.mtime_ns) for _, b in files],
            )
            con.executemany(
                "INSERT OR REPLACE INTO run_files (run_id, path, sha256, size) VALUES (?, ?, ?, ?)",
                [(self.id, path, b.sha256, b.size) for path, b in files],
            )

    def _media_value(self, key: str, step: int | None, value: Any) -> Any:
        """Store images as run files and return the JSON that refers to them."""
        images = (
            value if isinstance(value, (list, tuple)) and value and all(isinstance(v, Image) for v in value) else None
        )
        if isinstance(value, Image):
            images = [value]
        if images is None:
            return value
        safe_key = key.replace("/", "_")
        where = f"media/images/{safe_key}_{step if step is not None else 'summary'}"
        self.store.staging.acquire()
        try:
            files = [(f"{where}_{i}.png", self.store.blobs.put_bytes(image.png)) for i, image in enumerate(images)]
            self._keep_files(files)
        finally:
            self.store.staging.release()
        items = [
            {"path": path, "sha256": blob.sha256, "caption": image.caption}
            for (path, blob), image in zip(files, images, strict=True)
        ]
        if isinstance(value, Image):
            return {"_type": "image", **items[0]}
        return {"_type": "images", "items": items}

    # -- the W&B calls -----------------------------------------------------------------
    def log(self, data: Mapping[str, Any], step: int | None = None, commit: bool | None = None) -> None:
        """Append metrics to the history at ``step`` (the next step if not given).

        Each logged key's summary becomes the logged value, as in W&B.
        """
        self._check_running()
        if not isinstance(data, Mapping):
            raise InvalidArgumentError(f"log takes a dict of metrics, not {type(data).__name__}")
        check_keys(data, "log")
        if step is None:
            step = self._next_step
        elif isinstance(step, bool) or not isinstance(step, int) or not 0 <= step < MAX_STEP:
            raise InvalidArgumentError(f"invalid step {str(step)[:40]}: use an integer from 0 to 2**63 - 2")
        values = {key: self._media_value(key, step, value) for key, value in data.items()}
        rows = [(self.id, step, key, *encode_metric(value)) for key, value in values.items()]
        with self.store.db.write() as con:
            con.executemany(
                "INSERT OR REPLACE INTO history (run_id, step, key, value, data) VALUES (?, ?, ?, ?, ?)", rows
            )
            con.executemany(
                "INSERT OR REPLACE INTO summary (run_id, key, value, data) VALUES (?, ?, ?, ?)",
                [(self.id, key, number, data) for _, _, key, number, data in rows],
            )
        self._next_step = max(self._next_step, step + 1)  # only once logged: a refused log moves nothing
        self.summary._values.update(values)

    def save(
        self, glob_str: str | os.PathLike, base_path: str | os.PathLike | None = None, policy: str = "live"
    ) -> list[str]:
        """Keep files with the run (their content as of now); returns their paths in the run."""
        self._check_running()
        import glob

        pattern = os.fspath(glob_str)
        matches = sorted(p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p))
        if not matches:
            raise InvalidArgumentError(f"nothing to save: no file matches {pattern!r}")
        pairs = []
        for match in matches:
            if base_path is not None:
                name = os.path.relpath(match, base_path)
            elif not os.path.isabs(pattern) and ".." not in Path(match).parts:
                name = os.path.normpath(match)
            else:
                name = os.path.basename(match)
            pairs.append((check_path(Path(name).as_posix()), Path(match)))
        self.store.staging.acquire()
        try:
            blobs = self.store.ingest(pairs)
            self._keep_files([(path, blobs[path]) for path, _ in pairs])
        finally:
            self.store.staging.release()
        return [path for path, _ in pairs]

    def log_artifact(
        self, artifact: Artifact, aliases: list[str] | tuple[str, ...] | str | None = None
    ) -> LoggedArtifact:
        """Commit ``artifact`` as a version (or find the identical one) and record the edge."""
        self._check_running()
        if not isinstance(artifact, Artifact):
            raise InvalidArgumentError(f"log_artifact takes an Artifact, not {type(artifact).__name__}")
        if artifact.logged is not None:
            raise InvalidArgumentError(f"artifact {artifact.name!r} was already logged: create a new Artifact")
        clean = versions.clean_aliases(aliases)
        entries = artifact.manifest()
        copied = artifact._store is not None and artifact._store.dir != self.store.dir
        if copied:
            # Held until the commit, so gc cannot free the copied blobs before a version uses them.
            self.store.staging.acquire()
        try:
            if copied:
                entries = self._copy_blobs(artifact._store, entries)
            self.store.blobs.sync()  # blobs durable before the version becomes visible
            new = versions.NewVersion(
                project=self.project,
                name=artifact.base_name,
                type=artifact.type,
                description=artifact.description,
                metadata=dump_object(clean_object(artifact.metadata, "artifact metadata")),
                digest=artifact.digest,
                files=[(p, b.sha256, b.size, b.mtime_ns) for p, b in sorted(entries.items())],
                aliases=clean,
            )
            version_id = versions.commit(self.store.db, self.id, new)
        finally:
            if copied:
                self.store.staging.release()
        logged = LoggedArtifact(self.store, versions.version_row(self.store.db, version_id))
        artifact._logged_as(logged)  # releases its hold on the store it was staged in
        if copied:
            # Its files were staged in another store (the default one, before init(dir=...)):
            # the copies there would be orphans that store may not even have a database for.
            artifact._store.unstage([b.sha256 for b in artifact.manifest().values()])
        return logged

    def _copy_blobs(self, source: Store, entries: dict) -> dict:
        self.store.staging.acquire()
        try:
            return {path: self.store.blobs.put_file(source.blobs.check(b.sha256)) for path, b in entries.items()}
        finally:
            self.store.staging.release()

    def use_artifact(
        self, artifact_or_name: str | Artifact | LoggedArtifact, type: str | None = None
    ) -> LoggedArtifact:
        """Resolve a ref (bare name = this project's ``:latest``) and record the consume edge."""
        self._check_running()
        if isinstance(artifact_or_name, Artifact):
            if artifact_or_name.logged is None:
                raise InvalidArgumentError(f"artifact {artifact_or_name.name!r} is not logged yet: log it first")
            artifact_or_name = artifact_or_name.logged
        if isinstance(artifact_or_name, LoggedArtifact):
            row = artifact_or_name.row_in(self.store)
        else:
            row = versions.resolve(self.store.db, parse_ref(artifact_or_name, self.project))
        if type is not None and row.type != type:
            raise InvalidArgumentError(f"{row.name}:v{row.number} has type {row.type!r}, not {type!r}")
        self._write(
            "INSERT OR IGNORE INTO consumed (run_id, version_id, created_at) VALUES (?, ?, ?)", (self.id, row.id, now())
        )
        return LoggedArtifact(self.store, row)

    def finish(self, exit_code: int | None = None, error: str | None = None) -> None:
        """End the run: ``finished``, or ``failed`` with a non-zero exit code or an error."""
        global _active
        if self._state == "running":
            failed = bool(exit_code) or error is not None
            self._state = "failed" if failed else "finished"
            if failed and error is None:
                error = f"exit code {exit_code}"
            self._write(
                "UPDATE runs SET state = ?, error = ?, ended_at = ? WHERE id = ?",
                (self._state, error, now(), self.id),
            )
        if _active is self:
            _active = None
            _publish(None)

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is not None:
            message = " ".join(f"{exc_type.__name__}: {exc}".split())
            self.finish(error=message)
        else:
            self.finish()
        return False


def init(
    project: str | None = None,
    job_type: str | None = None,
    config: Mapping[str, Any] | None = None,
    name: str | None = None,
    dir: str | os.PathLike | None = None,
    entity: str | None = None,
    notes: str | None = None,
) -> Run:
    """Start a run and make it the active one (finishing any run still active).

    ``dir`` is the store folder; ``entity`` is accepted for W&B scripts and ignored.

    >>> with init(project="mnist", job_type="train", config={"epochs": 5}) as run:  # doctest: +SKIP
    ...     run.log({"loss": 0.1})
    """
    global _active
    if _active is not None:
        _active.finish()
    if config is not None and not isinstance(config, Mapping):
        config = dict(vars(config)) if hasattr(config, "__dict__") else config
    run = Run(shared_store(dir), project or DEFAULT_PROJECT, job_type, config, name, notes)
    _active = run
    _publish(run)
    _install_exit_hooks()
    return run


def active_run() -> Run:
    """The active run, or a clear error when there is none."""
    if _active is None:
        raise LineageError("no active run: call lineage.init() first")
    return _active


class _NoRun:
    """What ``lineage.config`` and ``lineage.summary`` are while no run is active."""

    def __init__(self, what: str):
        object.__setattr__(self, "_what", what)

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise LineageError(f"lineage.{self._what} needs an active run: call lineage.init() first")

    __getattr__ = __getitem__ = __setitem__ = __setattr__ = __iter__ = __len__ = _fail

    def __repr__(self) -> str:
        return f"<lineage.{self._what}: no active run>"


def _publish(run: Run | None) -> None:
    """Point ``lineage.run``, ``lineage.config`` and ``lineage.summary`` at the active run."""
    package = sys.modules["lineage"]
    package.run = run
    package.config = run.config if run is not None else _NoRun("config")
    package.summary = run.summary if run is not None else _NoRun("summary")


_hooks_installed = False


def _install_exit_hooks() -> None:
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    previous = sys.excepthook

    def excepthook(exc_type, exc, tb):
        _uncaught.append(exc)
        previous(exc_type, exc, tb)

    sys.excepthook = excepthook
    atexit.register(_finish_at_exit)


def _finish_at_exit() -> None:
    if _active is not None:
        if _uncaught:
            exc = _uncaught[-1]
            _active.finish(error=" ".join(f"{type(exc).__name__}: {exc}".split()))
        else:
            _active.finish()
