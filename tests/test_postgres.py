"""The PostgreSQL backend: its schema agrees with schema.sql, its errors are one line, the
ready-made queries give SQLite's rows (through store.sql and in psql), and many processes
(in separate working folders) share one store: one schema, no lost or reused version number,
gc waits for every writer's staged blobs."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import psycopg
import pytest

import lineage
from lineage import query
from lineage.fsck import fsck
from lineage.gc import gc
from lineage.storage.db import SCHEMA_VERSION, schema_sql, statements, table_names
from lineage.storage.pg import dialect
from lineage.tracking import shared_store
from tests.helpers.postgres import program
from tests.test_concurrency import HELPERS, finish
from tests.test_queries_sql import TUTORIAL_CASES, python_rows
from tests.test_query import log_tutorial

WRITERS = 8
PER_WRITER = 25


def sqlite_shape(db: Path) -> dict:
    con = sqlite3.connect(db)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
        columns = {n: [r[1] for r in con.execute(f'PRAGMA table_info("{n}")')] for n in names}
        indexes = {
            r[0]
            for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'")
        }
        triggers = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    finally:
        con.close()
    return {"columns": columns, "indexes": indexes, "triggers": triggers}


def postgres_shape(url: str) -> dict:
    with psycopg.connect(url) as con:
        rows = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name <> 'lineage_schema' ORDER BY table_name, ordinal_position"
        ).fetchall()
        columns: dict[str, list[str]] = {}
        for table, column in rows:
            columns.setdefault(table, []).append(column)
        indexes = {
            r[0]
            for r in con.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey' "
                "AND indexname NOT LIKE '%_key'"
            )
        }
        triggers = {r[0] for r in con.execute("SELECT DISTINCT trigger_name FROM information_schema.triggers")}
    return {"columns": columns, "indexes": indexes, "triggers": triggers}


def test_the_postgresql_schema_has_the_tables_columns_indexes_and_triggers_of_schema_sql(tmp_path, pg_url):
    lineage.Store(tmp_path / "folder").create().close()
    lineage.Store(pg_url).create(blobs=tmp_path / "blobs").close()
    assert postgres_shape(pg_url) == sqlite_shape(tmp_path / "folder" / "lineage.db")
    named = {dialect.strip_comments(s).split()[5] for s in statements(schema_sql()) if "CREATE TRIGGER" in s}
    assert set(dialect.trigger_statements()) == named  # every trigger has its PL/pgSQL twin
    store = lineage.Store(pg_url)
    assert store.status().schema_version == SCHEMA_VERSION
    names = table_names(store.db)
    assert "store_settings" in names and "lineage_schema" not in names


PG_STORE_V8 = Path(__file__).parent / "fixtures" / "pg-store-v8"  # its make.py says how it was made


def test_a_store_made_at_schema_8_migrates_to_a_fresh_stores_schema_and_keeps_its_lineage(postgres_server, tmp_path):
    url = postgres_server.new_database()
    restore = [program("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(PG_STORE_V8 / "dump.sql"), url]
    subprocess.run(restore, check=True, capture_output=True)
    shutil.copytree(PG_STORE_V8 / "blobs", tmp_path / "blobs")
    with psycopg.connect(url) as con:
        con.execute("UPDATE store_settings SET value = %s WHERE key = 'blob_root'", (str(tmp_path / "blobs"),))
        assert con.execute("SELECT version FROM lineage_schema").fetchone() == (8,)

    store = lineage.Store(url)
    assert store.status().schema_version == SCHEMA_VERSION  # opening it migrated it
    lineage.Store(tmp_path / "fresh").create().close()
    assert postgres_shape(url) == sqlite_shape(tmp_path / "fresh" / "lineage.db")
    versions = {n["label"] for n in store.ancestry("mnist/model:prod").nodes if n["kind"] == "version"}
    assert versions == {"model:model:v0", "dataset:clean:v0", "dataset:extra:v0", "dataset:raw:v1"}
    assert {n["label"] for n in store.impact("raw:v1").nodes if n["kind"] == "version"} == versions
    assert store.artifact("model-registry/mnist:production").qualified_name == "mnist/model:v0"
    assert store.artifact("other/raw:latest").files()[0].path == "data.txt"
    with pytest.raises(lineage.NotFoundError):
        store.artifact("mnist/raw:v0")
    report = store.fsck()  # sound; the deleted raw:v0 left its blob for gc
    assert report.ok and [p.kind for p in report.problems] == ["unreferenced_blob"], report.problems
    with lineage.init(project="mnist", job_type="load", dir=url) as run:  # and it takes new work
        art = lineage.Artifact("raw", type="dataset")
        with art.new_file("data.txt") as f:
            f.write("raw v2")
        assert run.log_artifact(art).wait().version == "v2"
    assert store.artifact("mnist/raw").version == "v2"
    store.close()


def test_run_counts_count_runs_however_many_one_statement_inserts(store_on_postgres):
    # PostgreSQL's run_counts trigger runs once per statement (a COPY of many runs updates each
    # project's row once); the counts must still be exact, and the next default name follow them.
    url = store_on_postgres
    with lineage.init(project="p", dir=url):
        pass
    columns = "id, project, name, state, started_at, host, pid"
    with psycopg.connect(url) as con:
        with con.cursor().copy(f"COPY runs ({columns}) FROM STDIN") as copy:
            for i in range(3000):
                copy.write_row((f"c{i}", "p" if i % 3 else "q", f"n{i}", "finished", "2026-01-01T00:00:00Z", "h", 1))
        con.execute(
            f"INSERT INTO runs ({columns}) VALUES ('c0', 'q', 'again', 'finished', 'x', 'h', 1), "
            "('m1', 'q', 'm1', 'finished', 'x', 'h', 1), ('m2', 'r', 'm2', 'finished', 'x', 'h', 1) "
            "ON CONFLICT (id) DO NOTHING"
        )
        counted = dict(con.execute("SELECT project, count(*) FROM runs GROUP BY project").fetchall())
        assert dict(con.execute("SELECT project, runs FROM run_counts").fetchall()) == counted
    assert counted == {"p": 2001, "q": 1001, "r": 1}
    with lineage.init(project="q", dir=url) as run:
        assert run.name.endswith("-1002")


def test_wide_values_keep_their_range_on_postgresql(store_on_postgres):
    # SQLite integers are 64-bit and its REAL a double: so are the PostgreSQL columns.
    with lineage.init(project="p", dir=store_on_postgres) as run:
        run.log({"x": 1e300, "tiny": 5e-324, "inf": float("inf")}, step=2**62)
    run_info = lineage.Store(store_on_postgres).runs()[0]
    rows = lineage.Store(store_on_postgres).sql("SELECT step, key, value FROM history ORDER BY key").to_pylist()
    assert rows == [
        {"step": 2**62, "key": "inf", "value": float("inf")},
        {"step": 2**62, "key": "tiny", "value": 5e-324},
        {"step": 2**62, "key": "x", "value": 1e300},
    ]
    assert run_info.state == "finished"


@pytest.fixture
def store_on_postgres(tmp_path, pg_url) -> str:
    lineage.Store(pg_url).create(blobs=tmp_path / "blobs").close()
    return pg_url


@pytest.mark.parametrize(
    ("database", "query", "message"),
    [
        ("x", "host=/nonexistent-socket-folder", "cannot reach the PostgreSQL server of store"),
        ("nope_no_such_db", "host={socket}&user={user}", "no PostgreSQL database for store"),
        ("postgres", "host={socket}&user=nobody_here", "PostgreSQL refused the login to store"),
    ],
)
def test_unreachable_missing_or_refusing_servers_are_one_line_errors(postgres_server, database, query, message):
    url = f"postgresql:///{database}?{query.format(socket=postgres_server.socket, user=postgres_server.user)}"
    with pytest.raises(lineage.LineageError, match=message) as caught:
        lineage.Store(url).open()
    assert "\n" not in str(caught.value)
    done = subprocess.run(
        [sys.executable, "-m", "lineage.cli", "--store", url, "status"], capture_output=True, text=True
    )
    assert done.returncode != 0 and message in done.stderr and "Traceback" not in done.stderr


def test_a_store_needs_a_blob_root_and_opening_a_missing_one_is_not_found(pg_url, tmp_path):
    with pytest.raises(lineage.InvalidArgumentError, match="--blobs FOLDER"):
        lineage.Store(pg_url).create()
    with pytest.raises(lineage.NotFoundError, match="no lineage store in"):
        lineage.Store(pg_url).open()
    assert not lineage.Store(pg_url).exists()
    with psycopg.connect(pg_url) as con:  # nothing was created
        assert con.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)


def test_a_database_holding_other_tables_is_refused_and_left_alone(pg_url, tmp_path):
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("CREATE TABLE theirs (x integer)")
    with pytest.raises(lineage.SchemaVersionError, match="holds tables but is not a lineage store"):
        lineage.Store(pg_url).create(blobs=tmp_path / "blobs")
    with psycopg.connect(pg_url) as con:
        assert [r[0] for r in con.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")] == ["theirs"]


# -- the ready-made queries ----------------------------------------------------------------
COPY_ORDER = ["runs", "artifacts", "versions", "aliases", "blobs", "files", "produced", "consumed"]


@pytest.fixture(scope="module")
def twin_stores(tmp_path_factory, postgres_server) -> tuple[Path, str]:
    """The tutorial in a folder store, and the same rows (ids, names, times) in a PostgreSQL store."""
    folder = tmp_path_factory.mktemp("tutorial")
    log_tutorial(folder).close()
    url = postgres_server.new_database()
    lineage.Store(url).create(blobs=folder / "blobs").close()
    source = sqlite3.connect(folder / "lineage.db")
    with psycopg.connect(url) as con:
        for table in COPY_ORDER:
            cursor = source.execute(f"SELECT * FROM {table}")
            names = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
            if rows:
                marks = ", ".join(["%s"] * len(names))
                con.cursor().executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", rows)
    source.close()
    return folder / "lineage.db", url


def psql_rows(url: str, name: str, params: dict) -> list[tuple]:
    """Rows of queries/<name>.sql in psql, as its header shows ($name as psql's :'name')."""
    path = Path(__file__).parent.parent / "queries" / f"{name}.sql"
    variables = [f"-v{key}={value}" for key, value in params.items()]
    command = ["psql", url, "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", *variables]
    text = subprocess.run(["sed", r"s/\$\([a-z_]*\)/:'\1'/g", str(path)], capture_output=True, text=True, check=True)
    done = subprocess.run(command, input=text.stdout, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and not done.stderr, done.stderr
    return [tuple(line.split("\t")) for line in done.stdout.splitlines() if line]


def as_text(rows: list[tuple]) -> list[tuple]:
    return [tuple("" if v is None else str(v) for v in row) for row in rows]


@pytest.mark.parametrize(("name", "params"), TUTORIAL_CASES)
def test_ready_made_queries_give_sqlites_rows_through_store_sql_and_psql(twin_stores, name, params):
    db, url = twin_stores
    if name == "run_io":
        params = {"run": python_rows(db, "SELECT 'run:' || name FROM runs WHERE job_type = 'train'", {})[0][0]}
    expected = python_rows(db, query.read_query(name), params)
    store = lineage.Store(url)
    got = [tuple(row.values()) for row in query.run_query_file(store, name, params).to_pylist()]
    assert Counter(got) == Counter(expected)  # the walks' files return their rows in no set order
    assert Counter(psql_rows(url, name, params)) == Counter(as_text(expected))
    store.close()


def test_lineage_sql_on_a_postgresql_store(twin_stores):
    _, url = twin_stores
    done = subprocess.run(
        [sys.executable, "-m", "lineage.cli", "--store", url, "sql", "SELECT count(*) AS n FROM versions", "--json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"n": 4}]
    refused = subprocess.run(
        [sys.executable, "-m", "lineage.cli", "--store", url, "sql", "DELETE FROM runs"], capture_output=True, text=True
    )
    assert refused.returncode != 0 and "read-only" in refused.stderr and "Traceback" not in refused.stderr


# -- many processes ------------------------------------------------------------------------
def _open_new_store(url: str, blobs: str, start, results) -> None:
    start.wait()
    try:
        lineage.Store(url).create(blobs=blobs).runs()
        results.put("ok")
    except BaseException as exc:  # report every failure to the parent, whatever it is
        results.put(f"{type(exc).__name__}: {exc}")


def test_eight_processes_opening_a_new_empty_database_at_once_make_one_schema(postgres_server, tmp_path):
    context = multiprocessing.get_context("fork")
    failures = []
    for attempt in range(5):
        url = postgres_server.new_database()
        start, results = context.Event(), context.Queue()
        blobs = str(tmp_path / f"blobs-{attempt}")  # a root belongs to one store
        children = [context.Process(target=_open_new_store, args=(url, blobs, start, results)) for _ in range(WRITERS)]
        for child in children:
            child.start()
        start.set()
        for child in children:
            child.join(60)
        failures += [r for r in (results.get(timeout=10) for _ in children) if r != "ok"]
        assert failures == []
        with psycopg.connect(url) as con:
            assert con.execute("SELECT count(*) FROM lineage_schema").fetchone() == (1,)
    assert failures == []


@pytest.mark.parametrize("blobs", ["shared folder", "s3"])
def test_two_groups_of_writers_in_separate_folders_share_one_numbering(pg_url, tmp_path, request, blobs):
    # Each group runs in its own working folder (as on its own host): PostgreSQL is all they share
    # for the metadata; the blob root is the shared folder or the S3 bucket the store records.
    root = request.getfixturevalue("s3_root") if blobs == "s3" else tmp_path / "blobs"
    lineage.Store(pg_url).create(blobs=root).close()
    store_on_postgres = pg_url
    go = tmp_path / "go"
    writers = []
    for group in range(2):
        cwd = tmp_path / f"host{group}"
        cwd.mkdir()
        for worker in range(group * WRITERS // 2, (group + 1) * WRITERS // 2):
            writers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        str(HELPERS / "writer.py"),
                        store_on_postgres,
                        str(worker),
                        str(PER_WRITER),
                        str(go),
                    ],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    cwd=cwd,
                )
            )
    time.sleep(0.3)
    go.touch()
    outputs = finish(writers)
    logged = [json.loads(line) for out in outputs for line in out.splitlines()]
    store = lineage.Store(store_on_postgres)
    shared = store.versions("shared")
    assert [v.version for v in shared] == [f"v{n}" for n in range(WRITERS * PER_WRITER)]
    told = {(e["version"], e["digest"]) for e in logged if e["artifact"] == "shared"}
    assert told == {(v.version, v.digest) for v in shared} and len(told) == WRITERS * PER_WRITER
    for worker in range(WRITERS):
        assert [v.version for v in store.versions(f"own-{worker}")] == [f"v{n}" for n in range(PER_WRITER)]
    assert sorted(r.state for r in store.runs()) == ["finished"] * WRITERS
    report = fsck(store)
    assert report.clean, report.problems
    assert report.blobs_checked == 2 * WRITERS * PER_WRITER + 1


def test_gc_waits_for_a_writer_on_another_connection_that_has_staged_blobs(store_on_postgres, tmp_path):
    staged = lineage.Store(store_on_postgres)
    staged.staging.acquire()  # what a writer on another host holds from staging to commit
    try:
        other_host = lineage.Store(store_on_postgres)
        with pytest.raises(lineage.StoreBusyError, match="adding files"):
            gc(other_host, wait_s=0.3)
    finally:
        staged.staging.release()
    assert gc(lineage.Store(store_on_postgres), wait_s=5).executed


def test_explicit_ids_move_the_identity_on(store_on_postgres, tmp_path):
    # A copy or an import writes ids of its own: the next logged version still gets a new one.
    store = lineage.Store(store_on_postgres)
    with store.db.write() as con:
        con.execute(
            "INSERT INTO artifacts (id, project, name, type, created_at) VALUES (?, 'p', 'old', 'dataset', 'then')",
            (7,),
        )
    with lineage.init(project="p", dir=store_on_postgres) as run:
        art = lineage.Artifact("new", "dataset")
        with art.new_file("x.txt") as f:
            f.write("x")
        run.log_artifact(art)
    assert sorted(a.name for a in store.artifacts()) == ["new", "old"]
    assert store.sql("SELECT id FROM artifacts WHERE name = 'new'").column(0).to_pylist() == [8]


def cli(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "LINEAGE_DIR"} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "lineage.cli", *args], capture_output=True, text=True, cwd=cwd, env=environment
    )


def test_every_machine_points_at_one_store_with_lineage_dir(pg_url, tmp_path):
    host_a, host_b, shared = tmp_path / "a", tmp_path / "b", tmp_path / "shared-blobs"
    host_a.mkdir()
    host_b.mkdir()
    refused = cli("init", pg_url, cwd=host_a)
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1 and "--blobs FOLDER" in refused.stderr
    created = cli("init", pg_url, "--blobs", str(shared), cwd=host_a)
    assert created.returncode == 0 and "created store at postgresql://" in created.stdout, created.stderr
    assert "store already at" in cli("init", pg_url, cwd=host_a).stdout
    script = (
        "import lineage\n"
        "with lineage.init(project='p', job_type='make') as run:\n"
        "    art = lineage.Artifact('data', 'dataset')\n"
        "    with art.new_file('a.txt') as f:\n"
        "        f.write('from host a')\n"
        "    run.log_artifact(art)\n"
    )
    env = {"LINEAGE_DIR": pg_url}
    done = subprocess.run([sys.executable, "-c", script], cwd=host_a, env={**os.environ, **env})
    assert done.returncode == 0
    status = json.loads(cli("status", "--json", cwd=host_b, env=env).stdout)
    assert status["versions"] == 1 and status["store"].startswith("postgresql://")
    got = cli("download", "data:latest", str(host_b / "data"), cwd=host_b, env=env)
    assert got.returncode == 0, got.stderr
    assert (host_b / "data" / "a.txt").read_text() == "from host a"
    assert not (host_a / ".lineage").exists() and not (host_b / ".lineage").exists()
    assert cli("verify", "data:latest", str(host_b / "data"), cwd=host_b, env=env).returncode == 0
    assert "no problems" in cli("fsck", cwd=host_b, env=env).stdout
    short = {"LINEAGE_DIR": pg_url.replace("postgresql://", "postgres://", 1)}  # libpq's other spelling
    assert json.loads(cli("status", "--json", cwd=host_b, env=short).stdout)["versions"] == 1


def test_the_blob_root_of_a_team_store_holding_blobs_never_moves(store_on_postgres, tmp_path):
    (tmp_path / "data.txt").write_text("hello")
    with lineage.init(project="p", job_type="prep", dir=store_on_postgres) as run:
        art = lineage.Artifact("data", "dataset")
        art.add_file(tmp_path / "data.txt")
        run.log_artifact(art)
    before = lineage.Store(store_on_postgres).sql("SELECT key, value FROM store_settings").to_pylist()
    with pytest.raises(lineage.ConflictError, match="already holds blobs in .*: its blob root cannot change"):
        lineage.Store(store_on_postgres).create(blobs=tmp_path / "elsewhere")
    lineage.Store(store_on_postgres).create(blobs=tmp_path / "blobs")  # the same root: nothing to do
    assert lineage.Store(store_on_postgres).sql("SELECT key, value FROM store_settings").to_pylist() == before
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize("pipelined", [True, False], ids=["pipelined", "statement-by-statement"])
def test_a_write_refused_mid_way_changes_nothing_and_the_connection_works_on(store_on_postgres, caplog, pipelined):
    # A write's statements go out without waiting for their results (pipeline mode): one the
    # server refuses is reported where the transaction next waits, here at its end. Nothing of
    # the transaction stays, the error is one line, and the connection works on, even for a
    # statement psycopg prepared in the aborted pipeline (on its sixth run: the server, skipping
    # everything after the refused statement, never prepared it).
    store = shared_store(store_on_postgres)  # the one lineage.init uses in this process
    store.db.pipelined = pipelined  # False: as with a libpq before 14
    insert = "INSERT INTO store_settings (key, value) VALUES (?, ?)"
    for i in range(5):
        with store.db.write() as con:
            con.execute(insert, (f"k{i}", "v"))
    refused = pytest.raises(lineage.LineageError, match="duplicate key value violates unique constraint")
    with refused as caught, store.db.write() as con:
        con.execute("INSERT INTO store_settings (value, key) VALUES (?, ?)", ("v", "k_first"))
        con.execute("INSERT INTO store_settings (value, key) VALUES (?, ?)", ("again", "k0"))  # refused
        con.execute(insert, ("k_after", "v"))  # its sixth run: psycopg prepares it
    assert "\n" not in str(caught.value) and str(caught.value).startswith("PostgreSQL store ")
    assert not [r for r in caplog.records if r.name.startswith("psycopg")]  # the pipeline ended quietly
    rows = dict(store.db.read("SELECT key, value FROM store_settings WHERE key LIKE 'k%'"))
    assert rows == {f"k{i}": "v" for i in range(5)}  # k_first went with the rest
    with store.db.write() as con:  # the same statement again, on the same connection
        con.execute(insert, ("k_later", "v"))
        assert (getattr(con, "pipeline", None) is not None) == pipelined
    # A refused read's error reaches the caller where it reads, with the same one line.
    with pytest.raises(lineage.LineageError, match="division by zero"), store.db.write() as con:
        con.execute("INSERT INTO store_settings (key, value) VALUES ('k_first', 'v')")
        con.execute("SELECT 1 / (SELECT count(*) FROM runs)").fetchone()
    assert store.db.read_one("SELECT count(*) FROM store_settings WHERE key LIKE 'k%'")[0] == 6
    # A run logging a version works the same either way.
    with lineage.init(project="p", dir=store_on_postgres) as run:
        art = lineage.Artifact("data", "dataset")
        with art.new_file("x.txt") as f:
            f.write("x")
        logged = run.log_artifact(art)
    assert logged._row == lineage.Store(store_on_postgres).artifact("p/data:v0")._row
    assert store.runs()[0].state == "finished"
