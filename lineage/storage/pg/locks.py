"""The locks of a PostgreSQL store: advisory locks every host sees.

A folder store's ``flock`` only excludes processes of one host. Here a writer holds the
shared advisory lock ``STAGING_KEY`` (on a connection of its own) from staging its blobs
until its version commits, and gc takes it exclusively, so gc never frees a blob that a
writer on any host is about to commit. The server drops a session's locks when its
process dies, so a crash never leaves the store locked (as with ``flock``). A task that one
process at a time may do (sending the OpenLineage backlog) holds its own key the same way.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

from ...errors import StoreBusyError
from .database import connect

STAGING_KEY = 0x6C696E6503


class AdvisoryStagingLock:
    """``StagingLock``'s interface over ``pg_advisory_lock_shared``/``pg_try_advisory_lock``."""

    def __init__(self, url: str):
        self.url = url
        self._count = 0
        self._con = None
        self._mutex = threading.Lock()

    def _connection(self):
        if self._con is None or self._con.closed:
            self._con = connect(self.url)
        return self._con

    def acquire(self) -> None:
        with self._mutex:
            if self._count == 0:
                self._connection().execute("SELECT pg_advisory_lock_shared(%s)", (STAGING_KEY,))
            self._count += 1

    def release(self) -> None:
        with self._mutex:
            self._count -= 1
            if self._count == 0 and self._con is not None and not self._con.closed:
                self._con.execute("SELECT pg_advisory_unlock_shared(%s)", (STAGING_KEY,))

    def exclusive(self, wait_s: float = 10.0) -> list[int]:
        """Take the lock exclusively (for gc); give it back with :meth:`release_exclusive`."""
        deadline = time.monotonic() + wait_s
        with self._mutex:
            con = connect(self.url)  # its own session: this process's shared hold counts too
        while not con.execute("SELECT pg_try_advisory_lock(%s)", (STAGING_KEY,)).fetchone()[0]:
            if time.monotonic() > deadline:
                con.close()
                raise StoreBusyError("another process is adding files to this store: run gc again when it is done")
            time.sleep(0.05)
        self._exclusive = con
        return []

    def release_exclusive(self, fds: list[int]) -> None:
        """End what :meth:`exclusive` took."""
        con = getattr(self, "_exclusive", None)
        if con is not None:
            self._exclusive = None
            con.close()  # the session ends: its lock goes with it

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


# Keys of the tasks that one process at a time may do, on any host (see ``task_lock``).
TASK_KEYS = {"openlineage-send": 0x6C696E6504}


@contextlib.contextmanager
def task_lock(url: str, task: str, busy: str) -> Iterator[None]:
    """Hold the advisory lock of ``task`` on a session of its own, or raise ``StoreBusyError(busy)``.

    The lock ends with the session, so a process that dies never leaves it held.
    """
    con = connect(url)
    try:
        if not con.execute("SELECT pg_try_advisory_lock(%s)", (TASK_KEYS[task],)).fetchone()[0]:
            raise StoreBusyError(busy)
        yield
    finally:
        con.close()
