"""Statements on the blobs table and the re-log cache (``file_state``)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable

from .db import Database, chunks, marks


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


def file_states(db: Database, sources: list[str]) -> list[tuple]:
    """Re-log cache entries of absolute source paths whose blob is recorded, in one range read.

    Rows: (path, inode, ctime_ns, mtime_ns, size, sha256, blob mtime_ns); the blob's size
    is the file's (the key has it). The digests are not checked here (the caller checks
    them all at once).
    """
    if not sources:
        return []
    select = (
        "SELECT f.path, f.inode, f.ctime_ns, f.mtime_ns, f.size, f.sha256, b.mtime_ns "
        "FROM file_state f JOIN blobs b ON b.sha256 = f.sha256 "
    )
    if len(sources) == 1:
        return db.read(select + "WHERE f.path = ?", (sources[0],))
    # The common folder of all sources is the one of the first and last in string order.
    first, last = min(sources), max(sources)
    common = os.path.commonprefix([first, last])
    prefix = common[: common.rfind("/") + 1] or "/"
    return db.read(select + "WHERE f.path >= ? AND f.path < ?", (prefix, prefix[:-1] + "0"))


def remember_file_states(db: Database, rows: list[tuple[str, int, int, int, int, str]]) -> None:
    """Cache (path, inode, ctime_ns, mtime_ns, size, sha256) of files just hashed."""
    with db.write() as con:
        con.executemany(
            "INSERT OR REPLACE INTO file_state (path, inode, ctime_ns, mtime_ns, size, sha256) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )


FolderStateRow = tuple[str, str, str, str]  # names, stats, digests, blob_mtimes (see schema.sql)


def folder_states(db: Database, root: str) -> dict[str, FolderStateRow]:
    """{folder: row} of the re-log cache of ``root`` (an absolute folder) and every folder under it, in one read.

    The rows are returned as stored: the caller checks them (they may be damaged or forged).
    """
    rows = db.read(
        "SELECT folder, names, stats, digests, blob_mtimes FROM folder_state "
        "WHERE folder = ? OR (folder >= ? AND folder < ?)",
        (root, root.rstrip("/") + "/", root.rstrip("/") + "0"),
    )
    return {folder: (names, stats, digests, mtimes) for folder, names, stats, digests, mtimes in rows}


def remember_folder_states(db: Database, rows: list[tuple[str, str, str, str, str]]) -> None:
    """Cache (folder, names, stats, digests, blob_mtimes) of folders just walked (see schema.sql)."""
    with db.write() as con:
        con.executemany(
            "INSERT OR REPLACE INTO folder_state (folder, names, stats, digests, blob_mtimes) VALUES (?, ?, ?, ?, ?)",
            rows,
        )


def forget_blobs(db: Database, shas: set[str]) -> None:
    """Drop every re-log cache entry naming one of these blobs, durably: their files are freed next.

    A cached digest is trusted without looking at its blob file, so none may outlive the file.
    """
    if not shas:
        return
    with db.write(durable=True) as con:
        for chunk in chunks(sorted(shas)):
            con.execute(f"DELETE FROM file_state WHERE sha256 IN ({marks(chunk)})", chunk)
        rows = con.execute("SELECT folder, digests FROM folder_state").fetchall()
        stale = [(folder,) for folder, digests in rows if not shas.isdisjoint(digests.split("\n"))]
        con.executemany("DELETE FROM folder_state WHERE folder = ?", stale)
