"""Import OpenLineage RunEvents: the runs of other tools become runs, their datasets versions.

``lineage import --format openlineage FILE`` reads NDJSON (or a JSON array) of RunEvents,
as dbt, Spark, Airflow or ``lineage export`` write them:
- each runId becomes a run: project = job namespace, job type = job name, times from
  its START and terminal events, state from the terminal event (COMPLETE finished, FAIL
  failed, ABORT crashed, none running), config from ExecutionParametersRunFacet, error
  from ErrorMessageRunFacet; our own ``lineage_run`` facet restores id and name.
- each dataset version becomes a reference-only version (``Artifact.add_reference``,
  no blob): its one entry references ``namespace/name`` as a URI, named by the
  DatasetVersionDatasetFacet value when there is one (so each dataset version is a
  version of its own), else by the name's last part, and one version stands for the
  dataset. Our ``lineage_version`` facet restores project,
  artifact, type and number order.
- inputs become consume edges, outputs produce edges.

Names other tools use (``postgres://db:5432``, ``shop.public.orders``) are kept where
they are valid lineage names, else made valid with a short hash of the original.
Importing is idempotent: runs are keyed by id, versions by their digest; a file
imported again adds nothing and moves no alias.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..artifact import Artifact
from ..errors import InvalidArgumentError
from ..refs import NAME_RE
from ..storage import versions
from ..storage.records import RunInfo, existing_runs, write_imported_runs
from ..values import dump_object
from .events import DEFAULT_JOB, normalize_since
from .facets import RUN_FACET, VERSION_FACET

if TYPE_CHECKING:
    from ..store import StoreHandle as Store

STATES = {"COMPLETE": "finished", "FAIL": "failed", "ABORT": "crashed"}
_INVALID = re.compile(r"[^A-Za-z0-9_.\-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def valid_name(text: str) -> str:
    """``text`` if it is a valid lineage name, else a valid one with a hash of the original."""
    if NAME_RE.fullmatch(text):
        return text
    clean = _INVALID.sub("_", text).strip("_.") or "x"
    return f"{clean[:119]}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class DatasetKey:
    """One dataset version as the events name it, and where it lands in the store."""

    namespace: str
    name: str
    version: str | None
    project: str
    artifact: str
    type: str
    number: int | None  # our own exports: the original vN, to commit in order
    digest: str | None = None  # our own exports: the original digest

    @property
    def uri(self) -> str:
        """``namespace/name``; a namespace that is no URI (``my-namespace``) gets ``openlineage://``."""
        base = self.namespace.rstrip("/")
        return f"{base}/{self.name}" if "://" in base else f"openlineage://{base}/{self.name}"


@dataclass
class RunPlan:
    """What the events say about one run."""

    run: RunInfo
    inputs: list[DatasetKey] = field(default_factory=list)
    outputs: list[DatasetKey] = field(default_factory=list)
    edge_time: str = ""


def read_events(path: Path) -> list[dict[str, Any]]:
    """The RunEvents of an NDJSON file (or one JSON array); other events are skipped."""
    text = path.read_text(encoding="utf-8")
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise InvalidArgumentError(f"{path} is not JSON ({exc.msg} at line {exc.lineno})") from None
        lines = [(i + 1, item) for i, item in enumerate(items)]
    else:
        lines = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                lines.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                raise InvalidArgumentError(f"{path}:{number} is not JSON ({exc.msg}): one event per line") from None
    events = []
    for number, event in lines:
        problem = _problem(event)
        if problem == "skip":
            continue
        if problem:
            raise InvalidArgumentError(f"{path}:{number} is not an OpenLineage RunEvent: {problem}")
        events.append(event)
    return events


def _problem(event: Any) -> str | None:
    if not isinstance(event, dict):
        return "not a JSON object"
    if "run" not in event and "eventType" not in event and ("dataset" in event or "job" in event):
        return "skip"  # a DatasetEvent or JobEvent: no run to import
    run, job = event.get("run"), event.get("job")
    if not isinstance(run, dict) or not isinstance(run.get("runId"), str) or not run["runId"]:
        return "no run.runId"
    try:
        uuid.UUID(run["runId"])
    except ValueError:
        return f"run.runId {run['runId'][:60]!r} is not a UUID"
    if not isinstance(job, dict) or not all(isinstance(job.get(k), str) and job[k] for k in ("namespace", "name")):
        return "no job.namespace and job.name"
    if not isinstance(event.get("eventTime"), str):
        return "no eventTime"
    try:
        normalize_since(event["eventTime"])
    except InvalidArgumentError:
        return f"eventTime {event['eventTime']!r} is not ISO 8601"
    for group in ("inputs", "outputs"):
        datasets = event.get(group) or []
        if not isinstance(datasets, list) or not all(
            isinstance(d, dict) and isinstance(d.get("namespace"), str) and isinstance(d.get("name"), str)
            for d in datasets
        ):
            return f"{group} must be datasets with a namespace and a name"
    return None


def _facet(holder: dict, key: str) -> dict:
    facets = holder.get("facets") or {}
    value = facets.get(key) if isinstance(facets, dict) else None
    return value if isinstance(value, dict) else {}


def dataset_key(dataset: dict) -> DatasetKey:
    """Where a dataset of an event lands: our own facet if present, else its names."""
    namespace, name = dataset["namespace"], dataset["name"]
    version = _facet(dataset, "version").get("datasetVersion")
    version = str(version) if version is not None else None
    ours = _facet(dataset, VERSION_FACET)
    number = ours.get("version", "")
    if ours and all(isinstance(ours.get(k), str) for k in ("project", "artifact", "type")) and _is_number(number):
        digest = ours.get("digest") if isinstance(ours.get("digest"), str) else None
        return DatasetKey(
            namespace, name, number, valid_name(ours["project"]), valid_name(ours["artifact"]),
            valid_name(ours["type"]), int(number[1:]), digest,
        )  # fmt: skip
    kind = _facet(dataset, "datasetType").get("datasetType")
    type_ = valid_name(kind.lower()) if isinstance(kind, str) and kind else "dataset"
    return DatasetKey(namespace, name, version, valid_name(namespace), valid_name(name), type_, None)


def _is_number(text: Any) -> bool:
    return isinstance(text, str) and re.fullmatch(r"v(0|[1-9][0-9]*)", text) is not None


def plan_runs(events: list[dict[str, Any]]) -> list[RunPlan]:
    """Group events by runId into runs with their inputs and outputs, oldest first."""
    by_run: dict[str, list[dict]] = {}
    for event in events:
        by_run.setdefault(event["run"]["runId"], []).append(event)
    plans = []
    for run_id, group in by_run.items():
        group.sort(key=lambda e: normalize_since(e["eventTime"]))
        plans.append(_plan_run(run_id, group))
    plans.sort(key=lambda p: (p.run.started_at, p.run.id))
    return plans


def _plan_run(run_id: str, group: list[dict]) -> RunPlan:
    times = [normalize_since(e["eventTime"]) for e in group]
    starts = [t for e, t in zip(group, times, strict=True) if e.get("eventType") == "START"]
    ends = [(e, t) for e, t in zip(group, times, strict=True) if e.get("eventType") in STATES]
    ours = next((_facet(e["run"], RUN_FACET) for e in reversed(group) if _facet(e["run"], RUN_FACET)), {})
    # Our facet restores id and name only when they are what lineage itself would write.
    own = (
        isinstance(ours.get("id"), str)
        and NAME_RE.fullmatch(ours["id"]) is not None
        and isinstance(ours.get("name"), str)
        and ours["name"].strip() != ""
        and not _CONTROL.search(ours["name"])
    )
    job = group[-1]["job"]
    job_type = None if own and job["name"] == DEFAULT_JOB else valid_name(job["name"])
    end_event, ended_at = ends[-1] if ends else (None, None)
    error = None
    config: dict[str, Any] = {}
    for event in group:
        message = _facet(event["run"], "errorMessage").get("message")
        if isinstance(message, str):
            error = message
        parameters = _facet(event["run"], "executionParameters").get("parameters")
        if isinstance(parameters, list):
            config = _config(parameters, own)
    run = RunInfo(
        id=ours["id"] if own else run_id,
        project=valid_name(job["namespace"]),
        name=ours["name"] if own else run_id,
        job_type=job_type,
        state=STATES[end_event["eventType"]] if end_event else "running",
        error=error if end_event and end_event["eventType"] != "COMPLETE" else None,
        config=config,
        summary={},
        notes=None,
        started_at=starts[0] if starts else times[0],
        ended_at=ended_at,
    )
    plan = RunPlan(run, edge_time=ended_at or times[-1])
    for event in group:
        for dataset in event.get("inputs") or []:
            key = dataset_key(dataset)
            if key not in plan.inputs:
                plan.inputs.append(key)
        for dataset in event.get("outputs") or []:
            key = dataset_key(dataset)
            if key not in plan.outputs:
                plan.outputs.append(key)
    return plan


def _config(parameters: list, own: bool) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for item in parameters:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            continue
        value = item.get("value")
        if own and isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                pass
        config[item["key"]] = value
    return config


def new_version(key: DatasetKey) -> versions.NewVersion:
    """A reference-only version: one entry referencing ``namespace/name``, no blob.

    Built with the public ``Artifact.add_reference``, so its manifest and digest are
    what a user logging the same reference gets. The entry is named by the dataset
    version when the events give one, so each dataset version has a digest of its own.
    """
    identity = {"namespace": key.namespace, "name": key.name}
    if key.version is not None:
        identity["version"] = key.version
    artifact = Artifact(key.artifact, type=key.type, metadata={"openlineage": identity})
    entry = valid_name(key.version) if key.version is not None else None
    artifact.add_reference(key.uri, name=entry, checksum=False)
    return versions.NewVersion(
        project=key.project,
        name=artifact.base_name,
        type=artifact.type,
        description=None,
        metadata=dump_object(artifact.metadata),
        digest=artifact.digest,
        files=[],
        aliases=(),
        references=tuple((r.path, r.uri, r.sha256, r.size) for _, r in sorted(artifact.references().items())),
    )


def import_file(store: Store, path: Path) -> dict[str, int]:
    """Import the RunEvents of ``path`` in one transaction; returns what was added.

    Every event is checked and every version planned before anything is written, and
    the writes share one transaction: bad input, or a crash, leaves the store as it was.
    """
    events = read_events(path)
    plans = plan_runs(events)
    datasets: dict[DatasetKey, list[str]] = {}  # dataset version -> runs that logged it
    for plan in plans:
        for key in (*plan.inputs, *plan.outputs):
            datasets.setdefault(key, [])
    planned = {key: new_version(key) for key in datasets}  # refuses a bad URI or name now
    first_seen = {key: i for i, key in enumerate(datasets)}
    # Our own versions in number order, so an empty store numbers them as the source did.
    order = sorted(datasets, key=lambda k: (k.number is None, k.project, k.artifact, k.number or 0, first_seen[k]))
    db = store.create().db
    before = versions.counts(db)
    with db.write(durable=True) as con:
        known = existing_runs(con, [p.run.id for p in plans])
        fresh = [p for p in plans if p.run.id not in known or (known[p.run.id] == "running" and p.run.ended_at)]
        write_imported_runs(con, [p.run for p in fresh])
        for plan in fresh:
            for key in plan.outputs:
                datasets[key].append(plan.run.id)
        ids: dict[DatasetKey, int] = {}
        for key in order:
            if key.number is not None and key.digest is not None:
                # Back into a store that holds the very version (e.g. the one it came from).
                found = versions.find_version(con, key.project, key.artifact, key.number)
                if found is not None and found[1] == key.digest:
                    ids[key] = found[0]
                    continue
            producers: list[str | None] = list(datasets[key]) or [None]
            for run_id in producers:
                ids[key] = versions.commit_in(con, run_id, planned[key])
        versions.record_uses(con, [(p.run.id, ids[key], p.edge_time) for p in plans for key in p.inputs])
    after = versions.counts(db)
    return {
        "events": len(events),
        "runs": after[0] - before[0],
        "versions": after[1] - before[1],
        "edges": after[2] - before[2],
    }
