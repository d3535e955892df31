"""OpenLineage in: events become runs and reference-only versions, the same graph, idempotently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import lineage
from lineage.openlineage import export, import_events
from lineage.openlineage.importer import valid_name
from tests.strategies import build_lineage_store, lineage_graphs
from tests.test_cli import assert_one_line_error, snapshot
from tests.test_cli import lineage as cli
from tests.test_openlineage import crash_a_run, log_tutorial


def walks(store: lineage.Store) -> dict[str, tuple[dict, dict]]:
    """Ancestry and impact (label -> depth) of every version and run, keyed by label."""
    refs = [r["qualified_ref"] for r in store.sql("SELECT qualified_ref FROM version_refs").to_pylist()]
    refs += [f"run:{r.id}" for r in store.runs()]
    out = {}
    for ref in refs:
        ancestry, impact = store.ancestry(ref), store.impact(ref)
        key = next(n["label"] for n in ancestry.nodes if n["depth"] == 0)
        out[key] = ({n["label"]: n["depth"] for n in ancestry.nodes}, {n["label"]: n["depth"] for n in impact.nodes})
    return out


def round_trip(source: lineage.Store, tmp_path: Path) -> lineage.Store:
    export(source, tmp_path / "events.ndjson")
    target = lineage.Store(tmp_path / "imported")
    import_events(target, tmp_path / "events.ndjson")
    return target


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> Path:
    store_dir = tmp_path_factory.mktemp("import") / "store"
    log_tutorial(store_dir)
    with lineage.init(project="mnist", job_type="load-data", dir=store_dir) as run:  # mnist-raw v1
        raw = lineage.Artifact("mnist-raw", type="dataset")
        with raw.new_file("training.pt", mode="wb") as f:
            f.write(b"other bytes")
        run.log_artifact(raw)
    with pytest.raises(RuntimeError), lineage.init(project="mnist", job_type="train", dir=store_dir) as run:
        run.use_artifact("mnist-raw:v1")
        raise RuntimeError("out of memory")
    crash_a_run(store_dir)
    with lineage.init(project="other", dir=store_dir) as run:  # no job type, another project
        run.use_artifact("mnist/convnet:latest")
    return store_dir


def test_an_exported_store_imports_into_an_empty_one_with_the_same_graph(mixed, tmp_path):
    source = lineage.Store(mixed)
    target = round_trip(source, tmp_path)
    assert walks(target) == walks(source)
    got = {r.id: r for r in target.runs()}
    for run in source.runs():
        copy = got[run.id]
        assert (copy.name, copy.project, copy.job_type, copy.state, copy.error) == (
            run.name, run.project, run.job_type, run.state, run.error,
        )  # fmt: skip
        assert (copy.started_at, copy.ended_at, copy.config) == (run.started_at, run.ended_at, run.config)
    version = target.artifact("mnist/trained-model:v0")
    assert version.type == "model" and version.metadata == {
        "openlineage": {"namespace": "lineage://mnist", "name": "trained-model", "version": "v0"}
    }
    assert [(f.path, f.ref) for f in version.files()] == [("v0", "lineage://mnist/trained-model")]
    assert [(f.path, f.ref) for f in target.artifact("mnist/mnist-raw:v1").files()] == [
        ("v1", "lineage://mnist/mnist-raw")
    ]
    assert not list((tmp_path / "imported" / "blobs").glob("??/*"))  # no blob stored


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(graph=lineage_graphs())
def test_any_lineage_graph_survives_export_and_import(tmp_path_factory, graph):
    # Every version has a run that logged it, as log_artifact guarantees.
    produced = {v for _, v in graph["produced"]}
    graph = {**graph, "produced": graph["produced"] | {(v % graph["runs"], v) for v in range(len(graph["versions"]))
                                                       if v not in produced}}  # fmt: skip
    tmp = tmp_path_factory.mktemp("rt")
    source = build_lineage_store(tmp / "source", graph)
    target = round_trip(source, tmp)
    assert walks(target) == walks(source)
    source.close()
    target.close()


def test_importing_again_changes_nothing(mixed, tmp_path):
    target = round_trip(lineage.Store(mixed), tmp_path)
    target.close()
    before = snapshot(tmp_path / "imported")
    assert import_events(lineage.Store(tmp_path / "imported"), tmp_path / "events.ndjson") == {
        "events": 18, "runs": 0, "versions": 0, "edges": 0,
    }  # fmt: skip
    assert snapshot(tmp_path / "imported") == before
    # Into the store it came from, too.
    before = snapshot(mixed)
    assert import_events(lineage.Store(mixed), tmp_path / "events.ndjson")["versions"] == 0
    assert snapshot(mixed) == before


def dbt_events() -> list[dict]:
    """What dbt's OpenLineage integration emits for one model run, trimmed."""
    run, job = {"runId": "0190f5c0-0000-7000-8000-00000000d817"}, {"namespace": "dbt-prod", "name": "shop.orders_clean"}
    source = {"namespace": "postgres://warehouse:5432", "name": "shop.raw.orders", "facets": {}}
    table = {
        "namespace": "postgres://warehouse:5432",
        "name": "shop.analytics.orders_clean",
        "facets": {"datasetType": {"_producer": "x:y", "_schemaURL": "x:y", "datasetType": "TABLE"}},
    }
    base = {"producer": "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/integration/dbt", "schemaURL": "x:y"}
    return [
        {**base, "eventType": "START", "eventTime": "2026-11-30T08:00:00Z", "run": run, "job": job,
         "inputs": [source], "outputs": []},
        {**base, "eventType": "COMPLETE", "eventTime": "2026-11-30T08:02:30.5+00:00", "run": run, "job": job,
         "inputs": [source], "outputs": [table]},
    ]  # fmt: skip


def test_ancestry_walks_from_a_model_back_through_the_dbt_job_that_built_its_table(store_dir, tmp_path):
    path = tmp_path / "dbt.ndjson"
    path.write_text("".join(json.dumps(e) + "\n" for e in dbt_events()))
    assert import_events(lineage.Store(store_dir), path) == {"events": 2, "runs": 1, "versions": 2, "edges": 2}
    project = valid_name("postgres://warehouse:5432")
    assert project.startswith("postgres_warehouse_5432-")
    with lineage.init(project="shop-ml", job_type="train", dir=store_dir) as run:
        table = run.use_artifact(f"{project}/shop.analytics.orders_clean:latest")
        assert table.type == "table" and table.size == 0
        # A reference-only version: one entry naming the table by URI, no blob.
        assert [(f.path, f.digest, f.ref) for f in table.files()] == [
            ("shop.analytics.orders_clean", None, "postgres://warehouse:5432/shop.analytics.orders_clean")
        ]
        model = lineage.Artifact("churn-model", type="model")
        with model.new_file("model.bin", mode="wb") as f:
            f.write(b"weights")
        run.log_artifact(model)
    store = lineage.Store(store_dir)
    labels = {n["label"]: n["depth"] for n in store.ancestry("shop-ml/churn-model:latest").nodes}
    dbt_run = store.run("0190f5c0-0000-7000-8000-00000000d817")
    assert (dbt_run.job_type, dbt_run.project, dbt_run.state) == ("shop.orders_clean", "dbt-prod", "finished")
    assert dbt_run.ended_at == "2026-11-30T08:02:30.500000Z"
    assert labels == {
        "model:churn-model:v0": 0,
        f"train:{run.name}": 1,
        "table:shop.analytics.orders_clean:v0": 2,
        f"shop.orders_clean:{dbt_run.name}": 3,
        "dataset:shop.raw.orders:v0": 4,
    }


def test_a_run_first_seen_running_ends_when_its_terminal_event_arrives(store_dir, tmp_path):
    start, complete = dbt_events()
    (tmp_path / "start.ndjson").write_text(json.dumps(start) + "\n")
    (tmp_path / "all.ndjson").write_text(json.dumps(start) + "\n" + json.dumps(complete) + "\n")
    store = lineage.Store(store_dir)
    import_events(store, tmp_path / "start.ndjson")
    assert store.run(start["run"]["runId"]).state == "running"
    # Opening a store marks runs of dead local processes crashed; an imported run has none.
    assert lineage.Store(store_dir).run(start["run"]["runId"]).state == "running"
    assert import_events(store, tmp_path / "all.ndjson") == {"events": 2, "runs": 0, "versions": 1, "edges": 1}
    assert store.run(start["run"]["runId"]).state == "finished"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"eventType": "START"\n', ["bad.ndjson:1 is not JSON"]),
        ('{"eventType": "START", "eventTime": "2026-01-01T00:00:00Z", "job": {"namespace": "n", "name": "j"}}\n',
         ["bad.ndjson:1", "no run.runId"]),
        ('{"eventTime": "soon", "run": {"runId": "0190f5c0-0000-7000-8000-000000000001"}, '
         '"job": {"namespace": "n", "name": "j"}}\n', ["eventTime 'soon' is not ISO 8601"]),
        ('{"eventTime": "2026-01-01T00:00:00Z", "run": {"runId": "r1"}, "job": {"namespace": "n", "name": "j"}}\n',
         ["run.runId 'r1' is not a UUID"]),
        ('{"eventTime": "2026-01-01T00:00:00Z", "run": {"runId": "0190f5c0-0000-7000-8000-000000000001"}, '
         '"job": {"namespace": "n", "name": "j"}, "outputs": [{"namespace": "s3://b\\u0007", "name": "k"}]}\n',
         ["invalid reference"]),
        ('[1, 2]', ["bad.ndjson:1", "not a JSON object"]),
    ],
)  # fmt: skip
def test_bad_events_are_one_line_errors_and_change_nothing(built_store, tmp_path, text, words):
    path = tmp_path / "bad.ndjson"
    path.write_text(text)
    before = snapshot(built_store)
    done = cli("import", "--format", "openlineage", str(path), store=built_store, check=False)
    assert_one_line_error(done, *words)
    assert snapshot(built_store) == before


@pytest.fixture
def built_store(store_dir):
    with lineage.init(project="p", job_type="j", dir=store_dir):
        pass
    lineage.Store(store_dir).close()
    return store_dir


def test_cli_imports_and_reports_what_it_added(tmp_path):
    path = tmp_path / "dbt.ndjson"
    path.write_text("".join(json.dumps(e) + "\n" for e in dbt_events()))
    store = tmp_path / "new-store"
    done = cli("import", "--format", "openlineage", str(path), store=store)
    assert done.stdout.strip() == "2 events: 1 new runs, 2 new versions, 2 new edges"
    assert json.loads(cli("import", str(path), "--json", store=store).stdout) == {
        "events": 2, "runs": 0, "versions": 0, "edges": 0,
    }  # fmt: skip
    assert_one_line_error(cli("import", str(tmp_path / "missing.ndjson"), store=store, check=False), "missing.ndjson")
