"""Store: finding the folder, listing, aliases, delete."""

from __future__ import annotations

import pytest

import lineage
from lineage.store import locate


def make(store_dir, name="d", content=b"x", aliases=None, project="p"):
    with lineage.init(project=project, job_type="make", dir=store_dir) as run:
        art = lineage.Artifact(name, type="dataset")
        with art.new_file("f", mode="wb") as f:
            f.write(content)
        return run.log_artifact(art, aliases=aliases)


def test_locate_order(tmp_path, monkeypatch):
    assert locate(tmp_path / "x") == tmp_path / "x"
    monkeypatch.setenv("LINEAGE_DIR", str(tmp_path / "env"))
    assert locate() == tmp_path / "env"
    monkeypatch.delenv("LINEAGE_DIR")
    (tmp_path / ".lineage").mkdir()
    (tmp_path / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "deep" / "er")
    assert locate() == tmp_path / ".lineage"


def test_missing_store_is_not_created_by_reading(tmp_path):
    with pytest.raises(lineage.NotFoundError, match="no lineage store"):
        lineage.Store(tmp_path / "nothing").runs()
    assert not (tmp_path / "nothing").exists()


def test_default_store_is_created_on_first_write(tmp_path):
    with lineage.init(project="p"):
        pass
    assert (tmp_path / ".lineage" / "lineage.db").exists()


def test_listing(store_dir):
    make(store_dir, "a")
    make(store_dir, "a", b"y")
    make(store_dir, "b", project="q")
    store = lineage.Store(store_dir)
    assert [(a.project, a.name, a.version_count, a.latest) for a in store.artifacts()] == [
        ("p", "a", 2, "v1"),
        ("q", "b", 1, "v0"),
    ]
    assert [a.name for a in store.artifacts(project="q")] == ["b"]
    assert store.artifacts(type="model") == []
    assert [v.name for v in store.versions("a")] == ["a:v0", "a:v1"]
    assert len(store.runs(job_type="make")) == 3
    assert store.run(store.runs()[0].id) == store.run("run:" + store.runs()[0].name)


def test_alias_moves_and_unalias(store_dir):
    make(store_dir, content=b"1")
    make(store_dir, content=b"2")
    store = lineage.Store(store_dir)
    store.alias("d:v0", "best")
    assert store.artifact("d:best").version == "v0"
    store.alias("d:v1", "best")
    assert store.artifact("d:best").version == "v1"
    assert store.artifact("d:v0").aliases == []
    with pytest.raises(lineage.InvalidArgumentError, match="cannot be set by hand"):
        store.alias("d:v0", "latest")
    with pytest.raises(lineage.InvalidArgumentError, match="reserved"):
        store.alias("d:v0", "v1")
    store.unalias("d:v1", "best")
    with pytest.raises(lineage.NotFoundError, match="no alias 'best'"):
        store.artifact("d:best")
    with pytest.raises(lineage.NotFoundError):
        store.unalias("d:v1", "best")


def test_delete_keeps_lineage_moves_latest_and_refuses_aliased(store_dir):
    make(store_dir, content=b"1")
    make(store_dir, content=b"2", aliases=["best"])
    store = lineage.Store(store_dir)
    with pytest.raises(lineage.ConflictError, match="holds aliases best"):
        store.delete("d:v1")
    deleted = store.delete("d:v1", delete_aliases=True)
    assert deleted.deleted
    assert store.artifact("d:latest").version == "v0"
    with pytest.raises(lineage.NotFoundError, match="was deleted"):
        store.artifact("d:v1")
    with lineage.init(project="p", dir=store_dir) as run, pytest.raises(lineage.NotFoundError, match="was deleted"):
        run.use_artifact("d:v1")
    assert [v.deleted for v in store.versions("d")] == [False, True]
    # Logging the deleted content again makes a new version number.
    again = make(store_dir, content=b"2")
    assert again.version == "v2"


def test_a_run_is_found_by_its_name_as_it_is_now(tmp_path):
    store_dir = tmp_path / "s"
    with lineage.init(project="p", name="first", dir=store_dir) as first:
        pass
    with lineage.init(project="p", dir=store_dir) as second:
        pass
    with lineage.init(project="q", name="shared", dir=store_dir):
        pass
    with lineage.init(project="p", name="shared", dir=store_dir):
        pass
    store = lineage.Store(store_dir)
    assert store.run("first").id == first.id
    assert store.run(f"run:{second.name}").id == second.id
    assert store.run(second.id).name == second.name
    with pytest.raises(lineage.LineageError, match="several runs are named 'shared'"):
        store.run("shared")
    resumed = lineage.init(project="p", id=first.id, resume="must", dir=store_dir)
    resumed.name = "renamed"
    resumed.finish()
    assert store.run("renamed").id == first.id
    with pytest.raises(lineage.NotFoundError, match="no run with id or name 'first'"):
        store.run("first")
