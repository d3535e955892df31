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
