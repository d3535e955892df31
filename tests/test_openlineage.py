"""OpenLineage out: the export validates against the 2-0-2 JSON Schema and maps the store exactly.

The spec's schemas are in tests/fixtures/openlineage-spec (copied unchanged from the
OpenLineage repository, Apache-2.0), registered by ``$id`` so no ``$ref`` touches the
network; our own facets validate against the schemas lineage ships.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

import lineage
from lineage.openlineage import export
from lineage.openlineage.facets import schema_files
from tests.test_cli import assert_one_line_error
from tests.test_cli import lineage as cli

SPEC = Path(__file__).parent / "fixtures" / "openlineage-spec"
CORE = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
TUTORIAL = [
    ("load-data", {"seed": 0}, [], [("mnist-raw", "dataset")]),
    ("preprocess-data", {"normalize": True}, ["mnist-raw:latest"], [("mnist-preprocess", "dataset")]),
    ("initialize", {"kernel_sizes": [3, 3], "dropout": None}, [], [("convnet", "model")]),
    (
        "train",
        {"epochs": 5, "optimizer": "Adam"},
        ["mnist-preprocess:latest", "convnet:latest"],
        [("trained-model", "model")],
    ),
    ("report", {}, ["trained-model:latest", "mnist-preprocess:latest"], []),
]


def log_tutorial(store_dir: Path) -> None:
    """The W&B tutorial pipeline's five runs and nine edges, with tiny files (no torch)."""
    for job_type, config, uses, logs in TUTORIAL:
        with lineage.init(project="mnist", job_type=job_type, config=config, dir=store_dir) as run:
            for ref in uses:
                run.use_artifact(ref)
            for name, type_ in logs:
                artifact = lineage.Artifact(name, type=type_, metadata={"made_by": job_type})
                with artifact.new_file(f"{name}.bin", mode="wb") as f:
                    f.write(name.encode())
                run.log_artifact(artifact, aliases=["best"] if name == "trained-model" else None)


def crash_a_run(store_dir: Path, job_type: str = "train") -> None:
    """A run whose process dies without finishing: the next open marks it crashed."""
    code = (
        "import os, lineage\n"
        f"run = lineage.init(project='mnist', job_type={job_type!r}, dir={str(store_dir)!r})\n"
        "run.use_artifact('mnist-preprocess:latest')\n"
        "os._exit(3)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=False, timeout=60)


@pytest.fixture(scope="module")
def registry() -> Registry:
    return spec_registry()


def spec_registry() -> Registry:
    """The spec's schemas and ours, by $id: every $ref resolves offline."""
    resources = [SPEC / "OpenLineage.json", *sorted((SPEC / "facets").glob("*.json")), *schema_files()]
    registry = Registry()
    for path in resources:
        schema = json.loads(path.read_text())
        registry = registry.with_resource(schema["$id"], Resource.from_contents(schema))
    return registry


def facets_of(event: dict) -> list[tuple[str, dict]]:
    """Every facet in an event, with its key."""
    found = list(event["run"].get("facets", {}).items()) + list(event["job"].get("facets", {}).items())
    for dataset in event.get("inputs", []) + event.get("outputs", []):
        for group in ("facets", "inputFacets", "outputFacets"):
            found += list(dataset.get(group, {}).items())
    return found


def validate(registry: Registry, event: dict) -> None:
    """The event against the core schema, and each facet against the schema its _schemaURL names."""
    Draft202012Validator({"$ref": CORE}, registry=registry).validate(event)
    for key, facet in facets_of(event):
        url = facet["_schemaURL"]
        registry.resolver().lookup(url)  # resolves offline, or raises
        Draft202012Validator({"$ref": url}, registry=registry).validate(facet)
        # The facet's file also names its key: {"properties": {key: {"$ref": ...}}}.
        document = url.split("#")[0]
        Draft202012Validator({"$ref": document}, registry=registry).validate({key: facet})


def read_events(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def tutorial(tmp_path_factory) -> Path:
    store_dir = tmp_path_factory.mktemp("ol") / "store"
    log_tutorial(store_dir)
    return store_dir


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> Path:
    """The tutorial plus a failed run and a crashed one."""
    store_dir = tmp_path_factory.mktemp("ol-mixed") / "store"
    log_tutorial(store_dir)
    with pytest.raises(ValueError), lineage.init(project="mnist", job_type="evaluate", dir=store_dir) as run:
        run.use_artifact("trained-model:best")
        raise ValueError("no test split in  this\nartifact")
    crash_a_run(store_dir)
    return store_dir


def test_every_exported_event_validates_against_the_spec_and_its_facets(mixed, registry, tmp_path):
    count = export(lineage.Store(mixed), tmp_path / "events.ndjson")
    events = read_events(tmp_path / "events.ndjson")
    assert count == len(events) == 14
    keys = set()
    for event in events:
        validate(registry, event)
        keys |= {key for key, _ in facets_of(event)}
    assert keys == {
        "jobType", "lineage_run", "executionParameters", "errorMessage",
        "version", "datasetType", "lineage_version",
    }  # fmt: skip


def test_the_validator_refuses_what_the_spec_refuses(registry):
    with pytest.raises(Exception, match="runId|required"):
        validate(registry, {"eventTime": "2026-01-01T00:00:00Z", "producer": "x:y", "schemaURL": CORE,
                            "run": {}, "job": {"namespace": "n", "name": "j"}})  # fmt: skip
    store_facet = {"_producer": "x:y", "_schemaURL": schema_url("LineageVersionDatasetFacet"), "digest": "nope"}
    with pytest.raises(Exception, match="required|pattern"):
        Draft202012Validator({"$ref": store_facet["_schemaURL"]}, registry=registry).validate(store_facet)


def schema_url(name: str) -> str:
    path = next(p for p in schema_files() if p.stem == name)
    return json.loads(path.read_text())["$id"] + f"#/$defs/{name}"


def test_tutorial_exports_five_starts_and_five_completes_matching_its_nine_edges(tutorial, tmp_path):
    store = lineage.Store(tutorial)
    export(store, tmp_path / "events.ndjson")
    events = read_events(tmp_path / "events.ndjson")
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"] * 5
    assert [e["job"]["name"] for e in events[::2]] == [step[0] for step in TUTORIAL]
    assert {e["job"]["namespace"] for e in events} == {"mnist"}
    edges = set()
    for event in events:
        if event["eventType"] == "START":
            assert event["inputs"] == [] and event["outputs"] == []
            continue
        name = event["run"]["facets"]["lineage_run"]["name"]
        for direction in ("inputs", "outputs"):
            for dataset in event[direction]:
                assert dataset["namespace"] == "lineage://mnist"
                version = dataset["facets"]["version"]["datasetVersion"]
                edges.add((direction, f"{event['job']['name']}:{name}", f"{dataset['name']}:{version}"))
    rows = store.sql(
        "SELECT e.kind, r.label AS run, v.ref FROM edges e "
        "JOIN run_labels r ON r.run_id = iif(e.kind = 'produced', e.src_id, e.dst_id) "
        "JOIN version_refs v ON CAST(v.version_id AS TEXT) = iif(e.kind = 'produced', e.dst_id, e.src_id)"
    ).to_pylist()
    expected = {("outputs" if r["kind"] == "produced" else "inputs", r["run"], r["ref"]) for r in rows}
    assert len(rows) == 9 and edges == expected


def test_run_facets_carry_config_and_identity_and_run_ids_are_stable_uuids(tutorial, tmp_path):
    store = lineage.Store(tutorial)
    export(store, tmp_path / "a.ndjson")
    export(store, tmp_path / "b.ndjson")
    assert (tmp_path / "a.ndjson").read_bytes() == (tmp_path / "b.ndjson").read_bytes()
    events = read_events(tmp_path / "a.ndjson")
    runs = store.runs()
    run_ids = [e["run"]["runId"] for e in events[::2]]
    assert run_ids == [e["run"]["runId"] for e in events[1::2]]
    assert len(set(run_ids)) == 5 and all(uuid.UUID(r).version == 7 for r in run_ids)
    initialize = events[4]
    assert initialize["run"]["facets"]["lineage_run"] == {
        **initialize["run"]["facets"]["lineage_run"], "id": runs[2].id, "name": runs[2].name, "state": "running",
    }  # fmt: skip
    parameters = initialize["run"]["facets"]["executionParameters"]["parameters"]
    assert parameters == [{"key": "dropout", "value": "null"}, {"key": "kernel_sizes", "value": "[3, 3]"}]
    assert "executionParameters" not in events[8]["run"]["facets"]  # report has no config
    assert events[5]["run"]["facets"]["lineage_run"]["state"] == "finished"
    assert events[5]["job"]["facets"]["jobType"]["processingType"] == "BATCH"


def test_dataset_facets_carry_version_type_digest_aliases_size_and_files(tutorial, tmp_path):
    store = lineage.Store(tutorial)
    export(store, tmp_path / "events.ndjson")
    train = read_events(tmp_path / "events.ndjson")[7]
    (model,) = train["outputs"]
    version = store.artifact("trained-model:best")
    assert model["name"] == "trained-model"
    assert model["facets"]["version"]["datasetVersion"] == "v0"
    assert model["facets"]["datasetType"] == {
        **model["facets"]["datasetType"],
        "datasetType": "MODEL",
        "subType": "model",
    }
    ours = model["facets"]["lineage_version"]
    assert (ours["digest"], ours["size"], ours["fileCount"]) == (version.digest, version.size, 1)
    assert ours["aliases"] == ["best", "latest"] and ours["type"] == "model" and ours["project"] == "mnist"
    data = {d["name"]: d for d in train["inputs"]}
    assert data["mnist-preprocess"]["facets"]["datasetType"]["datasetType"] == "FILE"


def test_a_failed_run_exports_fail_with_its_message_and_a_crashed_one_abort(mixed, tmp_path):
    export(lineage.Store(mixed), tmp_path / "events.ndjson")
    events = read_events(tmp_path / "events.ndjson")
    assert [e["eventType"] for e in events[10:]] == ["START", "FAIL", "START", "ABORT"]
    fail, abort = events[11], events[13]
    assert fail["run"]["facets"]["errorMessage"]["message"] == "ValueError: no test split in this artifact"
    assert fail["run"]["facets"]["errorMessage"]["programmingLanguage"] == "PYTHON"
    assert [d["name"] for d in fail["inputs"]] == ["trained-model"] and fail["outputs"] == []
    assert abort["run"]["facets"]["errorMessage"]["message"] == "the process died"
    assert abort["run"]["facets"]["lineage_run"]["state"] == "crashed"
    assert [d["name"] for d in abort["inputs"]] == ["mnist-preprocess"]


def test_since_keeps_only_events_at_or_after_the_time(tutorial, tmp_path):
    store = lineage.Store(tutorial)
    runs = store.runs()
    export(store, tmp_path / "all.ndjson")
    everything = read_events(tmp_path / "all.ndjson")
    assert export(store, tmp_path / "late.ndjson", since=runs[3].started_at) == 4
    assert read_events(tmp_path / "late.ndjson") == everything[6:]
    assert export(store, tmp_path / "end.ndjson", since=runs[3].ended_at) == 3
    assert read_events(tmp_path / "end.ndjson") == everything[7:]
    assert export(store, tmp_path / "none.ndjson", since="2999-01-01") == 0
    assert (tmp_path / "none.ndjson").read_text() == ""
    # An offset is converted to UTC; a time without a zone is UTC.
    assert export(store, tmp_path / "z.ndjson", since="1999-12-31T23:00:00-01:00") == 10


def test_cli_exports_openlineage_and_refuses_bad_input_with_one_line(tutorial, tmp_path, registry):
    out = tmp_path / "out" / "events.ndjson"
    done = cli("export", "--format", "openlineage", str(out), store=tutorial)
    assert done.stdout.strip() == f"10 events -> {out}"
    assert len(read_events(out)) == 10
    piped = cli("export", "--format", "openlineage", "-", store=tutorial)
    assert piped.stdout == out.read_text()
    late = cli("export", "--format", "openlineage", "-", "--since", "2999-01-01", "--json", store=tutorial)
    assert late.stdout == ""
    assert_one_line_error(cli("export", "--format", "openlineage", "x", "--since", "yesterday", store=tutorial,
                              check=False), "invalid time 'yesterday'")  # fmt: skip
    assert_one_line_error(cli("export", "--format", "openlineage", store=tutorial, check=False), "missing OUT")
    assert_one_line_error(cli("export", "--format", "openlineage", str(tmp_path), store=tutorial, check=False),
                          "is a folder")  # fmt: skip
    assert_one_line_error(cli("export", "out", "--since", "2026-01-01", store=tutorial, check=False),
                          "--format openlineage")  # fmt: skip
    assert not (tmp_path / "x").exists()


def test_import_lineage_does_not_import_the_openlineage_client():
    code = "import sys, lineage; print([m for m in sys.modules if m.startswith('openlineage')])"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert done.stdout.strip() == "[]"
