"""A folder store whose blobs live in S3 (moto's server on 127.0.0.1): the whole user path."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import lineage
from lineage.errors import ConflictError, CorruptBlobError, InvalidArgumentError
from lineage.gc import gc
from lineage.objectstore import S3BlobStore, parse_s3_url

BIG = 20 << 20  # over the 16 MiB part size: a multipart upload


def objects(client, root: str) -> dict[str, bytes]:
    """{key: bytes} of every object under the blob root but its owner's id (``lineage-store``)."""
    bucket, prefix = parse_s3_url(root)
    out = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        for item in page.get("Contents", ()):
            if item["Key"] != f"{prefix}/lineage-store":
                out[item["Key"]] = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
    return out


def puts(client, root: str) -> int:
    """How many PUTs of blobs the versioned bucket has seen (each one makes an object version).

    A large file's temporary upload (``<prefix>/tmp/...``) and the root's owner are not counted: they are no blobs.
    """
    bucket, prefix = parse_s3_url(root)
    count = 0
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix + "/"):
        count += sum(
            "/tmp/" not in v["Key"] and not v["Key"].endswith("/lineage-store") for v in page.get("Versions", ())
        )
    return count


def make_files(folder: Path, n: int, seed: int, big: bool = True) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"small-{i:03}.txt").write_text(f"{seed} small file {i}\n" * (i % 7 + 1))
    if big:
        (folder / "big.bin").write_bytes(hashlib.sha256(str(seed).encode()).digest() * (BIG // 32) + b"tail")


@pytest.fixture
def s3_store(tmp_path, s3_root):
    store = lineage.Store(tmp_path / "store").create(blobs=s3_root)
    yield store
    store.close()


def log_folder(store, folder: Path, name: str = "data", aliases=()):
    with lineage.init(project="p", job_type="log", dir=store.dir) as run:
        art = lineage.Artifact(name, type="dataset")
        art.add_dir(folder)
        return run.log_artifact(art, aliases=list(aliases))


def test_log_use_download_verify_on_s3(tmp_path, s3_store, s3_root, s3_client):
    make_files(tmp_path / "src", 300, seed=1)
    logged = log_folder(s3_store, tmp_path / "src")
    assert not (s3_store.dir / "blobs").exists()  # nothing local: every blob is an object
    stored = objects(s3_client, s3_root)
    bucket, prefix = parse_s3_url(s3_root)
    owner = lineage.Store(s3_store.dir).db.read_one("SELECT value FROM store_settings WHERE key = 'store_id'")[0]
    marker = s3_client.get_object(Bucket=bucket, Key=f"{prefix}/lineage-store")["Body"].read()
    assert marker == f"{owner}\n".encode()  # the root's owner, beside the blobs
    expected = {}
    for f in logged.files():
        expected[f"{prefix}/{f.digest[:2]}/{f.digest[2:]}"] = (tmp_path / "src" / f.path).read_bytes()
    assert stored == expected  # content-addressed keys, the exact bytes (big.bin went multipart)

    with lineage.init(project="p", job_type="use", dir=s3_store.dir) as run:
        used = run.use_artifact("data:latest")
        root = Path(used.download(tmp_path / "out"))
        with used.open("big.bin") as f:
            assert f.read() == (tmp_path / "src" / "big.bin").read_bytes()
    for f in logged.files():
        target = root / f.path
        assert target.read_bytes() == (tmp_path / "src" / f.path).read_bytes()
        assert target.stat().st_nlink == 1  # copies, never links
    used.verify(root)
    (root / "small-001.txt").write_text("edited\n")  # an edit of a download harms nothing stored
    with pytest.raises(lineage.VerifyError, match="altered small-001.txt"):
        used.verify(root)
    report = s3_store.fsck()
    assert report.ok and report.clean, report.problems
    used.download(root)  # the edited file is replaced, the others left alone
    used.verify(root)


def test_a_second_log_uploads_nothing(tmp_path, s3_store, s3_root, s3_client):
    bucket, _ = parse_s3_url(s3_root)
    s3_client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    make_files(tmp_path / "a", 120, seed=2)
    first = log_folder(s3_store, tmp_path / "a")
    after_first = puts(s3_client, s3_root)
    assert after_first == len({f.digest for f in first.files()})
    again = log_folder(s3_store, tmp_path / "a")  # unchanged files: not even read
    make_files(tmp_path / "b", 120, seed=2)  # the same bytes in new files: read, hashed, not uploaded
    copy = log_folder(s3_store, tmp_path / "b")
    assert again.version == copy.version == first.version
    assert puts(s3_client, s3_root) == after_first


def test_fsck_finds_damaged_and_missing_objects(tmp_path, s3_store, s3_root, s3_client):
    make_files(tmp_path / "src", 5, seed=3, big=False)
    logged = log_folder(s3_store, tmp_path / "src")
    files = {f.path: f for f in logged.files()}
    blobs = s3_store.blobs
    assert isinstance(blobs, S3BlobStore)
    bucket = blobs.bucket
    damaged, gone = files["small-000.txt"].digest, files["small-001.txt"].digest
    s3_client.put_object(Bucket=bucket, Key=blobs.key(damaged), Body=b"other bytes, other size")
    s3_client.delete_object(Bucket=bucket, Key=blobs.key(gone))
    report = s3_store.fsck()
    kinds = {(p.kind, p.subject) for p in report.damage}
    assert kinds == {("corrupt_blob", damaged), ("missing_blob", gone)}
    quick = s3_store.fsck(quick=True)
    assert {(p.kind, p.subject) for p in quick.damage} == kinds
    # Same size, other bytes: only the full check (which re-hashes) can tell.
    third = files["small-002.txt"]
    body = (tmp_path / "src" / "small-002.txt").read_bytes()
    s3_client.put_object(Bucket=bucket, Key=blobs.key(third.digest), Body=bytes(b ^ 1 for b in body))
    assert ("corrupt_blob", third.digest) in {(p.kind, p.subject) for p in s3_store.fsck().damage}
    with pytest.raises(CorruptBlobError):
        logged.open("small-002.txt").read()
    with pytest.raises(CorruptBlobError):
        logged.download(tmp_path / "out")


def test_gc_frees_only_unreferenced_objects_past_the_grace_period(tmp_path, s3_store, s3_root, s3_client):
    make_files(tmp_path / "one", 10, seed=4, big=False)
    v0 = log_folder(s3_store, tmp_path / "one")
    (tmp_path / "one" / "small-000.txt").write_text("changed\n")
    v1 = log_folder(s3_store, tmp_path / "one")
    s3_store.delete(v0.qualified_name)
    before = objects(s3_client, s3_root)
    assert not gc(s3_store).blobs  # young objects are kept by default
    assert objects(s3_client, s3_root) == before
    plan = gc(s3_store, grace_s=0)
    only_v0 = {f.digest for f in v0.files()} - {f.digest for f in v1.files()}
    assert {item.sha256 for item in plan.blobs} == only_v0 and len(only_v0) == 1
    blobs = s3_store.blobs
    assert isinstance(blobs, S3BlobStore)
    assert set(objects(s3_client, s3_root)) == {blobs.key(f.digest) for f in v1.files()}
    assert s3_store.fsck().clean


def test_new_file_and_run_files_go_to_s3(tmp_path, s3_store, s3_root, s3_client):
    with lineage.init(project="p", job_type="make", dir=s3_store.dir) as run:
        art = lineage.Artifact("model", type="model")
        with art.new_file("weights.bin", mode="wb") as f:
            f.write(b"w" * 5000)
        (tmp_path / "notes.txt").write_text("kept with the run\n")
        run.save(str(tmp_path / "notes.txt"))
        logged = run.log_artifact(art)
    assert logged.open("weights.bin").read() == b"w" * 5000
    assert not any((s3_store.dir / "tmp").iterdir())  # the scratch file was uploaded and removed
    assert s3_store.fsck().clean


def run_cli(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lineage.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_cli_init_with_s3_blobs_then_log_download_verify_fsck(tmp_path, s3_root, s3_client):
    store = tmp_path / "team"
    done = run_cli("init", str(store), "--blobs", s3_root)
    assert done.returncode == 0, done.stderr
    assert f"blobs at {s3_root}" in done.stdout
    status = run_cli("--store", str(store), "status", "--json")
    assert json.loads(status.stdout)["blob_root"] == s3_root
    make_files(tmp_path / "src", 20, seed=5, big=False)
    script = (
        "import lineage, sys\n"
        "with lineage.init(project='p', job_type='log', dir=sys.argv[1]) as run:\n"
        "    a = lineage.Artifact('data', type='dataset'); a.add_dir(sys.argv[2]); run.log_artifact(a)\n"
    )
    logged = subprocess.run([sys.executable, "-c", script, str(store), str(tmp_path / "src")], capture_output=True)
    assert logged.returncode == 0, logged.stderr
    assert len(objects(s3_client, s3_root)) == 20
    for args in (
        ("download", "data:v0", str(tmp_path / "out")),
        ("verify", "data:v0", str(tmp_path / "out")),
        ("fsck",),
    ):
        done = run_cli("--store", str(store), *args)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    assert (tmp_path / "out" / "small-003.txt").read_bytes() == (tmp_path / "src" / "small-003.txt").read_bytes()


@pytest.mark.parametrize(
    "root, message",
    [
        ("s3://no-such-bucket-here/x", "does not exist"),
        ("s3://Bad_Bucket/x", "no S3 bucket name"),
        ("s3://bucket/a/../b", "plain names"),
        ("ftp://host/x", "only folder paths and s3:// URLs"),
    ],
)
def test_bad_blob_roots_are_one_line_errors_and_create_nothing(tmp_path, s3_env, root, message):
    done = run_cli("init", str(tmp_path / "store"), "--blobs", root)
    assert done.returncode == 1
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "store").exists()


def test_the_root_of_a_store_holding_blobs_cannot_change(tmp_path, s3_root, s3_client):
    store = lineage.Store(tmp_path / "store").create()
    make_files(tmp_path / "src", 2, seed=6, big=False)
    log_folder(store, tmp_path / "src")
    with pytest.raises(ConflictError, match="already holds blobs"):
        lineage.Store(tmp_path / "store").create(blobs=s3_root)
    assert lineage.Store(tmp_path / "store").blob_root() is None
    assert objects(s3_client, s3_root) == {}
    lineage.Store(tmp_path / "store").create(blobs=str(tmp_path / "store" / "blobs"))  # the same root: fine
    with pytest.raises(InvalidArgumentError):
        lineage.Store(tmp_path / "other").create(blobs="s3://bucket/a//b/../c")


def test_errors_without_credentials_or_endpoint_are_one_line(tmp_path, s3_root, monkeypatch):
    store = lineage.Store(tmp_path / "store").create(blobs=s3_root)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(lineage.LineageError, match="no AWS credentials"):
        lineage.Store(store.dir).blobs.put_bytes(b"x")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(lineage.LineageError, match="cannot reach"):
        lineage.Store(store.dir).blobs.put_bytes(b"y")


@pytest.mark.slow
def test_sigkill_during_log_artifact_on_s3_leaves_fsck_clean(tmp_path, s3_client):
    """kill -9 of a child logging to S3 at random moments: no visible version lacks an object."""
    from tests.test_crash import crash_trials

    def fresh_bucket() -> str:
        name = f"crash-{len(s3_client.list_buckets()['Buckets'])}"
        s3_client.create_bucket(Bucket=name)
        return f"s3://{name}/blobs"

    # Quick fsck after each kill (every object a visible version uses is there, with its
    # size); every tenth trial gc sweeps and a full fsck re-hashes every object.
    stats = crash_trials(tmp_path, trials=30, blob_root=fresh_bucket, max_delay_s=0.8, quick=True)
    assert stats["survived"] == stats["trials"] == 30
    assert stats["rounds logged before the kill"] > 0


@pytest.mark.parametrize("n", [10, 150])  # a HEAD per new file; one listing of the root for many
def test_objects_already_in_the_bucket_are_not_uploaded_again(tmp_path, s3_root, s3_client, n):
    bucket, _ = parse_s3_url(s3_root)
    s3_client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    make_files(tmp_path / "src", n, seed=7, big=False)
    first = lineage.Store(tmp_path / "first").create(blobs=s3_root)
    log_folder(first, tmp_path / "src")
    count = puts(s3_client, s3_root)
    assert count == n
    # Objects a killed upload left (no store records them) are found, not uploaded again.
    count = puts(s3_client, s3_root)
    again = lineage.Store(tmp_path / "again").create(blobs=s3_root + "-again")
    objects = S3BlobStore(s3_root + "-again", lambda _: None, lambda _: {})
    for path in sorted((tmp_path / "src").iterdir()):
        data = path.read_bytes()
        s3_client.put_object(Bucket=bucket, Key=objects.key(hashlib.sha256(data).hexdigest()), Body=data)
    (tmp_path / "src" / "new.txt").write_text("one new file\n")
    log_folder(again, tmp_path / "src")
    assert puts(s3_client, s3_root + "-again") == n + 1
    assert again.fsck().ok


def test_a_blob_root_belongs_to_one_store(tmp_path, s3_root, s3_client):
    # A second store on a root another owns would gc the first one's blobs (it records none).
    first = lineage.Store(tmp_path / "first").create(blobs=s3_root)
    make_files(tmp_path / "src", 3, seed=3, big=False)
    log_folder(first, tmp_path / "src")
    with pytest.raises(lineage.ConflictError, match="belongs to another store"):
        lineage.Store(tmp_path / "second").create(blobs=s3_root)
    assert not (tmp_path / "second").exists()
    lineage.Store(tmp_path / "first").create(blobs=s3_root)  # its own root: fine
    # A store handed over with the root of another (its setting copied): gc frees nothing.
    shutil.copytree(tmp_path / "first", tmp_path / "copy")
    with sqlite3.connect(tmp_path / "copy" / "lineage.db") as con:
        con.execute("UPDATE store_settings SET value = ? WHERE key = 'store_id'", ("0" * 32,))
    copy = lineage.Store(tmp_path / "copy")
    copy.delete("data:v0")
    with pytest.raises(lineage.ConflictError, match="belongs to another store .*: gc here would free"):
        copy.gc(grace_s=0)
    assert first.fsck().clean


@given(st.text(max_size=80))
def test_any_string_is_a_clean_s3_root_or_refused(text):
    url = "s3://" + text
    try:
        bucket, prefix = parse_s3_url(url)
    except InvalidArgumentError:
        return
    assert "/" not in bucket and ".." not in bucket
    assert all(part not in ("", ".", "..") for part in prefix.split("/")) or prefix == ""
    store = S3BlobStore(url, lambda _: None, lambda _: {})
    key = store.key("ab" * 32)
    assert key.startswith(prefix) and key.endswith("ab/" + "ab" * 31)


def test_a_forged_digest_or_blob_root_never_becomes_a_key_or_path(tmp_path, s3_root):
    store = lineage.Store(tmp_path / "store").create(blobs=s3_root)
    blobs = store.blobs
    assert isinstance(blobs, S3BlobStore)
    with pytest.raises(CorruptBlobError):
        blobs.key("../../elsewhere/" + "a" * 48)
    store.close()
    for forged in ("relative/blobs", "s3://bucket/../x", "/tmp/../etc", "http://host/x"):
        con = sqlite3.connect(tmp_path / "store" / "lineage.db")
        with con:
            con.execute("UPDATE store_settings SET value = ? WHERE key = 'blob_root'", (forged,))
        con.close()
        with pytest.raises(InvalidArgumentError):
            lineage.Store(tmp_path / "store").blobs  # noqa: B018


def test_cli_gc_grace(tmp_path, s3_root, s3_client):
    store = lineage.Store(tmp_path / "store").create(blobs=s3_root)
    make_files(tmp_path / "src", 3, seed=8, big=False)
    logged = log_folder(store, tmp_path / "src")
    store.delete(logged.qualified_name)
    kept = run_cli("--store", str(store.dir), "gc")
    assert kept.returncode == 0 and "nothing to free" in kept.stdout, kept.stderr
    freed = run_cli("--store", str(store.dir), "gc", "--grace", "0")
    assert freed.returncode == 0 and "freed 3 blobs" in freed.stdout, (freed.stdout, freed.stderr)
    assert objects(s3_client, s3_root) == {}


def test_report_reads_images_from_s3(tmp_path, s3_root):
    import numpy as np

    store = lineage.Store(tmp_path / "store").create(blobs=s3_root)
    with lineage.init(project="p", job_type="eval", dir=store.dir) as run:
        run.log({"examples": lineage.Image(np.eye(28) * 255, caption="diagonal")}, step=0)
    done = run_cli("--store", str(store.dir), "report", "--out", str(tmp_path / "site"))
    assert done.returncode == 0, done.stderr
    pngs = list((tmp_path / "site" / "media").glob("*.png"))
    assert len(pngs) == 1 and pngs[0].read_bytes().startswith(b"\x89PNG")


def test_writers_in_parallel_on_s3_lose_and_reuse_no_version_number(tmp_path, s3_root):
    from tests.test_concurrency import finish, start_writers

    store = lineage.Store(tmp_path / "store").create(blobs=s3_root)
    go = tmp_path / "go"
    writers = start_writers("writer.py", store.dir, 4, 5, go)
    go.touch()
    finish(writers)
    assert [v.version for v in store.versions("p/shared")] == [f"v{n}" for n in range(20)]
    report = store.fsck()
    assert report.ok and report.clean, report.problems


def test_gc_next_to_writers_on_s3_never_frees_a_live_object(tmp_path, s3_root):
    from tests.test_concurrency import finish, start_writers

    store = lineage.Store(tmp_path / "store").create(blobs=s3_root)
    go = tmp_path / "go"
    writers = start_writers("churn.py", store.dir, 2, 10, go)
    go.touch()
    executed = 0
    while any(w.poll() is None for w in writers):
        try:
            executed += gc(store, wait_s=1, grace_s=0).executed  # no grace: only the staging lock protects
        except lineage.StoreBusyError:
            pass
        report = store.fsck(quick=True)
        assert report.ok, report.damage
    finish(writers)
    assert executed >= 1
    gc(store, grace_s=0)
    report = store.fsck()
    assert report.clean, report.problems
    for worker in range(2):
        versions = store.versions(f"churn-{worker}")
        assert [v.deleted for v in versions] == [True] * 9 + [False]


@pytest.mark.slow
def test_sigkill_during_log_artifact_on_postgresql_with_s3_blobs_leaves_fsck_clean(
    tmp_path, s3_client, postgres_server
):
    """The team store as the README sets it up (PostgreSQL + S3): 30 kills, no visible version lacks an object."""
    from tests.test_crash import crash_trials

    def new_store(trial: int) -> str:
        s3_client.create_bucket(Bucket=f"team-crash-{trial}")
        url = postgres_server.new_database()
        lineage.Store(url).create(blobs=f"s3://team-crash-{trial}/blobs").close()
        return url

    stats = crash_trials(tmp_path, trials=30, new_store=new_store, max_delay_s=0.8, quick=True)
    assert stats["survived"] == stats["trials"] == 30
    assert stats["rounds logged before the kill"] > 0
