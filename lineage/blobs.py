"""Content-addressed files: ``blobs/<sha256[:2]>/<sha256[2:]>``, read-only, one per content.

A blob is written to a temporary file on the same file system, then ``os.replace``d into
place, so a reader never sees half a blob and a crash leaves only a temp file to sweep.
Blobs are made durable in one batch (:meth:`BlobStore.sync`) before the transaction that
makes a version visible commits.
"""

from __future__ import annotations

import errno
import hashlib
import itertools
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import CorruptBlobError

CHUNK = 8 << 20  # large files stream through two buffers of this size
SMALL = 1 << 20  # smaller files are read whole
TEMP_DIR = "tmp"
TEMP_MARK = ".tmp-"
SYNC_EACH_UP_TO = 32  # above this many new files, one syncfs beats an fsync per file
_counter = itertools.count()
_LOOK_UP = object()


@dataclass(frozen=True)
class BlobInfo:
    """A stored blob: its digest and the size and mtime of its file as written."""

    sha256: str
    size: int
    mtime_ns: int


def hash_file(path: str | os.PathLike, chunk: int = CHUNK) -> str:
    """SHA-256 of a file's content, streamed."""
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as f:
        size = os.fstat(f.fileno()).st_size
        if size < chunk:  # one read; no big buffer to allocate for a small file
            digest.update(f.read())
            return digest.hexdigest()
        buf = bytearray(chunk)
        view = memoryview(buf)
        while n := f.readinto(buf):
            digest.update(view[:n])
    return digest.hexdigest()


def _syncfs(path: Path) -> None:
    """Flush every dirty page of the file system holding ``path`` (Linux), else os.sync."""
    import ctypes  # only here: ctypes is slow to import and most writes never need it

    fd = os.open(path, os.O_RDONLY)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if getattr(libc, "syncfs", None) is None or libc.syncfs(fd) != 0:
            os.sync()
    except OSError:
        os.sync()
    finally:
        os.close(fd)


class BlobStore:
    """The ``blobs/`` folder of a store.

    ``recorded`` maps a digest to the (size, mtime_ns) the store recorded for its blob,
    or None; a blob whose file no longer matches is re-hashed before it is trusted.
    """

    def __init__(self, root: Path, recorded: Callable[[str], tuple[int, int] | None]):
        self.root = root
        self._root = str(root)
        self._recorded = recorded
        self._dirs: set[str] = set()
        self._unsynced: list[str] = []
        self._fresh: dict[str, BlobInfo] = {}  # written by this process, maybe not yet recorded

    # -- paths -------------------------------------------------------------------------
    def path(self, sha256: str) -> Path:
        """Where the blob with this digest lives (one place decides: two-hex fan-out)."""
        return Path(self._where(sha256))

    def _where(self, sha256: str) -> str:
        # Plain strings on the hot paths: pathlib costs more than the system calls here.
        return f"{self._root}/{sha256[:2]}/{sha256[2:]}"

    def _ensure_dir(self, sub: str) -> str:
        folder = f"{self._root}/{sub}"
        if sub not in self._dirs:
            os.makedirs(folder, exist_ok=True)
            self._dirs.add(sub)
        return folder

    def _temp_path(self, folder: str, stem: str) -> str:
        return f"{folder}/{stem}{TEMP_MARK}{os.getpid()}-{next(_counter)}"

    # -- reading -----------------------------------------------------------------------
    def existing(self, sha256: str, recorded: tuple[int, int] | None | object = _LOOK_UP) -> BlobInfo | None:
        """The blob if it exists and is what the store recorded; None if it must be written.

        ``recorded`` is the (size, mtime_ns) the store holds for it, when the caller
        fetched it already (in bulk); otherwise it is looked up.
        """
        try:
            st = os.stat(self._where(sha256))
        except FileNotFoundError:
            return None
        info = BlobInfo(sha256, st.st_size, st.st_mtime_ns)
        if self._fresh.get(sha256) == info:
            return info
        if recorded is _LOOK_UP:
            recorded = self._recorded(sha256)
        if recorded == (st.st_size, st.st_mtime_ns):
            return info
        return None  # unrecorded (left by a crash) or changed: rewrite it from our copy

    def check(self, sha256: str, size: int | None = None, recorded: tuple[int, int] | None = None) -> str:
        """Return the blob's path once it is known intact, else raise CorruptBlobError.

        Cheap when the file's size and mtime are what the store recorded (``recorded``,
        looked up when not given); otherwise the blob is re-hashed, and a changed one is
        reported, never served.
        """
        path = self._where(sha256)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise CorruptBlobError(f"blob {sha256} is missing from {self.root}: run 'lineage fsck'") from None
        if recorded is None:
            recorded = self._recorded(sha256)
        if recorded == (st.st_size, st.st_mtime_ns):
            return path
        if (size is not None and st.st_size != size) or hash_file(path) != sha256:
            raise CorruptBlobError(f"blob {sha256} was altered on disk (through a hard link?): run 'lineage fsck'")
        return path

    # -- writing -----------------------------------------------------------------------
    def _place(self, tmp: str, sha256: str, st: os.stat_result) -> BlobInfo:
        """Move a finished temp file (whose stat is ``st``) into place as the blob ``sha256``."""
        final = f"{self._ensure_dir(sha256[:2])}/{sha256[2:]}"
        os.replace(tmp, final)  # keeps the inode and mtime that ``st`` describes
        self._unsynced.append(final)
        info = self._fresh[sha256] = BlobInfo(sha256, st.st_size, st.st_mtime_ns)
        return info

    def _place_if_new(self, tmp: str, sha256: str) -> BlobInfo:
        existing = self.existing(sha256)
        if existing is not None:
            os.unlink(tmp)
            return existing
        return self._place(tmp, sha256, os.stat(tmp))

    def put_bytes(self, data: bytes | memoryview) -> BlobInfo:
        """Store ``data`` (if not already stored) and return its blob."""
        sha256 = hashlib.sha256(data).hexdigest()
        existing = self.existing(sha256)
        if existing is not None:
            return existing
        tmp = self._temp_path(self._ensure_dir(sha256[:2]), sha256[2:])
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        try:
            _write_all(fd, memoryview(data))
            st = os.fstat(fd)
        finally:
            os.close(fd)
        return self._place(tmp, sha256, st)

    def put_file(self, source: str | os.PathLike, size: int | None = None) -> BlobInfo:
        """Copy a file into the store, hashing exactly the bytes written."""
        if size is None:
            size = os.stat(source).st_size
        if size <= SMALL:
            with open(source, "rb", buffering=0) as f:
                return self.put_bytes(f.read())
        return self._put_stream(source)

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
                    pending = writer.submit(_write_all, fd, view)
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
        return Path(self._temp_path(self._ensure_dir(TEMP_DIR), "new"))

    def adopt(self, tmp: Path) -> BlobInfo:
        """Hash a finished temp file from :meth:`new_temp`, make it read-only, store it."""
        os.chmod(tmp, 0o444)
        return self._place_if_new(str(tmp), hash_file(tmp))

    def sync(self) -> None:
        """Make every blob written since the last call durable, with its folder entry."""
        paths, self._unsynced = self._unsynced, []
        if not paths:
            return
        if len(paths) > SYNC_EACH_UP_TO:
            _syncfs(self.root)
            return
        for path in paths:
            _fsync_path(path)
        for folder in {os.path.dirname(p) for p in paths}:
            _fsync_path(folder)

    # -- maintenance -------------------------------------------------------------------
    def iter_blobs(self) -> Iterable[tuple[str, Path]]:
        """Every blob file on disk as (digest, path); temp files are skipped."""
        if not self.root.is_dir():
            return
        for sub in sorted(os.listdir(self.root)):
            if len(sub) != 2 or sub == TEMP_DIR:
                continue
            folder = self.root / sub
            for rest in sorted(os.listdir(folder)):
                if TEMP_MARK not in rest:
                    yield sub + rest, folder / rest

    def iter_temps(self) -> Iterable[Path]:
        """Temp files left by writes in progress or by processes that died mid-write."""
        if not self.root.is_dir():
            return
        for folder, _, names in os.walk(self.root):
            for name in names:
                if TEMP_MARK in name:
                    yield Path(folder) / name

    def remove(self, sha256: str) -> int:
        """Delete a blob's file; returns the bytes freed (0 if it was already gone)."""
        path = self._where(sha256)
        try:
            size = os.lstat(path).st_size
            os.unlink(path)
        except FileNotFoundError:
            return 0
        return size


def _write_all(fd: int, view: memoryview) -> None:
    while view:
        view = view[os.write(fd, view) :]


def _fsync_path(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems refuse fsync on folders
        if exc.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)
