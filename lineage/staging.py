"""The staging lock: uploads hold it shared, ``gc`` exclusively (see :mod:`lineage.gc`)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import LineageError, StoreBusyError

LOCK_NAME = "staging.lock"  # beside lineage.db: blobs/ holds blobs only
LEGACY_LOCK = Path("blobs") / LOCK_NAME  # where stores before it kept the lock


class StagingLock:
    """A shared lock held while a process has blobs not yet referenced by a version.

    ``gc`` takes it exclusively, so it never frees a blob an upload is about to commit.
    ``flock`` locks die with their process, so a crash never leaves the store locked.
    The lock file lives beside the database. A store written before that has one in
    ``blobs/``, which older lineage versions still use: while it is there it is taken
    too (never created, never through a link), so old and new processes exclude each other.
    """

    def __init__(self, path: Path, legacy: Path | None = None):
        self.path = path
        self.legacy = legacy
        self._count = 0
        self._fds: list[int] = []
        self._mutex = threading.Lock()

    def acquire(self) -> None:
        with self._mutex:
            if self._count == 0:
                self._fds = self._open_all()
                for fd in self._fds:
                    fcntl.flock(fd, fcntl.LOCK_SH)
            self._count += 1

    def release(self) -> None:
        with self._mutex:
            self._count -= 1
            if self._count == 0:
                fds, self._fds = self._fds, []
                for fd in fds:
                    os.close(fd)

    def _open_all(self) -> list[int]:
        fds = [self._open()]
        if self.legacy is not None:
            try:
                fds.append(os.open(self.legacy, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0)))
            except OSError:
                pass  # no legacy lock (or not a plain file): nothing older uses this store
        return fds

    def release_exclusive(self, fds: list[int]) -> None:
        """End what :meth:`exclusive` took."""
        for fd in fds:
            os.close(fd)

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except FileNotFoundError:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)

    def exclusive(self, wait_s: float = 10.0) -> list[int]:
        """Take the lock exclusively (for gc); returns the fds to close when done."""
        fds = self._open_all()
        deadline = time.monotonic() + wait_s
        try:
            for fd in fds:
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() > deadline:
                            raise StoreBusyError(
                                "another process is adding files to this store: run gc again when it is done"
                            ) from None
                        time.sleep(0.05)
        except BaseException:
            for fd in fds:
                os.close(fd)
            raise
        return fds


@contextlib.contextmanager
def task_lock(path: Path, busy: str) -> Iterator[None]:
    """Hold the lock file ``path`` exclusively for one task, or raise ``StoreBusyError(busy)``.

    The file is never opened through a link (a handed-over store may hold one).
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError as exc:
        raise LineageError(f"cannot open the lock file {path} (a link?): {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreBusyError(busy) from None
        yield
    finally:
        os.close(fd)
