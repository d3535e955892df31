"""Many processes on one store: creation races, no lost or reused version numbers,
readers that never block writers, gc next to writers that log and delete."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import lineage
from lineage.blobs import hash_file
from lineage.fsck import fsck
from lineage.gc import gc
from lineage.storage.db import connect_read_only

HELPERS = Path(__file__).parent / "helpers"
WRITERS = 8
PER_WRITER = 25

# Tests taking ``store_dir`` run on a folder store and on a PostgreSQL store with blobs in
# a folder and in S3 (tests/helpers/postgres.py); the others race on folder creation.
BACKENDS = ("folder", "postgres", "postgres+s3")


class SnapshotReader:
    """A reader holding one snapshot of the store's database while others write."""

    def __init__(self, store: Path | str):
        if isinstance(store, Path):
            self.con = connect_read_only(store / "lineage.db")
            self.con.execute("BEGIN")
        else:
            import psycopg

            self.con = psycopg.connect(store)
            self.con.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def versions(self) -> int:
        return self.con.execute("SELECT count(*) FROM versions").fetchone()[0]

    def renew(self) -> None:
        self.con.execute("COMMIT")

    def close(self) -> None:
        self.con.close()


def start_writers(script: str, store_dir: Path, count: int, per_writer: int, go: Path) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(
            [sys.executable, str(HELPERS / script), str(store_dir), str(worker), str(per_writer), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for worker in range(count)
    ]


def finish(writers: list[subprocess.Popen], timeout: float = 240) -> list[str]:
    outputs = []
    for writer in writers:
        out, err = writer.communicate(timeout=timeout)
        assert writer.returncode == 0 and err == "", err  # no 'database is locked', no traceback
        outputs.append(out)
    return outputs


def _open_new_store(path: str, start, results) -> None:
    start.wait()
    try:
        lineage.Store(path).create().runs()
        results.put("ok")
    except BaseException as exc:  # report every failure to the parent, whatever it is
        results.put(f"{type(exc).__name__}: {exc}")


def test_processes_creating_one_new_store_at_once_all_succeed(tmp_path):
    # Before the core retried the switch to WAL (SQLite answers SQLITE_BUSY at once, without
    # its busy handler), about 1 round in 20 failed with 'database is locked'.
    context = multiprocessing.get_context("fork")  # fork starts in milliseconds: tight races
    failures = []
    for round in range(40):
        start, results = context.Event(), context.Queue()
        children = [
            context.Process(target=_open_new_store, args=(str(tmp_path / f"s{round}"), start, results))
            for _ in range(WRITERS)
        ]
        for child in children:
            child.start()
        start.set()
        for child in children:
            child.join(60)
        failures += [r for r in (results.get(timeout=10) for _ in children) if r != "ok"]
    assert failures == []


def test_eight_writers_lose_and_reuse_no_version_number_while_a_reader_holds_a_snapshot(tmp_path, store_dir):
    lineage.Store(store_dir).create().close()
    reader = SnapshotReader(store_dir)
    assert reader.versions() == 0

    go = tmp_path / "go"
    writers = start_writers("writer.py", store_dir, WRITERS, PER_WRITER, go)
    time.sleep(0.3)
    go.touch()  # every writer starts at once
    outputs = finish(writers)

    # All writers committed while the reader held its snapshot: it still sees none of it.
    assert reader.versions() == 0
    reader.renew()
    assert reader.versions() == 2 * WRITERS * PER_WRITER
    reader.close()

    logged = [json.loads(line) for out in outputs for line in out.splitlines()]
    store = lineage.Store(store_dir)
    shared = store.versions("shared")
    assert [v.version for v in shared] == [f"v{n}" for n in range(WRITERS * PER_WRITER)]
    told = {(e["version"], e["digest"]) for e in logged if e["artifact"] == "shared"}
    assert len(told) == WRITERS * PER_WRITER  # each writer was told a different number
    assert told == {(v.version, v.digest) for v in shared}
    assert len({v.digest for v in shared}) == WRITERS * PER_WRITER
    for worker in range(WRITERS):
        own = store.versions(f"own-{worker}")
        assert [v.version for v in own] == [f"v{n}" for n in range(PER_WRITER)]
        assert [v.metadata["i"] for v in own] == list(range(PER_WRITER))
    assert all(len(v.used_by()) == 1 for v in shared)
    assert sorted(r.state for r in store.runs()) == ["finished"] * WRITERS
    report = fsck(store)
    assert report.clean, report.problems
    assert report.blobs_checked == 2 * WRITERS * PER_WRITER + 1  # one common file in every version


def test_gc_next_to_processes_that_log_and_delete_never_frees_a_live_blob(tmp_path, store_dir):
    store = lineage.Store(store_dir).create()
    go = tmp_path / "go"
    writers = start_writers("churn.py", store_dir, 3, 20, go)
    go.touch()
    executed = busy = 0
    while any(w.poll() is None for w in writers):
        try:
            # No grace on S3 either: the staging lock alone keeps gc off blobs not committed yet.
            executed += gc(store, wait_s=1, grace_s=0).executed
        except lineage.StoreBusyError:
            busy += 1
        report = fsck(store, quick=True)
        assert report.ok, report.damage
    finish(writers)
    assert executed >= 1  # gc really ran between the writers' commits
    final = gc(store, grace_s=0)
    report = fsck(store)
    assert report.clean, report.problems
    for worker in range(3):
        versions = store.versions(f"churn-{worker}")
        assert [v.deleted for v in versions] == [True] * 19 + [False]
        with versions[-1].open("common.txt") as f:
            assert f.read() == b"every worker logs this file\n"
    assert final.blobs == () or all(item.sha256 for item in final.blobs)
    print(f"gc executed {executed} times, busy {busy} times next to 3 writers")


@pytest.mark.slow
def test_sixteen_writers(tmp_path):
    store_dir = tmp_path / "store"
    go = tmp_path / "go"
    writers = start_writers("writer.py", store_dir, 16, 40, go)
    time.sleep(0.5)
    go.touch()
    finish(writers, timeout=600)
    store = lineage.Store(store_dir)
    assert [v.version for v in store.versions("shared")] == [f"v{n}" for n in range(16 * 40)]
    assert fsck(store).clean


@pytest.mark.slow
def test_sixteen_processes_logging_one_file_never_replace_its_blob_under_readers(tmp_path):
    # Each process logs the same file (its blob starts out unrecorded in every one of them)
    # and downloads by hard link what it logged. Replacing a blob that readers link breaks
    # their os.link with ENOENT; a blob with the right bytes must never be rewritten.
    store_dir, go, downloads = tmp_path / "store", tmp_path / "go", tmp_path / "downloads"
    source = tmp_path / "shared.bin"
    source.write_bytes(os.urandom(64 << 10))
    digest = hash_file(source)
    blob = store_dir / "blobs" / digest[:2] / digest[2:]
    workers = [
        subprocess.Popen(
            [sys.executable, str(HELPERS / "same_file.py"), str(store_dir), str(i), "2", str(go), str(source)]
            + [str(downloads)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(16)
    ]
    time.sleep(0.5)
    go.touch()
    inodes = set()
    while any(w.poll() is None for w in workers):
        try:
            inodes.add(os.stat(blob).st_ino)
        except FileNotFoundError:
            pass
        time.sleep(0.002)
    reports = [json.loads(out) for out in finish(workers, timeout=120)]
    assert [r["errors"] for r in reports] == [[]] * 16
    assert all(r["downloads"] == r["logged"] > 0 for r in reports)
    assert len(inodes) == 1, f"the blob was replaced {len(inodes) - 1} times"
    assert fsck(lineage.Store(store_dir)).ok
