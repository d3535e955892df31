"""The query layer: ancestry/impact against networkx, graphs, read-only SQL, DuckDB, Parquet."""

from __future__ import annotations

import json
import re

import networkx as nx
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lineage
from lineage import query
from lineage.storage.db import SCHEMA_VERSION
from tests.helpers.postgres import emptied
from tests.strategies import build_lineage_store, lineage_graphs, lineage_networkx

BACKENDS = ("folder", "postgres", "postgres+s3")

TUTORIAL = [
    ("load-data", [], [("mnist-raw", "dataset")]),
    ("preprocess-data", ["mnist-raw:latest"], [("mnist-preprocess", "dataset")]),
    ("initialize", [], [("convnet", "model")]),
    ("train", ["mnist-preprocess:latest", "convnet:latest"], [("trained-model", "model")]),
    ("report", ["trained-model:latest", "mnist-preprocess:latest"], []),
]


def log_tutorial(dir) -> lineage.Store:
    """The W&B tutorial's five steps, logged through the API with tiny files."""
    for job_type, uses, logs in TUTORIAL:
        with lineage.init(project="mnist", job_type=job_type, dir=dir) as run:
            for ref in uses:
                run.use_artifact(ref)
            for name, type_ in logs:
                artifact = lineage.Artifact(name, type=type_)
                with artifact.new_file("data.txt") as f:
                    f.write(name)
                run.log_artifact(artifact)
    return lineage.Store(dir)


@pytest.fixture(scope="module", params=BACKENDS)
def tutorial(request, tmp_path_factory) -> lineage.Store:
    folder = tmp_path_factory.mktemp("tutorial")
    if request.param == "folder":
        return log_tutorial(folder)
    url = request.getfixturevalue("postgres_server").new_database()
    lineage.Store(url).create(blobs=folder / "blobs").close()
    return log_tutorial(url)


def labels(subgraph) -> dict[str, int]:
    return {n["label"]: n["depth"] for n in subgraph.nodes}


def version_ref(graph: dict, index: int) -> str:
    artifact = graph["versions"][index]
    number = graph["versions"][:index].count(artifact)
    return f"p/a{artifact}:v{number}"


@st.composite
def graphs_and_starts(draw):
    graph = draw(lineage_graphs())
    if draw(st.booleans()):
        index = draw(st.integers(0, graph["runs"] - 1))
        return graph, f"run:r{index}", f"run:r{index}"
    index = draw(st.integers(0, len(graph["versions"]) - 1))
    return graph, version_ref(graph, index), f"version:{index + 1}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=graphs_and_starts(), depth=st.one_of(st.none(), st.integers(0, 6)))
def test_ancestry_and_impact_match_networkx(store_dir, tmp_path_factory, case, depth):
    graph, ref, key = case
    where = emptied(store_dir) if isinstance(store_dir, str) else tmp_path_factory.mktemp("g")
    store = build_lineage_store(where, graph)
    g = lineage_networkx(graph)
    for walk, directed in ((store.ancestry, g.reverse(copy=False)), (store.impact, g)):
        expected = nx.single_source_shortest_path_length(directed, key, cutoff=depth)
        sub = walk(ref, depth=depth)
        got = {query.node_key(n["kind"], n["id"]): n["depth"] for n in sub.nodes}
        assert got == expected and len(sub.nodes) == len(got)
        pairs = [(e["source"], e["target"]) for e in sub.edges]
        assert set(pairs) == set(g.subgraph(expected).edges) and len(pairs) == len(set(pairs))  # a cycle's start too
        # Nodes by depth, then kind and id; edges by source and target: renderings follow these orders.
        assert [(n["depth"], n["kind"], n["id"]) for n in sub.nodes] == sorted(
            (n["depth"], n["kind"], n["id"]) for n in sub.nodes
        )
        assert pairs == sorted(pairs)
        assert set(sub.to_networkx().nodes) == set(expected)
    store.close()


def test_tutorial_type_graph(tutorial):
    g = tutorial.graph()
    jobs = ["load-data", "preprocess-data", "initialize", "train", "report"]
    assert dict(g.nodes(data="kind")) == {
        **{f"job:{j}": "job_type" for j in jobs},
        "type:dataset": "artifact_type",
        "type:model": "artifact_type",
    }
    assert g.nodes["type:dataset"] == {"kind": "artifact_type", "label": "dataset", "count": 2}
    assert g.nodes["job:train"] == {"kind": "job_type", "label": "train", "count": 1}
    assert {(u, v, d["kind"]) for u, v, d in g.edges(data=True)} == {
        ("job:load-data", "type:dataset", "produced"),
        ("job:preprocess-data", "type:dataset", "produced"),
        ("job:initialize", "type:model", "produced"),
        ("job:train", "type:model", "produced"),
        ("type:dataset", "job:preprocess-data", "consumed"),
        ("type:dataset", "job:train", "consumed"),
        ("type:dataset", "job:report", "consumed"),
        ("type:model", "job:train", "consumed"),
        ("type:model", "job:report", "consumed"),
    }


def test_tutorial_exploded_graph(tutorial):
    g = tutorial.graph(explode=True)
    runs = {r.job_type: r for r in tutorial.runs()}
    label = {key: data["label"] for key, data in g.nodes(data=True)}
    assert sorted(label.values()) == sorted(
        [f"{job}:{runs[job].name}" for job in runs]
        + ["dataset:mnist-raw:v0", "dataset:mnist-preprocess:v0", "model:convnet:v0", "model:trained-model:v0"]
    )
    edges = {(label[u], label[v], d["kind"]) for u, v, d in g.edges(data=True)}
    name = {job: f"{job}:{r.name}" for job, r in runs.items()}
    assert edges == {
        (name["load-data"], "dataset:mnist-raw:v0", "produced"),
        ("dataset:mnist-raw:v0", name["preprocess-data"], "consumed"),
        (name["preprocess-data"], "dataset:mnist-preprocess:v0", "produced"),
        (name["initialize"], "model:convnet:v0", "produced"),
        ("dataset:mnist-preprocess:v0", name["train"], "consumed"),
        ("model:convnet:v0", name["train"], "consumed"),
        (name["train"], "model:trained-model:v0", "produced"),
        ("model:trained-model:v0", name["report"], "consumed"),
        ("dataset:mnist-preprocess:v0", name["report"], "consumed"),
    }
    version = next(d for _, d in g.nodes(data=True) if d["label"] == "model:trained-model:v0")
    assert version["kind"] == "version" and version["type"] == "model" and version["ref"] == "trained-model:v0"
    assert version["aliases"] == ["latest"] and version["deleted"] is False and version["file_count"] == 1
    run = g.nodes[f"run:{runs['train'].id}"]
    assert run["kind"] == "run" and run["job_type"] == "train" and run["state"] == "finished"
    assert run["config"] == {} and run["summary"] == {}


def test_tutorial_ancestry_and_impact(tutorial):
    train = next(r for r in tutorial.runs() if r.job_type == "train")
    assert labels(tutorial.ancestry("trained-model:latest", depth=2)) == {
        "model:trained-model:v0": 0,
        train.label: 1,
        "dataset:mnist-preprocess:v0": 2,
        "model:convnet:v0": 2,
    }
    impact = tutorial.impact("mnist/mnist-raw:v0")
    runs = {r.job_type: r.label for r in tutorial.runs()}
    # report is reached through mnist-preprocess (3 edges) before trained-model (5).
    assert labels(impact) == {
        "dataset:mnist-raw:v0": 0,
        runs["preprocess-data"]: 1,
        "dataset:mnist-preprocess:v0": 2,
        runs["train"]: 3,
        runs["report"]: 3,
        "model:trained-model:v0": 4,
    }
    assert {n["label"] for n in tutorial.impact(f"run:{train.name}").nodes} >= {"model:trained-model:v0"}
    table = impact.to_arrow()
    assert table.column_names == ["kind", "id", "label", "depth"] and table.num_rows == len(impact.nodes)
    assert json.loads(table.schema.metadata[b"edges"]) == impact.edges


def test_deleted_versions_stay_in_lineage(store_dir):
    store = log_tutorial(store_dir)
    store.delete("mnist-raw:v0")
    assert "dataset:mnist-raw:v0" in labels(store.ancestry("trained-model"))
    assert "model:trained-model:v0" in labels(store.impact("mnist-raw:v0"))
    assert store.graph(explode=True).nodes["version:1"]["deleted"] is True


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("nope", "no artifact named 'nope'"),
        ("trained-model:v7", "has no version v7"),
        ("trained-model:best", "has no alias 'best'"),
        ("run:nobody", "no run with id or name 'nobody'"),
    ],
)
def test_unknown_refs_raise_not_found(tutorial, ref, message):
    for walk in (tutorial.ancestry, tutorial.impact):
        with pytest.raises(lineage.NotFoundError, match=message):
            walk(ref)


@pytest.mark.parametrize("depth", [-1, 1.5, "2", True])
def test_bad_depth_is_refused(tutorial, depth):
    with pytest.raises(lineage.InvalidArgumentError, match="invalid depth"):
        tutorial.ancestry("trained-model", depth=depth)


def test_bare_name_in_two_projects_is_refused(store_dir):
    for project in ("p1", "p2"):
        with lineage.init(project=project, job_type="load-data", dir=store_dir) as run:
            artifact = lineage.Artifact("data", type="dataset")
            with artifact.new_file("x.txt") as f:
                f.write(project)
            run.log_artifact(artifact)
    store = lineage.Store(store_dir)
    with pytest.raises(lineage.InvalidArgumentError, match="several projects"):
        store.ancestry("data")
    assert labels(store.ancestry("p2/data", depth=0)) == {"dataset:data:v0": 0}
    # The SQL file alone gives no rows for an ambiguous bare name rather than a guess.
    assert query.run_query_file(store, "ancestry", {"ref": "data", "depth": -1}).num_rows == 0


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM runs",
        "UPDATE aliases SET alias = 'x'",
        "CREATE TABLE t (x INTEGER)",
        "DROP VIEW edges",
        "PRAGMA user_version = 7",
        "ATTACH 'other.db' AS other",
    ],
)
def test_sql_refuses_writes(tutorial, statement, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = tutorial.sql("SELECT count(*) AS n FROM runs").to_pylist()
    # PostgreSQL has no PRAGMA or ATTACH: there they are SQL errors before anything runs.
    sqlite_only = tutorial.url is not None and statement.startswith(("PRAGMA", "ATTACH"))
    with pytest.raises(lineage.InvalidArgumentError, match="syntax error" if sqlite_only else "read-only"):
        tutorial.sql(statement)
    assert tutorial.sql("SELECT count(*) AS n FROM runs").to_pylist() == before
    assert tutorial.status().schema_version == SCHEMA_VERSION
    assert not (tmp_path / "other.db").exists()


def test_sql_errors_are_one_line(tutorial):
    with pytest.raises(lineage.InvalidArgumentError, match="one statement at a time"):
        tutorial.sql("SELECT 1; SELECT 2")
    missing = "no such table: nope" if tutorial.url is None else 'relation "nope" does not exist'
    with pytest.raises(lineage.InvalidArgumentError, match=f"SQL error: {missing}"):
        tutorial.sql("SELECT * FROM nope")


def test_sql_returns_arrow_with_params(tutorial):
    table = tutorial.sql("SELECT name, job_type FROM runs WHERE job_type = :job", {"job": "train"})
    assert table.column_names == ["name", "job_type"] and table.column("job_type").to_pylist() == ["train"]
    if tutorial.url is None:  # only SQLite lets one column hold numbers and text
        mixed = tutorial.sql("SELECT 1 AS x UNION ALL SELECT 'a'")
        assert sorted(mixed.column("x").to_pylist()) == ["1", "a"]


def test_run_query_file_by_name_and_path(tutorial, tmp_path):
    train = next(r for r in tutorial.runs() if r.job_type == "train")
    io = query.run_query_file(tutorial, "run_io", {"$run": f"run:{train.name}"})
    assert sorted(zip(io.column("direction").to_pylist(), io.column("label").to_pylist(), strict=True)) == [
        ("input", "dataset:mnist-preprocess:v0"),
        ("input", "model:convnet:v0"),
        ("output", "model:trained-model:v0"),
    ]
    path = tmp_path / "mine.sql"
    path.write_text("SELECT count(*) AS n FROM versions WHERE number >= $min")
    assert query.run_query_file(tutorial, path, {"min": 0}).to_pylist() == [{"n": 4}]
    with pytest.raises(lineage.NotFoundError, match="no query named 'nope'"):
        query.run_query_file(tutorial, "nope")


def test_duckdb_reads_the_store(tutorial):
    if tutorial.url is not None:
        with pytest.raises(lineage.InvalidArgumentError, match="is a PostgreSQL store: use store.sql"):
            tutorial.duckdb()
        return
    con = tutorial.duckdb()
    assert con.sql("SELECT count(*) FROM lineage.runs").fetchone() == (5,)
    # DuckDB's sqlite scanner counts WITHOUT ROWID tables (the edge tables) by a column only.
    assert con.sql("SELECT count(run_id) FROM consumed").fetchone() == (5,)
    assert con.sql("SELECT kind, count(src_id) FROM edges GROUP BY kind ORDER BY kind").fetchall() == [
        ("consumed", 5),
        ("produced", 4),
    ]
    with pytest.raises(Exception, match="(?i)read.only|read-only"):
        con.execute("DELETE FROM lineage.runs")


def test_export_round_trips_through_parquet(tutorial, tmp_path):
    paths = query.export(tutorial, tmp_path / "out")
    names = {p.stem for p in paths}
    assert {"runs", "versions", "consumed", "produced", "edges", "version_refs", "run_labels"} <= names
    for path in paths:
        original = tutorial.sql(f'SELECT * FROM "{path.stem}"')
        assert pq.read_table(path).to_pylist() == original.to_pylist()
    assert pq.read_table(tmp_path / "out" / "runs.parquet").num_rows == 5


def test_query_files_have_headers():
    assert {"ancestry", "impact", "exploded_edges", "type_graph", "run_io"} <= set(query.query_names())
    for name in query.query_names():
        text = query.read_query(name)
        lines = text.splitlines()
        header = "\n".join(line for line in lines[: next(i for i, ln in enumerate(lines) if not ln.startswith("--"))])
        assert header.startswith(f"-- {name}.sql: "), name
        assert "Parameters" in header and "Example" in header, name
        params = set(re.findall(r"\$([a-z_]+)", text))
        assert all(f"${p}" in header for p in params), (name, params)


def test_import_lineage_stays_light():
    import subprocess
    import sys

    heavy = "('duckdb', 'pyarrow', 'networkx', 'torch')"
    code = f"import sys, lineage; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
