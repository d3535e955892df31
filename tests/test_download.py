"""download / verify / open: hard links to blobs, idempotence, corruption is named."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import lineage

FILES = {"a.txt": b"alpha", "sub/b.bin": b"\x00beta", "sub/deep/c": b"gamma"}


@pytest.fixture
def logged(store_dir):
    with lineage.init(project="p", dir=store_dir) as run:
        art = lineage.Artifact("data", type="dataset")
        for path, content in FILES.items():
            with art.new_file(path, mode="wb") as f:
                f.write(content)
        return run.log_artifact(art)


def read_tree(root) -> dict[str, bytes]:
    root = Path(root)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_download_defaults_to_artifacts_name_version(logged, tmp_path):
    path = logged.download()
    assert Path(path) == tmp_path / "artifacts" / "data:v0"
    assert read_tree(path) == FILES
    logged.verify(path)


def test_download_with_link_true_hard_links_to_the_blobs(logged, tmp_path, store_dir):
    path = logged.download(tmp_path / "linked", link=True)
    blob = lineage.Store(store_dir).blobs.path(logged.files()[0].digest)
    assert os.stat(Path(path) / "a.txt").st_ino == os.stat(blob).st_ino
    logged.verify(path)


def test_by_default_links_only_where_an_edit_cannot_reach_the_store(logged, tmp_path, store_dir):
    # Root may write into a read-only file, so root gets copies; so does a writable blob.
    blob = lineage.Store(store_dir).blobs.path(logged.files()[0].digest)
    path = Path(logged.download(tmp_path / "default"))
    linked = os.stat(path / "a.txt").st_ino == os.stat(blob).st_ino
    assert linked == (os.geteuid() != 0)
    copied = Path(logged.download(tmp_path / "copies", link=False))
    assert os.stat(copied / "a.txt").st_ino != os.stat(blob).st_ino
    assert read_tree(copied) == FILES


def test_an_edit_of_a_downloaded_file_as_root_leaves_every_version_verifying(logged, tmp_path, store_dir):
    # The tests run as root: root writes into any file, read-only or not.
    root = Path(logged.download(tmp_path / "mine"))
    with open(root / "a.txt", "r+b") as f:  # in place, as an editor or a training script would
        f.write(b"ALPHA")
    assert (root / "a.txt").read_bytes() == b"ALPHA"
    store = lineage.Store(store_dir)
    assert store.fsck().ok
    assert logged.open("a.txt").read() == b"alpha"
    logged.verify(logged.download(tmp_path / "fresh"))
    with pytest.raises(lineage.VerifyError, match="altered a.txt"):
        logged.verify(root)  # the user's edited copy is theirs, and verify says it differs


def test_download_leaves_right_files_replaces_wrong_ones_keeps_extras(logged, tmp_path):
    root = tmp_path / "out"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"alpha")  # right content, own inode: left alone
    inode = os.stat(root / "a.txt").st_ino
    (root / "sub" / "b.bin").write_bytes(b"wrong")
    (root / "extra.txt").write_bytes(b"mine")
    logged.download(root)
    assert os.stat(root / "a.txt").st_ino == inode
    assert (root / "sub" / "b.bin").read_bytes() == b"\x00beta"
    assert (root / "extra.txt").read_bytes() == b"mine"
    with pytest.raises(lineage.VerifyError, match="extra extra.txt"):
        logged.verify(root)


def test_verify_names_every_bad_file(logged, tmp_path):
    root = tmp_path / "out"
    logged.download(root)
    os.unlink(root / "a.txt")
    os.unlink(root / "sub" / "b.bin")
    (root / "sub" / "b.bin").write_bytes(b"\x00betX")
    (root / "new").write_bytes(b"")
    with pytest.raises(ValueError) as info:
        logged.verify(root)
    message = str(info.value)
    assert "missing a.txt" in message and "altered sub/b.bin" in message and "extra new" in message
    assert "\n" not in message


def test_a_blob_altered_through_a_hard_link_is_named_never_served(logged, tmp_path, store_dir):
    root = Path(logged.download(tmp_path / "out", link=True))
    target = root / "a.txt"
    os.chmod(target, 0o644)  # as root could write straight into it
    target.write_bytes(b"ALPHA")
    with pytest.raises(lineage.CorruptBlobError, match="altered"):
        logged.open("a.txt")
    with pytest.raises(lineage.CorruptBlobError):
        logged.download(tmp_path / "again")
    # Logging the original content again heals the store: the blob is rewritten.
    with lineage.init(project="p", dir=store_dir) as run:
        art = lineage.Artifact("data", type="dataset")
        for path, content in FILES.items():
            with art.new_file(path, mode="wb") as f:
                f.write(content)
        assert run.log_artifact(art).id == logged.id
    assert logged.open("a.txt").read() == b"alpha"
    assert target.read_bytes() == b"ALPHA"  # the user's altered copy is theirs


def test_a_link_in_the_download_folder_cannot_lead_writes_out(logged, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "out"
    root.mkdir()
    os.symlink(outside, root / "sub")
    with pytest.raises(lineage.InvalidArgumentError, match="leads out of the download folder"):
        logged.download(root)
    assert list(outside.iterdir()) == []


def test_open_reads_from_the_blob_store(logged):
    with logged.open("sub/deep/c") as f:
        assert f.read() == b"gamma"
    with pytest.raises(FileNotFoundError):
        logged.open("nope")
    with pytest.raises(lineage.InvalidArgumentError):
        logged.open("../x")
