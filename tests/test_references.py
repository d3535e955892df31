"""add_reference: manifest entries with a digest and size but no blob (W&B's reference artifacts)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lineage
from lineage.entries import manifest_digest
from lineage.references import ReferenceEntry

from .strategies import paths as artifact_paths


def blob_count(store_dir: Path) -> int:
    blobs = store_dir / "blobs"
    return sum(1 for p in blobs.rglob("*") if p.is_file() and len(p.parent.name) == 2) if blobs.is_dir() else 0


@pytest.fixture
def source(tmp_path) -> Path:
    folder = tmp_path / "src"
    (folder / "sub").mkdir(parents=True)
    (folder / "train.csv").write_bytes(b"a,b\n1,2\n")
    (folder / "sub" / "labels.txt").write_bytes(b"0 1 2\n")
    return folder


def log(store_dir, build, name="refs", project="p") -> lineage.LoggedArtifact:
    with lineage.init(project=project, dir=store_dir) as run:
        art = lineage.Artifact(name, type="dataset")
        build(art)
        return run.log_artifact(art)


def test_file_reference_records_digest_and_size_and_stores_no_blob(store_dir, source, tmp_path):
    uri = (source / "train.csv").as_uri()
    sha = hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    (entry,) = lineage.Artifact("x", type="dataset").add_reference(uri)  # W&B returns the entries added
    assert (entry.path, entry.ref, entry.digest, entry.size) == ("train.csv", uri, sha, 8)
    logged = log(store_dir, lambda a: a.add_reference(uri))
    assert logged.files() == [lineage.ArtifactFile("train.csv", sha, 8, uri)]
    assert logged.size == 8
    assert blob_count(store_dir) == 0
    assert not lineage.Store(store_dir).blobs.path(sha).exists()
    # The digest is SPEC section 3's manifest with the reference's three-field line.
    expected = hashlib.sha256(f"lineage-manifest-v1\ntrain.csv\t{sha}\t{uri}\n".encode()).hexdigest()
    assert logged.digest == expected
    assert lineage.Store(store_dir).fsck().problems == ()

    path = logged.download(tmp_path / "out")
    assert (Path(path) / "train.csv").read_bytes() == b"a,b\n1,2\n"
    assert not os.path.samefile(Path(path) / "train.csv", source / "train.csv")  # a copy, never a link
    logged.verify(path)
    assert logged.open("train.csv").read() == b"a,b\n1,2\n"


def test_a_changed_source_is_refused_on_download_and_an_altered_copy_fails_verify(store_dir, source, tmp_path):
    logged = log(store_dir, lambda a: a.add_reference((source / "train.csv").as_uri(), name="data/train.csv"))
    out = Path(logged.download(tmp_path / "out"))
    (out / "data" / "train.csv").write_bytes(b"edited")
    with pytest.raises(lineage.VerifyError, match="altered data/train.csv"):
        logged.verify(out)
    logged.download(out)  # the wrong copy is replaced from the unchanged source
    logged.verify(out)
    (source / "train.csv").write_bytes(b"changed at the source")
    with pytest.raises(lineage.VerifyError, match="changed since it was logged"):
        logged.download(tmp_path / "again")
    assert not (tmp_path / "again" / "data" / "train.csv").exists()


def test_a_folder_reference_adds_one_entry_per_file_under_name(store_dir, source):
    logged = log(store_dir, lambda a: a.add_reference(source.as_uri(), name="raw"))
    assert [(f.path, f.ref) for f in logged.files()] == [
        ("raw/sub/labels.txt", source.as_uri() + "/sub/labels.txt"),
        ("raw/train.csv", source.as_uri() + "/train.csv"),
    ]
    assert all(f.digest is not None for f in logged.files())
    with pytest.raises(lineage.InvalidArgumentError, match="more than max_objects=1"):
        lineage.Artifact("x", type="dataset").add_reference(source.as_uri(), max_objects=1)


@pytest.mark.parametrize(
    ("uri", "name"),
    [("s3://bucket/path/key.parquet", "key.parquet"), ("postgres://db:5432/public.orders", "public.orders")],
)
def test_other_schemes_are_recorded_by_uri_and_skipped_by_download(store_dir, tmp_path, uri, name):
    logged = log(store_dir, lambda a: a.add_reference(uri, checksum=False))
    assert logged.files() == [lineage.ArtifactFile(name, None, None, uri)]
    assert logged.references() == [ReferenceEntry(name, uri)]
    assert logged.size == 0
    out = logged.download(tmp_path / "out")
    assert os.listdir(out) == []
    logged.verify(out)  # a reference recorded by URI only may be absent
    with pytest.raises(FileNotFoundError, match="is a reference to"):
        logged.open(name)
    # The same reference again is the same version; another URI is a new one.
    assert log(store_dir, lambda a: a.add_reference(uri, checksum=False)).version == "v0"
    assert log(store_dir, lambda a: a.add_reference(uri + "2", name=name, checksum=False)).version == "v1"
    assert lineage.Store(store_dir).fsck().problems == ()


def test_file_reference_without_checksum_is_copied_when_present(store_dir, source, tmp_path):
    logged = log(store_dir, lambda a: a.add_reference((source / "train.csv").as_uri(), checksum=False))
    assert logged.files()[0].digest is None
    (source / "train.csv").write_bytes(b"newer")
    out = Path(logged.download(tmp_path / "out"))
    assert (out / "train.csv").read_bytes() == b"newer"  # not checked: recorded by URI only


def test_references_mix_with_stored_files_and_keep_the_stored_digest_rule(store_dir, source):
    def build(a):
        with a.new_file("notes.txt") as f:
            f.write("hi")
        a.add_reference("s3://bucket/k", checksum=False)

    logged = log(store_dir, build)
    notes = hashlib.sha256(b"hi").hexdigest()
    body = f"lineage-manifest-v1\nk\t-\ts3://bucket/k\nnotes.txt\t{notes}\n"
    assert logged.digest == hashlib.sha256(body.encode()).hexdigest()
    assert [f.path for f in logged.files()] == ["k", "notes.txt"]
    assert lineage.Store(store_dir).fsck().problems == ()


@pytest.mark.parametrize(
    ("uri", "match"),
    [
        ("not a uri", "invalid reference"),
        ("file://relative/path", "absolute path"),
        ("s3://bucket/a\nb", "invalid reference"),
        ("file:///no/such/file", "no file or folder"),
        ("s3://bucket/", None),
    ],
)
def test_bad_references_are_refused_and_nothing_is_added(store_dir, uri, match):
    art = lineage.Artifact("x", type="dataset")
    if match is None:  # no path part: the host names the entry
        assert [e.path for e in art.add_reference(uri, checksum=False)] == ["bucket"]
        return
    with pytest.raises(lineage.LineageError, match=match):
        art.add_reference(uri)
    assert art.references() == {}


def test_a_reference_cannot_take_a_stored_files_path(store_dir, source):
    with lineage.init(project="p", dir=store_dir):
        art = lineage.Artifact("x", type="dataset")
        art.add_file(source / "train.csv")
        with pytest.raises(lineage.InvalidArgumentError, match="already in artifact"):
            art.add_reference("s3://b/train.csv", checksum=False)
        with pytest.raises(lineage.InvalidArgumentError, match="clashes"):
            art.add_reference("s3://b/x", name="train.csv/inner", checksum=False)
        art.remove("train.csv")
        art.add_reference("s3://b/train.csv", checksum=False)
        assert list(art.references()) == ["train.csv"]


@settings(max_examples=30, deadline=None)
@given(
    stored=st.dictionaries(artifact_paths, st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)),
    referenced=st.dictionaries(artifact_paths, st.sampled_from(["s3://b/k", "postgres://h/t"])),
)
def test_a_manifest_without_references_keeps_the_spec_digest(stored, referenced):
    spec = hashlib.sha256(b"lineage-manifest-v1\n")
    for path in sorted(stored, key=lambda p: p.encode()):
        spec.update(f"{path}\t{stored[path]}\n".encode())
    assert manifest_digest(stored) == manifest_digest(stored, []) == spec.hexdigest()
    refs = [ReferenceEntry(p, uri) for p, uri in referenced.items() if p not in stored]
    if refs:
        assert manifest_digest(stored, refs) != spec.hexdigest()


def test_fsck_names_a_reference_row_changed_behind_the_stores_back(store_dir):
    log(store_dir, lambda a: a.add_reference("s3://bucket/k", checksum=False))
    con = sqlite3.connect(store_dir / "lineage.db")
    with con:
        con.execute("UPDATE reference_files SET uri = 's3://bucket/other'")
    con.close()
    problems = lineage.Store(store_dir).fsck().problems
    assert [p.kind for p in problems] == ["version"] and "refs:v0" in problems[0].message


def test_a_folder_reference_without_checksum_is_one_entry_copied_whole(store_dir, source, tmp_path):
    logged = log(store_dir, lambda a: a.add_reference(source.as_uri(), name="raw", checksum=False))
    assert logged.files() == [lineage.ArtifactFile("raw", None, None, source.as_uri())]
    out = Path(logged.download(tmp_path / "out"))
    assert (out / "raw" / "sub" / "labels.txt").read_bytes() == b"0 1 2\n"
    logged.verify(out)  # files under a reference recorded by URI only are not extra
