"""schema.sql is the one definition of the database; the SQLModel classes must agree with it."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine

import lineage
from lineage import models
from lineage.storage import db as dbmod
from lineage.storage import runs


def _describe(path) -> dict:
    """Tables with their columns, keys, foreign keys, indexes and rowid-ness."""
    con = sqlite3.connect(path)
    out = {}
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    for table in tables:
        columns = [
            (name, type_.upper(), bool(notnull), (dflt or "").strip("'"), pk)
            for _, name, type_, notnull, dflt, pk in con.execute(f"PRAGMA table_info({table})")
        ]
        foreign = sorted((r[2], r[3], r[4]) for r in con.execute(f"PRAGMA foreign_key_list({table})"))
        indexes = {}
        for _, name, unique, origin, partial in con.execute(f"PRAGMA index_list({table})"):
            cols = [r[2] for r in con.execute(f"PRAGMA index_info({name})")]
            # Auto-created indexes (keys, UNIQUE) have generated names: compare their shape.
            key = name if origin == "c" else f"{origin}:{','.join(cols)}"
            where = con.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()
            condition = where[0].split(" WHERE ", 1)[1].strip() if partial and where and where[0] else None
            indexes[key] = (bool(unique), cols, condition)
        sql = con.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
        checks = "CHECK" in sql.upper()
        out[table] = {
            "columns": columns,
            "foreign": foreign,
            "indexes": indexes,
            "without_rowid": "WITHOUT ROWID" in sql.upper(),
            "check": checks,
        }
    con.close()
    return out


def test_sqlmodel_classes_agree_with_schema_sql(tmp_path):
    from_sql = tmp_path / "from_sql.db"
    con = sqlite3.connect(from_sql)
    con.executescript(dbmod.schema_sql())
    con.close()

    from_models = tmp_path / "from_models.db"
    engine = create_engine(f"sqlite:///{from_models}")
    models.SQLModel.metadata.create_all(engine)
    engine.dispose()

    expected, actual = _describe(from_sql), _describe(from_models)
    assert sorted(expected) == sorted(actual)
    for table in expected:
        assert actual[table] == expected[table], table


def test_schema_sql_declares_every_table_with_a_comment():
    text = dbmod.schema_sql()
    for table in models.SQLModel.metadata.tables:
        position = text.index(f"CREATE TABLE IF NOT EXISTS {table} (")
        preceding = text[:position].rstrip().splitlines()[-1]
        assert preceding.startswith("--"), f"table {table} has no comment above it"


def test_new_store_has_current_schema_version_and_wal(tmp_path):
    store = lineage.Store(tmp_path / "s").create()
    con = sqlite3.connect(tmp_path / "s" / "lineage.db")
    assert con.execute("PRAGMA user_version").fetchone()[0] == dbmod.SCHEMA_VERSION
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    views = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    assert {"edges", "version_refs", "run_labels"} <= views
    store.close()


def test_schema_sql_runs_in_the_sqlite3_shell_and_makes_a_store_lineage_opens(tmp_path):
    import shutil
    import subprocess

    if shutil.which("sqlite3") is None:
        pytest.skip("no sqlite3 shell on this machine")
    (tmp_path / "s").mkdir()
    subprocess.run(["sqlite3", str(tmp_path / "s" / "lineage.db")], input=dbmod.schema_sql(), text=True, check=True)
    store = lineage.Store(tmp_path / "s")
    assert store.runs() == []


def test_newer_store_is_refused(tmp_path):
    store = lineage.Store(tmp_path / "s").create()
    store.close()
    con = sqlite3.connect(tmp_path / "s" / "lineage.db")
    con.execute(f"PRAGMA user_version = {dbmod.SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    with pytest.raises(lineage.SchemaVersionError, match="newer than this lineage"):
        lineage.Store(tmp_path / "s").runs()


def test_older_store_is_migrated_forward_in_one_transaction(tmp_path, monkeypatch):
    # No released schema is older than the current one yet; this proves the mechanism by
    # pretending the next version exists: a store at the current version gets the
    # migration and the version bump together, or nothing at all.
    old = dbmod.SCHEMA_VERSION
    lineage.Store(tmp_path / "s").create().close()
    monkeypatch.setattr(dbmod, "SCHEMA_VERSION", old + 1)

    monkeypatch.setitem(dbmod.MIGRATIONS, old, "ALTER TABLE runs ADD COLUMN probe TEXT;\nSELECT no_such_fn();")
    with pytest.raises(lineage.SchemaVersionError, match="left unchanged"):
        lineage.Store(tmp_path / "s").runs()
    con = sqlite3.connect(tmp_path / "s" / "lineage.db")
    assert con.execute("PRAGMA user_version").fetchone()[0] == old
    assert "probe" not in [r[1] for r in con.execute("PRAGMA table_info(runs)")]
    con.close()

    monkeypatch.setitem(dbmod.MIGRATIONS, old, "ALTER TABLE runs ADD COLUMN probe TEXT;")
    assert lineage.Store(tmp_path / "s").runs() == []
    con = sqlite3.connect(tmp_path / "s" / "lineage.db")
    assert con.execute("PRAGMA user_version").fetchone()[0] == old + 1
    assert "probe" in [r[1] for r in con.execute("PRAGMA table_info(runs)")]
    con.close()


FIXTURES = Path(__file__).parent / "fixtures"


def test_a_version_1_store_is_migrated_and_keeps_its_data(tmp_path):
    store_dir = tmp_path / "store"
    shutil.copytree(FIXTURES / "store-v1", store_dir)
    con = sqlite3.connect(store_dir / "lineage.db")
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    con.close()

    store = lineage.Store(store_dir)
    raw = store.artifact("mnist/mnist-raw:best")
    assert raw.open("training.txt").read() == b"0 1 2\n"
    assert [r.label for r in raw.used_by()] == ["train:brave-wave-2"]
    assert store.run("sunny-smoke-1").summary == {"loss": 0.5}
    con = sqlite3.connect(store_dir / "lineage.db")
    assert con.execute("PRAGMA user_version").fetchone()[0] == dbmod.SCHEMA_VERSION
    con.close()
    # The migrations reach exactly the schema a new store gets from schema.sql.
    fresh = tmp_path / "fresh.db"
    con = sqlite3.connect(fresh)
    con.executescript(dbmod.schema_sql())
    con.close()
    assert _describe(store_dir / "lineage.db") == _describe(fresh)


def test_open_finds_running_runs_through_the_small_index_also_after_analyze(tmp_path):
    store = lineage.Store(tmp_path / "store")
    store.create()
    con = sqlite3.connect(tmp_path / "store" / "lineage.db")
    con.executemany(
        "INSERT INTO runs (id, project, name, job_type, state, started_at, host, pid) "
        "VALUES (?, 'p', ?, 't', 'finished', '2026-01-01T00:00:00Z', 'h', 1)",
        [(f"r{i}", f"run-{i}") for i in range(2000)],
    )
    con.execute("ANALYZE")  # the statistics now say almost every run has state 'finished'
    plan = con.execute(
        "EXPLAIN QUERY PLAN SELECT id, pid, pid_started FROM runs WHERE state = 'running' AND host = ?", ("h",)
    ).fetchall()
    con.close()
    assert any("USING INDEX runs_running" in row[-1] for row in plan), plan


def refs_from_tables(path) -> set[tuple[str, str, str, str]]:
    """Every ref the store's rows give, with its node's label, computed in Python: what the
    refs table must hold."""
    con = sqlite3.connect(path)
    out = set()
    for id, name, job_type in con.execute("SELECT id, name, job_type FROM runs"):
        label = f"{job_type or 'run'}:{name}"
        out |= {(f"run:{id}", "run", id, label), (f"run:{name}", "run", id, label)}
    artifacts = {
        id: (project, name, type)
        for id, project, name, type in con.execute("SELECT id, project, name, type FROM artifacts")
    }
    numbers = {}
    for vid, artifact, number in con.execute("SELECT id, artifact_id, number FROM versions"):
        project, name, type = artifacts[artifact]
        numbers[vid] = label = f"{type}:{name}:v{number}"
        out |= {
            (f"{name}:v{number}", "version", str(vid), label),
            (f"{project}/{name}:v{number}", "version", str(vid), label),
        }
    for artifact, alias, vid in con.execute("SELECT artifact_id, alias, version_id FROM aliases"):
        project, name, _ = artifacts[artifact]
        for prefix in (name, f"{project}/{name}"):
            out.add((f"{prefix}:{alias}", "version", str(vid), numbers[vid]))
            if alias == "latest":
                out.add((prefix, "version", str(vid), numbers[vid]))
    con.close()
    return out


def refs_table(path) -> set[tuple[str, str, str, str]]:
    con = sqlite3.connect(path)
    rows = set(con.execute("SELECT ref, kind, id, label FROM refs"))
    con.close()
    return rows


def log_projects(store_dir) -> lineage.Store:
    """Two projects with an artifact of the same name; aliases set, moved and removed; a deletion."""
    for project in ("mnist", "other"):
        for content in ("a", "b", "c"):
            with lineage.init(project=project, job_type="load", dir=store_dir) as run:
                artifact = lineage.Artifact("data", type="dataset")
                with artifact.new_file("x.txt") as f:
                    f.write(content)
                run.log_artifact(artifact, aliases=["best"] if content == "a" else [])
    store = lineage.Store(store_dir)
    store.alias("mnist/data:v1", "best")  # moved
    store.alias("other/data:v2", "prod")
    store.unalias("other/data:v0", "best")  # removed
    store.delete("mnist/data:v2")  # latest moves back to v1
    return store


def test_refs_table_follows_runs_versions_and_aliases(tmp_path):
    store = log_projects(tmp_path / "s")
    path = tmp_path / "s" / "lineage.db"
    assert refs_table(path) == refs_from_tables(path)
    rows = refs_table(path)
    latest_v1 = store.db.read_one(
        "SELECT CAST(v.id AS TEXT) FROM versions v JOIN artifacts a ON a.id = v.artifact_id "
        "WHERE a.project = 'mnist' AND v.number = 1"
    )[0]
    label = "dataset:data:v1"
    assert {("mnist/data", "version", latest_v1, label), ("mnist/data:best", "version", latest_v1, label)} <= rows
    assert not any(ref == "other/data:best" for ref, _, _, _ in rows)
    assert len([r for r in rows if r[0] == "data:latest"]) == 2  # ambiguous: the queries name nothing
    store.close()


def test_a_store_from_before_the_refs_table_gets_it_filled(tmp_path):
    store = log_projects(tmp_path / "s")
    store.close()
    path = tmp_path / "s" / "lineage.db"
    expected = refs_table(path)
    con = sqlite3.connect(path)
    for kind, name in con.execute(
        "SELECT type, name FROM sqlite_master WHERE name = 'refs' OR name = 'artifact_prefixes' OR name LIKE 'refs_%'"
    ).fetchall():
        con.execute(f"DROP {kind.upper()} {name}")
    con.execute("PRAGMA user_version = 5")  # version 6 added the refs table
    con.commit()
    con.close()
    lineage.Store(tmp_path / "s").runs()
    assert refs_table(path) == expected
    fresh = tmp_path / "fresh.db"
    con = sqlite3.connect(fresh)
    con.executescript(dbmod.schema_sql())
    con.close()
    assert _describe(path) == _describe(fresh)
    assert views_and_triggers(path) == views_and_triggers(fresh)


def views_and_triggers(db) -> set[tuple[str, str, str]]:
    con = sqlite3.connect(db)
    rows = set(con.execute("SELECT type, name, sql FROM sqlite_master WHERE type IN ('view', 'trigger')"))
    con.close()
    return rows


@pytest.mark.parametrize("version", [2, dbmod.SCHEMA_VERSION])
def test_a_foreign_database_with_a_schema_version_is_refused_and_left_as_it_was(tmp_path, version):
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    con = sqlite3.connect(store_dir / "lineage.db")
    con.execute("CREATE TABLE notes (text)")
    con.execute(f"PRAGMA user_version = {version}")
    con.commit()
    con.close()
    before = (store_dir / "lineage.db").read_bytes()
    with pytest.raises(lineage.SchemaVersionError, match="not a lineage store.*left unchanged"):
        lineage.Store(store_dir).runs()
    assert (store_dir / "lineage.db").read_bytes() == before  # not even switched to WAL
    assert sorted(p.name for p in store_dir.iterdir()) == ["lineage.db"]


def test_store_settings_keep_one_value_per_key_across_reopens(tmp_path):
    from lineage.storage import settings

    store = lineage.Store(tmp_path).create()
    assert settings.get(store.db, settings.BLOB_ROOT) is None
    settings.put(store.db, settings.BLOB_ROOT, "/shared/blobs")
    settings.put(store.db, settings.BLOB_ROOT, "s3://team/lineage")
    store.close()
    reopened = lineage.Store(tmp_path).open()
    assert settings.get(reopened.db, settings.BLOB_ROOT) == "s3://team/lineage"
    assert reopened.db.read("SELECT count(*) FROM store_settings") == [(1,)]


def walk_tables(path) -> tuple[set[tuple[str, str, str]], set[tuple[str, str, str]]]:
    con = sqlite3.connect(path)
    out = tuple(set(con.execute(f"SELECT node, next, next_label FROM {t}")) for t in ("upstream", "downstream"))
    con.close()
    return out


def walks_from_tables(path) -> tuple[set[tuple[str, str, str]], set[tuple[str, str, str]]]:
    """The upstream and downstream rows the store's edges and labels give, computed in Python."""
    con = sqlite3.connect(path)
    run_labels = {
        id: f"{job_type or 'run'}:{name}" for id, name, job_type in con.execute("SELECT id, name, job_type FROM runs")
    }
    version_labels = {
        id: f"{type}:{name}:v{number}"
        for id, type, name, number in con.execute(
            "SELECT v.id, a.type, a.name, v.number FROM versions v JOIN artifacts a ON a.id = v.artifact_id"
        )
    }
    up, down = set(), set()
    for run, vid in con.execute("SELECT run_id, version_id FROM produced"):
        up.add((f"version:{vid}", f"run:{run}", run_labels[run]))
        down.add((f"run:{run}", f"version:{vid}", version_labels[vid]))
    for run, vid in con.execute("SELECT run_id, version_id FROM consumed"):
        up.add((f"run:{run}", f"version:{vid}", version_labels[vid]))
        down.add((f"version:{vid}", f"run:{run}", run_labels[run]))
    con.close()
    return up, down


def log_pipeline(store_dir) -> tuple[lineage.Store, str]:
    """Data, a training run that uses it twice over (a diamond) and logs a model; the run's id."""
    with lineage.init(project="p", job_type="load", dir=store_dir) as run:
        for name in ("raw", "extra"):
            artifact = lineage.Artifact(name, type="dataset")
            with artifact.new_file("x.txt") as f:
                f.write(name)
            run.log_artifact(artifact)
    with lineage.init(project="p", job_type="train", dir=store_dir) as run:
        run.use_artifact("raw:latest")
        run.use_artifact("extra:latest")
        model = lineage.Artifact("model", type="model")
        with model.new_file("w.bin") as f:
            f.write("weights")
        run.log_artifact(model)
        run.name = "renamed-run"  # W&B's run.name = ...: its label follows
        trainer = run.id
    return lineage.Store(store_dir), trainer


def test_walk_tables_follow_edges_renames_deletes_and_gc(tmp_path):
    store, trainer = log_pipeline(tmp_path / "s")
    path = tmp_path / "s" / "lineage.db"
    up, down = walk_tables(path)
    assert (up, down) == walks_from_tables(path)
    assert len(up) == len(down) == 5  # three versions produced, two consumed
    assert ("version:3", f"run:{trainer}", "train:renamed-run") in up
    runs.set_column(store.db, trainer, "job_type", "fine-tune")
    assert ("version:3", f"run:{trainer}", "fine-tune:renamed-run") in walk_tables(path)[0]
    assert walk_tables(path) == walks_from_tables(path)
    # The refs table's labels follow too: a walk's start is labelled from it.
    assert refs_table(path) == refs_from_tables(path)
    assert {(f"run:{trainer}", "run", trainer, "fine-tune:renamed-run")} <= refs_table(path)
    for ref in (f"run:{trainer}", "run:renamed-run"):
        assert store.impact(ref).nodes[0]["label"] == store.ancestry(ref).nodes[0]["label"] == "fine-tune:renamed-run"
    store.delete("raw:v0")  # the version stays in the graph
    store.gc()
    assert walk_tables(path) == walks_from_tables(path) and len(walk_tables(path)[0]) == 5
    labels = [n["label"] for n in store.ancestry("model:latest").nodes]
    assert labels[:4] == ["model:model:v0", "fine-tune:renamed-run", "dataset:raw:v0", "dataset:extra:v0"]
    assert len(labels) == 5 and labels[4].startswith("load:")
    # Edges changed by hand (lineage never does): the tables follow.
    with store.db.write() as con:
        con.execute("DELETE FROM consumed WHERE version_id = 1")
        con.execute("UPDATE produced SET version_id = 2 WHERE version_id = 3")
    assert walk_tables(path) == walks_from_tables(path) and len(walk_tables(path)[0]) == 4
    store.close()


def reopened_from(con: sqlite3.Connection, version: int, store_dir: Path) -> lineage.Store:
    """The store ``con`` changed, marked as schema ``version`` and reopened: migrated to the current one."""
    con.execute(f"PRAGMA user_version = {version}")
    con.commit()
    con.close()
    store = lineage.Store(store_dir)
    assert store.db.read_one("PRAGMA user_version")[0] == dbmod.SCHEMA_VERSION
    return store


def test_a_store_from_before_the_walk_tables_gets_them_filled(tmp_path):
    store, _ = log_pipeline(tmp_path / "s")
    store.close()
    path = tmp_path / "s" / "lineage.db"
    expected = walk_tables(path)
    con = sqlite3.connect(path)
    for kind, name in con.execute(
        "SELECT type, name FROM sqlite_master WHERE name IN ('upstream', 'downstream') OR name LIKE 'walks_%'"
    ).fetchall():
        con.execute(f"DROP {kind} {name}")
    store = reopened_from(con, 8, tmp_path / "s")
    assert walk_tables(path) == expected == walks_from_tables(path)
    assert len(store.impact("raw:v0").nodes) == 3
    store.close()


def test_a_store_from_before_refs_labels_gets_them_filled(tmp_path):
    store = log_projects(tmp_path / "s")
    store.close()
    path = tmp_path / "s" / "lineage.db"
    expected = refs_table(path)
    con = sqlite3.connect(path)  # version 11's refs: no label column, a rename trigger on name only
    for name in dbmod.REFS_TRIGGERS:
        con.execute(f"DROP TRIGGER {name}")
    con.execute(
        "CREATE TABLE old_refs (ref TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, "
        "PRIMARY KEY (ref, kind, id)) WITHOUT ROWID"
    )
    con.execute("INSERT INTO old_refs SELECT ref, kind, id FROM refs")
    con.execute("DROP TABLE refs")
    con.execute("ALTER TABLE old_refs RENAME TO refs")
    con.execute(
        "CREATE TRIGGER refs_rename_run AFTER UPDATE OF name ON runs BEGIN "
        "DELETE FROM refs WHERE ref = 'run:' || OLD.name AND kind = 'run' AND id = OLD.id AND OLD.name <> OLD.id; "
        "INSERT OR IGNORE INTO refs (ref, kind, id) VALUES ('run:' || NEW.name, 'run', NEW.id); END"
    )
    store = reopened_from(con, 11, tmp_path / "s")
    assert refs_table(path) == expected == refs_from_tables(path)
    start, producer = store.ancestry("mnist/data:best").nodes
    assert start["label"] == "dataset:data:v1" and producer["label"].startswith("load:")
    store.close()
    fresh = tmp_path / "fresh.db"
    con = sqlite3.connect(fresh)
    con.executescript(dbmod.schema_sql())
    con.close()
    assert _describe(path) == _describe(fresh)
    assert views_and_triggers(path) == views_and_triggers(fresh)  # the refs triggers recreated, not kept


def test_a_store_from_before_run_counts_adds_its_runs_and_names_the_next_one_after_them(tmp_path):
    store = log_projects(tmp_path / "s")
    store.close()
    path = tmp_path / "s" / "lineage.db"
    con = sqlite3.connect(path)
    con.execute("DROP TRIGGER run_counts_add")
    con.execute("DROP TABLE run_counts")
    con.execute("PRAGMA user_version = 10")  # version 11 added run_counts
    con.commit()
    con.close()
    lineage.Store(tmp_path / "s").runs()
    con = sqlite3.connect(path)
    assert dict(con.execute("SELECT project, runs FROM run_counts")) == {"mnist": 3, "other": 3}
    con.close()
    with lineage.init(project="mnist", dir=tmp_path / "s") as run:
        assert run.name.endswith("-4")  # the project's fourth run
    with lineage.init(project="new", name="given", dir=tmp_path / "s"):
        pass  # a given name counts too
    with lineage.init(project="new", dir=tmp_path / "s") as run:
        assert run.name.endswith("-2")
    con = sqlite3.connect(path)
    counted = dict(con.execute("SELECT project, count(*) FROM runs GROUP BY project"))
    assert dict(con.execute("SELECT project, runs FROM run_counts")) == counted == {"mnist": 4, "other": 3, "new": 2}
    con.close()
