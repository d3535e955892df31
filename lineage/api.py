"""``Api()``: W&B's public API (``wandb.Api``) over the local store.

``api.artifact(name)``, ``api.artifacts(type_name, name)`` / ``api.artifact_versions``,
``api.artifact_exists``, ``api.artifact_collections``, ``api.runs(path, filters=,
order=)``, ``api.run(path)``; a run has W&B's ``id``, ``name``, ``state``, ``config``,
``summary``, ``job_type``, ``group``, ``tags``, ``notes``, ``logged_artifacts()``,
``used_artifacts()``, ``history()`` (a pandas DataFrame when pandas is installed, else
a list of dicts), ``scan_history()``, ``files()`` and ``file(name).download()``.
Paths may carry an entity (``entity/project/id``): offline it is ignored.

``filters`` take W&B's MongoDB-style queries over ``state``, ``jobType``, ``group``,
``tags``, ``display_name``, ``config.<key>`` and ``summary_metrics.<key>``, with
``$and``, ``$or``, ``$eq``, ``$ne``, ``$gt``, ``$gte``, ``$lt``, ``$lte``, ``$in``,
``$nin``, ``$exists`` and ``$regex``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import InvalidArgumentError, NotFoundError
from .facade import Store
from .logged import LoggedArtifact
from .refs import parse_ref
from .storage import versions
from .storage.records import RunInfo, history_rows, run_file_rows

_FIELDS = {"state": "state", "jobType": "job_type", "job_type": "job_type", "group": "group", "tags": "tags",
           "display_name": "name", "name": "id", "id": "id", "project": "project", "notes": "notes",
           "createdAt": "started_at", "created_at": "started_at"}  # fmt: skip


class Api:
    """W&B's public API over a local store (``dir``, else where ``lineage.init`` would write)."""

    def __init__(
        self, overrides: dict[str, Any] | None = None, timeout: int | None = None, api_key: str | None = None,
        dir: str | os.PathLike | None = None,
    ):  # fmt: skip
        self.store = Store(dir)

    def artifact(self, name: str, type: str | None = None) -> LoggedArtifact:
        """The version ``[entity/][project/]name[:alias|:vN]`` names."""
        found = self.store.artifact(name)
        if type is not None and found.type != type:
            raise InvalidArgumentError(f"{found.qualified_name} has type {found.type!r}, not {type!r}")
        return found

    def artifact_exists(self, name: str, type: str | None = None) -> bool:
        try:
            self.artifact(name, type)
        except (NotFoundError, InvalidArgumentError):
            return False
        return True

    def artifacts(self, type_name: str, name: str, per_page: int = 50, tags: Any = None) -> list[LoggedArtifact]:
        """Every live version of the artifact ``[entity/][project/]name``, newest first (as W&B lists them)."""
        ref = parse_ref(name)
        found = [v for v in self.store.versions(ref.name, ref.project) if not v.deleted and v.type == type_name]
        if tags is not None:
            wanted = {tags} if isinstance(tags, str) else set(tags)
            found = [v for v in found if wanted & set(v.tags)]
        return list(reversed(found))

    def artifact_versions(self, type_name: str, name: str, per_page: int = 50) -> list[LoggedArtifact]:
        """W&B's older name for :meth:`artifacts`."""
        return self.artifacts(type_name, name, per_page)

    def artifact_collections(self, project_name: str, type_name: str, per_page: int = 50) -> list[str]:
        """The artifact names of one type in a project."""
        project = _project_of(project_name)
        return [a.name for a in self.store.artifacts(type=type_name, project=project)]

    def runs(
        self, path: str | None = None, filters: dict[str, Any] | None = None, order: str = "+created_at",
        per_page: int = 50, include_sweeps: bool = True,
    ) -> list[ApiRun]:  # fmt: skip
        """The runs of a project (``[entity/]project``; every project when None) matching ``filters``."""
        project = _project_of(path) if path else None
        found = [ApiRun(self.store, info) for info in self.store.runs(project=project)]
        if filters:
            found = [run for run in found if _matches(run, filters)]
        key, reverse = _order(order)
        return sorted(found, key=lambda r: _sort_key(_field(r, key)), reverse=reverse)

    def run(self, path: str) -> ApiRun:
        """A run by ``[entity/][project/]id`` (a name works too)."""
        if not isinstance(path, str) or not path:
            raise InvalidArgumentError(f"invalid run path {path!r}: write [entity/]project/run_id")
        parts = path.split("/")
        info = self.store.run(parts[-1])
        if len(parts) >= 2 and parts[-2] != info.project:
            raise NotFoundError(f"run {parts[-1]!r} is in project {info.project!r}, not {parts[-2]!r}")
        return ApiRun(self.store, info)


class ApiRun:
    """A stored run as W&B's public API shows it."""

    def __init__(self, store: Store, info: RunInfo):
        self._store = store
        self._info = info
        self.id, self.name, self.project, self.state = info.id, info.name, info.project, info.state
        self.display_name = info.name
        self.job_type, self.group, self.tags, self.notes = info.job_type, info.group, list(info.tags), info.notes
        self.config: dict[str, Any] = dict(info.config)
        self.summary: dict[str, Any] = dict(info.summary)
        self.created_at, self.entity, self.url = info.started_at, None, None

    @property
    def path(self) -> list[str]:
        return [self.project, self.id]

    def __repr__(self) -> str:
        return f"<Run {self.project}/{self.id} ({self.state})>"

    def logged_artifacts(self, per_page: int = 100) -> list[LoggedArtifact]:
        """The versions this run logged (produced), oldest first."""
        return self._versions("produced")

    def used_artifacts(self, per_page: int = 100) -> list[LoggedArtifact]:
        """The versions this run used (consumed), oldest first."""
        return self._versions("consumed")

    def _versions(self, edge: str) -> list[LoggedArtifact]:
        edges = versions.run_edges(self._store.db, [self.id])[self.id]  # one query, oldest edge first
        return [LoggedArtifact(self._store, row) for kind, row, _ in edges if kind == edge]

    def scan_history(
        self, keys: list[str] | None = None, page_size: int = 1000, min_step: int | None = None,
        max_step: int | None = None,
    ) -> Iterator[dict[str, Any]]:  # fmt: skip
        """Every logged step as a dict with ``_step`` (only ``keys`` if given)."""
        rows: dict[int, dict[str, Any]] = {}
        for step, key, value in history_rows(self._store.db, self.id, keys):
            if (min_step is None or step >= min_step) and (max_step is None or step < max_step):
                rows.setdefault(step, {"_step": step})[key] = value
        for step in sorted(rows):
            if keys and not all(k in rows[step] for k in keys):
                continue  # W&B's scan_history with keys yields only rows holding all of them
            yield rows[step]

    def history(
        self, samples: int = 500, keys: list[str] | None = None, x_axis: str = "_step", pandas: bool = True,
        stream: str = "default",
    ) -> Any:  # fmt: skip
        """The metric history: a pandas DataFrame (``pandas=True`` and pandas installed), else dicts."""
        rows = list(self.scan_history(keys=keys))[: max(samples, 0)]
        if pandas:
            try:
                import pandas as pd
            except ImportError:
                return rows
            return pd.DataFrame(rows)
        return rows

    def files(self, names: list[str] | None = None, per_page: int = 50) -> list[RunFile]:
        """The files kept with the run (``run.save``, logged media, ``run.dir``)."""
        rows = run_file_rows(self._store.db, self.id)
        return [RunFile(self._store, p, sha, size) for p, sha, size in rows if not names or p in names]

    def file(self, name: str) -> RunFile:
        """One file kept with the run, by its path."""
        found = self.files([name])
        if not found:
            raise NotFoundError(f"run {self.id} keeps no file {name!r}")
        return found[0]


class RunFile:
    """A file kept with a run (W&B's ``File``): ``name``, ``size``, ``download(root)``."""

    def __init__(self, store: Store, name: str, sha256: str, size: int):
        self._store, self.name, self.sha256, self.size = store, name, sha256, size

    def __repr__(self) -> str:
        return f"<File {self.name} ({self.size} bytes)>"

    def download(self, root: str | os.PathLike = ".", replace: bool = False, exist_ok: bool = False):
        """Copy the file under ``root`` and return it opened for reading, as W&B does."""
        target = Path(root) / self.name
        if target.exists() and not replace:
            if not exist_ok:
                raise InvalidArgumentError(f"{target} exists: pass replace=True or exist_ok=True")
            return open(target)  # noqa: SIM115 (W&B hands back an open file)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".lineage-tmp")
        tmp.unlink(missing_ok=True)
        self._store.blobs.copy_to(self.sha256, self.size, tmp)
        os.replace(tmp, target)
        return open(target)  # noqa: SIM115


def _project_of(path: str) -> str:
    parts = [p for p in path.split("/") if p]
    if not parts or len(parts) > 2:
        raise InvalidArgumentError(f"invalid project path {path!r}: write [entity/]project")
    return parts[-1]


def _order(order: str) -> tuple[str, bool]:
    reverse = order.startswith("-")
    key = order.lstrip("+-")
    return key, reverse


def _sort_key(value: Any) -> tuple:
    return (value is None, str(type(value)), value if value is not None else 0)


def _field(run: ApiRun, key: str) -> Any:
    """A run's value for a W&B filter key; missing keys are ``_MISSING``."""
    if key.startswith("config."):
        return _dig(run.config, key[len("config.") :])
    if key.startswith("summary_metrics.") or key.startswith("summary."):
        return _dig(run.summary, key.split(".", 1)[1])
    if key in _FIELDS:
        return getattr(run, {"started_at": "created_at"}.get(_FIELDS[key], _FIELDS[key]))
    raise InvalidArgumentError(
        f"cannot filter runs on {key!r}: use state, jobType, group, tags, config.* or summary_metrics.*"
    )


class _Missing:
    pass


_MISSING = _Missing()


def _dig(values: dict[str, Any], dotted: str) -> Any:
    if dotted in values:
        return values[dotted]
    current: Any = values
    for part in dotted.split("."):
        if not isinstance(current, dict) or part not in current:
            return _MISSING
        current = current[part]
    if isinstance(current, dict) and "value" in current and len(current) <= 2:
        return current["value"]  # W&B's {"value": ..., "desc": ...} config entries
    return current


def _matches(run: ApiRun, query: dict[str, Any]) -> bool:
    for key, condition in query.items():
        if key == "$and":
            if not all(_matches(run, q) for q in condition):
                return False
        elif key == "$or":
            if not any(_matches(run, q) for q in condition):
                return False
        elif not _test(_field(run, key), condition):
            return False
    return True


def _test(value: Any, condition: Any) -> bool:
    if not isinstance(condition, dict) or not any(str(k).startswith("$") for k in condition):
        return _equal(value, condition)
    return all(_operator(value, op, arg) for op, arg in condition.items())


def _equal(value: Any, wanted: Any) -> bool:
    if isinstance(value, list) and not isinstance(wanted, list):
        return wanted in value  # tags: {"tags": "x"} matches a run tagged x
    return value is not _MISSING and value == wanted


def _operator(value: Any, op: str, arg: Any) -> bool:
    if op == "$exists":
        return (value is not _MISSING) == bool(arg)
    if op == "$eq":
        return _equal(value, arg)
    if op == "$ne":
        return not _equal(value, arg)
    if op in ("$in", "$nin"):
        hit = any(v in arg for v in value) if isinstance(value, list) else value in arg
        return hit if op == "$in" else not hit
    if op == "$regex":
        return isinstance(value, str) and re.search(arg, value) is not None
    if op in ("$gt", "$gte", "$lt", "$lte"):
        if value is _MISSING or value is None:
            return False
        try:
            return {"$gt": value > arg, "$gte": value >= arg, "$lt": value < arg, "$lte": value <= arg}[op]
        except TypeError:
            return False
    raise InvalidArgumentError(
        f"unknown filter operator {op!r}: use $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $exists, $regex"
    )
