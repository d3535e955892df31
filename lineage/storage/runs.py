"""Statements on runs and what hangs off them: history, summary, run files, consumed edges."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .blobs import upsert_blobs
from .db import Database, now

# The run columns that a run's setters write (``Run.name = ...``): nothing else is interpolated.
RUN_SETTABLE = frozenset({"name", "notes", "tags", "group_name", "job_type"})


def run_exists(db: Database, run_id: str) -> bool:
    """True if the store holds a run with this id."""
    return db.read_one("SELECT 1 FROM runs WHERE id = ?", (run_id,)) is not None


def insert_run(
    db: Database,
    run_id: str,
    project: str,
    name: str | None,
    job_type: str | None,
    config: str,
    notes: str | None,
    started_at: str,
    who: tuple,
    group: str | None,
    tags: str,
    name_for: Any,
) -> str | None:
    """Insert a running run; None if the id is taken. ``name_for(n)`` names the project's n-th run."""
    with db.write() as con:
        # One read: is the id taken, and (for a default name) how many runs the project has.
        count = "(SELECT coalesce(max(runs), 0) FROM run_counts WHERE project = ?)" if name is None else "0"
        taken, runs_before = con.execute(
            f"SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?), {count}",
            (run_id, project) if name is None else (run_id,),
        ).fetchone()
        if taken:
            return None
        if name is None:
            name = name_for(runs_before + 1)
        con.execute(
            "INSERT INTO runs (id, project, name, job_type, state, config, notes, started_at, host, pid, "
            "pid_started, group_name, tags) VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?)",
            (run_id, project, name, job_type, config, notes, started_at, *who, group, tags),
        )
    return name


def set_config(db: Database, run_id: str, config: str) -> None:
    """Replace a run's config (its JSON text)."""
    with db.write() as con:
        con.execute("UPDATE runs SET config = ? WHERE id = ?", (config, run_id))


def set_column(db: Database, run_id: str, column: str, value: Any) -> None:
    """Set one of RUN_SETTABLE on a run."""
    if column not in RUN_SETTABLE:
        raise ValueError(f"not a settable run column: {column!r}")
    with db.write() as con:
        con.execute(f"UPDATE runs SET {column} = ? WHERE id = ?", (value, run_id))


def end_run(db: Database, run_id: str, state: str, error: str | None) -> None:
    """Record a run's end: its final state, error and end time."""
    with db.write() as con:
        con.execute("UPDATE runs SET state = ?, error = ?, ended_at = ? WHERE id = ?", (state, error, now(), run_id))


def running_here(db: Database, host: str) -> list[tuple[str, int, int | None]]:
    """(id, pid, pid_started) of runs recorded as running on ``host``."""
    return db.read("SELECT id, pid, pid_started FROM runs WHERE state = 'running' AND host = ?", (host,))


def mark_crashed(db: Database, run_ids: Iterable[str]) -> list[str]:
    """Mark runs still running as crashed; returns those this call changed."""
    marked = []
    with db.write() as con:
        for run_id in run_ids:
            changed = con.execute(
                "UPDATE runs SET state = 'crashed', ended_at = ?, error = 'the process died' "
                "WHERE id = ? AND state = 'running'",
                (now(), run_id),
            ).rowcount
            if changed:  # another process opening the store may have marked it first
                marked.append(run_id)
    return marked


def log_metrics(db: Database, rows: list[tuple]) -> None:
    """Write (run_id, step, key, value, data) history rows and the summary they update, in one transaction."""
    with db.write() as con:
        con.executemany("INSERT OR REPLACE INTO history (run_id, step, key, value, data) VALUES (?, ?, ?, ?, ?)", rows)
        con.executemany(
            "INSERT OR REPLACE INTO summary (run_id, key, value, data) VALUES (?, ?, ?, ?)",
            [(run_id, key, number, data) for run_id, _, key, number, data in rows],
        )


def set_summary(db: Database, rows: list[tuple]) -> None:
    """Write (run_id, key, value, data) summary rows."""
    with db.write() as con:
        con.executemany("INSERT OR REPLACE INTO summary (run_id, key, value, data) VALUES (?, ?, ?, ?)", rows)


def delete_summary(db: Database, run_id: str, key: str) -> None:
    """Remove one key from a run's summary."""
    with db.write() as con:
        con.execute("DELETE FROM summary WHERE run_id = ? AND key = ?", (run_id, key))


def keep_run_files(db: Database, run_id: str, files: list[tuple[str, Any]]) -> None:
    """Record (path in run, BlobInfo) pairs as a run's files, durably (their blobs are synced)."""
    with db.write(durable=True) as con:
        upsert_blobs(con, [(b.sha256, b.size, b.mtime_ns) for _, b in files])
        con.executemany(
            "INSERT OR REPLACE INTO run_files (run_id, path, sha256, size) VALUES (?, ?, ?, ?)",
            [(run_id, path, b.sha256, b.size) for path, b in files],
        )


def add_consumed(db: Database, run_id: str, version_id: int) -> None:
    """Record that a run used a version (once)."""
    with db.write() as con:
        con.execute(
            "INSERT OR IGNORE INTO consumed (run_id, version_id, created_at) VALUES (?, ?, ?)",
            (run_id, version_id, now()),
        )
