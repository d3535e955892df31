"""A store folder handed over by someone else cannot lead lineage outside itself.

Links inside ``blobs/`` are never followed (reads, downloads, gc), every digest read from
the database must be a digest before it becomes a path, exported file names come from
plain names only, and fsck names all of it. Downloads never write through a file planted
in the download folder.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import lineage
from lineage import hostdir


def _store(store_dir: Path, files: dict[str, bytes], name: str = "data") -> lineage.LoggedArtifact:
    with lineage.init(project="p", dir=store_dir) as run:
        art = lineage.Artifact(name, type="dataset")
        for path, content in files.items():
            with art.new_file(path, mode="wb") as f:
                f.write(content)
        return run.log_artifact(art)


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def outside(tmp_path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret").write_bytes(b"alpha")  # the same bytes as a.txt: a link to it would pass a hash check
    return folder


def test_a_blob_that_is_a_link_is_named_by_fsck_and_never_served_or_linked(tmp_path, outside):
    logged = _store(tmp_path / "store", {"a.txt": b"alpha"})
    store = lineage.Store(tmp_path / "store")
    blob = store.blobs.path(logged.files()[0].digest)
    blob.unlink()
    blob.symlink_to(outside / "secret")
    report = store.fsck()
    assert [(p.kind, p.subject) for p in report.damage] == [("link", str(blob))]
    with pytest.raises(lineage.CorruptBlobError, match="not a plain file"):
        logged.open("a.txt")
    with pytest.raises(lineage.CorruptBlobError, match="not a plain file"):
        logged.download(tmp_path / "down", link=True)
    assert os.stat(outside / "secret").st_nlink == 1  # never hard-linked from a download
    assert not (tmp_path / "down" / "a.txt").exists()


def _forge_digest(store_dir: Path, forged: str) -> None:
    con = sqlite3.connect(store_dir / "lineage.db")
    con.execute("PRAGMA foreign_keys = OFF")
    con.execute("INSERT INTO blobs (sha256, size, mtime_ns) VALUES (?, 5, 0)", (forged,))
    con.execute("UPDATE files SET sha256 = ?", (forged,))
    con.commit()
    con.close()


def test_a_digest_that_is_a_path_never_reaches_the_disk(tmp_path, outside):
    logged = _store(tmp_path / "store", {"a.txt": b"alpha"})
    store_dir = tmp_path / "store"
    forged = "../../outside/secret"  # blobs/<first 2>/<rest> would be tmp_path/outside/secret
    assert os.path.realpath(f"{store_dir}/blobs/{forged[:2]}/{forged[2:]}") == os.path.realpath(outside / "secret")
    _forge_digest(store_dir, forged)
    store = lineage.Store(store_dir)
    logged = store.artifact("data:v0")
    with pytest.raises(lineage.CorruptBlobError, match="no SHA-256 digest") as caught:
        logged.open("a.txt")
    assert "\n" not in str(caught.value)
    with pytest.raises(lineage.CorruptBlobError, match="no SHA-256 digest"):
        logged.download(tmp_path / "down")
    assert os.stat(outside / "secret").st_nlink == 1
    assert [p.kind for p in store.fsck().damage] == ["bad_digest", "version"]  # its digest no longer fits


def test_export_never_writes_outside_its_folder_whatever_the_views_are_called(tmp_path):
    _store(tmp_path / "store", {"a.txt": b"alpha"})
    con = sqlite3.connect(tmp_path / "store" / "lineage.db")
    con.execute('CREATE VIEW "../../escaped" AS SELECT 1 AS x')
    con.commit()
    con.close()
    out = tmp_path / "deep" / "er" / "export"
    with pytest.raises(lineage.InvalidArgumentError, match="not a plain name"):
        lineage.Store(tmp_path / "store").export(out)
    assert not (tmp_path / "deep").exists()
    assert not list(tmp_path.rglob("escaped*"))


def test_gc_never_deletes_through_a_linked_fan_out_folder(tmp_path):
    other = _store(tmp_path / "other", {"keep.bin": b"another store's live blob"}, name="theirs")
    digest = other.files()[0].digest
    _store(tmp_path / "store", {"a.txt": b"alpha"})
    store = lineage.Store(tmp_path / "store")
    planted = store.blobs.root / digest[:2]
    if planted.exists():
        shutil.rmtree(planted)
    planted.symlink_to(tmp_path / "other" / "blobs" / digest[:2], target_is_directory=True)
    plan = store.gc()
    assert digest not in {item.sha256 for item in plan.blobs}
    assert lineage.Store(tmp_path / "other").artifact("theirs").open("keep.bin").read() == b"another store's live blob"
    assert [(p.kind, p.subject) for p in store.fsck().damage] == [("link", str(planted))]


def test_gc_refuses_a_blobs_folder_that_is_a_link(tmp_path, outside):
    digest = _store(tmp_path / "store", {"a.txt": b"alpha"}).files()[0].digest
    store_dir = tmp_path / "store"
    shutil.rmtree(store_dir / "blobs")
    (outside / digest[:2]).mkdir()
    (outside / digest[:2] / ("0" * 62)).write_bytes(b"an outside file shaped like a blob")
    (store_dir / "blobs").symlink_to(outside, target_is_directory=True)
    before = _tree(outside)
    store = lineage.Store(store_dir)
    with pytest.raises(lineage.CorruptBlobError, match="is a link") as caught:
        store.gc()
    assert "\n" not in str(caught.value)
    assert _tree(outside) == before
    assert [p.kind for p in store.fsck().damage] == ["link"]
    with pytest.raises(lineage.CorruptBlobError, match="a link"):
        store.artifact("data:v0").open("a.txt")


def _other_file_system_folder() -> Path | None:
    """A folder on another file system than the tests' (where os.link fails and downloads copy)."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK) and os.stat(shm).st_dev != os.stat(tempfile.gettempdir()).st_dev:
        return Path(tempfile.mkdtemp(dir=shm))
    return None


@pytest.mark.parametrize("where", ["same file system", "other file system"])
def test_a_download_copy_never_writes_through_a_planted_link(tmp_path, where):
    logged = _store(tmp_path / "store", {"a.txt": b"alpha", "b.txt": b"beta"})
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    root = tmp_path / "down" if where == "same file system" else _other_file_system_folder()
    ask = {"link": False} if where == "same file system" else {}  # across file systems links fail: copies
    if root is None:
        root, ask = tmp_path / "down", {"link": False}  # no second file system here: copies asked for
    try:
        root.mkdir(exist_ok=True)
        (root / "a.txt").write_bytes(b"wrong")  # so the copy replaces it
        for name in ("a.txt.lineage-tmp", ".a.txt.lineage-tmp", "b.txt.lineage-tmp"):
            (root / name).symlink_to(victim)
        (root / "b.txt").symlink_to(victim)  # a link in place of a file: replaced, not written through
        logged.download(root, **ask)
        assert victim.read_bytes() == b"precious"
        assert (root / "a.txt").read_bytes() == b"alpha" and not (root / "a.txt").is_symlink()
        assert (root / "b.txt").read_bytes() == b"beta" and not (root / "b.txt").is_symlink()
        leftovers = {p.name for p in root.iterdir()} - {"a.txt", "b.txt"}
        assert leftovers == {"a.txt.lineage-tmp", ".a.txt.lineage-tmp", "b.txt.lineage-tmp"}  # planted, kept
    finally:
        if where == "other file system":
            shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("forged", ["../escaped.txt", "sub/../../escaped.txt", "/tmp/escaped.txt", "a//b"])
def test_a_forged_file_path_in_the_database_never_leads_a_download_out(tmp_path, forged):
    _store(tmp_path / "store", {"a.txt": b"alpha"})
    con = sqlite3.connect(tmp_path / "store" / "lineage.db")
    con.execute("UPDATE files SET path = ?", (forged,))
    con.commit()
    con.close()
    root = tmp_path / "deep" / "down"
    with pytest.raises(lineage.InvalidArgumentError) as caught:
        lineage.Store(tmp_path / "store").artifact("data").download(root)
    assert "\n" not in str(caught.value)
    assert not list(tmp_path.rglob("escaped.txt")) and not Path("/tmp/escaped.txt").exists()


@pytest.mark.parametrize("cache", ["file_state", "folder_state"])
@pytest.mark.parametrize("forged", ["../../outside/secret" + "0" * 44, "A" * 64, "a" * 63, "é" * 64])
def test_a_forged_digest_in_the_relog_cache_is_never_trusted(tmp_path, forged, cache):
    # The re-log caches remember each added file's digest (file_state: files added one by
    # one; folder_state: folders added whole); a forged one (a path, uppercase, too short,
    # not ASCII) is dropped and that file hashed again, while the rest stay cached.
    import time

    from lineage.store import RACY_NS

    src = tmp_path / "src"
    src.mkdir()
    for i in range(50):
        (src / f"{i:02d}.txt").write_text(f"file {i}")
    time.sleep(2 * RACY_NS / 1e9)  # old enough to be remembered

    def add(art):
        if cache == "folder_state":
            art.add_dir(src)
        else:
            for i in range(50):
                art.add_file(src / f"{i:02d}.txt", name=f"{i:02d}.txt")

    def cached_digests(con) -> list[str]:
        if cache == "file_state":
            return [con.execute("SELECT sha256 FROM file_state WHERE path = ?", (str(src / "07.txt"),)).fetchone()[0]]
        return con.execute("SELECT digests FROM folder_state WHERE folder = ?", (str(src),)).fetchone()[0].split("\n")

    store_dir = tmp_path / "store"
    with lineage.init(project="p", dir=store_dir) as run:
        art = lineage.Artifact("d", type="dataset")
        add(art)
        first = run.log_artifact(art)
    con = sqlite3.connect(store_dir / "lineage.db")
    with con:
        # The blob row too, so the forged entry passes file_state's join and only its digest check is left.
        con.execute("INSERT INTO blobs (sha256, size, mtime_ns) VALUES (?, 6, 0)", (forged,))
        if cache == "file_state":
            con.execute("UPDATE file_state SET sha256 = ? WHERE path = ?", (forged, str(src / "07.txt")))
        else:
            digests = cached_digests(con)
            digests[7] = forged
            con.execute("UPDATE folder_state SET digests = ? WHERE folder = ?", ("\n".join(digests), str(src)))
    con.close()
    lineage.tracking._stores.clear()
    with lineage.init(project="p", dir=store_dir) as run:
        art = lineage.Artifact("d", type="dataset")
        add(art)
        again = run.log_artifact(art)
    assert again.id == first.id and again.open("07.txt").read() == b"file 7"
    con = sqlite3.connect(store_dir / "lineage.db")
    assert forged not in cached_digests(con)
    con.close()


@pytest.mark.parametrize(
    "column, damage",
    [
        ("stats", "zz"),  # not hex
        ("stats", "00" * 7),  # not whole integers
        ("blob_mtimes", "ab"),
        ("blob_mtimes", ""),  # too few
        ("digests", ""),
        ("names", "00.txt/01.txt"),  # fewer names than stats
        ("names", "x/" * 60),
    ],
)
def test_a_damaged_folder_cache_row_is_ignored_and_rewritten(tmp_path, column, damage):
    import time

    from lineage.store import RACY_NS

    src = tmp_path / "src"
    src.mkdir()
    for i in range(5):
        (src / f"{i:02d}.txt").write_text(f"file {i}")
    time.sleep(2 * RACY_NS / 1e9)  # old enough to be remembered
    store_dir = tmp_path / "store"

    def log_src():
        with lineage.init(project="p", dir=store_dir) as run:
            art = lineage.Artifact("d", type="dataset")
            art.add_dir(src)
            return run.log_artifact(art)

    first = log_src()
    con = sqlite3.connect(store_dir / "lineage.db")
    good = con.execute("SELECT names, stats, digests, blob_mtimes FROM folder_state").fetchone()
    with con:
        con.execute(f"UPDATE folder_state SET {column} = ?", (damage,))  # column: one of the four above
    con.close()
    lineage.tracking._stores.clear()
    again = log_src()
    assert again.id == first.id and [again.open(f"{i:02d}.txt").read() for i in range(5)] == [
        f"file {i}".encode() for i in range(5)
    ]
    con = sqlite3.connect(store_dir / "lineage.db")
    assert con.execute("SELECT names, stats, digests, blob_mtimes FROM folder_state").fetchone() == good
    con.close()


_DIGEST_CHARS = "0123456789abcdefABCDEF/.é\n"


@given(
    st.lists(
        st.one_of(
            st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
            st.text(alphabet=_DIGEST_CHARS, min_size=62, max_size=66),
            st.integers(),
            st.none(),
        ),
        max_size=8,
    )
)
def test_the_bulk_digest_check_agrees_with_the_check_of_each(values):
    from lineage.blobs import DIGEST_RE, all_digests

    each = all(isinstance(v, str) and DIGEST_RE.fullmatch(v) is not None for v in values)
    assert all_digests(values) == each


# -- this user's private folder in the shared temp folder (a team store's local files) ------
@pytest.fixture
def shared_tmp(tmp_path, monkeypatch) -> Path:
    """A temp folder other users may write, as /tmp is, standing in for the host's."""
    folder = tmp_path / "tmp"
    folder.mkdir(mode=0o1777)
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_the_private_folder_is_made_closed_to_other_users(shared_tmp):
    made = hostdir.private_folder("pg-x", "tmp")
    root = shared_tmp / f"lineage-{os.getuid()}"
    assert made == root / "pg-x" / "tmp" and made.is_dir()
    assert root.stat().st_mode & 0o777 == 0o700
    root.chmod(0o755)  # ours, opened up since: closed again before use
    hostdir.private_folder()
    assert root.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize("planted", ["link", "another user's folder"])
def test_a_private_folder_name_planted_by_someone_else_is_refused(shared_tmp, tmp_path, planted):
    root = shared_tmp / f"lineage-{os.getuid()}"
    target = tmp_path / "theirs"
    target.mkdir()
    if planted == "link":
        root.symlink_to(target)
    else:
        root.mkdir()
        os.chown(root, 65534, 65534)  # tests run as root: hand it to nobody
    with pytest.raises(lineage.LineageError, match="not a folder of this user") as caught:
        hostdir.private_folder("scratch")
    assert "\n" not in str(caught.value)
    assert list(target.iterdir()) == [] and not (root / "scratch").exists()


def test_a_team_store_makes_no_local_folder_to_be_read(pg_url, shared_tmp, tmp_path):
    lineage.Store(pg_url).create(blobs=tmp_path / "team-blobs").close()
    store = lineage.Store(pg_url)
    assert store.runs() == [] and store.status().versions == 0
    store.close()
    assert list(shared_tmp.iterdir()) == []
