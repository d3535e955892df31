"""Immutable records the store hands back: runs, artifact files and artifact summaries."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConflictError, NotFoundError
from ..formats import run_label
from ..processes import identity, is_alive
from ..values import decode_metric
from .db import chunks, marks

RUN_COLUMNS = "id, project, name, job_type, state, error, config, notes, started_at, ended_at, group_name, tags"


@dataclass(frozen=True)
class ArtifactFile:
    """One entry of a version: its path inside the artifact, content digest and size.

    ``ref`` is the URI of a reference entry (``add_reference``); its digest and size are
    None when it was recorded by URI only.
    """

    path: str
    digest: str | None
    size: int | None
    ref: str | None = None

    @property
    def name(self) -> str:
        """W&B's name for the path (``artifact.files()[i].name``)."""
        return self.path


@dataclass(frozen=True)
class ArtifactInfo:
    """An artifact (all its versions): what ``store.artifacts()`` lists."""

    project: str
    name: str
    type: str
    created_at: str
    version_count: int
    latest: str | None


@dataclass(frozen=True)
class StoreStatus:
    """What ``store.status()`` and ``lineage status`` report: counts, schema, running runs."""

    store: str
    schema_version: int
    runs: int
    artifacts: int
    versions: int
    deleted_versions: int
    blobs: int
    blob_bytes: int
    running: tuple[dict[str, Any], ...]  # id, name, job_type, started_at of each running run
    openlineage_kept: int  # OpenLineage events kept for a later --send


@dataclass(frozen=True)
class StoreContents:
    """What ``store.contents()`` reads: rows of every artifact, file, history entry and run file.

    ``artifacts``: (id, project, name, type, created_at) by type, name, project;
    ``files``: (version_id, path, size, sha256); ``history``: (run_id, step, key, value,
    data) with metric values as stored (``values.decode_metric`` reads them);
    ``run_files``: (run_id, path, size, sha256).
    """

    artifacts: tuple[tuple[int, str, str, str, str], ...]
    files: tuple[tuple[int, str, int, str], ...]
    history: tuple[tuple[str, int, str, float | None, str | None], ...]
    run_files: tuple[tuple[str, str, int, str], ...]


@dataclass(frozen=True)
class RunInfo:
    """A run as recorded in the store (``logged_by()``, ``used_by()``, ``store.runs()``)."""

    id: str
    project: str
    name: str
    job_type: str | None
    state: str
    error: str | None
    config: dict[str, Any] = field(hash=False)
    summary: dict[str, Any] = field(hash=False)
    notes: str | None
    started_at: str
    ended_at: str | None
    group: str | None = None
    tags: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The run's label in the exploded graph: ``load-data:sunny-smoke-1``."""
        return run_label(self.job_type, self.name)


def run_infos(db, where: str = "", params: tuple | dict = ()) -> list[RunInfo]:
    """Load runs (with their summaries) matching a WHERE clause, oldest first."""
    rows = db.read(f"SELECT {RUN_COLUMNS} FROM runs {where} ORDER BY started_at, id", params)
    if not rows:
        return []
    summaries: dict[str, dict[str, Any]] = {row[0]: {} for row in rows}
    for chunk in chunks(list(summaries)):
        for run_id, key, value, data in db.read(
            f"SELECT run_id, key, value, data FROM summary WHERE run_id IN ({marks(chunk)})", tuple(chunk)
        ):
            summaries[run_id][key] = decode_metric(value, data)
    return [
        RunInfo(
            id=r[0],
            project=r[1],
            name=r[2],
            job_type=r[3],
            state=r[4],
            error=r[5],
            config=json.loads(r[6]),
            summary=summaries[r[0]],
            notes=r[7],
            started_at=r[8],
            ended_at=r[9],
            group=r[10],
            tags=tuple(json.loads(r[11])),
        )
        for r in rows
    ]


def run_by_id(db, run_id: str | None) -> RunInfo | None:
    """The run with this id, or None."""
    found = run_infos(db, "WHERE id = ?", (run_id,))
    return found[0] if found else None


def runs_named(db, key: str) -> list[RunInfo]:
    """The run whose id is ``key``, else the runs named ``key``."""
    return run_infos(db, "WHERE id = ?", (key,)) or run_infos(db, "WHERE name = ?", (key,))


def runs_by_ids(db, ids: list[str]) -> list[RunInfo]:
    """The runs with these ids (chunked), in chunk order, each oldest first."""
    out: list[RunInfo] = []
    for chunk in chunks(ids):
        out += run_infos(db, f"WHERE id IN ({marks(chunk)})", tuple(chunk))
    return out


def runs_matching(db, job_type: str | None, project: str | None, state: str | None) -> list[RunInfo]:
    """Runs filtered by job type, project and state (None: any), oldest first."""
    return run_infos(
        db,
        "WHERE (:job_type IS NULL OR job_type = :job_type) AND (:project IS NULL OR project = :project) "
        "AND (:state IS NULL OR state = :state)",
        {"job_type": job_type, "project": project, "state": state},
    )


def runs_since(db, since: str) -> list[RunInfo]:
    """Runs that started or ended at or after ``since`` (a stored timestamp)."""
    return run_infos(db, "WHERE started_at >= ? OR ended_at >= ?", (since, since))


def runs_consuming(db, version_id: int) -> list[RunInfo]:
    """Every run that consumed a version, oldest first."""
    return run_infos(db, "WHERE id IN (SELECT run_id FROM consumed WHERE version_id = ?)", (version_id,))


@dataclass(frozen=True)
class StoredRun:
    """What a resumed run carries on from its row: identity, config, summary, next step."""

    project: str
    name: str
    job_type: str | None
    started_at: str
    group: str | None
    tags: list[str]
    notes: str | None
    config: dict[str, Any]
    summary: dict[str, Any]
    next_step: int


def resume_run(db, run_id: str, who: tuple, job_type, notes, group, tags) -> StoredRun:
    """Mark a stored run running again for this process (W&B's resume); given fields replace stored ones."""
    with db.write() as con:
        row = con.execute(
            "SELECT project, name, job_type, state, started_at, group_name, tags, notes, config, host, pid, "
            "pid_started FROM runs WHERE id = ?",
            (run_id,),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no run with id {run_id!r} to resume: pass resume='allow' to start it")
        project, name, old_job, state, started_at, old_group, old_tags, old_notes, config, host, pid, started = row
        if state == "running" and host == identity()[0] and is_alive(pid, started):
            raise ConflictError(f"run {run_id!r} is still running in process {pid}: finish it before resuming")
        job_type = job_type if job_type is not None else old_job
        group = group if group is not None else old_group
        notes = notes if notes is not None else old_notes
        tag_list = list(tags) if tags is not None else json.loads(old_tags)
        con.execute(
            "UPDATE runs SET state = 'running', error = NULL, ended_at = NULL, host = ?, pid = ?, pid_started = ?, "
            "job_type = ?, group_name = ?, notes = ?, tags = ? WHERE id = ?",
            (*who, job_type, group, notes, json.dumps(tag_list), run_id),
        )
        step = con.execute("SELECT max(step) FROM history WHERE run_id = ?", (run_id,)).fetchone()[0]
        summary = {
            key: decode_metric(value, data)
            for key, value, data in con.execute("SELECT key, value, data FROM summary WHERE run_id = ?", (run_id,))
        }
    return StoredRun(
        project,
        name,
        job_type,
        started_at,
        group,
        tag_list,
        notes,
        json.loads(config),
        summary,
        0 if step is None else step + 1,
    )


def history_rows(db, run_id: str, keys: list[str] | None = None) -> list[tuple[int, str, Any]]:
    """(step, key, value) of a run's metric history, by step then key."""
    rows = db.read("SELECT step, key, value, data FROM history WHERE run_id = ? ORDER BY step, key", (run_id,))
    wanted = set(keys) if keys else None
    return [(step, key, decode_metric(v, d)) for step, key, v, d in rows if wanted is None or key in wanted]


def run_file_rows(db, run_id: str) -> list[tuple[str, str, int]]:
    """(path, sha256, size) of every file kept with a run."""
    return db.read("SELECT path, sha256, size FROM run_files WHERE run_id = ? ORDER BY path", (run_id,))


IMPORTED_HOST = "openlineage"  # runs made by import: no local process, never marked crashed


def existing_runs(con, run_ids: list[str]) -> dict[str, str]:
    """{run id: state} of the given runs that the store holds."""
    out: dict[str, str] = {}
    for chunk in chunks(run_ids):
        out.update(con.execute(f"SELECT id, state FROM runs WHERE id IN ({marks(chunk)})", tuple(chunk)).fetchall())
    return out


def write_imported_runs(con, runs: list[RunInfo]) -> None:
    """Insert imported runs, or end ones the store holds as running, in the caller's transaction."""
    rows = [
        (r.id, r.project, r.name, r.job_type, r.state, r.error, json.dumps(r.config, sort_keys=True),
         r.started_at, r.ended_at, IMPORTED_HOST)
        for r in runs
    ]  # fmt: skip
    con.executemany(
        "INSERT INTO runs (id, project, name, job_type, state, error, config, started_at, ended_at, host, pid) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT (id) DO UPDATE SET state = excluded.state, "
        "error = excluded.error, ended_at = excluded.ended_at WHERE runs.state = 'running'",
        rows,
    )
