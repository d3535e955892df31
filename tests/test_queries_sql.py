"""The ready-made queries/*.sql files give the same rows in Python's sqlite3, in the sqlite3
shell (a real subprocess) and in a plain DuckDB session (the extension loaded, the store
attached, no setting of ours); ancestry and impact agree with networkx; and their query
plans seek the walks' steps tables (upstream, downstream), also after ANALYZE."""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import subprocess
from collections import Counter
from importlib import resources

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lineage
from lineage import query
from lineage.storage.pg.dialect import strip_comments
from lineage.walks import WALKS
from tests.strategies import build_lineage_store, lineage_graphs, lineage_networkx
from tests.test_query import log_tutorial

SHELL = shutil.which("sqlite3")
NAMES = ["a0", "a1", "a2"]


def python_rows(db, text: str, params: dict) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return [tuple(row) for row in con.execute(text, params)]
    finally:
        con.close()


def shell_rows(db, name: str, params: dict) -> list[tuple]:
    """The rows of queries/<name>.sql in ``sqlite3 -readonly -json``, with .parameter set."""
    assert SHELL, "the sqlite3 shell is missing: `make test` installs it (apt-get install sqlite3)"
    path = resources.files("lineage").joinpath("queries", f"{name}.sql")
    script = [".parameter init"]
    for key, value in params.items():
        literal = str(value) if isinstance(value, int) else "'" + str(value).replace("'", "''") + "'"
        script.append(f".parameter set ${key} {literal}")
    script.append(f".read {path}")
    out = subprocess.run(
        [SHELL, "-readonly", "-bail", "-json", str(db)], input="\n".join(script) + "\n", capture_output=True, text=True
    )
    assert out.returncode == 0 and not out.stderr, out.stderr
    return [tuple(row.values()) for row in json.loads(out.stdout or "[]")]


def plain_duckdb(db):
    """The README's way: a fresh DuckDB session, the sqlite extension, ATTACH and USE; no settings."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"LOAD '{query.sqlite_extension_path()}'")
    con.execute(f"ATTACH '{db}' AS lineage (TYPE sqlite, READ_ONLY)")
    con.execute("USE lineage")
    return con


def plain_duckdb_rows(db, text: str, params: dict, con=None) -> list[tuple]:
    session = con or plain_duckdb(db)
    try:
        return [tuple(row) for row in session.execute(text, params).fetchall()]
    finally:
        if con is None:
            session.close()


# -- random stores: cycles, diamonds, deleted versions, names shared by two projects ----
@st.composite
def stores(draw) -> dict:
    graph = draw(lineage_graphs())
    artifacts = sorted(set(graph["versions"]))
    places = st.tuples(st.sampled_from(["p", "q"]), st.sampled_from(NAMES))
    named = draw(st.lists(places, min_size=len(artifacts), max_size=len(artifacts), unique=True))
    graph["artifacts"] = dict(zip(artifacts, named, strict=True))
    graph["deleted"] = draw(st.sets(st.integers(0, len(graph["versions"]) - 1)))
    return graph


def ref_texts(graph: dict) -> list[str]:
    runs = [f"run:{key}" for i in range(graph["runs"]) for key in (f"r{i}", f"run-{i}")]
    versions = [
        prefix + name + selector
        for prefix in ("", "p/", "q/")
        for name in NAMES
        for selector in ("", ":latest", ":v0", ":v1", ":nope")
    ]
    return [*runs, "run:nobody", *versions]


def expected_start(graph: dict, ref: str) -> str | None:
    """The node a ref names by the refs table's rules, computed from the graph; None if not one."""
    if ref.startswith("run:"):
        hits = {f"run:r{i}" for i in range(graph["runs"]) if ref[4:] in (f"r{i}", f"run-{i}")}
    else:
        head, _, selector = ref.partition(":")
        hits = set()
        for artifact, (project, name) in graph["artifacts"].items():
            if head not in (name, f"{project}/{name}"):
                continue
            mine = [i for i, a in enumerate(graph["versions"]) if a == artifact]
            if selector in ("", "latest"):
                live = [i for i in mine if i not in graph["deleted"]]
                chosen = live[-1:]
            else:
                chosen = [i for number, i in enumerate(mine) if selector == f"v{number}"]
            hits |= {f"version:{i + 1}" for i in chosen}
    return hits.pop() if len(hits) == 1 else None


def label(graph: dict, key: str) -> str:
    kind, id = key.split(":")
    if kind == "run":
        return f"job:run-{id[1:]}"
    index = int(id) - 1
    artifact = graph["versions"][index]
    return f"dataset:{graph['artifacts'][artifact][1]}:v{graph['versions'][:index].count(artifact)}"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(graph=stores(), data=st.data())
def test_walks_agree_with_networkx_in_sqlite_duckdb_and_python(tmp_path_factory, graph, data):
    store = build_lineage_store(tmp_path_factory.mktemp("g"), graph)
    db = store.dir / "lineage.db"
    g = lineage_networkx(graph)
    duck = plain_duckdb(db)
    for _ in range(3):
        ref = data.draw(st.sampled_from(ref_texts(graph)), label="ref")
        depth = data.draw(st.integers(-1, 5), label="depth")
        start = expected_start(graph, ref)
        for name, directed in (("ancestry", g.reverse(copy=False)), ("impact", g)):
            reached = (
                {}
                if start is None
                else nx.single_source_shortest_path_length(directed, start, cutoff=None if depth < 0 else depth)
            )
            expected = sorted((*key.split(":"), label(graph, key)) for key in reached)
            text = query.read_query(name)
            params = {"ref": ref, "depth": depth}
            assert sorted(python_rows(db, text, params)) == expected, (name, ref, depth)
            assert sorted(plain_duckdb_rows(db, text, params, duck)) == expected, (name, ref, depth)
            if start is None:
                with pytest.raises(lineage.LineageError):
                    getattr(store, name)(ref, depth=None if depth < 0 else depth)
                continue
            sub = getattr(store, name)(ref, depth=None if depth < 0 else depth)
            assert {query.node_key(n["kind"], n["id"]): n["depth"] for n in sub.nodes} == reached
            assert [
                (n["kind"], n["id"], n["label"]) for n in sorted(sub.nodes, key=lambda n: (n["kind"], n["id"]))
            ] == [tuple(row) for row in expected]
            assert {(e["source"], e["target"]) for e in sub.edges} == set(g.subgraph(reached).edges)
    duck.close()
    store.close()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(graph=stores(), run=st.sampled_from(["r0", "run:r0", "run-0", "run:run-1", "nobody"]))
def test_graph_files_agree_in_sqlite_and_plain_duckdb(tmp_path_factory, graph, run):
    store = build_lineage_store(tmp_path_factory.mktemp("g"), graph)
    db = store.dir / "lineage.db"
    for name, params in (("exploded_edges", {}), ("type_graph", {}), ("run_io", {"run": run})):
        text = query.read_query(name)
        expected = python_rows(db, text, params)
        assert Counter(plain_duckdb_rows(db, text, params)) == Counter(expected), name
    edges = {(source, target) for _, source, target, *_ in python_rows(db, query.read_query("exploded_edges"), {})}
    assert edges == set(lineage_networkx(graph).edges)
    store.close()


# -- the tutorial store in the sqlite3 shell, Python and a plain DuckDB session -------------
@pytest.fixture(scope="module")
def tutorial_db(tmp_path_factory):
    store = log_tutorial(tmp_path_factory.mktemp("tutorial"))
    store.close()
    return store.dir / "lineage.db"


TUTORIAL_CASES = [
    ("exploded_edges", {}),
    ("type_graph", {}),
    ("run_io", {"run": "run:" + "placeholder"}),
    *[
        (name, {"ref": ref, "depth": depth})
        for name in ("ancestry", "impact")
        for ref in ("trained-model:latest", "mnist/mnist-raw:v0", "mnist-preprocess", "convnet:v9", "run:nobody")
        for depth in (-1, 0, 1, 3)
    ],
]


@pytest.mark.parametrize(("name", "params"), TUTORIAL_CASES)
def test_tutorial_same_rows_in_shell_python_and_plain_duckdb(tutorial_db, name, params):
    if name == "run_io":
        params = {"run": python_rows(tutorial_db, "SELECT 'run:' || name FROM runs WHERE job_type = 'train'", {})[0][0]}
    text = query.read_query(name)
    expected = python_rows(tutorial_db, text, params)
    assert Counter(shell_rows(tutorial_db, name, params)) == Counter(expected)
    assert Counter(plain_duckdb_rows(tutorial_db, text, params)) == Counter(expected)
    if name == "exploded_edges":
        # DuckDB 1.5.5's common_subplan read one edge table twice here (16 rows of 18 on the pipeline's store).
        counts = python_rows(
            tutorial_db, "SELECT (SELECT count(*) FROM produced) + (SELECT count(*) FROM consumed)", {}
        )
        assert len(expected) == counts[0][0] == 9
    if name == "ancestry" and params == {"ref": "trained-model:latest", "depth": -1}:
        assert len(expected) == 8  # four runs and their four versions: all but the report run
    if name in ("ancestry", "impact") and not params["ref"].endswith(("v9", "nobody")):
        store = lineage.Store(tutorial_db.parent)
        walk = getattr(store, name)(params["ref"], depth=None if params["depth"] < 0 else params["depth"])
        assert sorted((n["kind"], n["id"], n["label"]) for n in walk.nodes) == sorted(expected)
        store.close()


# -- query plans ---------------------------------------------------------------------------
def big_store(tmp_path):
    """A few thousand versions: popular datasets, warm-start chains and a hub, for the planner."""
    rng = random.Random(7)
    n_runs, n_versions = 3000, 3000
    produced = {(i, i) for i in range(n_versions)}
    consumed = set()
    for run in range(10, n_runs):
        consumed.add((run, rng.randrange(5)))  # a few popular datasets
        consumed.add((run, run - 1))  # warm start from the previous model
    graph = {"runs": n_runs, "versions": [i % 3 for i in range(n_versions)], "produced": produced, "consumed": consumed}
    return build_lineage_store(tmp_path, graph)


def recursive_step_plans(con, text: str, params: dict) -> list[list[str]]:
    """The plan of each recursive step in ``text`` (the files have two walks, the API one)."""
    plan = con.execute("EXPLAIN QUERY PLAN " + text, params).fetchall()
    ids = [row[0] for row in plan if row[3] == "RECURSIVE STEP"]
    return [[row[3] for row in plan if row[1] == step] for step in ids]


# Each step of a walk is one seek into upstream (ancestry) or downstream (impact), by node.
WALK_LOOKUP = "SEARCH s USING PRIMARY KEY (node=?)"


@pytest.mark.parametrize("name", ["ancestry", "impact"])
def test_walks_seek_their_steps_table_before_and_after_analyze(tmp_path, name):
    store = big_store(tmp_path)
    con = sqlite3.connect(store.dir / "lineage.db")
    walks = {  # name: (text, parameters, how many recursive walks it holds)
        f"{name}.sql": (query.read_query(name), {"ref": "p/a0:v0", "depth": -1}, 2),  # walk and near
        f"store.{name}": (WALKS[name, False], {"ref": "p/a0:v0", "depth": 2}, 1),
        f"store.{name}, depth 3": (WALKS[name, True], {"ref": "p/a0:v0", "depth": 3}, 1),
    }
    for moment in ("fresh", "after ANALYZE", "after PRAGMA optimize"):
        if moment == "after ANALYZE":
            con.execute("ANALYZE")
            assert con.execute("SELECT count(*) FROM sqlite_stat1").fetchone()[0] > 0
        elif moment == "after PRAGMA optimize":
            con.execute("PRAGMA optimize")
        for walk, (text, params, count) in walks.items():
            steps = recursive_step_plans(con, text, params)
            assert len(steps) == count, (walk, moment, steps)
            for step in steps:
                loops = [line for line in step if line.startswith(("SCAN", "SEARCH"))]
                assert loops[0] in ("SCAN w", "SCAN n"), (walk, moment, step)  # the walk is the outer loop
                assert step[-1] == WALK_LOOKUP, (walk, moment, step)
                assert not any("BLOOM" in line or line.startswith("SCAN s") for line in step), (walk, moment, step)
        for text, _, _ in walks.values():
            plan = " ".join(row[3] for row in con.execute("EXPLAIN QUERY PLAN " + text, {"ref": "x", "depth": 1}))
            assert "SEARCH r USING PRIMARY KEY (ref=?)" in plan, plan
    # And the answer is still right: the newest model's ancestry is the whole chain.
    rows = con.execute(query.read_query("ancestry"), {"ref": "p/a2:v999", "depth": -1}).fetchall()
    assert len(rows) >= 2 * 2990
    con.close()
    store.close()


def test_lineage_connections_keep_temp_tables_in_memory(tmp_path):
    # The walks materialize and sort small tables on every query: on disk each would
    # create and delete a temp file, so both kinds of connection keep them in memory.
    store = big_store(tmp_path)
    assert store.db.read_one("PRAGMA temp_store") == (2,)
    assert store.sql("PRAGMA temp_store").column(0).to_pylist() == [2]
    store.close()


def test_ancestry_and_impact_are_one_walk_in_two_directions():
    # The two files stand alone (each runs unchanged in every engine), so they are near-copies;
    # their SQL differs in the steps table they read and in nothing else.
    code = {name: strip_comments(query.read_query(name)) for name in ("ancestry", "impact")}
    assert code["ancestry"].count("upstream") == 2 and "downstream" not in code["ancestry"]  # walk and near
    assert code["ancestry"].replace("upstream", "downstream") == code["impact"]
