"""Telling whether the process behind a ``running`` run is still alive.

A run records its host, pid and the pid's start time (from /proc), so a pid reused by
another process after a crash is not mistaken for the run's own.
"""

from __future__ import annotations

import os
import socket


def start_time(pid: int) -> int | None:
    """The start time of ``pid`` in clock ticks since boot (Linux); None if it is gone.

    A zombie (dead, not yet reaped by its parent) counts as gone.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    fields = stat[stat.rindex(b")") + 2 :].split()
    if fields[0] in (b"Z", b"X"):
        return None
    return int(fields[19])


def hostname() -> str:
    """This machine's name, as recorded with each run."""
    return socket.gethostname()


_own_start: dict[int, int | None] = {}  # this process's start time, by pid (a forked child has its own)


def identity() -> tuple[str, int, int | None]:
    """(host, pid, start time) of this process."""
    pid = os.getpid()
    if pid not in _own_start:
        _own_start[pid] = start_time(pid)
    return hostname(), pid, _own_start[pid]


def is_alive(pid: int, started: int | None) -> bool:
    """Whether the process ``pid`` that started at ``started`` still runs on this host."""
    if os.path.isdir("/proc/self"):
        now_started = start_time(pid)
        return now_started is not None and (started is None or now_started == started)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
