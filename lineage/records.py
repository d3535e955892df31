"""Immutable records the store hands back: runs, artifact files and artifact summaries."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .values import decode_metric

RUN_COLUMNS = "id, project, name, job_type, state, error, config, notes, started_at, ended_at"


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

    @property
    def label(self) -> str:
        """The run's label in the exploded graph: ``load-data:sunny-smoke-1``."""
        return f"{self.job_type or 'run'}:{self.name}"


def run_infos(db, where: str = "", params: tuple = ()) -> list[RunInfo]:
    """Load runs (with their summaries) matching a WHERE clause, oldest first."""
    rows = db.read(f"SELECT {RUN_COLUMNS} FROM runs {where} ORDER BY started_at, id", params)
    if not rows:
        return []
    summaries: dict[str, dict[str, Any]] = {row[0]: {} for row in rows}
    ids = list(summaries)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for run_id, key, value, data in db.read(
            f"SELECT run_id, key, value, data FROM summary WHERE run_id IN ({marks})", tuple(chunk)
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
        )
        for r in rows
    ]


IMPORTED_HOST = "openlineage"  # runs made by import: no local process, never marked crashed


def existing_runs(con, run_ids: list[str]) -> dict[str, str]:
    """{run id: state} of the given runs that the store holds."""
    out: dict[str, str] = {}
    for start in range(0, len(run_ids), 500):
        chunk = run_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        out.update(con.execute(f"SELECT id, state FROM runs WHERE id IN ({marks})", tuple(chunk)).fetchall())
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
