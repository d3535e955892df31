"""Statements on the blobs table and the re-log cache (``file_state``)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable

from .db import Database, chunks, marks

FileState = tuple[int, int, int, int, str]  # inode, ctime_ns, mtime_ns, size, sha256


def upsert_blobs(con: sqlite3.Connection, rows: Iterable[tuple[str, int, int]]) -> None:
    """Record (sha256, size, mtime_ns) blobs in the caller's transaction (the newest size and mtime win)."""
    con.executemany(
        "INSERT INTO blobs (sha256, size, mtime_ns) VALUES (?, ?, ?) ON CONFLICT (sha256) "
        "DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns",
        list(rows),
    )


def blob_row(db: Database, sha256: str) -> tuple[int, int] | None:
    """(size, mtime_ns) recorded for a blob, or None if no row names it."""
    return db.read_one("SELECT size, mtime_ns FROM blobs WHERE sha256 = ?", (sha256,))


def recorded_blobs(db: Database, shas: Iterable[str]) -> dict[str, tuple[int, int]]:
    """{sha256: (size, mtime_ns)} of the given blobs that rows name."""
    out: dict[str, tuple[int, int]] = {}
    for chunk in chunks(sorted(shas)):
        rows = db.read(f"SELECT sha256, size, mtime_ns FROM blobs WHERE sha256 IN ({marks(chunk)})", chunk)
        out.update((sha, (size, mtime)) for sha, size, mtime in rows)
    return out


def file_states(db: Database, sources: list[str]) -> dict[str, FileState]:
    """The re-log cache entries of absolute source paths (one range read under their common folder)."""
    if not sources:
        return {}
    if len(sources) == 1:
        rows = db.read(
            "SELECT path, inode, ctime_ns, mtime_ns, size, sha256 FROM file_state WHERE path = ?", (sources[0],)
        )
    else:
        prefix = os.path.commonpath(sources).rstrip("/") + "/"
        rows = db.read(
            "SELECT path, inode, ctime_ns, mtime_ns, size, sha256 FROM file_state WHERE path >= ? AND path < ?",
            (prefix, prefix[:-1] + "0"),
        )
    return {r[0]: r[1:] for r in rows}


def remember_file_states(db: Database, rows: list[tuple[str, int, int, int, int, str]]) -> None:
    """Cache (path, inode, ctime_ns, mtime_ns, size, sha256) of files just hashed."""
    with db.write() as con:
        con.executemany(
            "INSERT OR REPLACE INTO file_state (path, inode, ctime_ns, mtime_ns, size, sha256) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
