"""Artifacts: manifests, digests, identical content, shared blobs, adding files and folders."""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lineage
from lineage.entries import manifest_digest
from lineage.store import RACY_NS
from tests.helpers.postgres import blob_root

from .strategies import file_sets

BACKENDS = ("folder", "postgres", "postgres+s3")

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_counter = itertools.count()


def blob_files(store_dir: Path) -> set[str]:
    blobs = store_dir / "blobs"
    return {p.parent.name + p.name for p in blobs.glob("??/*") if ".tmp-" not in p.name and p.parent.name != "tmp"}


def log_files(store_dir, files: dict[str, bytes], name="data", order=None, aliases=None):
    with lineage.init(project="p", job_type="make", dir=store_dir) as run:
        art = lineage.Artifact(name, type="dataset")
        for path in order or files:
            with art.new_file(path, mode="wb") as f:
                f.write(files[path])
        return run.log_artifact(art, aliases=aliases)


def expected_digest(files: dict[str, bytes]) -> str:
    lines = sorted((p.encode(), hashlib.sha256(c).hexdigest()) for p, c in files.items())
    text = b"lineage-manifest-v1\n" + b"".join(p + b"\t" + h.encode() + b"\n" for p, h in lines)
    return hashlib.sha256(text).hexdigest()


@FAST
@given(file_sets, st.randoms())
def test_digest_follows_the_spec_and_ignores_insertion_order(tmp_path, files, random):
    store_dir = tmp_path / f"s{next(_counter)}"
    order = list(files)
    random.shuffle(order)
    first = log_files(store_dir, files)
    second = log_files(store_dir, files, order=order)
    assert first.digest == second.digest == expected_digest(files)
    assert first.version == second.version == "v0"
    assert {f.path: f.size for f in first.files()} == {p: len(c) for p, c in files.items()}


@FAST
@given(file_sets)
def test_same_content_twice_makes_one_version_and_no_new_blob(tmp_path, files):
    store_dir = tmp_path / f"s{next(_counter)}"
    first = log_files(store_dir, files)
    blobs_before = blob_files(store_dir)
    second = log_files(store_dir, files, aliases=["again"])
    assert second.id == first.id
    assert blob_files(store_dir) == blobs_before
    assert blobs_before == {hashlib.sha256(c).hexdigest() for c in files.values()}
    assert len(lineage.Store(store_dir).versions("data")) == 1
    assert set(second.aliases) == {"latest", "again"}
    # The second run is recorded as a producer too; logged_by stays the first.
    producers = lineage.Store(store_dir).db.read("SELECT count(*) FROM produced WHERE version_id = ?", (first.id,))
    assert producers[0][0] == 2
    assert first.logged_by().id != lineage.Store(store_dir).runs()[-1].id


@FAST
@given(st.binary(max_size=256))
def test_two_artifacts_sharing_a_file_share_one_blob(tmp_path, content):
    store_dir = tmp_path / f"s{next(_counter)}"
    a = log_files(store_dir, {"x.bin": content}, name="a")
    b = log_files(store_dir, {"y/z.bin": content}, name="b")
    assert a.files()[0].digest == b.files()[0].digest
    assert blob_files(store_dir) == {hashlib.sha256(content).hexdigest()}


def test_versions_count_up_and_latest_follows(store_dir):
    v0 = log_files(store_dir, {"a": b"1"})
    v1 = log_files(store_dir, {"a": b"2"}, aliases=["best"])
    v2 = log_files(store_dir, {"a": b"3"})
    assert [v0.version, v1.version, v2.version] == ["v0", "v1", "v2"]
    store = lineage.Store(store_dir)
    assert store.artifact("data").version == "v2"
    assert store.artifact("data:best").version == "v1"
    assert store.artifact("p/data:v0").digest == v0.digest
    # Logging v1's content again makes no version: v1 takes latest.
    again = log_files(store_dir, {"a": b"2"})
    assert again.version == "v1"
    assert store.artifact("data:latest").version == "v1"
    assert sorted(store.artifact("data:v1").aliases) == ["best", "latest"]
    # The version log_artifact returns is the row the store reads back (a new one is not read again).
    for logged in (v0, v1, v2, again):
        assert logged._row == store.artifact(f"p/data:{logged.version}")._row


def test_the_logged_version_is_the_stored_one_with_every_field(store_dir):
    with lineage.init(project="p", job_type="make", dir=store_dir) as run:
        art = lineage.Artifact("described", "model", description="the best", metadata={"lr": 0.1, "n": [1, 2]})
        with art.new_file("w.bin", mode="wb") as f:
            f.write(b"weights")
        art.add_reference("s3://bucket/elsewhere.bin", checksum=False)
        logged = run.log_artifact(art)
    stored = lineage.Store(store_dir).artifact("p/described:v0")
    assert logged._row == stored._row
    assert (logged.size, logged.file_count, logged.description) == (7, 2, "the best")


def test_add_file_and_add_dir_keep_names_and_follow_inner_links(store_dir, tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("a")
    (src / "sub" / "b.txt").write_text("b")
    os.symlink("sub/b.txt", src / "link.txt")
    os.symlink("sub", src / "linkdir")
    (tmp_path / "model.pth").write_bytes(b"weights")
    with lineage.init(project="p", dir=store_dir) as run:
        art = lineage.Artifact("bundle", type="dataset")
        art.add_dir(src, name="data")
        assert art.add_file(tmp_path / "model.pth") == "model.pth"
        art.add_file(tmp_path / "model.pth", name="models/m.pth")
        logged = run.log_artifact(art)
    paths = [f.path for f in logged.files()]
    assert paths == [
        "data/a.txt",
        "data/link.txt",
        "data/linkdir/b.txt",
        "data/sub/b.txt",
        "model.pth",
        "models/m.pth",
    ]


def test_links_out_of_an_added_folder_are_refused(store_dir, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (tmp_path / "secret").write_text("s")
    os.symlink(tmp_path / "secret", src / "escape")
    with lineage.init(project="p", dir=store_dir):
        art = lineage.Artifact("bundle", type="dataset")
        with pytest.raises(lineage.InvalidArgumentError, match="points out of the added folder"):
            art.add_dir(src)
        assert art.manifest.entries == {}


@pytest.mark.folder_blobs
def test_content_is_captured_when_added_and_never_hard_linked(store_dir, tmp_path):
    source = tmp_path / "weights.bin"
    source.write_bytes(b"original")
    with lineage.init(project="p", dir=store_dir) as run:
        art = lineage.Artifact("m", type="model")
        art.add_file(source)
        source.write_bytes(b"changed afterwards")
        logged = run.log_artifact(art)
    with logged.open("weights.bin") as f:
        assert f.read() == b"original"
    blob = lineage.Store(store_dir).blobs.path(logged.files()[0].digest)
    assert os.stat(blob).st_ino != os.stat(source).st_ino
    assert os.stat(blob).st_mode & 0o777 == 0o444


def test_adding_a_path_twice_with_other_content_is_refused(store_dir):
    with lineage.init(project="p", dir=store_dir):
        art = lineage.Artifact("m", type="model")
        with art.new_file("a.txt") as f:
            f.write("one")
        with pytest.raises(ValueError, match="already exists"), art.new_file("a.txt") as f:
            f.write("two")
        with pytest.raises(ValueError, match="other content"), art.new_file("a.txt", mode="w") as f:
            f.write("two")
        with art.new_file("a.txt", mode="w") as f:  # same content again is fine
            f.write("one")
        with pytest.raises(ValueError, match="both a file and a folder"), art.new_file("a.txt/b", mode="w") as f:
            f.write("x")


def test_remove_a_file_or_a_folder_prefix(store_dir):
    with lineage.init(project="p", dir=store_dir) as run:
        art = lineage.Artifact("m", type="model")
        for path in ["a/x", "a/y", "b"]:
            with art.new_file(path) as f:
                f.write(path)
        art.remove("a")
        assert list(art.manifest.entries) == ["b"]
        with pytest.raises(FileNotFoundError):
            art.remove("a")
        with art.new_file("a", mode="w") as f:  # 'a' is no longer a folder
            f.write("now a file")
        logged = run.log_artifact(art)
        with pytest.raises(lineage.LineageError, match="read-only"):
            art.add_file(__file__)
    assert [f.path for f in logged.files()] == ["a", "b"]


def test_new_file_is_text_unless_binary(store_dir):
    with lineage.init(project="p", dir=store_dir) as run:
        art = lineage.Artifact("m", type="model")
        with art.new_file("t.txt") as f:
            f.write("héllo\n")
        with art.new_file("b.bin", mode="wb") as f:
            f.write(b"\x00\x01")
        logged = run.log_artifact(art)
    assert logged.open("t.txt").read() == "héllo\n".encode()
    assert logged.open("b.bin").read() == b"\x00\x01"


@pytest.mark.folder_blobs
def test_a_failed_new_file_block_adds_nothing_and_leaves_no_temp(store_dir):
    with lineage.init(project="p", dir=store_dir):
        art = lineage.Artifact("m", type="model")
        with pytest.raises(RuntimeError), art.new_file("x.bin", mode="wb") as f:
            f.write(b"partial")
            raise RuntimeError("boom")
        assert art.manifest.entries == {}
    assert not list(blob_root(store_dir).rglob("*.tmp-*"))


def test_type_change_is_refused(store_dir):
    log_files(store_dir, {"a": b"1"}, name="thing")
    with lineage.init(project="p", dir=store_dir) as run:
        art = lineage.Artifact("thing", type="model")
        with pytest.raises(lineage.ConflictError, match="has type 'dataset'"):
            run.log_artifact(art)


def test_names_live_in_projects(store_dir):
    with lineage.init(project="p1", dir=store_dir) as run:
        run.log_artifact(lineage.Artifact("x", type="dataset"))
    with lineage.init(project="p2", dir=store_dir) as run:
        run.log_artifact(lineage.Artifact("x", type="model"))
        assert run.use_artifact("x").type == "model"  # bare ref: the run's project
        assert run.use_artifact("p1/x:v0").type == "dataset"
    store = lineage.Store(store_dir)
    with pytest.raises(lineage.InvalidArgumentError, match="several projects"):
        store.artifact("x")
    assert store.artifact("p1/x").type == "dataset"
    assert store.artifact("entity/p2/x:latest").type == "model"


def test_metadata_rules(store_dir):
    with pytest.raises(lineage.InvalidArgumentError, match="JSON object"):
        lineage.Artifact("m", type="model", metadata=[1, 2])
    with pytest.raises(lineage.InvalidArgumentError, match="infinite"):
        lineage.Artifact("m", type="model", metadata={"x": float("inf")})
    art = lineage.Artifact("m", type="model", metadata={"x": float("nan"), "y": [1, {"z": 2}]})
    assert art.metadata == {"x": None, "y": [1, {"z": 2}]}


def test_empty_artifact_has_the_header_only_digest(store_dir):
    with lineage.init(project="p", dir=store_dir) as run:
        logged = run.log_artifact(lineage.Artifact("empty", type="dataset"))
    assert logged.digest == manifest_digest({}) == hashlib.sha256(b"lineage-manifest-v1\n").hexdigest()


@pytest.mark.folder_blobs
def test_relogging_an_unchanged_folder_reads_no_file(store_dir, tmp_path, monkeypatch):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(20):
        (src / f"{i}.txt").write_text(str(i))
    time.sleep(2 * RACY_NS / 1e9)  # files not touched (mtime or ctime) in the last moments are remembered
    with lineage.init(project="p", dir=store_dir) as run:
        art = lineage.Artifact("d", type="dataset")
        art.add_dir(src)
        first = run.log_artifact(art)

    from lineage import blobs as blobs_module

    def no_reading(*args, **kwargs):
        raise AssertionError("an unchanged file was read again")

    def blob_files():
        return sorted((p, p.stat().st_mtime_ns) for p in blob_root(store_dir).rglob("*"))

    before = blob_files()
    monkeypatch.setattr(blobs_module.BlobStore, "put_file", no_reading)
    monkeypatch.setattr(blobs_module.BlobStore, "put_files", no_reading)
    monkeypatch.setattr(blobs_module.BlobStore, "existing", no_reading)
    with lineage.init(project="p", dir=store_dir) as run:
        art = lineage.Artifact("d", type="dataset")
        art.add_dir(src)
        assert run.log_artifact(art).id == first.id
    assert blob_files() == before  # nothing written to blobs/

    # A changed file (new mtime) is read again.
    monkeypatch.undo()
    (src / "3.txt").write_text("changed")
    with lineage.init(project="p", dir=store_dir) as run:
        art = lineage.Artifact("d", type="dataset")
        art.add_dir(src)
        assert run.log_artifact(art).version == "v1"


def _reads(monkeypatch) -> list[str]:
    """The source files the store reads from now on (each copied into blobs)."""
    from lineage.blobs import BlobStore
    from lineage.objectstore import S3BlobStore

    read: list[str] = []
    for kind in (BlobStore, S3BlobStore):

        def counting(self, sources, put_files=kind.put_files):
            read.extend(os.path.basename(src) for src, _ in sources)
            return put_files(self, sources)

        monkeypatch.setattr(kind, "put_files", counting)
    return read


def test_relogging_a_changed_folder_reads_only_its_new_and_changed_files(store_dir, tmp_path, monkeypatch):
    src = tmp_path / "src"
    (src / "sub" / "deep").mkdir(parents=True)
    for i in range(5):
        (src / f"{i}.txt").write_text(f"top {i}")
        (src / "sub" / f"{i}.txt").write_text(f"sub {i}")
    (src / "sub" / "deep" / "x.txt").write_text("deep")
    (src / "link.txt").symlink_to(src / "sub" / "0.txt")
    time.sleep(2 * RACY_NS / 1e9)

    def log_src():
        with lineage.init(project="p", dir=store_dir) as run:
            art = lineage.Artifact("d", type="dataset")
            art.add_dir(src)
            return run.log_artifact(art)

    first = log_src()
    assert sorted(f.path for f in first.files()) == sorted(
        [f"{i}.txt" for i in range(5)] + [f"sub/{i}.txt" for i in range(5)] + ["sub/deep/x.txt", "link.txt"]
    )
    read = _reads(monkeypatch)
    assert log_src().id == first.id and read == []  # the link's target is stat'ed, not read

    (src / "sub" / "1.txt").write_text("changed")
    (src / "sub" / "new.txt").write_text("new")
    (src / "sub" / "2.txt").unlink()
    (src / "3.txt").chmod(0o600)  # a new ctime, same bytes: read again, same blob
    time.sleep(2 * RACY_NS / 1e9)
    second = log_src()
    assert sorted(read) == ["1.txt", "3.txt", "new.txt"]
    contents = {f.path: second.open(f.path).read() for f in second.files()}
    assert contents["sub/1.txt"] == b"changed" and contents["sub/new.txt"] == b"new" and "sub/2.txt" not in contents
    assert contents["link.txt"] == b"sub 0" and contents["sub/deep/x.txt"] == b"deep"

    # Written just now (within a timestamp tick of the log): hashed, but not remembered.
    (src / "sub" / "deep" / "x.txt").write_text("fresh")
    read.clear()
    assert log_src().open("sub/deep/x.txt").read() == b"fresh"
    assert "x.txt" in read
    time.sleep(2 * RACY_NS / 1e9)
    read.clear()
    log_src()
    assert read == ["x.txt"]  # read once more, now old enough to be remembered
    read.clear()
    log_src()
    assert read == []


@pytest.mark.parametrize("how", ["in place", "recreated"])
def test_a_rewrite_that_keeps_size_and_mtime_is_logged_with_its_new_content(store_dir, tmp_path, how):
    # What cp -p, tar and rsync --times do: new bytes, same size, the old mtime put back.
    src = tmp_path / "src"
    src.mkdir()
    data = src / "data.bin"
    data.write_bytes(b"old content")
    time.sleep(2 * RACY_NS / 1e9)
    with lineage.init(project="p", dir=store_dir) as run:
        art = lineage.Artifact("d", type="dataset")
        art.add_dir(src)
        first = run.log_artifact(art)
    st = os.stat(data)
    if how == "in place":
        with open(data, "r+b") as f:
            f.write(b"NEW content")
    else:  # what tar does: unlink, create (the file system often hands out the same inode number)
        data.unlink()
        data.write_bytes(b"NEW content")
    os.utime(data, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(data).st_size == st.st_size and os.stat(data).st_mtime_ns == st.st_mtime_ns
    time.sleep(2 * RACY_NS / 1e9)  # also once the rewrite is old enough to be remembered
    with lineage.init(project="p", dir=store_dir) as run:
        art = lineage.Artifact("d", type="dataset")
        art.add_dir(src)
        second = run.log_artifact(art)
    assert second.id != first.id
    assert second.open("data.bin").read() == b"NEW content"
    assert first.open("data.bin").read() == b"old content"


def test_artifact_logged_into_another_store_copies_its_blobs(tmp_path):
    with lineage.init(project="p", dir=tmp_path / "one"):
        art = lineage.Artifact("m", type="model")
        with art.new_file("x", mode="wb") as f:
            f.write(b"payload")
    with lineage.init(project="p", dir=tmp_path / "two") as run:
        logged = run.log_artifact(art)
        assert logged.open("x").read() == b"payload"
    shutil.rmtree(tmp_path / "one")
    assert lineage.Store(tmp_path / "two").artifact("m").open("x").read() == b"payload"


def test_artifact_outside_a_run_uses_the_default_store(tmp_path, monkeypatch):
    monkeypatch.setenv("LINEAGE_DIR", str(tmp_path / "env-store"))
    art = lineage.Artifact("m", type="model")
    with art.new_file("x") as f:
        f.write("early")
    with lineage.init(project="p") as run:
        assert run.store.dir == tmp_path / "env-store"
        run.log_artifact(art)
    assert lineage.Store(tmp_path / "env-store").artifact("m").open("x").read() == b"early"


def test_an_artifact_filled_before_init_dir_leaves_no_orphan_copy_behind(tmp_path):
    # No run yet: the files are staged in the default store (./.lineage, which has no
    # database), then the artifact is logged into another store.
    art = lineage.Artifact("early", type="dataset")
    with art.new_file("x.txt") as f:
        f.write("filled before init")
    (tmp_path / "src.bin").write_bytes(b"added")
    art.add_file(tmp_path / "src.bin")
    with lineage.init(project="p", dir=tmp_path / "chosen") as run:
        logged = run.log_artifact(art)
    assert logged.open("x.txt").read() == b"filled before init"
    blobs = tmp_path / ".lineage" / "blobs"
    assert not blobs.exists() or not [p for p in blobs.rglob("*") if p.is_file()]


def test_an_artifact_of_new_files_filled_before_init_dir_leaves_no_store_behind(tmp_path):
    art = lineage.Artifact("early", type="dataset")
    with art.new_file("x.txt") as f:
        f.write("filled before init")
    assert (tmp_path / ".lineage" / "blobs").is_dir()  # staged in the default store, which has no database
    with lineage.init(project="p", dir=tmp_path / "chosen") as run:
        run.log_artifact(art)
    assert not (tmp_path / ".lineage").exists()


def test_an_artifact_staged_in_one_store_and_logged_in_another_leaves_the_first_clean(tmp_path):
    with lineage.init(project="p", dir=tmp_path / "one") as run:
        kept = lineage.Artifact("kept", type="dataset")
        with kept.new_file("shared.txt") as f:
            f.write("in both stores")
        run.log_artifact(kept)
        art = lineage.Artifact("moved", type="dataset")
        for name, text in (("shared.txt", "in both stores"), ("own.txt", "only logged in two")):
            with art.new_file(name) as f:
                f.write(text)
    with lineage.init(project="p", dir=tmp_path / "two") as run:
        run.log_artifact(art)
    one = lineage.Store(tmp_path / "one")
    assert one.fsck().clean  # no unreferenced copy of own.txt left, and shared.txt kept
    assert one.artifact("kept").open("shared.txt").read() == b"in both stores"
    assert lineage.Store(tmp_path / "two").artifact("moved").open("own.txt").read() == b"only logged in two"


@pytest.mark.folder_blobs
def test_a_folder_logged_in_batches_keeps_every_file_and_repairs_a_planted_blob(store_dir, tmp_path, monkeypatch):
    # Batches of 3 files, written by the writer threads: duplicates share one blob, a file
    # with wrong bytes already at a new blob's place (a crash's leftover) is replaced.
    from lineage import blobs as blobs_module

    monkeypatch.setattr(blobs_module, "BATCH_FILES", 3)
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    contents = {f"{i}.bin": os.urandom(100 + i) for i in range(10)}
    contents["sub/dup.bin"] = contents["3.bin"]
    for name, data in contents.items():
        (src / name).write_bytes(data)
    planted = hashlib.sha256(contents["7.bin"]).hexdigest()
    (blob_root(store_dir) / planted[:2]).mkdir(parents=True)
    (blob_root(store_dir) / planted[:2] / planted[2:]).write_bytes(b"not these bytes")
    with lineage.init(project="p", dir=store_dir) as run:
        art = lineage.Artifact("d", type="dataset")
        art.add_dir(src)
        logged = run.log_artifact(art)
    assert {e: logged.open(e).read() for e in logged.manifest.entries} == contents
    assert logged.digest == manifest_digest({p: hashlib.sha256(d).hexdigest() for p, d in contents.items()})
    assert len([p for p in blob_root(store_dir).glob("??/*") if p.is_file()]) == len(contents) - 1


# A few blobs are fsynced one by one; many get one syncfs after the last write (and, with
# batches of 8, syncfs calls started behind the writes while they go on).
@pytest.mark.folder_only  # SQLite's trace of the commit, fsyncs of blobs/
@pytest.mark.parametrize("count", [3, 40, 80])
def test_a_versions_blobs_are_durable_before_its_commit(store_dir, tmp_path, monkeypatch, count):
    # The order a power cut could break: every new blob (and its folder entry) must be on
    # disk before the transaction that makes the version visible commits.
    from lineage import blobs as blobs_module

    events: list[tuple] = []
    real_fsync, real_syncfs = os.fsync, blobs_module.syncfs

    def fsync(fd):
        time.sleep(0.02)  # a slow disk: a commit that does not wait for the fsyncs comes first
        real_fsync(fd)
        events.append(("fsync", os.fstat(fd).st_ino))  # once it returned: durable

    def syncfs(path):
        events.append(("syncfs started", str(path)))
        real_syncfs(path)
        events.append(("syncfs", str(path)))

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(blobs_module, "syncfs", syncfs)
    if count == 80:  # batches of 8 written in this thread: a syncfs starts behind the fifth
        monkeypatch.setattr(blobs_module, "BATCH_FILES", 8)
        monkeypatch.setattr(blobs_module, "WRITERS", 0)
        real_syncers = blobs_module._syncers

        class Recording:  # when a syncfs is asked for (its thread may start it later)
            def submit(self, fn, *args):
                if fn is syncfs:
                    events.append(("syncfs asked", str(args[0])))
                return real_syncers().submit(fn, *args)

        monkeypatch.setattr(blobs_module, "_syncers", Recording)
    src = tmp_path / "src"
    src.mkdir()
    for i in range(count):
        (src / f"{i}.bin").write_bytes(os.urandom(64))
    with lineage.init(project="p", dir=store_dir) as run:
        art = lineage.Artifact("d", type="dataset")
        with art.new_file("note.txt") as f:
            f.write("written in place")
        art.add_dir(src, name="files")
        events.append(("added",))
        run.store.db.con.set_trace_callback(lambda sql: events.append(("sql", sql.strip())))
        logged = run.log_artifact(art)
        run.store.db.con.set_trace_callback(None)
    commit = next(
        i
        for i, event in enumerate(events)
        if event == ("sql", "COMMIT") and ("sql", "PRAGMA synchronous = FULL") in events[:i]
    )
    before = events[:commit]
    blobs = [logged._store.blobs.path(e.digest) for e in logged.files()]
    assert len(blobs) == count + 1
    if count > blobs_module.SYNC_EACH_UP_TO:
        root = str(logged._store.blobs.root)
        after_the_writes = before[before.index(("added",)) :]
        assert ("syncfs started", root) in after_the_writes and ("syncfs", root) in after_the_writes
        if count == 80:
            assert ("syncfs asked", root) in before[: before.index(("added",))]  # one began behind the writes
    else:
        synced = {event[1] for event in before if event[0] == "fsync"}
        for blob in blobs:
            assert blob.stat().st_ino in synced, f"{blob} not fsynced before the commit"
            assert blob.parent.stat().st_ino in synced, f"{blob.parent} not fsynced before the commit"
