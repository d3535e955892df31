"""The store's runs as OpenLineage RunEvents: the mapping (the README has it as a table).

- job: namespace = the run's project, name = its job type (``run`` when it has none),
  with a JobTypeJobFacet (BATCH, integration LINEAGE).
- run: runId = a UUID derived from the run (``generate_static_uuid`` of its start time
  and id), so exporting twice gives identical events; ExecutionParametersRunFacet holds
  the config (each value as JSON text), ErrorMessageRunFacet the error of a failed or
  crashed run, and our ``lineage_run`` facet its id, name and state.
- events: START at ``started_at`` (no datasets: nothing is used yet when a run starts,
  the same event live emission sends), then COMPLETE / FAIL / ABORT at ``ended_at`` for
  finished / failed / crashed runs, with every version the run used as an input and
  every version it logged as an output. A run still running has its START only.
- dataset: an artifact (stable across versions): namespace ``lineage://<project>``,
  name = the artifact's name; DatasetVersionDatasetFacet = ``vN``,
  DatasetTypeDatasetFacet = MODEL for models, else FILE, with our type as subType, and
  our ``lineage_version`` facet: digest, aliases, size, file count.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.generated.dataset_type_dataset import DatasetTypeDatasetFacet
from openlineage.client.generated.dataset_version_dataset import DatasetVersionDatasetFacet
from openlineage.client.generated.error_message_run import ErrorMessageRunFacet
from openlineage.client.generated.execution_parameters_run import ExecutionParameter, ExecutionParametersRunFacet
from openlineage.client.generated.job_type_job import JobTypeJobFacet
from openlineage.client.serde import Serde
from openlineage.client.uuid import generate_static_uuid

from ..errors import InvalidArgumentError
from ..storage import versions
from ..storage.records import RunInfo, run_by_id, run_infos, runs_since
from .facets import PRODUCER, RUN_FACET, VERSION_FACET, LineageRunFacet, LineageVersionDatasetFacet

if TYPE_CHECKING:
    from ..store import StoreHandle as Store

DATASET_SCHEME = "lineage://"
DEFAULT_JOB = "run"
INTEGRATION = "LINEAGE"
TERMINAL = {"finished": RunState.COMPLETE, "failed": RunState.FAIL, "crashed": RunState.ABORT}
Edges = list[tuple[str, versions.VersionRow, tuple[str, ...]]]


def dataset_namespace(project: str) -> str:
    """The OpenLineage dataset namespace of a project's artifacts: ``lineage://<project>``."""
    return f"{DATASET_SCHEME}{project}"


def parse_time(text: str) -> datetime:
    """A stored time (``2026-11-23T10:00:00.123456Z``) as an aware datetime."""
    return datetime.fromisoformat(text)


def run_uuid(run: RunInfo) -> str:
    """The run's OpenLineage runId: the same UUID every time it is exported or emitted."""
    return str(generate_static_uuid(parse_time(run.started_at), f"lineage-run:{run.project}/{run.id}".encode()))


def normalize_since(text: str) -> str:
    """``--since`` as a stored time, so it compares as text; a time without zone is UTC."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidArgumentError(
            f"invalid time {text!r}: use ISO 8601, e.g. 2026-12-01 or 2026-12-01T10:00:00Z"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# -- the mapping ---------------------------------------------------------------------------
def _job(run: RunInfo) -> Job:
    facet = JobTypeJobFacet(processingType="BATCH", integration=INTEGRATION, jobType="JOB", producer=PRODUCER)
    return Job(namespace=run.project, name=run.job_type or DEFAULT_JOB, facets={"jobType": facet})


def _run(run: RunInfo, state: str) -> Run:
    facets: dict = {RUN_FACET: LineageRunFacet(id=run.id, name=run.name, state=state, producer=PRODUCER)}
    if run.config:
        parameters = [
            ExecutionParameter(key=key, value=json.dumps(run.config[key], sort_keys=True, allow_nan=False))
            for key in sorted(run.config)
        ]
        facets["executionParameters"] = ExecutionParametersRunFacet(parameters=parameters, producer=PRODUCER)
    if state in ("failed", "crashed") and run.error:
        facets["errorMessage"] = ErrorMessageRunFacet(
            message=run.error, programmingLanguage="PYTHON", producer=PRODUCER
        )
    return Run(runId=run_uuid(run), facets=facets)


def _dataset_facets(version: versions.VersionRow, aliases: tuple[str, ...]) -> dict:
    return {
        "version": DatasetVersionDatasetFacet(datasetVersion=f"v{version.number}", producer=PRODUCER),
        "datasetType": DatasetTypeDatasetFacet(
            datasetType="MODEL" if version.type == "model" else "FILE", subType=version.type, producer=PRODUCER
        ),
        VERSION_FACET: LineageVersionDatasetFacet(
            project=version.project,
            artifact=version.name,
            type=version.type,
            version=f"v{version.number}",
            digest=version.digest,
            aliases=list(aliases),
            size=version.size,
            fileCount=version.file_count,
            deletedAt=version.deleted_at,
            producer=PRODUCER,
        ),
    }


def start_event(run: RunInfo) -> RunEvent:
    """The START event of a run (what live emission sends when the run begins)."""
    return RunEvent(
        eventType=RunState.START,
        eventTime=run.started_at,
        run=_run(run, "running"),
        job=_job(run),
        inputs=[],
        outputs=[],
        producer=PRODUCER,
    )


def end_event(run: RunInfo, edges: Edges) -> RunEvent:
    """The terminal event of an ended run, with the versions it used and logged."""
    inputs = [
        InputDataset(namespace=dataset_namespace(v.project), name=v.name, facets=_dataset_facets(v, aliases))
        for kind, v, aliases in edges
        if kind == "consumed"
    ]
    outputs = [
        OutputDataset(namespace=dataset_namespace(v.project), name=v.name, facets=_dataset_facets(v, aliases))
        for kind, v, aliases in edges
        if kind == "produced"
    ]
    return RunEvent(
        eventType=TERMINAL[run.state],
        eventTime=run.ended_at or run.started_at,
        run=_run(run, run.state),
        job=_job(run),
        inputs=inputs,
        outputs=outputs,
        producer=PRODUCER,
    )


def to_json(event: RunEvent) -> str:
    """One event as compact JSON with sorted keys (the client's serializer)."""
    return Serde.to_json(event, separators=(",", ":"), ensure_ascii=False)


# -- reading the store ---------------------------------------------------------------------
def run_events(store: Store, since: str | None = None) -> list[RunEvent]:
    """Every event of the store's runs, oldest first; ``since`` keeps events at or after it."""
    since = normalize_since(since) if since is not None else None
    runs = run_infos(store.db) if since is None else runs_since(store.db, since)
    edges = versions.run_edges(store.db, [r.id for r in runs])
    keyed: list[tuple[str, int, str, RunEvent]] = []
    for run in runs:
        if since is None or run.started_at >= since:
            keyed.append((run.started_at, 0, run.id, start_event(run)))
        if run.state in TERMINAL and (since is None or (run.ended_at or "") >= since):
            keyed.append((run.ended_at or run.started_at, 1, run.id, end_event(run, edges[run.id])))
    keyed.sort(key=lambda item: item[:3])
    return [event for *_, event in keyed]


def event_for(store: Store, run_id: str, end: bool) -> RunEvent:
    """The START (or, with ``end``, the terminal) event of one run, as the store has it now."""
    run = run_by_id(store.db, run_id)
    assert run is not None
    if not end:
        return start_event(run)
    return end_event(run, versions.run_edges(store.db, [run_id])[run_id])


def write_events(store: Store, out: str | os.PathLike, since: str | None = None) -> int:
    """Write the events as NDJSON to ``out`` (``-`` = stdout), atomically; returns the count."""
    lines = [to_json(event) + "\n" for event in run_events(store, since)]
    if os.fspath(out) == "-":
        sys.stdout.write("".join(lines))
        sys.stdout.flush()
        return len(lines)
    path = Path(out)
    if path.is_dir():
        raise InvalidArgumentError(f"{path} is a folder: give a file name for the events, e.g. {path}/lineage.ndjson")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.writelines(lines)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(lines)
