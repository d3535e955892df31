"""The ready-made queries/*.sql files: the same file gives the same rows in Python's sqlite3,
in the sqlite3 shell (a real subprocess) and in DuckDB over the attached store; and their
query plans walk the edge indexes, also after ANALYZE."""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import subprocess
from importlib import resources

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage import query
from tests.strategies import build_lineage_store, lineage_graphs

SHELL = shutil.which("sqlite3")


def python_rows(db, text: str, params: dict) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return [tuple(row) for row in con.execute(text, params)]
    finally:
        con.close()


def shell_rows(db, name: str, params: dict) -> list[tuple]:
    path = resources.files("lineage").joinpath("queries", f"{name}.sql")
    script = [".parameter init"]
    for key, value in params.items():
        literal = str(value) if isinstance(value, int) else "'" + str(value).replace("'", "''") + "'"
        script.append(f".parameter set ${key} {literal}")
    script += [".mode json", f".read {path}"]
    out = subprocess.run(
        [SHELL, "-readonly", "-bail", str(db)], input="\n".join(script) + "\n", capture_output=True, text=True
    )
    assert out.returncode == 0 and not out.stderr, out.stderr
    return [tuple(row.values()) for row in json.loads(out.stdout or "[]")]


def duckdb_rows(store, text: str, params: dict) -> list[tuple]:
    con = store.duckdb()
    try:
        return [tuple(row) for row in con.execute(text, params).fetchall()]
    finally:
        con.close()


@st.composite
def cases(draw):
    graph = draw(lineage_graphs())
    name = draw(st.sampled_from(["ancestry", "impact", "exploded_edges", "type_graph", "run_io"]))
    if name in ("ancestry", "impact"):
        if draw(st.booleans()):
            ref = f"run:{draw(st.sampled_from(['r0', 'run-0', 'r' + str(graph['runs'] - 1), 'nobody']))}"
        else:
            artifact = draw(st.sampled_from(sorted(set(graph["versions"]))))
            selector = draw(st.sampled_from(["", ":latest", ":v0", ":v1", ":nope"]))
            ref = draw(st.sampled_from(["", "p/", "entity/p/", "q/"])) + f"a{artifact}{selector}"
        params = {"ref": ref, "depth": draw(st.integers(-1, 5))}
    elif name == "run_io":
        params = {"run": draw(st.sampled_from(["r0", "run:r0", "run-0", f"run:run-{graph['runs'] - 1}", "nobody"]))}
    else:
        params = {}
    return graph, name, params


@pytest.mark.skipif(SHELL is None, reason="needs the sqlite3 shell")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases())
def test_three_engines_agree(tmp_path_factory, case):
    graph, name, params = case
    store = build_lineage_store(tmp_path_factory.mktemp("g"), graph)
    db = store.dir / "lineage.db"
    text = query.read_query(name)
    expected = python_rows(db, text, params)
    assert shell_rows(db, name, params) == expected
    assert duckdb_rows(store, text, params) == expected
    if name in ("ancestry", "impact") and params["ref"].startswith("p/") and params["ref"].endswith(":v0"):
        assert expected, "a version ref that exists reaches at least itself"
    store.close()


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


def recursive_step_plan(con, name: str) -> list[str]:
    plan = con.execute("EXPLAIN QUERY PLAN " + query.read_query(name), {"ref": "p/a0:v0", "depth": -1}).fetchall()
    ids = {row[0] for row in plan if row[3] == "RECURSIVE STEP"}
    assert len(ids) == 1, plan
    return [row[3] for row in plan if row[1] in ids]


@pytest.mark.parametrize(
    ("name", "lookups"),
    [
        (
            "ancestry",
            [
                "SEARCH p USING COVERING INDEX produced_by_version (version_id=?)",
                "SEARCH c USING PRIMARY KEY (run_id=?)",
            ],
        ),
        (
            "impact",
            [
                "SEARCH p USING COVERING INDEX consumed_by_version (version_id=?)",
                "SEARCH c USING PRIMARY KEY (run_id=?)",
            ],
        ),
    ],
)
def test_walk_uses_edge_indexes_before_and_after_analyze(tmp_path, name, lookups):
    store = big_store(tmp_path)
    con = sqlite3.connect(store.dir / "lineage.db")
    for moment in ("fresh", "after ANALYZE", "after PRAGMA optimize"):
        if moment == "after ANALYZE":
            con.execute("ANALYZE")
            assert con.execute("SELECT count(*) FROM sqlite_stat1").fetchone()[0] > 0
        elif moment == "after PRAGMA optimize":
            con.execute("PRAGMA optimize")
        step = recursive_step_plan(con, name)
        loops = [line for line in step if line.startswith(("SCAN", "SEARCH"))]
        assert loops[0] == "SCAN w", (moment, step)  # the walk is the outer loop
        for lookup in lookups:
            assert any(line.startswith(lookup) for line in step), (moment, step)
        assert not any("BLOOM" in line or line.startswith(("SCAN p", "SCAN c")) for line in step), (moment, step)
    # And the answer is still right: the newest model's ancestry is the whole chain.
    rows = con.execute(query.read_query("ancestry"), {"ref": "p/a2:v999", "depth": -1}).fetchall()
    assert max(r[3] for r in rows) >= 2 * 2990
    con.close()
    store.close()


def test_lineage_connections_keep_temp_tables_in_memory(tmp_path):
    # The walks materialize and sort small tables on every query: on disk each would
    # create and delete a temp file, so both kinds of connection keep them in memory.
    store = big_store(tmp_path)
    assert store.db.read_one("PRAGMA temp_store") == (2,)
    assert store.sql("PRAGMA temp_store").column(0).to_pylist() == [2]
    store.close()
