"""W&B's artifact calls beyond the core loop: file, wait, save, edits, delete, new_draft, entries, ttl."""

from __future__ import annotations

import sqlite3
import time
from datetime import timedelta
from pathlib import Path

import pytest

import lineage


def make(store_dir, files: dict[str, bytes], name="data", aliases=None, **kwargs) -> lineage.LoggedArtifact:
    with lineage.init(project="p", job_type="make", dir=store_dir) as run:
        art = lineage.Artifact(name, type="dataset", **kwargs)
        for path, content in files.items():
            with art.new_file(path, mode="wb") as f:
                f.write(content)
        return run.log_artifact(art, aliases=aliases)


def test_file_downloads_the_one_file_and_refuses_several(store_dir, tmp_path):
    one = make(store_dir, {"model.pth": b"weights"}, name="model")
    path = one.file()
    assert Path(path) == tmp_path / "artifacts" / "model:v0" / "model.pth"
    assert Path(path).read_bytes() == b"weights"
    assert Path(one.file(tmp_path / "elsewhere")).parent == tmp_path / "elsewhere"
    two = make(store_dir, {"a": b"1", "b": b"2"})
    with pytest.raises(lineage.InvalidArgumentError, match="has 2 files, not one"):
        two.file()


def test_wait_returns_the_logged_version(store_dir):
    art = lineage.Artifact("data", type="dataset")
    with pytest.raises(lineage.LineageError, match="not logged yet"):
        art.wait()
    with lineage.init(project="p", dir=store_dir) as run:
        logged = run.log_artifact(art)
    assert art.wait() == logged and logged.wait() is logged
    assert art.wait().version == "v0" and not logged.is_draft()


def test_save_of_a_new_artifact_outside_a_run_logs_it_through_an_auto_run(store_dir, monkeypatch):
    monkeypatch.setenv("LINEAGE_DIR", str(store_dir))
    art = lineage.Artifact("table", type="dataset")
    with art.new_file("t.csv") as f:
        f.write("a,b\n")
    logged = art.save()
    assert logged.version == "v0" and art.logged == logged
    creator = logged.logged_by()
    assert creator.job_type == "auto" and creator.state == "finished"
    assert lineage.run is None
    with lineage.init(project="p") as run:  # inside a run, that run logs it
        second = lineage.Artifact("other", type="dataset")
        assert second.save().logged_by().id == run.id


def test_a_logged_versions_fields_are_edited_and_saved(store_dir):
    logged = make(store_dir, {"a": b"1"}, description="old", metadata={"k": 1})
    digest = logged.digest
    logged.description = "new"
    logged.metadata["k"] = 2
    logged.metadata["added"] = [1, 2]
    logged.aliases.append("best")
    logged.tags = ["reviewed"]
    logged.ttl = timedelta(days=30)
    assert lineage.Store(store_dir).artifact("p/data:v0").description == "old"  # nothing written before save()
    logged.save()
    again = lineage.Store(store_dir).artifact("p/data:best")
    assert again == logged and again.digest == digest
    assert (again.description, again.metadata, again.tags) == ("new", {"k": 2, "added": [1, 2]}, ["reviewed"])
    assert sorted(again.aliases) == ["best", "latest"]
    assert again.ttl == timedelta(days=30)
    again.aliases.remove("best")
    again.aliases = [*again.aliases, "prod"]
    again.ttl = None
    again.save()
    fresh = lineage.Store(store_dir).artifact("p/data:v0")
    assert sorted(fresh.aliases) == ["latest", "prod"] and fresh.ttl is None
    fresh.aliases.append("v7")
    with pytest.raises(lineage.InvalidArgumentError, match="reserved for versions"):
        fresh.save()


def test_delete_refuses_aliases_unless_asked(store_dir):
    logged = make(store_dir, {"a": b"1"}, aliases=["best"])
    with pytest.raises(lineage.ConflictError, match="holds aliases best"):
        logged.delete()
    logged.delete(delete_aliases=True)
    assert logged.deleted
    with pytest.raises(lineage.NotFoundError, match="was deleted"):
        lineage.Store(store_dir).artifact("p/data:v0").download()


def test_new_draft_keeps_the_entries_and_logs_a_new_version(store_dir, tmp_path):
    logged = make(store_dir, {"a": b"1", "sub/b": b"2"}, metadata={"m": 1})
    logged_refs = make(store_dir, {}, name="refs")
    draft = logged.new_draft()
    assert draft.is_draft() and sorted(draft.manifest.entries) == ["a", "sub/b"] and draft.metadata == {"m": 1}
    with draft.new_file("c") as f:
        f.write("3")
    draft.remove("a")
    with lineage.init(project="p", dir=store_dir) as run:
        second = run.log_artifact(draft)
    assert second.version == "v1" and [f.path for f in second.files()] == ["c", "sub/b"]
    assert Path(second.download(tmp_path / "out"), "sub/b").read_bytes() == b"2"
    assert logged_refs.new_draft().manifest.entries == {}


def test_entries_with_wandb_names_and_single_entry_download(store_dir, tmp_path):
    logged = make(store_dir, {"a.txt": b"alpha", "sub/b.txt": b"beta"})
    entry = logged.get_entry("sub/b.txt")
    assert (entry.path, entry.size, entry.ref) == ("sub/b.txt", 4, None)
    assert entry.digest == logged.files()[1].digest and entry.birth_artifact_id == "p/data:v0"
    path = entry.download(tmp_path / "one")
    assert Path(path).read_bytes() == b"beta" and not (tmp_path / "one" / "a.txt").exists()
    assert logged.get_path("a.txt").download().endswith("artifacts/data:v0/a.txt")
    assert sorted(logged.manifest.entries) == ["a.txt", "sub/b.txt"]
    assert [f.name for f in logged.files()] == ["a.txt", "sub/b.txt"]
    with pytest.raises(FileNotFoundError, match="no entry 'c'"):
        logged.get_entry("c")


def test_download_path_prefix_keeps_only_matching_entries(store_dir, tmp_path):
    logged = make(store_dir, {"a.txt": b"1", "sub/b": b"2", "sub/c": b"3"})
    out = Path(logged.download(tmp_path / "out", path_prefix="sub/"))
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == ["sub/b", "sub/c"]


def test_log_artifact_of_a_path_with_name_and_type(store_dir, tmp_path):
    (tmp_path / "model.pth").write_bytes(b"w")
    (tmp_path / "folder" / "x").mkdir(parents=True)
    (tmp_path / "folder" / "x" / "y.txt").write_text("y")
    with lineage.init(project="p", dir=store_dir) as run:
        named = run.log_artifact(str(tmp_path / "model.pth"), name="weights", type="model")
        default = run.log_artifact(tmp_path / "folder")
    assert (named.name, named.type, [f.path for f in named.files()]) == ("weights:v0", "model", ["model.pth"])
    assert default.base_name == f"run-{run.id}-folder" and default.type == "unspecified"
    assert [f.path for f in default.files()] == ["x/y.txt"]
    with lineage.init(project="p", dir=store_dir) as run:
        ref = run.log_artifact("s3://bucket/data/train.parquet", type="dataset")
        local = run.log_artifact((tmp_path / "model.pth").as_uri(), name="weights", type="model")
    assert ref.base_name == f"run-{run.id}-train.parquet"
    assert ref.files() == [lineage.ArtifactFile("train.parquet", None, None, "s3://bucket/data/train.parquet")]
    assert local.files()[0].ref == (tmp_path / "model.pth").as_uri()  # a URI is a reference, as in W&B
    assert local.files()[0].digest == named.files()[0].digest


def test_use_artifact_of_an_unlogged_artifact_logs_it_first(store_dir):
    with lineage.init(project="p", dir=store_dir) as run:
        art = lineage.Artifact("fresh", type="dataset")
        used = run.use_artifact(art, aliases=["seed"])
    assert used.version == "v0" and [r.id for r in used.used_by()] == [run.id]
    assert sorted(used.aliases) == ["latest", "seed"]
    assert used.logged_by().id == run.id


def test_ttl_is_honoured_by_gc(store_dir):
    keep = make(store_dir, {"k": b"kept"}, name="keep")
    art = lineage.Artifact("short", type="dataset")
    art.ttl = timedelta(milliseconds=1)
    with lineage.init(project="p", dir=store_dir) as run:
        with art.new_file("s") as f:
            f.write("short-lived")
        short = run.log_artifact(art, tags=["tmp"])
    assert short.ttl == timedelta(milliseconds=1) and short.tags == ["tmp"]
    time.sleep(0.01)
    store = lineage.Store(store_dir)
    plan = store.gc()
    assert len(plan.blobs) == 1
    assert store.artifact("p/keep:latest") == keep
    assert store.versions("short", project="p")[0].deleted
    with pytest.raises(lineage.InvalidArgumentError, match="invalid ttl"):
        art.wait().ttl = timedelta(days=-1)


def test_int_keys_in_metadata_and_path_objects_in_remove(store_dir):
    logged = make(store_dir, {}, metadata={"scores": {1: 0.5, 2: 0.7}})
    assert logged.metadata == {"scores": {"1": 0.5, "2": 0.7}}
    with lineage.init(project="p", dir=store_dir):
        art = lineage.Artifact("x", type="dataset")
        with art.new_file("a.txt") as f:
            f.write("a")
        art.remove(Path("a.txt"))
        assert art.manifest.entries == {}
    con = sqlite3.connect(store_dir / "lineage.db")
    assert con.execute("SELECT count(*) FROM versions").fetchone()[0] == 1
    con.close()


def test_a_logged_draft_is_the_logged_artifact_as_in_wandb(store_dir, tmp_path):
    art = lineage.Artifact("data", type="dataset")
    with art.new_file("a.txt") as f:
        f.write("a")
    with pytest.raises(AttributeError):
        art.download()  # not logged yet
    with lineage.init(project="p", dir=store_dir, id=lineage.util.generate_id()) as run:
        run.log_artifact(art, aliases=["best"])
    art.wait()
    assert sorted(art.aliases) == ["best", "latest"] and art.version == "v0"
    assert Path(art.download(tmp_path / "out"), "a.txt").read_text() == "a"
    assert len(lineage.util.generate_id()) == 8
