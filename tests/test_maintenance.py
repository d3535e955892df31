"""gc and fsck: what gc frees and keeps, how fsck names each kind of damage."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import lineage
from lineage.fsck import FsckReport, fsck
from lineage.gc import GcPlan, gc
from lineage.storage import versions as versions_module
from tests.helpers.postgres import blob_root

HELPERS = Path(__file__).parent / "helpers"
# gc and fsck on both backends (a PostgreSQL store here keeps its blobs in a folder of the test).
BACKENDS = ("folder", "postgres")


def log(store_dir, name, files, aliases=None, type="dataset"):
    with lineage.init(project="p", job_type="make", dir=store_dir) as run:
        art = lineage.Artifact(name, type=type)
        for path, content in files.items():
            with art.new_file(path, mode="wb") as f:
                f.write(content)
        return run.log_artifact(art, aliases=aliases)


def blob_files(store_dir) -> set[str]:
    root = blob_root(store_dir)
    return {p.parent.name + p.name for p in root.glob("??/*") if ".tmp-" not in p.name}


def digest(content: bytes) -> str:
    import hashlib

    return hashlib.sha256(content).hexdigest()


def kinds(report: FsckReport) -> list[str]:
    return sorted(p.kind for p in report.problems)


def test_gc_frees_only_blobs_no_live_version_uses(store_dir):
    log(store_dir, "d", {"shared": b"shared", "one": b"only in v0"})
    log(store_dir, "d", {"shared": b"shared", "two": b"only in v1"})
    store = lineage.Store(store_dir)
    assert gc(store).empty  # nothing deleted yet: nothing to free
    store.delete("d:v0")

    plan = gc(store, dry_run=True)
    assert isinstance(plan, GcPlan) and not plan.executed
    assert [item.sha256 for item in plan.blobs] == [digest(b"only in v0")]
    assert plan.bytes == len(b"only in v0") and plan.temp_files == ()
    assert plan.describe() == "would free 1 blob and 0 temp files (10 B)"
    assert digest(b"only in v0") in blob_files(store_dir)  # a dry run frees nothing

    done = gc(store)
    assert done.executed and done.blobs == plan.blobs and done.freed_bytes == 10
    assert done.describe() == "freed 1 blob and 0 temp files (10 B)"
    assert blob_files(store_dir) == {digest(b"shared"), digest(b"only in v1")}
    assert gc(store).empty
    # The deleted version keeps its manifest (its blob row stays: its files row refers to it).
    assert [f.path for f in store.versions("d")[0].files()] == ["one", "shared"]
    assert store.fsck().clean


def test_gc_keeps_run_files_and_frees_rows_nothing_references(store_dir, tmp_path):
    (tmp_path / "notes.txt").write_bytes(b"first")
    with lineage.init(project="p", dir=store_dir) as run:
        run.save(str(tmp_path / "notes.txt"), base_path=tmp_path)
        (tmp_path / "notes.txt").write_bytes(b"second, longer")
        time.sleep(0.01)
        run.save(str(tmp_path / "notes.txt"), base_path=tmp_path)  # replaces the run file's blob
    store = lineage.Store(store_dir)
    plan = gc(store)
    assert plan.rows == (digest(b"first"),)  # its row was referenced by nothing any more
    assert [item.sha256 for item in plan.blobs] == [digest(b"first")]
    assert blob_files(store_dir) == {digest(b"second, longer")}
    assert store.db.read("SELECT sha256 FROM blobs") == [(digest(b"second, longer"),)]
    assert store.fsck().clean


def test_gc_sweeps_blob_files_without_rows_and_temp_files_of_dead_processes(store_dir):
    log(store_dir, "d", {"f": b"kept"})
    blobs = blob_root(store_dir)
    # What a crash leaves: a blob placed but never committed (or one gc unrowed but did
    # not unlink), and temp files of a process that died; a live process's temp file stays.
    orphan = digest(b"orphan")
    (blobs / orphan[:2]).mkdir(exist_ok=True)
    (blobs / orphan[:2] / orphan[2:]).write_bytes(b"orphan")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    (blobs / "tmp").mkdir(exist_ok=True)
    stray = blobs / "tmp" / f"stream.tmp-{dead_pid}-3"
    stray.write_bytes(b"half a blo")
    mine = blobs / "tmp" / f"new.tmp-{os.getpid()}-999"
    mine.write_bytes(b"being written")

    store = lineage.Store(store_dir)
    report = fsck(store)
    assert report.ok and not report.clean
    assert kinds(report) == ["temp_file", "unreferenced_blob"]
    assert {p.subject for p in report.sweepable} == {str(stray), orphan}

    plan = gc(store)
    assert [item.sha256 for item in plan.blobs] == [orphan]
    assert [item.path for item in plan.temp_files] == [stray]
    assert plan.freed_bytes == len(b"orphan") + len(b"half a blo")
    assert not stray.exists() and mine.exists()
    assert fsck(store).clean
    mine.unlink()


def test_gc_never_collects_a_blob_an_upload_in_another_process_is_about_to_commit(store_dir):
    log(store_dir, "d", {"f": b"old"})
    store = lineage.Store(store_dir)
    store.delete("d:v0")
    child = subprocess.Popen(
        [sys.executable, str(HELPERS / "hold_upload.py"), str(store_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline() == "added\n"  # its blobs are on disk, not committed
        # A dry run takes no lock: it shows the pending blob, which is why gc plans again.
        planned = {i.sha256 for i in gc(store, dry_run=True).blobs}
        assert planned == {digest(b"pending upload"), digest(b"old")}
        with pytest.raises(lineage.StoreBusyError, match="another process is adding files"):
            gc(store, wait_s=0.3)
        assert digest(b"pending upload") in blob_files(store_dir)
        child.stdin.write("commit\n")
        child.stdin.flush()
        assert child.stdout.readline() == "committed\n"
    finally:
        child.stdin.close()
        child.wait(timeout=30)
    assert child.returncode == 0
    # The upload re-used the unreferenced blob "old": now a live version uses it again.
    assert gc(store).empty
    assert blob_files(store_dir) == {digest(b"pending upload"), digest(b"old")}
    report = fsck(store)
    assert report.clean, report.problems


def test_an_artifact_copied_from_another_store_is_safe_from_gc_until_committed(tmp_path, monkeypatch):
    # Logging an artifact built in store A into a run on store B copies its blobs into B;
    # a gc in B between the copy and the commit must not free them.
    with lineage.init(project="p", dir=tmp_path / "a"):
        art = lineage.Artifact("d", type="dataset")
        with art.new_file("f", mode="wb") as f:
            f.write(b"copied across")
    outcomes = []
    commit = versions_module.commit

    def gc_then_commit(db, run_id, new, ready=None):
        try:
            outcomes.append(gc(lineage.Store(tmp_path / "b"), wait_s=0.2).describe())
        except lineage.StoreBusyError:
            outcomes.append("busy")
        return commit(db, run_id, new, ready)

    monkeypatch.setattr(versions_module, "commit", gc_then_commit)
    with lineage.init(project="p", dir=tmp_path / "b") as run:
        logged = run.log_artifact(art)
    assert outcomes == ["busy"]
    with logged.open("f") as f:
        assert f.read() == b"copied across"
    assert fsck(lineage.Store(tmp_path / "b")).clean


def test_fsck_names_missing_altered_and_resized_blobs(store_dir):
    log(store_dir, "d", {"a": b"alpha", "b": b"bravo", "c": b"charlie"})
    store = lineage.Store(store_dir)
    blobs = store.blobs
    os.unlink(blobs.path(digest(b"alpha")))
    resized = blobs.path(digest(b"bravo"))
    os.chmod(resized, 0o644)
    resized.write_bytes(b"bravo!")
    # Same size, mtime put back: only hashing can tell (quick mode cannot).
    sneaky = blobs.path(digest(b"charlie"))
    st = os.stat(sneaky)
    os.chmod(sneaky, 0o644)
    sneaky.write_bytes(b"CHARLIE")
    os.utime(sneaky, ns=(st.st_atime_ns, st.st_mtime_ns))

    report = fsck(store)
    assert not report.ok
    by_subject = {p.subject: p for p in report.damage}
    assert by_subject[digest(b"alpha")].kind == "missing_blob"
    assert by_subject[digest(b"bravo")].kind == "corrupt_blob"
    assert by_subject[digest(b"charlie")].kind == "corrupt_blob"
    assert "used by d:v0 (a)" in str(by_subject[digest(b"alpha")])
    quick = fsck(store, quick=True)
    assert {p.subject for p in quick.damage} == {digest(b"alpha"), digest(b"bravo")}
    assert all("\n" not in str(p) for p in report.problems)


@pytest.mark.folder_only  # rows PostgreSQL's foreign keys would refuse, written past lineage
def test_fsck_names_broken_rows_versions_and_aliases(store_dir):
    log(store_dir, "d", {"a": b"alpha"}, aliases=["best"])
    log(store_dir, "d", {"a": b"beta"})
    store = lineage.Store(store_dir)
    assert fsck(store).clean
    con = sqlite3.connect(store_dir / "lineage.db")
    with con:
        con.execute("UPDATE versions SET digest = ? WHERE number = 1", ("0" * 64,))
        con.execute("UPDATE versions SET deleted_at = '2026-01-01T00:00:00Z' WHERE number = 0")  # holds 'best'
        con.execute("INSERT INTO consumed (run_id, version_id, created_at) VALUES ('ghost', 1, 'now')")
    con.close()
    report = fsck(store)
    assert kinds(report) == ["alias", "foreign_key", "unreferenced_blob", "version"]
    assert {p.subject for p in report.problems} >= {"d:v1", "d:best"}


@pytest.mark.parametrize(
    "tamper",
    [
        "DELETE FROM refs WHERE ref = 'd:best'",
        "INSERT INTO refs (ref, kind, id, label) VALUES ('d:v7', 'version', '1', 'dataset:d:v0')",
        "UPDATE refs SET label = 'x' WHERE ref = 'd:latest'",
        "UPDATE refs SET id = 'x' WHERE ref = 'd:latest'",
    ],
)
def test_fsck_names_a_refs_table_out_of_step_and_walks_refuse_bad_rows(store_dir, tamper):
    log(store_dir, "d", {"a": b"alpha"}, aliases=["best"])
    store = lineage.Store(store_dir)
    assert fsck(store).clean
    with store.db.write() as con:  # past lineage's own writes: the refs triggers do not see it
        con.execute(tamper)
    report = fsck(store)
    assert kinds(report) == ["refs"] and not report.ok
    assert "refs table lacks" in str(report.problems[0])
    if "SET id" in tamper:  # a start naming no node (a wrong label is only a wrong display name)
        with pytest.raises(lineage.LineageError, match="refs table of store .* is damaged"):
            store.ancestry("d:latest")


@pytest.mark.folder_only
def test_fsck_reports_a_damaged_database(store_dir):
    log(store_dir, "d", {"a": b"alpha" * 1000})
    for i in range(30):
        log(store_dir, f"e{i}", {"x": str(i).encode()})
    for open_store in lineage.tracking._stores.values():
        open_store.close()
    db = store_dir / "lineage.db"
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'files_by_blob'").fetchone()[0]
    con.close()
    with open(db, "r+b") as f:  # wipe an index page: the tables still read
        f.seek((root - 1) * page_size)
        f.write(b"\xff" * page_size)
    report = fsck(lineage.Store(store_dir))
    assert not report.ok
    assert "database" in kinds(report)


def test_fsck_progress_counts_bytes_up_to_the_total(store_dir):
    log(store_dir, "d", {"a": b"a" * 100, "b": b"b" * 50})
    calls = []
    report = fsck(lineage.Store(store_dir), progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, 150) and calls[-1] == (150, 150)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert (report.blobs_checked, report.bytes_checked) == (2, 150)
    assert report.describe() == "checked 2 blobs (150 B): no problems"


def test_fsck_notes_runs_whose_process_died_and_runs_it_cannot_check(store_dir):
    code = f"import lineage, os; lineage.init(project='p', dir={str(store_dir)!r}); os._exit(0)"
    subprocess.run([sys.executable, "-c", code], check=True)  # exits without finishing its run
    store = lineage.Store(store_dir)
    with store.db.write() as con:
        con.execute(
            "INSERT INTO runs (id, project, name, state, started_at, host, pid) "
            "VALUES ('far', 'p', 'far-away-1', 'running', '2026-01-01', ?, 1)",
            (socket.gethostname() + "-elsewhere",),
        )
    report = fsck(store)
    assert report.ok and kinds(report) == ["crashed_run", "unchecked_run"]
    assert [r.state for r in store.runs()] == ["running", "crashed"]


def test_store_methods_delegate(store_dir):
    log(store_dir, "d", {"a": b"x"})
    store = lineage.Store(store_dir)
    store.delete("d:v0")
    assert store.gc(dry_run=True).bytes == 1
    assert store.gc().freed_bytes == 1
    assert store.fsck(quick=True).clean
    assert not os.path.exists(store.blobs.path(digest(b"x")))


def test_gc_and_fsck_on_a_missing_store_say_so(tmp_path):
    with pytest.raises(lineage.NotFoundError, match="no lineage store"):
        gc(lineage.Store(tmp_path / "none"))
    with pytest.raises(lineage.NotFoundError, match="no lineage store"):
        fsck(lineage.Store(tmp_path / "none"))
    assert not (tmp_path / "none").exists()


@pytest.mark.folder_only
def test_blobs_holds_blobs_only_and_the_lock_lives_beside_the_database(store_dir):
    log(store_dir, "d", {"a": b"a"})
    gc(lineage.Store(store_dir))
    assert (store_dir / "staging.lock").is_file()
    # Fan-out folders, and tmp/ where blobs being written wait: nothing else.
    assert {p.name for p in (store_dir / "blobs").iterdir()} <= {digest(b"a")[:2], "tmp"}
    assert not (store_dir / "blobs" / "staging.lock").exists()


@pytest.mark.folder_only
def test_a_store_with_the_old_lock_in_blobs_still_works_and_its_old_lock_is_honoured(store_dir):
    import fcntl

    log(store_dir, "d", {"a": b"a"})
    legacy = store_dir / "blobs" / "staging.lock"
    legacy.write_bytes(b"")  # as lineage before this change left it
    store = lineage.Store(store_dir)
    assert store.fsck().clean
    log(store_dir, "d", {"a": b"a", "b": b"b"})
    store.delete("d:v0")
    # An older lineage uploading into this store holds the old lock: gc waits for it.
    fd = os.open(legacy, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_SH)
    try:
        with pytest.raises(lineage.StoreBusyError):
            gc(store, wait_s=0.2)
    finally:
        os.close(fd)
    assert gc(store).empty  # v0's files are all in v1: nothing to free, and the old lock is left alone
    assert legacy.exists() and store.fsck().clean


@pytest.mark.parametrize("add", ["add_dir", "add_file"])
def test_a_folder_logged_again_after_its_version_was_deleted_and_gc_ran_gets_its_blobs_back(store_dir, tmp_path, add):
    # gc frees the blobs of a deleted version; the re-log caches, which trust a digest
    # without looking at its blob, must not hand those digests out again.
    from lineage.store import RACY_NS

    src = tmp_path / "src"
    src.mkdir()
    for i in range(3):
        (src / f"{i}.txt").write_text(f"file {i}")
    time.sleep(2 * RACY_NS / 1e9)  # old enough to be remembered

    def log_src():
        with lineage.init(project="p", dir=store_dir) as run:
            art = lineage.Artifact("d", type="dataset")
            if add == "add_dir":
                art.add_dir(src)
            else:
                for i in range(3):
                    art.add_file(src / f"{i}.txt")
            return run.log_artifact(art)

    log_src()
    store = lineage.Store(store_dir)
    store.delete("d:v0")
    assert len(gc(store).blobs) == 3
    again = log_src()
    assert again.version == "v1" and again.open("1.txt").read() == b"file 1"
    assert fsck(lineage.Store(store_dir)).clean


def test_an_artifact_dropped_before_logging_then_gc_does_not_break_the_next_log(store_dir):
    import gc as python_gc

    with lineage.init(project="p", dir=store_dir) as run:
        dropped = lineage.Artifact("dropped", type="dataset")
        with dropped.new_file("x", mode="wb") as f:
            f.write(b"never logged")
        del dropped
        python_gc.collect()  # its staging hold is released: gc may free its blob now
        assert [item.sha256 for item in gc(run.store).blobs] == [digest(b"never logged")]
        art = lineage.Artifact("kept", type="dataset")
        with art.new_file("y", mode="wb") as f:
            f.write(b"logged")
        logged = run.log_artifact(art)
    assert logged.open("y").read() == b"logged"
    assert fsck(lineage.Store(store_dir)).clean


@pytest.mark.parametrize(
    "tamper",
    [
        "DELETE FROM upstream",
        "UPDATE downstream SET next_label = 'x:y:v0'",
        "INSERT INTO upstream (node, next, next_label) VALUES ('version:1', 'run:ghost', 'make:ghost')",
    ],
)
def test_fsck_names_walk_tables_out_of_step(store_dir, tamper):
    version = log(store_dir, "d", {"a": b"alpha"})
    store = lineage.Store(store_dir)
    assert fsck(store).clean and len(store.ancestry(f"d:{version.version}")) == 2
    with store.db.write() as con:  # past lineage's own writes: the walks' triggers do not see it
        con.execute(tamper)
    report = fsck(store)
    assert kinds(report) == ["walks"] and not report.ok
    assert "upstream and downstream lack" in str(report.problems[0])
