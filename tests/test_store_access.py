"""Honest errors about the disk: a store that may only be read is read; a full disk says so.

The tests run as root, whom permissions do not stop, so the read-only case runs in a
forked child that drops to the ``nobody`` user after importing what it needs.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest

import lineage
import lineage.query  # noqa: F401 (imported before the child drops its rights)


def _make_store(store_dir: Path) -> None:
    with lineage.init(project="p", job_type="make", dir=store_dir) as run:
        art = lineage.Artifact("data", type="dataset")
        with art.new_file("a.txt") as f:
            f.write("alpha")
        run.log_artifact(art)
    for store in lineage.tracking._stores.values():
        store.close()
    lineage.tracking._stores.clear()


def _in_child(work) -> dict:
    """Run ``work()`` in a forked child; its JSON-able result, or its error."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            result = {"ok": work()}
        except BaseException as exc:  # every failure goes back to the test, whatever it is
            result = {"error": type(exc).__name__, "message": str(exc)}
        os.write(write, json.dumps(result).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    return json.loads(data)


def _as_nobody(work) -> dict:
    """Run ``work()`` in a forked child as the user nobody; its JSON-able result, or its error."""
    nobody = pwd.getpwnam("nobody")

    def dropped():
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)
        return work()

    return _in_child(dropped)


@pytest.fixture
def shared_store(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root, to act as another user who may not write the store")  # CI runs as root
    _make_store(tmp_path / "warm-up")
    lineage.Store(tmp_path / "warm-up").sql("SELECT 1")  # loads every module sql needs while they can be read
    top = Path(tempfile.mkdtemp(prefix="lineage-ro-"))
    try:
        os.chmod(top, 0o755)
        _make_store(top / "store")
        for path in [top / "store", *(top / "store").rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        yield top / "store"
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_a_store_the_user_may_not_write_is_read_and_writes_say_read_only(shared_store):
    def read():
        store = lineage.Store(shared_store)
        table = store.sql("SELECT name FROM artifacts")
        return {
            "runs": [r.job_type for r in store.runs()],
            "file": store.artifact("data:v0").open("a.txt").read().decode(),
            "sql": table.column("name").to_pylist(),
        }

    assert _as_nobody(read) == {"ok": {"runs": ["make"], "file": "alpha", "sql": ["data"]}}
    before = {p: p.read_bytes() for p in shared_store.rglob("*") if p.is_file()}

    def write():
        lineage.Store(shared_store).alias("data:v0", "best")

    result = _as_nobody(write)
    assert result["error"] == "ReadOnlyStoreError" and "read-only" in result["message"], result
    assert "damaged" not in result["message"] and "\n" not in result["message"]
    result = _as_nobody(lambda: lineage.init(project="p", dir=shared_store) and None)
    assert result["error"] == "ReadOnlyStoreError", result
    assert {p: p.read_bytes() for p in shared_store.rglob("*") if p.is_file()} == before


def test_a_full_disk_says_the_disk_is_full_and_changes_nothing(tmp_path):
    _make_store(tmp_path / "store")
    with lineage.init(project="p", dir=tmp_path / "store") as run:
        con = run.store.db.con
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        limit = con.execute("PRAGMA max_page_count").fetchone()[0]
        con.execute(f"PRAGMA max_page_count = {pages}")  # past it SQLite answers SQLITE_FULL, as on a full disk
        with pytest.raises(lineage.StoreFullError, match="is full") as caught:
            run.log({"x": "y" * 100_000})
        assert "damaged" not in str(caught.value) and "\n" not in str(caught.value)
        assert run.store.db.read("SELECT count(*) FROM history") == [(0,)]
        con.execute(f"PRAGMA max_page_count = {limit}")
    check = sqlite3.connect(tmp_path / "store" / "lineage.db")
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    check.close()


@pytest.mark.parametrize("how", ["add_file", "new_file"])
def test_blobs_that_do_not_fit_say_so_in_one_line(tmp_path, how):
    # A file size limit makes writes fail as a full disk does (EFBIG instead of ENOSPC).
    import resource
    import signal

    _make_store(tmp_path / "store")
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(3 << 20))

    def log():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
        with lineage.init(project="p", dir=tmp_path / "store") as run:
            art = lineage.Artifact("big", type="dataset")
            if how == "add_file":
                art.add_file(big)
            else:
                with art.new_file("big.bin", mode="wb") as f:
                    f.write(big.read_bytes())
            run.log_artifact(art)

    result = _in_child(log)
    assert result.get("error") == "StoreFullError", result
    assert "\n" not in result["message"]
    assert lineage.Store(tmp_path / "store").fsck().ok


def test_a_source_file_the_user_may_not_read_is_one_clear_line(shared_store):
    nobody = pwd.getpwnam("nobody")
    for path in [shared_store, *shared_store.rglob("*")]:
        os.chown(path, nobody.pw_uid, nobody.pw_gid)  # the store is theirs to write
    secret = shared_store.parent / "secret.bin"
    secret.write_bytes(b"root's own")
    os.chmod(secret, 0o600)
    blobs_before = sorted(p.relative_to(shared_store).as_posix() for p in (shared_store / "blobs").rglob("*"))

    def add():
        with lineage.init(project="p", dir=shared_store):
            lineage.Artifact("d", type="dataset").add_file(secret)

    result = _as_nobody(add)
    assert result["error"] == "InvalidArgumentError", result
    assert "cannot read" in result["message"] and "Permission denied" in result["message"]
    assert "\n" not in result["message"]
    assert sorted(p.relative_to(shared_store).as_posix() for p in (shared_store / "blobs").rglob("*")) == blobs_before
