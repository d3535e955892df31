"""Runs: ``init``, ``config``, ``log``, ``summary``, ``save``, ``finish`` (the W&B names).

One run is active at a time in a process, as in W&B; the module-level helpers in
``lineage`` (``lineage.log``, ``lineage.config``, ...) act on it.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import secrets
import string
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from .compat import RunCompat
from .config import Config
from .errors import ConflictError, InvalidArgumentError, LineageError
from .facade import Store
from .formats import run_label
from .media import Image
from .names import run_name
from .openlineage import live
from .processes import identity
from .refs import check_job_type, check_name, check_path, check_run_name
from .run_artifacts import RunArtifacts
from .storage import runs
from .storage.db import now
from .storage.records import resume_run
from .store import database_url, locate
from .summary import Summary
from .table import Table, image_cell, image_path, is_dataframe
from .values import check_keys, clean_object, dump_object, encode_metric

DEFAULT_PROJECT = "uncategorized"
MAX_STEP = 2**63 - 1  # steps are SQLite integers, and the next step is one more
_stores: dict[Path | str, Store] = {}
_active: Run | None = None
_uncaught: list[BaseException] = []
_open_runs: set[Run] = set()  # runs of this process not finished yet (finished at exit)


def shared_store(dir: str | os.PathLike | None = None) -> Store:
    """The process-wide Store for a folder (runs and artifacts share its connection)."""
    key: Path | str = database_url(dir) or locate(dir)
    if key not in _stores:
        _stores[key] = Store(key)
    return _stores[key]


_ID_ALPHABET = string.ascii_lowercase + string.digits


def _new_id() -> str:
    """Eight random characters of [a-z0-9], as W&B's run ids (one draw: a run starts often)."""
    n = secrets.randbelow(36**8)
    out = []
    for _ in range(8):
        n, digit = divmod(n, 36)
        out.append(_ID_ALPHABET[digit])
    return "".join(out)


def current_store() -> Store:
    """The active run's store, else the default store (where new artifacts write)."""
    return _active.store if _active is not None else shared_store()


class Run(RunArtifacts, RunCompat):
    """A tracked run (what ``lineage.init`` returns); also a context manager.

    ``resume=True`` continues the stored run ``run_id`` (see ``lineage.session.init``):
    it is running again, its config, summary and step carry on.
    """

    def __init__(
        self,
        store: Store,
        project: str,
        job_type: str | None,
        config: Mapping[str, Any] | None,
        name: str | None,
        notes: str | None,
        group: str | None = None,
        tags: Sequence[str] | None = None,
        run_id: str | None = None,
        resume: bool = False,
        allow_val_change: bool = False,
    ):
        self.store = store.create()
        self.project = check_name(project, "project")
        if job_type is not None:
            check_job_type(job_type)
        if name is not None:
            check_run_name(name)
        self._group: str | None = None
        self._tags: list[str] = []
        self._notes: str | None = None
        self.id = check_name(run_id, "run id") if run_id is not None else _new_id()
        self.tags = tags
        self.group = group
        self.notes = notes
        self.entity: str | None = None
        self._state = "running"
        self._next_step = 0
        self._dir: Path | None = None
        config_values = clean_object(config, "config")
        host, pid, started = identity()
        if resume:
            given_tags = self.tags if tags is not None else None
            stored = resume_run(self.store.db, self.id, (host, pid, started), job_type, notes, self.group, given_tags)
            self.project, name, self.job_type, self.started_at = (
                stored.project,
                stored.name,
                stored.job_type,
                stored.started_at,
            )
            self.group, self.tags, self.notes = stored.group, stored.tags, stored.notes
            self._next_step = stored.next_step
            config_values = {**stored.config, **config_values}
            if config:
                runs.set_config(self.store.db, self.id, dump_object(config_values))
        else:
            self.job_type = job_type
            self.started_at = now()
            name = self._insert(name, job_type, config_values, (host, pid, started))
        self.name = name
        self._stored = True  # from here on, setting name, notes, tags or group writes them
        self._emits_openlineage = False  # what the START below found: the end event follows it
        _open_runs.add(self)
        self._resumed = resume
        self.config = Config(self, config_values, allow_val_change=allow_val_change)
        self.summary = Summary(self)
        if resume:
            self.summary._values.update(stored.summary)
        self._emits_openlineage = live.emit(self.store, self.id, end=False)

    def _insert(self, name: str | None, job_type: str | None, config_values: dict, who: tuple) -> str:
        stored = runs.insert_run(
            self.store.db,
            self.id,
            self.project,
            name,
            job_type,
            dump_object(config_values),
            self.notes,
            self.started_at,
            who,
            self.group,
            json.dumps(self.tags),
            run_name,
        )
        if stored is None:
            raise ConflictError(
                f"run id {self.id!r} is already in the store: pass resume='allow' to continue it, or another id"
            )
        return stored

    def __repr__(self) -> str:
        return f"<Run {self.name} ({self.id}) {self.job_type or ''} {self._state}>"

    @property
    def state(self) -> str:
        return self._state

    @property
    def label(self) -> str:
        return run_label(self.job_type, self.name)

    # -- writing -----------------------------------------------------------------------
    def _check_running(self) -> None:
        if self._state != "running":
            raise LineageError(f"run {self.name} is {self._state}: start a new run with lineage.init()")

    def _keep_files(self, files: list[tuple[str, Any]]) -> None:
        """Record (path in run, blob) pairs as the run's files, once their blobs are durable."""
        blobs = self.store.blobs
        blobs.sync()
        runs.keep_run_files(self.store.db, self.id, files)

    def _media_value(self, key: str, step: int | None, value: Any) -> Any:
        """Store images and tables as run files and return the JSON that refers to them."""
        if is_dataframe(value):
            value = Table(dataframe=value)  # W&B logs a DataFrame as a table
        if isinstance(value, Table):
            return self._table_value(key, step, value)
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

    def _table_value(self, key: str, step: int | None, table: Table) -> dict[str, Any]:
        """Keep a table as W&B's ``media/table/<key>_<step>_<digest>.table.json`` (+ its images)."""
        images: dict[str, Image] = {}

        def keep_image(image: Image) -> dict[str, Any]:
            path = image_path(image)
            images[path] = image
            return image_cell(image, path)

        body = table.to_json_bytes(keep_image)
        digest = hashlib.sha256(body).hexdigest()
        path = f"media/table/{key.replace('/', '_')}_{step if step is not None else 'summary'}_{digest[:20]}.table.json"
        self.store.staging.acquire()
        try:
            blobs = self.store.blobs
            files = [(p, blobs.put_bytes(image.png)) for p, image in images.items()]
            files.append((path, blobs.put_bytes(body)))
            self._keep_files(files)
        finally:
            self.store.staging.release()
        return {"_type": "table-file", "path": path, "sha256": digest, "size": len(body), "ncols": table.ncols,
                "nrows": table.nrows}  # fmt: skip

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
        runs.log_metrics(self.store.db, rows)
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

    def finish(self, exit_code: int | None = None, error: str | None = None) -> None:
        """End the run: ``finished``, or ``failed`` with a non-zero exit code or an error."""
        global _active
        _open_runs.discard(self)
        if self._state == "running":
            self._keep_dir()
            failed = bool(exit_code) or error is not None
            self._state = "failed" if failed else "finished"
            if failed and error is None:
                error = f"exit code {exit_code}"
            runs.end_run(self.store.db, self.id, self._state, error)
            live.emit(self.store, self.id, end=True, on=self._emits_openlineage)
        if _active is self:
            _active = None
            _publish(None)

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type, exc, tb) -> Literal[False]:
        if exc is not None:
            message = " ".join(f"{exc_type.__name__}: {exc}".split())
            self.finish(error=message)
        else:
            self.finish()
        return False


def active_run() -> Run:
    """The active run, or a clear error when there is none."""
    if _active is None:
        raise LineageError("no active run: call lineage.init() first")
    return _active


class _NoRun:
    """What ``lineage.config`` and ``lineage.summary`` are while no run is active."""

    _what: str

    def __init__(self, what: str):
        object.__setattr__(self, "_what", what)

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise LineageError(f"lineage.{self._what} needs an active run: call lineage.init() first")

    __getattr__ = __getitem__ = __setitem__ = __setattr__ = __iter__ = __len__ = _fail

    def __repr__(self) -> str:
        return f"<lineage.{self._what}: no active run>"


def _publish(run: Run | None) -> None:
    """Point ``lineage.run``, ``lineage.config`` and ``lineage.summary`` at the active run."""
    package: Any = sys.modules["lineage"]
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
    # The active run, then any left running by init(reinit="create_new"), as W&B finishes them all.
    for run in [r for r in (_active, *_open_runs) if r is not None]:
        if _uncaught:
            exc = _uncaught[-1]
            run.finish(error=" ".join(f"{type(exc).__name__}: {exc}".split()))
        else:
            run.finish()
