"""Content-addressed files: ``blobs/<sha256[:2]>/<sha256[2:]>``, read-only, one per content.

A blob is written to a temporary file on the same file system, then linked into place,
so a reader never sees half a blob and a crash leaves only a temp file to sweep. A blob
with the right bytes is never replaced: readers may be linking or reading it.
Blobs are made durable in one batch (:meth:`BlobStore.sync`) before the transaction that
makes a version visible commits.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import itertools
import os
import re
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future, ThreadPoolExecutor

from .errors import CorruptBlobError, InvalidArgumentError
from .files import CHUNK, READ_NOFOLLOW, copy_new, disk_errors, fsync_path, hash_file, replace_with, syncfs, write_all
from .processes import is_alive

SMALL = 1 << 20  # smaller files are read whole
TEMP_DIR = "tmp"
TEMP_MARK = ".tmp-"
BATCH_BYTES = 32 << 20  # small files are read and hashed this many bytes at a time
BATCH_FILES = 512
WRITERS = 2  # threads writing new small blobs, one batch each
SYNC_EACH_UP_TO = 32  # above this many new files, one syncfs beats an fsync per file
FLUSH_BEHIND = True  # a large ingest starts writing back while it goes on (see _flush_behind)
SYNCERS = 4  # threads that fsync new blobs and their folders while the caller goes on
_counter = itertools.count()
_LOOK_UP = object()
_NO_LINKS = (errno.EPERM, errno.ENOTSUP, errno.EMLINK, errno.EOPNOTSUPP)
DIGEST_RE = re.compile(r"[0-9a-f]{64}")
TEMP_PID_RE = re.compile(re.escape(TEMP_MARK) + r"(\d+)-\d+$")


class BlobInfo(NamedTuple):
    """A stored blob: its digest and the size and mtime of its file as written.

    Immutable; a named tuple rather than a frozen dataclass because a re-log makes one per
    file, and this is built 30% faster.
    """

    sha256: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class StoredObject:
    """One stored blob as the blob store lists it: its name (``ab`` + rest), where it is, size, mtime."""

    name: str
    where: str
    size: int
    mtime_ns: int


def dead_temps(paths: Iterable[Path]) -> list[Path]:
    """The temp files whose writing process (named in the file name) is no longer alive."""
    out = []
    for path in paths:
        match = TEMP_PID_RE.search(path.name)
        if match is None or not is_alive(int(match.group(1)), None):
            out.append(path)
    return sorted(out)


def check_digest(sha256: object) -> str:
    """Return ``sha256`` if it is a digest (64 lowercase hex characters), else raise.

    Every digest read from a database becomes a path under ``blobs/``: a forged one such
    as ``../../outside/x`` must never reach the disk.
    """
    if not isinstance(sha256, str) or not DIGEST_RE.fullmatch(sha256):
        raise CorruptBlobError(
            f"the store names a blob {str(sha256)[:80]!r}, which is no SHA-256 digest: the database is damaged "
            "or forged; run 'lineage fsck'"
        )
    return sha256


_HEX_DIGITS = b"0123456789abcdef"


def all_digests(shas: list[object]) -> bool:
    """True if every item is a digest (64 lowercase hex characters), in a few passes over all.

    What :func:`check_digest` checks, for a re-log's thousands of remembered digests at once.
    """
    if not shas:
        return True
    try:
        joined = "".join(shas)  # type: ignore[arg-type]  # a non-string raises TypeError
    except TypeError:
        return False
    return (
        min(map(len, shas)) == 64 == max(map(len, shas))  # type: ignore[arg-type]
        and joined.isascii()
        and not joined.encode("ascii").translate(None, _HEX_DIGITS)
    )


class BlobStore:
    """The ``blobs/`` folder of a store.

    ``recorded`` maps a digest to the (size, mtime_ns) the store recorded for its blob,
    or None; a blob whose file no longer matches is re-hashed before it is trusted.
    """

    grace_s = 0.0  # the staging lock (one host) already keeps gc off blobs not yet committed

    def __init__(
        self,
        root: Path,
        recorded: Callable[[str], tuple[int, int] | None],
        recorded_many: Callable[[set[str]], dict[str, tuple[int, int]]],
    ):
        self.root = root
        self._root = str(root)
        self._recorded = recorded
        self._recorded_many = recorded_many
        self._dirs: set[str] = set()
        self._unsynced: list[str] = []
        self._syncing: list[Future[bool]] = []  # fsyncs started early, for blobs in _unsynced
        self._early: set[str] = set()  # the blobs of _unsynced whose fsyncs started early
        self._flushing: Future[None] | None = None  # a syncfs started while a batch goes on
        self._fresh: dict[str, BlobInfo] = {}  # written by this process, maybe not yet recorded
        self._real: set[str] = set()  # fan-out folders seen to be folders, not links

    # -- paths -------------------------------------------------------------------------
    def path(self, sha256: str) -> Path:
        """Where the blob with this digest lives (one place decides: two-hex fan-out)."""
        return Path(self._where(sha256))

    def where(self, sha256: str) -> str:
        """The blob's path, for messages."""
        return self._where(sha256)

    def local_path(self, sha256: str) -> Path | None:
        """The blob's file (a local blob store has one)."""
        return self.path(sha256)

    def _where(self, sha256: str) -> str:
        # Plain strings on the hot paths: pathlib costs more than the system calls here.
        if not isinstance(sha256, str) or not DIGEST_RE.fullmatch(sha256):
            check_digest(sha256)
        return f"{self._root}/{sha256[:2]}/{sha256[2:]}"

    def _ensure_dir(self, sub: str) -> str:
        folder = f"{self._root}/{sub}"
        if sub not in self._dirs:
            self._refuse_links(sub)
            os.makedirs(folder, exist_ok=True)
            self._refuse_links(sub)
            self._dirs.add(sub)
        return folder

    def _refuse_links(self, sub: str) -> None:
        """Refuse a ``blobs/`` or fan-out folder that is a link: it would lead out of the store."""
        if sub in self._real:
            return
        for folder in (self._root, f"{self._root}/{sub}"):
            try:
                st = os.lstat(folder)
            except FileNotFoundError:
                return  # not there yet: checked again once created
            if not stat.S_ISDIR(st.st_mode):
                raise CorruptBlobError(
                    f"{folder} is not a folder (a link?): links inside a store are never followed; run 'lineage fsck'"
                )
        self._real.add(sub)

    def _temp_path(self, folder: str, stem: str) -> str:
        return f"{folder}/{stem}{TEMP_MARK}{os.getpid()}-{next(_counter)}"

    # -- reading -----------------------------------------------------------------------
    def existing(self, sha256: str, recorded: tuple[int, int] | None | object = _LOOK_UP) -> BlobInfo | None:
        """The blob if it is stored with the right bytes; None if it must be written.

        ``recorded`` is the (size, mtime_ns) the store holds for it, when the caller
        fetched it already (in bulk); otherwise it is looked up.

        A blob holding the right bytes is never replaced: other processes may be reading
        or linking it (a rename over it makes their ``os.link`` fail). One whose stat is
        neither what this process wrote nor what the store recorded (another process's
        upload not committed yet, a crash's leftover, a store copied without its mtimes)
        is re-hashed: the right bytes are adopted as they are, and synced before the
        version commits; wrong bytes are a damaged blob, rewritten from our copy.
        """
        path = self._where(sha256)
        self._refuse_links(sha256[:2])
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return None
        info = BlobInfo(sha256, st.st_size, st.st_mtime_ns)
        if self._fresh.get(sha256) == info:
            return info
        if not stat.S_ISREG(st.st_mode):
            raise CorruptBlobError(f"blob {sha256} in {self.root} is not a plain file (a link?): run 'lineage fsck'")
        if recorded is _LOOK_UP:
            recorded = self._recorded(sha256)
        if recorded == (st.st_size, st.st_mtime_ns):
            return info
        try:
            intact = hash_file(path, follow=False) == sha256
        except FileNotFoundError:
            return None
        if not intact:
            return None
        self._fresh[sha256] = info
        self._unsynced_add(path)
        return info

    def check(self, sha256: str, size: int | None = None, recorded: tuple[int, int] | None = None) -> str:
        """Return the blob's path once it is known intact, else raise CorruptBlobError.

        Cheap when the file's size and mtime are what the store recorded (``recorded``,
        looked up when not given); otherwise the blob is re-hashed, and a changed one is
        reported, never served.
        """
        return self.checked(sha256, size, recorded)[0]

    def checked(
        self, sha256: str, size: int | None = None, recorded: tuple[int, int] | None = None
    ) -> tuple[str, os.stat_result]:
        """:meth:`check`, also returning the blob's stat (its mode tells if it is writable)."""
        path = self._where(sha256)
        self._refuse_links(sha256[:2])
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            raise CorruptBlobError(f"blob {sha256} is missing from {self.root}: run 'lineage fsck'") from None
        if not stat.S_ISREG(st.st_mode):
            raise CorruptBlobError(f"blob {sha256} in {self.root} is not a plain file (a link?): run 'lineage fsck'")
        if recorded is None:
            recorded = self._recorded(sha256)
        if recorded == (st.st_size, st.st_mtime_ns):
            return path, st
        try:
            intact = (size is None or st.st_size == size) and hash_file(path, follow=False) == sha256
        except FileNotFoundError:
            raise CorruptBlobError(f"blob {sha256} is missing from {self.root}: run 'lineage fsck'") from None
        if not intact:
            raise CorruptBlobError(f"blob {sha256} was altered on disk (through a hard link?): run 'lineage fsck'")
        return path, st

    def open(self, sha256: str, size: int | None = None) -> IO[bytes]:
        """The blob opened for reading once it is known intact; a link is never followed."""
        return open(os.open(self.check(sha256, size), READ_NOFOLLOW), "rb")

    def copy_to(self, sha256: str, size: int | None, target: str | os.PathLike) -> None:
        """Copy the blob, once known intact, into a new file ``target`` (never a link)."""
        copy_new(self.check(sha256, size), str(target))

    def fetch_many(self, items: list[tuple[str, int, str]], progress: Callable[[str, int], None] | None = None) -> None:
        """Copy (sha256, size, target) items; a target already holding the bytes is left alone."""
        for sha256, size, target in items:
            try:
                st = os.lstat(target)
            except FileNotFoundError:
                st = None
            if st is not None and stat.S_ISDIR(st.st_mode):
                raise InvalidArgumentError(f"cannot download to {target!r}: a folder is in the way")
            right = st is not None and stat.S_ISREG(st.st_mode) and st.st_size == size
            if not (right and hash_file(target, follow=False) == sha256):
                replace_with(target, functools.partial(self.copy_to, sha256, size))
            if progress is not None:
                progress(target, size)

    # -- writing -----------------------------------------------------------------------
    def _place(self, tmp: str, sha256: str, st: os.stat_result, early: bool = True) -> BlobInfo:
        """Move a finished temp file (whose stat is ``st``) into place as the blob ``sha256``.

        ``early``: start making it durable now (see :meth:`_sync_early`); a batch of many
        files (``put_files``) waits for one ``syncfs`` instead.
        """
        final = f"{self._ensure_dir(sha256[:2])}/{sha256[2:]}"
        # A link, not a rename: it never replaces a blob another process placed a moment
        # ago, which its readers may be linking (keeps the inode and mtime ``st`` describes).
        try:
            os.link(tmp, final, follow_symlinks=False)
        except FileExistsError:
            current = self.existing(sha256)
            if current is not None:
                os.unlink(tmp)
                return current
            os.replace(tmp, final)  # the blob there has wrong bytes: repaired from our copy
        except OSError as exc:
            if exc.errno not in _NO_LINKS:
                raise
            os.replace(tmp, final)  # a file system without hard links
        else:
            os.unlink(tmp)
        self._unsynced_add(final, early)
        info = self._fresh[sha256] = BlobInfo(sha256, st.st_size, st.st_mtime_ns)
        return info

    def _unsynced_add(self, path: str, early: bool = True) -> None:
        self._unsynced.append(path)
        if early and len(self._unsynced) <= SYNC_EACH_UP_TO:
            self._early.add(path)
            self._sync_early(path)

    def _sync_early(self, path: str) -> None:
        """Start the fsyncs that make a new blob durable, so they overlap the caller's work.

        The blob and its folder are fsynced at once, by two threads: on a journaling file
        system both calls can share one journal commit. The folder's fsync starts after the
        blob was linked into it, so it covers the entry.
        """
        pool = _syncers()
        self._syncing.append(pool.submit(fsync_path, path, True))
        self._syncing.append(pool.submit(fsync_path, os.path.dirname(path), True))

    def _place_if_new(self, tmp: str, sha256: str) -> BlobInfo:
        existing = self.existing(sha256)
        if existing is not None:
            os.unlink(tmp)
            return existing
        return self._place(tmp, sha256, os.stat(tmp))

    def put_bytes(self, data: bytes | memoryview) -> BlobInfo:
        """Store ``data`` (if not already stored) and return its blob."""
        with disk_errors(self.root):
            return self._put_bytes(data)

    def _put_bytes(self, data: bytes | memoryview) -> BlobInfo:
        sha256 = hashlib.sha256(data).hexdigest()
        existing = self.existing(sha256)
        if existing is not None:
            return existing
        return self._write_new(sha256, data)

    def put_file(self, source: str | os.PathLike, size: int | None = None) -> BlobInfo:
        """Copy a file into the store, hashing exactly the bytes written."""
        if size is None:
            size = os.stat(source).st_size
        if size <= SMALL:
            with open(source, "rb", buffering=0) as f:
                return self.put_bytes(f.read())
        with disk_errors(self.root):
            return self._put_stream(source)

    def put_files(self, sources: list[tuple[str, int]]) -> list[BlobInfo]:
        """Copy many files (``(path, size)``) into the store; their blobs, in order.

        Small files are read and hashed in batches; one look-up per batch tells which
        digests the store already records. A digest neither recorded nor written by this
        process is written without looking for its file first: placing it with
        ``os.link`` finds a blob already there (and keeps it, once its bytes check out).
        New blobs are written by a few threads (file creation is the kernel's work, done
        without the GIL) while this thread reads and hashes the next batch.
        """
        from concurrent.futures import ThreadPoolExecutor

        out: list[BlobInfo | _Pick] = []
        # disk_errors only around the store's writes: a source the user may not read is
        # their error (the caller says so), not a read-only store.
        with ThreadPoolExecutor(WRITERS) if WRITERS else contextlib.nullcontext() as pool:
            batch: list[tuple[str, bytes]] = []
            held = 0
            for src, size in sources:
                if size > SMALL:
                    with disk_errors(self.root):
                        out += self._put_batch(batch, pool)
                        out.append(self._put_stream(src))
                    batch, held = [], 0
                    continue
                with open(src, "rb", buffering=0) as f:
                    data = f.read()
                batch.append((hashlib.sha256(data).hexdigest(), data))
                held += len(data)
                if held >= BATCH_BYTES or len(batch) >= BATCH_FILES:
                    with disk_errors(self.root):
                        out += self._put_batch(batch, pool)
                    batch, held = [], 0
                    self._flush_behind()
            with disk_errors(self.root):
                out += self._put_batch(batch, pool)
                return [item.result() if isinstance(item, _Pick) else item for item in out]

    def _flush_behind(self) -> None:
        """Start writing back what the batches wrote so far (a syncfs in a background thread),
        so that the sync before the commit finds little left to write."""
        idle = self._flushing is None or self._flushing.done()
        if FLUSH_BEHIND and idle and len(self._unsynced) > SYNC_EACH_UP_TO:
            self._flushing = _syncers().submit(syncfs, self.root)

    def _put_batch(self, batch: list[tuple[str, bytes]], pool: Executor | None) -> list[BlobInfo | _Pick]:
        if not batch:
            return []
        recorded = self._recorded_many({sha for sha, _ in batch} - self._fresh.keys())
        out: list[BlobInfo | None] = []
        new: dict[str, bytes] = {}
        for sha256, data in batch:
            blob = None
            if sha256 in self._fresh or sha256 in recorded:
                blob = self.existing(sha256, recorded.get(sha256))
            if blob is None:
                new[sha256] = data
            out.append(blob)
        if not new:
            return [b for b in out if b is not None]  # every one already stored

        def write() -> dict[str, BlobInfo]:
            return {sha256: self._write_new(sha256, data, early=False) for sha256, data in new.items()}

        written = pool.submit(write) if pool is not None else _Done(write())
        return [b if b is not None else _Pick(written, sha256) for (sha256, _), b in zip(batch, out, strict=True)]

    def _write_new(self, sha256: str, data: bytes | memoryview, early: bool = True) -> BlobInfo:
        self._where(sha256)  # refuses a forged digest before it becomes a path
        tmp = self._temp_path(self._ensure_dir(sha256[:2]), sha256[2:])
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        try:
            write_all(fd, memoryview(data))
            st = os.fstat(fd)
        finally:
            os.close(fd)
        return self._place(tmp, sha256, st, early)

    def _put_stream(self, source: str | os.PathLike) -> BlobInfo:
        # Hash one buffer while a worker thread writes the other: hashlib and os.write
        # both release the GIL, so hashing and writing overlap on two cores.
        from concurrent.futures import ThreadPoolExecutor

        folder = self._ensure_dir(TEMP_DIR)
        tmp = self._temp_path(folder, "stream")
        digest = hashlib.sha256()
        buffers = [bytearray(CHUNK), bytearray(CHUNK)]
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        try:
            with open(source, "rb", buffering=0) as src, ThreadPoolExecutor(1) as writer:
                pending = None
                for i in itertools.count():
                    buf = buffers[i % 2]
                    n = src.readinto(buf)
                    if not n:
                        break
                    view = memoryview(buf)[:n]
                    if pending is not None:
                        pending.result()
                    pending = writer.submit(write_all, fd, view)
                    digest.update(view)
                if pending is not None:
                    pending.result()
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            os.unlink(tmp)
            raise
        os.close(fd)
        return self._place_if_new(tmp, digest.hexdigest())

    def new_temp(self) -> Path:
        """A fresh temp path in the store for a file written in place (``new_file``)."""
        with disk_errors(self.root):
            return Path(self._temp_path(self._ensure_dir(TEMP_DIR), "new"))

    def adopt(self, tmp: Path) -> BlobInfo:
        """Hash a finished temp file from :meth:`new_temp`, make it read-only, store it."""
        with disk_errors(self.root):
            os.chmod(tmp, 0o444)
            return self._place_if_new(str(tmp), hash_file(tmp))

    def syncs_early(self) -> bool:
        """True while the blobs not yet durable are few: fsynced one by one (most already started), no syncfs."""
        return len(self._unsynced) <= SYNC_EACH_UP_TO

    def sync(self) -> None:
        """Make every blob written since the last call durable, with its folder entry.

        A few blobs are fsynced one by one, in parallel (most started when each was placed,
        see :meth:`_sync_early`); many at once get one ``syncfs``. A blob freed by gc since it
        was written (of an artifact dropped before it was logged) needs nothing: no version
        can use it. Returns once everything is durable.
        """
        paths, self._unsynced = self._unsynced, []
        started, self._syncing = self._syncing, []
        early, self._early = self._early, set()
        if len(paths) <= SYNC_EACH_UP_TO:
            pool = _syncers()
            for path in paths:
                if path not in early:  # a batch's blob: its fsyncs start now
                    started.append(pool.submit(fsync_path, path, True))
                    started.append(pool.submit(fsync_path, os.path.dirname(path), True))
        for future in started:
            future.result()  # an fsync's error (EIO) is raised here, before any commit
        if len(paths) > SYNC_EACH_UP_TO:
            if self._flushing is not None:
                self._flushing.result()
                self._flushing = None
            syncfs(self.root)  # after the last write: what makes every blob durable

    # -- maintenance -------------------------------------------------------------------
    def _walk_root(self) -> bool:
        """True when ``blobs/`` is there to walk; raises when it is a link (never followed)."""
        if os.path.islink(self.root):
            raise CorruptBlobError(
                f"{self.root} is a link, not a folder: links inside a store are never followed; "
                "make it a plain folder (run 'lineage fsck')"
            )
        return self.root.is_dir()

    def iter_blobs(self) -> Iterable[tuple[str, Path]]:
        """Every blob file on disk as (digest, path); temp files and links to folders are skipped."""
        if not self._walk_root():
            return
        for sub in sorted(os.listdir(self.root)):
            folder = self.root / sub
            if len(sub) != 2 or sub == TEMP_DIR or os.path.islink(folder) or not folder.is_dir():
                continue
            for rest in sorted(os.listdir(folder)):
                if TEMP_MARK not in rest:
                    yield sub + rest, folder / rest

    def listing(self) -> Iterable[StoredObject]:
        """Every blob file on disk with its size and mtime (one gone meanwhile is left out)."""
        for name, path in self.iter_blobs():
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                continue
            yield StoredObject(name, str(path), st.st_size, st.st_mtime_ns)

    def stray_temps(self, grace_s: float | None = None) -> list[tuple[str, int]]:
        """Temp files of processes that died mid-write, as (path, size) (``grace_s`` is not needed here)."""
        out = []
        for path in dead_temps(self.iter_temps()):
            try:
                out.append((str(path), os.lstat(path).st_size))
            except FileNotFoundError:
                continue
        return out

    def remove_temp(self, where: str) -> None:
        """Delete a temp file named by :meth:`stray_temps` (gone already is fine)."""
        if TEMP_MARK not in os.path.basename(where) or not where.startswith(f"{self._root}/"):
            raise InvalidArgumentError(f"{where!r} is no temp file of {self.root}")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(where)

    def inspect(self, sha256: str, size: int, recorded: tuple | None, quick: bool) -> str | None:
        """``"missing"``, ``"altered"`` or None (intact, or behind a link fsck names and never follows).

        ``quick``: a blob whose size and mtime are the recorded ones is not re-hashed.
        """
        path = self._where(sha256)
        if os.path.islink(f"{self._root}/{sha256[:2]}"):
            return None
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return "missing"
        if not stat.S_ISREG(st.st_mode):
            return None  # a link (named by fsck) or not a file: never followed
        if st.st_size != size:
            return "altered"
        if quick and recorded == (st.st_size, st.st_mtime_ns):
            return None
        return "altered" if hash_file(path, follow=False) != sha256 else None

    def iter_temps(self) -> Iterable[Path]:
        """Temp files left by writes in progress or by processes that died mid-write."""
        if not self._walk_root():
            return
        for folder, _, names in os.walk(self.root):  # never descends into links
            for name in names:
                if TEMP_MARK in name:
                    yield Path(folder) / name

    def links(self) -> list[Path]:
        """Every link in ``blobs/`` (or ``blobs/`` itself, if it is one): a store must not
        lead outside itself, so lineage never follows them (fsck names them)."""
        if os.path.islink(self.root):
            return [self.root]
        if not self.root.is_dir():
            return []
        out = []
        with os.scandir(self.root) as entries:
            for entry in entries:
                if entry.is_symlink():
                    out.append(Path(entry.path))
                elif entry.is_dir(follow_symlinks=False):
                    with os.scandir(entry.path) as inner:
                        out += [Path(e.path) for e in inner if e.is_symlink()]
        return sorted(out)

    def remove(self, sha256: str) -> int:
        """Delete a blob's file; returns the bytes freed (0 if it was already gone)."""
        path = self._where(sha256)
        self._refuse_links(sha256[:2])
        try:
            size = os.lstat(path).st_size
            os.unlink(path)
        except FileNotFoundError:
            return 0
        return size


_pools: dict[int, ThreadPoolExecutor] = {}


def _syncers() -> ThreadPoolExecutor:
    """This process's fsync threads (one pool per pid: a forked child has none of its parent's)."""
    pool = _pools.get(os.getpid())
    if pool is None:
        from concurrent.futures import ThreadPoolExecutor

        pool = _pools[os.getpid()] = ThreadPoolExecutor(SYNCERS, thread_name_prefix="lineage-fsync")
    return pool


class _Pick:
    """One blob of a batch being written by a worker thread."""

    __slots__ = ("future", "sha256")

    def __init__(self, future: Future[dict[str, BlobInfo]] | _Done, sha256: str):
        self.future = future
        self.sha256 = sha256

    def result(self) -> BlobInfo:
        return self.future.result()[self.sha256]


class _Done:
    """A batch written in the calling thread (no writer threads)."""

    def __init__(self, value: dict[str, BlobInfo]):
        self.value = value

    def result(self) -> dict[str, BlobInfo]:
        return self.value
