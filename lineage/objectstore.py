"""Blobs in S3-compatible object storage: ``s3://bucket/prefix/<sha256[:2]>/<sha256[2:]>``.

The same content-addressed layout as ``blobs/`` (two-hex fan-out), one object per content.
An object is written once and never replaced: an upload is skipped when the store records
the digest or a HEAD finds the object. A PUT has returned only once S3 holds the object
durably, so every upload finishes before the transaction that makes a version visible
(:meth:`S3BlobStore.sync` has nothing left to do).

Small files are uploaded by a thread pool over one boto3 client (clients are thread-safe)
while the calling thread reads and hashes the next batch. A large file streams to a
temporary key (multipart, through ``TransferConfig``) while its SHA-256 is computed from the
very bytes sent, then is copied server-side to its digest's key: the object's bytes are
exactly what was hashed even if the source changes meanwhile.

The client is boto3's, configured the usual ways: credentials from ``AWS_*`` variables, a
profile or an instance role; the endpoint of an S3-compatible server from
``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` or a profile's ``endpoint_url``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

from .blobs import SMALL, TEMP_MARK, BlobInfo, StoredObject, check_digest, dead_temps
from .errors import CorruptBlobError, InvalidArgumentError
from .files import CHUNK, hash_file, replace_with
from .hostdir import private_folder
from .s3client import WORKERS, code_of, make_client, parse_s3_url, s3_errors, status_of

BATCH_BYTES = 32 << 20  # small files are read and hashed this many bytes at a time
PENDING_BYTES = 256 << 20  # bytes read but not yet uploaded, at most
LIST_FROM = 64  # this many new digests in one batch: list the root once instead of a HEAD each
PART = 16 << 20  # multipart part size (and threshold) for large files
TEMP_PREFIX = "tmp"  # temporary keys of large uploads: <prefix>/tmp/<host-pid-uuid>
# Unreferenced objects younger than this are left by gc: on a team store a writer on
# another host may have uploaded them a moment ago for a version it has not committed.
GRACE_S = 3600.0
_counter = itertools.count()


class S3BlobStore:
    """Blobs under an ``s3://bucket/prefix`` root (see the module docstring).

    ``recorded`` / ``recorded_many`` give the (size, mtime_ns) the store records for a
    digest: a recorded digest was uploaded before its version committed, so it is not
    uploaded again. Objects are recorded with mtime 0 (an object has no inode to watch).
    ``scratch`` is a local folder for files written in place (``new_file``) before upload.
    """

    grace_s = GRACE_S

    def __init__(
        self,
        url: str,
        recorded: Callable[[str], tuple[int, int] | None],
        recorded_many: Callable[[set[str]], dict[str, tuple[int, int]]],
        scratch: Path | None = None,
    ):
        self.bucket, self.prefix = parse_s3_url(url)
        self.root = f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"
        self._recorded = recorded
        self._recorded_many = recorded_many
        self._scratch = Path(scratch) if scratch is not None else private_folder("scratch")
        self._client: Any = None
        self._fresh: set[str] = set()  # uploaded or found by this process

    def __repr__(self) -> str:
        return f"S3BlobStore({self.root!r})"

    # -- the client --------------------------------------------------------------------
    @property
    def client(self) -> Any:
        """The boto3 S3 client (one, shared by the worker threads: boto3 clients are thread-safe)."""
        if self._client is None:
            self._client = make_client()
        return self._client

    def key(self, sha256: str) -> str:
        """The object key of a digest (checked first: a forged digest never becomes a key)."""
        check_digest(sha256)
        return f"{self.prefix}/{sha256[:2]}/{sha256[2:]}" if self.prefix else f"{sha256[:2]}/{sha256[2:]}"

    def where(self, sha256: str) -> str:
        """The blob's URL, for messages."""
        return f"s3://{self.bucket}/{self.key(sha256)}"

    def local_path(self, sha256: str) -> Path | None:
        """None: an object is no local file."""
        return None

    def check_bucket(self) -> None:
        """Raise a one-line error unless the bucket can be reached and listed."""
        with s3_errors(self.root):
            self.client.list_objects_v2(Bucket=self.bucket, Prefix=self._list_prefix(), MaxKeys=1)

    def holds_blobs(self) -> bool:
        """True if any object lies under the root."""
        with s3_errors(self.root):
            found = self.client.list_objects_v2(Bucket=self.bucket, Prefix=self._list_prefix(), MaxKeys=1)
        return found.get("KeyCount", 0) > 0

    def read_small(self, name: str) -> bytes | None:
        """The bytes of the small object ``name`` beside the blobs (not a blob), or None if absent."""
        from botocore.exceptions import ClientError

        with s3_errors(self.root):
            try:
                return self.client.get_object(Bucket=self.bucket, Key=self._list_prefix() + name)["Body"].read(4096)
            except ClientError as exc:
                if status_of(exc) == 404 or code_of(exc) == "NoSuchKey":
                    return None
                raise

    def write_small(self, name: str, data: bytes) -> None:
        """Store the small object ``name`` beside the blobs (not a blob)."""
        with s3_errors(self.root):
            self.client.put_object(Bucket=self.bucket, Key=self._list_prefix() + name, Body=data)

    def _list_prefix(self) -> str:
        return f"{self.prefix}/" if self.prefix else ""

    def _head(self, key: str) -> int | None:
        """The object's size, or None when there is none."""
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"]
        except ClientError as exc:
            if status_of(exc) == 404:
                return None
            raise

    # -- writing -----------------------------------------------------------------------
    def put_bytes(self, data: bytes | memoryview) -> BlobInfo:
        """Upload ``data`` unless stored already; its blob."""
        sha256 = hashlib.sha256(data).hexdigest()
        if sha256 in self._fresh or self._recorded(sha256) is not None:
            return BlobInfo(sha256, len(data), 0)
        with s3_errors(self.root):
            return self._upload(sha256, data)

    def _upload(self, sha256: str, data: bytes | memoryview, absent: bool = False) -> BlobInfo:
        """PUT the object unless a HEAD finds it (``absent``: a listing just found no such object)."""
        key = self.key(sha256)
        if absent or self._head(key) is None:
            digest = base64.b64encode(bytes.fromhex(sha256)).decode()
            # The server checks the body against our digest: bytes damaged in transit are refused.
            self.client.put_object(Bucket=self.bucket, Key=key, Body=bytes(data), ChecksumSHA256=digest)
        self._fresh.add(sha256)
        return BlobInfo(sha256, len(data), 0)

    def put_file(self, source: str | os.PathLike, size: int | None = None) -> BlobInfo:
        """Upload a file unless stored already, hashing exactly the bytes sent."""
        if size is None:
            size = os.stat(source).st_size
        if size <= SMALL:
            with open(source, "rb", buffering=0) as f:
                return self.put_bytes(f.read())
        with s3_errors(self.root):
            return self._put_stream(source)

    def put_files(self, sources: list[tuple[str, int]]) -> list[BlobInfo]:
        """Upload many files (``(path, size)``); their blobs, in order.

        Small files are read and hashed in batches in this thread; one look-up per batch
        tells which digests the store records; the others are uploaded (HEAD, then PUT if
        missing) by a pool of threads while the next batch is read.
        """
        out: list[BlobInfo | Future[BlobInfo]] = []
        queued: dict[str, Future[BlobInfo]] = {}
        listed: set[str] | None = None  # every object under the root, when a listing was worth it
        tried = False
        small = sum(size <= SMALL for _, size in sources)
        self.client  # noqa: B018 (made here, once: creating boto3 clients is not thread-safe)
        pending: list[tuple[int, Future[BlobInfo]]] = []
        held = 0
        with s3_errors(self.root), ThreadPoolExecutor(WORKERS) as pool:
            batch: list[tuple[str, bytes]] = []

            def flush() -> None:
                nonlocal held, listed, tried
                recorded = self._recorded_many({sha for sha, _ in batch} - self._fresh - queued.keys())
                if not tried and len(batch) - len(recorded) >= LIST_FROM:
                    tried = True
                    # One listing page names 1,000 objects: cheaper than a HEAD per new file,
                    # unless the root holds far more objects than we upload (then: HEADs).
                    listed = self._list_names(max_pages=max(1, small // 200))
                for sha256, data in batch:
                    if sha256 in queued:
                        out.append(queued[sha256])
                    elif sha256 in self._fresh or sha256 in recorded:
                        out.append(BlobInfo(sha256, len(data), 0))
                    else:
                        absent = listed is not None and sha256 not in listed
                        future = queued[sha256] = pool.submit(self._upload, sha256, data, absent)
                        out.append(future)
                        pending.append((len(data), future))
                        held += len(data)
                batch.clear()
                while held > PENDING_BYTES and pending:  # bound the bytes waiting in memory
                    size, oldest = pending.pop(0)
                    oldest.result()
                    held -= size

            bytes_in_batch = 0
            for src, size in sources:
                if size > SMALL:
                    flush()
                    bytes_in_batch = 0
                    out.append(self._put_stream(src))
                    continue
                with open(src, "rb", buffering=0) as f:
                    data = f.read()
                batch.append((hashlib.sha256(data).hexdigest(), data))
                bytes_in_batch += len(data)
                if bytes_in_batch >= BATCH_BYTES or len(batch) >= 512:
                    flush()
                    bytes_in_batch = 0
            flush()
            return [item.result() if isinstance(item, Future) else item for item in out]

    def _list_names(self, max_pages: int) -> set[str] | None:
        """The names of every object under the root, or None if that takes over ``max_pages`` pages."""
        names: set[str] = set()
        start = len(self._list_prefix())
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self._list_prefix())
        for n, page in enumerate(pages):
            if n >= max_pages:
                return None
            for item in page.get("Contents", ()):
                sub, _, rest = item["Key"][start:].partition("/")
                names.add(sub + rest)
        return names

    def _put_stream(self, source: str | os.PathLike) -> BlobInfo:
        from boto3.s3.transfer import TransferConfig

        temp = self._temp_key()
        transfer = TransferConfig(multipart_threshold=PART, multipart_chunksize=PART, max_concurrency=4)
        with open(source, "rb", buffering=0) as f:
            reader = _HashingReader(f)
            self.client.upload_fileobj(reader, self.bucket, temp, Config=transfer)
        sha256, size = reader.digest.hexdigest(), reader.size
        try:
            key = self.key(sha256)
            if sha256 not in self._fresh and self._recorded(sha256) is None and self._head(key) is None:
                self.client.copy({"Bucket": self.bucket, "Key": temp}, self.bucket, key, Config=transfer)
        finally:
            self.client.delete_object(Bucket=self.bucket, Key=temp)
        self._fresh.add(sha256)
        return BlobInfo(sha256, size, 0)

    def _temp_key(self) -> str:
        name = f"{TEMP_PREFIX}/{os.getpid()}-{uuid.uuid4().hex}"
        return f"{self.prefix}/{name}" if self.prefix else name

    def new_temp(self) -> Path:
        """A fresh local temp path for a file written in place (``new_file``), uploaded by :meth:`adopt`."""
        self._scratch.mkdir(parents=True, exist_ok=True)
        if self._scratch.is_symlink() or not self._scratch.is_dir():
            raise CorruptBlobError(f"{self._scratch} is not a folder (a link?): lineage never follows links")
        return self._scratch / f"new{TEMP_MARK}{os.getpid()}-{next(_counter)}"

    def adopt(self, tmp: Path) -> BlobInfo:
        """Upload a finished temp file from :meth:`new_temp`, then remove it."""
        try:
            return self.put_file(tmp)
        finally:
            tmp.unlink(missing_ok=True)

    def syncs_early(self) -> bool:
        """True: nothing is left to make durable (see :meth:`sync`), inside a transaction or not."""
        return True

    def sync(self) -> None:
        """Nothing to do: each upload returned only once the object was durable."""

    # -- reading -----------------------------------------------------------------------
    def _fetch(self, sha256: str, size: int | None, out: IO[bytes]) -> None:
        """Write the object's bytes to ``out``, re-hashing them; a changed object is never served."""
        from botocore.exceptions import ClientError

        digest = hashlib.sha256()
        written = 0
        with s3_errors(self.root):
            try:
                body = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))["Body"]
            except ClientError as exc:
                if code_of(exc) in ("NoSuchKey", "404"):
                    raise CorruptBlobError(f"blob {sha256} is missing from {self.root}: run 'lineage fsck'") from None
                raise
            for chunk in body.iter_chunks(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                written += len(chunk)
        if digest.hexdigest() != sha256 or (size is not None and written != size):
            raise CorruptBlobError(f"blob {sha256} in {self.root} was altered: run 'lineage fsck'")

    def open(self, sha256: str, size: int | None = None) -> IO[bytes]:
        """The blob's bytes, fetched and checked, as a file opened for reading."""
        out = tempfile.SpooledTemporaryFile(max_size=SMALL)  # noqa: SIM115 (handed to the caller)
        try:
            self._fetch(sha256, size, out)  # type: ignore[arg-type]
        except BaseException:
            out.close()
            raise
        out.seek(0)
        return out  # type: ignore[return-value]

    def copy_to(self, sha256: str, size: int | None, target: str | os.PathLike) -> None:
        """Write the blob into a new local file ``target`` (a copy: an object is no local file)."""
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        try:
            with open(fd, "wb") as out:
                self._fetch(sha256, size, out)
        except BaseException:
            os.unlink(target)  # no half-written file is left behind
            raise

    def fetch_many(self, items: list[tuple[str, int, str]], progress: Callable[[str, int], None] | None = None) -> None:
        """Download (sha256, size, target) items in parallel; a target already right is left alone.

        The target's folder exists and was checked by the caller; a file there is never
        written through: a new one is renamed over it.
        """

        def one(sha256: str, size: int, target: str) -> tuple[str, int]:
            if not _holds(target, sha256, size):
                replace_with(target, lambda tmp: self.copy_to(sha256, size, tmp))
            return target, size

        with s3_errors(self.root):
            self.client  # noqa: B018 (made here, once: creating boto3 clients is not thread-safe)
        with ThreadPoolExecutor(WORKERS) as pool:
            for future in [pool.submit(one, *item) for item in items]:
                target, size = future.result()
                if progress is not None:
                    progress(target, size)

    # -- maintenance -------------------------------------------------------------------
    def listing(self) -> Iterator[StoredObject]:
        """Every object under the root whose key looks like a blob's (``ab/rest``)."""
        start = len(self._list_prefix())
        with s3_errors(self.root):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self._list_prefix()
            )
            for page in pages:
                for item in page.get("Contents", ()):
                    sub, _, rest = item["Key"][start:].partition("/")
                    if len(sub) == 2 and rest and "/" not in rest:
                        mtime = int(item["LastModified"].timestamp() * 1e9)
                        yield StoredObject(sub + rest, f"s3://{self.bucket}/{item['Key']}", item["Size"], mtime)

    def stray_temps(self, grace_s: float | None = None) -> list[tuple[str, int]]:
        """Temporary objects of large uploads older than ``grace_s`` (default: the grace period),
        and scratch files of dead processes, as (where, size)."""
        prefix = f"{self._list_prefix()}{TEMP_PREFIX}/"
        old = (time.time() - (self.grace_s if grace_s is None else grace_s)) * 1e9
        out = []
        with s3_errors(self.root):
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", ()):
                    if item["LastModified"].timestamp() * 1e9 < old:
                        out.append((f"s3://{self.bucket}/{item['Key']}", item["Size"]))
        if self._scratch.is_dir():
            for path in dead_temps(p for p in self._scratch.iterdir() if TEMP_MARK in p.name):
                with contextlib.suppress(FileNotFoundError):
                    out.append((str(path), path.lstat().st_size))
        return sorted(out)

    def remove_temp(self, where: str) -> None:
        """Delete a temporary object named by :meth:`stray_temps`."""
        prefix = f"s3://{self.bucket}/{self._list_prefix()}{TEMP_PREFIX}/"
        local = Path(where)
        if local.parent == self._scratch and TEMP_MARK in local.name:
            local.unlink(missing_ok=True)
            return
        if not where.startswith(prefix):
            raise InvalidArgumentError(f"{where!r} is no temporary object of {self.root}")
        with s3_errors(self.root):
            self.client.delete_object(Bucket=self.bucket, Key=where[len(f"s3://{self.bucket}/") :])

    def remove(self, sha256: str) -> int:
        """Delete a blob's object; returns the bytes freed (0 if it was already gone)."""
        key = self.key(sha256)
        with s3_errors(self.root):
            size = self._head(key)
            if size is None:
                return 0
            self.client.delete_object(Bucket=self.bucket, Key=key)
        self._fresh.discard(sha256)
        return size

    def inspect(self, sha256: str, size: int, recorded: tuple | None, quick: bool) -> str | None:
        """``"missing"``, ``"altered"`` or None (intact). Quick: by size (HEAD); else the bytes are re-hashed."""
        with s3_errors(self.root):
            found = self._head(self.key(sha256))
        if found is None:
            return "missing"
        if found != size:
            return "altered"
        if quick:
            return None
        try:
            with open(os.devnull, "wb") as sink:
                self._fetch(sha256, size, sink)
        except CorruptBlobError as exc:
            return "missing" if "missing" in str(exc) else "altered"
        return None

    def links(self) -> list[Path]:
        """None: an object store has no links to follow."""
        return []


class _HashingReader:
    """A read-only, non-seekable view of a file that hashes what is read, in order.

    Being non-seekable makes s3transfer read the parts one after another from this thread,
    so the digest is that of exactly the bytes uploaded.
    """

    def __init__(self, f: IO[bytes]):
        self._f = f
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self._f.read(n)
        self.digest.update(data)
        self.size += len(data)
        return data

    def readable(self) -> bool:
        return True


def _holds(target: str, sha256: str, size: int) -> bool:
    """True if ``target`` is a plain file with the blob's bytes already (left alone)."""
    import stat

    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return False
    if stat.S_ISDIR(st.st_mode):
        raise InvalidArgumentError(f"cannot download to {target!r}: a folder is in the way")
    return stat.S_ISREG(st.st_mode) and st.st_size == size and hash_file(target, follow=False) == sha256
