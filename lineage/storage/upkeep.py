"""Maintenance reads and writes: what gc frees, what fsck compares, SQLite's own checks."""

from __future__ import annotations

from collections.abc import Iterator

from .db import DOWNSTREAM_FROM_ROWS, REFS_FROM_ROWS, UPSTREAM_FROM_ROWS, Database

# Digests of blobs still in use: files of versions not deleted, and files kept with runs.
LIVE_BLOBS_SQL = (
    "SELECT f.sha256 FROM files f JOIN versions v ON v.id = f.version_id WHERE v.deleted_at IS NULL "
    "UNION SELECT sha256 FROM run_files"
)
# Blob rows nothing references any more (not even a deleted version's manifest).
UNUSED_ROWS_SQL = (
    "SELECT sha256 FROM blobs b WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.sha256 = b.sha256) "
    "AND NOT EXISTS (SELECT 1 FROM run_files r WHERE r.sha256 = b.sha256) ORDER BY sha256"
)
DELETE_UNUSED_ROW_SQL = (
    "DELETE FROM blobs WHERE sha256 = ? AND NOT EXISTS (SELECT 1 FROM files f WHERE f.sha256 = blobs.sha256) "
    "AND NOT EXISTS (SELECT 1 FROM run_files r WHERE r.sha256 = blobs.sha256)"
)
# Every blob in use, with its expected size, the size and mtime recorded for it, and one
# user of it to name in messages. Live versions first, then run files.
USED_BLOBS_SQL = """
SELECT f.sha256, f.size, b.size, b.mtime_ns, a.name || ':v' || v.number || ' (' || f.path || ')'
FROM files f
JOIN versions v ON v.id = f.version_id
JOIN artifacts a ON a.id = v.artifact_id
LEFT JOIN blobs b ON b.sha256 = f.sha256
WHERE v.deleted_at IS NULL
UNION ALL
SELECT r.sha256, r.size, b.size, b.mtime_ns, 'run ' || r.run_id || ' (' || r.path || ')'
FROM run_files r
LEFT JOIN blobs b ON b.sha256 = r.sha256
"""
VERSION_FILES_SQL = """
SELECT v.id, a.name || ':v' || v.number, v.digest, v.size, v.file_count, f.path, f.sha256, f.size
FROM versions v
JOIN artifacts a ON a.id = v.artifact_id
LEFT JOIN files f ON f.version_id = v.id
ORDER BY v.id
"""
REFERENCES_SQL = "SELECT version_id, path, uri, sha256, size FROM reference_files"
DEAD_ALIASES_SQL = """
SELECT a.name, al.alias, v.number FROM aliases al
JOIN versions v ON v.id = al.version_id
JOIN artifacts a ON a.id = al.artifact_id
WHERE v.deleted_at IS NOT NULL OR v.artifact_id != al.artifact_id
"""
# Rows the refs table lacks, then rows it holds that nothing gives.
# (Each subquery named: PostgreSQL before 16 requires it.)
MISSING_REFS_SQL = (
    f"SELECT count(*) FROM (SELECT * FROM ({REFS_FROM_ROWS}) AS given "
    "EXCEPT SELECT ref, kind, id, label FROM refs) AS missing"
)
EXTRA_REFS_SQL = (
    "SELECT count(*) FROM (SELECT ref, kind, id, label FROM refs "
    f"EXCEPT SELECT * FROM ({REFS_FROM_ROWS}) AS given) AS extra"
)


# Rows the walks' tables lack, then rows they hold that no edge gives (upstream and downstream together).
MISSING_STEPS_SQL = (
    f"SELECT (SELECT count(*) FROM (SELECT * FROM ({UPSTREAM_FROM_ROWS}) AS given "
    "EXCEPT SELECT node, next, next_label FROM upstream) AS missing) + "
    f"(SELECT count(*) FROM (SELECT * FROM ({DOWNSTREAM_FROM_ROWS}) AS given "
    "EXCEPT SELECT node, next, next_label FROM downstream) AS missing)"
)
EXTRA_STEPS_SQL = (
    "SELECT (SELECT count(*) FROM (SELECT node, next, next_label FROM upstream "
    f"EXCEPT SELECT * FROM ({UPSTREAM_FROM_ROWS}) AS given) AS extra) + "
    "(SELECT count(*) FROM (SELECT node, next, next_label FROM downstream "
    f"EXCEPT SELECT * FROM ({DOWNSTREAM_FROM_ROWS}) AS given) AS extra)"
)


def live_blobs(db: Database) -> set[str]:
    """Digests of blobs still in use: files of versions not deleted, and files kept with runs."""
    return {row[0] for row in db.read(LIVE_BLOBS_SQL)}


def unused_blob_rows(db: Database) -> tuple[str, ...]:
    """Digests of blob rows nothing references any more, sorted."""
    return tuple(row[0] for row in db.read(UNUSED_ROWS_SQL))


def delete_unused_blob_rows(db: Database, shas: tuple[str, ...]) -> None:
    """Delete blob rows that are still unreferenced (durably: their files go next)."""
    with db.write(durable=True) as con:
        con.executemany(DELETE_UNUSED_ROW_SQL, [(sha256,) for sha256 in shas])


def database_check(db: Database, quick: bool) -> tuple[list[str], list[tuple]]:
    """SQLite's ``quick_check`` or ``integrity_check`` lines, and ``foreign_key_check`` rows."""
    if db.dialect == "postgresql":  # the server checks its pages and enforces every foreign key
        db.read_one("SELECT 1")
        return ["ok"], []
    pragma = "quick_check" if quick else "integrity_check"
    return [row[0] for row in db.read(f"PRAGMA {pragma}")], db.read("PRAGMA foreign_key_check")


def refs_disagreement(db: Database) -> tuple[int, int]:
    """(rows the refs table lacks, stray rows it holds) against the runs, versions and aliases."""
    return db.read_one(MISSING_REFS_SQL)[0], db.read_one(EXTRA_REFS_SQL)[0]


def walks_disagreement(db: Database) -> tuple[int, int]:
    """(rows upstream and downstream lack, stray rows they hold) against produced, consumed and the labels."""
    return db.read_one(MISSING_STEPS_SQL)[0], db.read_one(EXTRA_STEPS_SQL)[0]


def runs_to_note(db: Database, host: str) -> list[tuple[str, str, str, str, int]]:
    """(id, name, state, host, pid) of runs running elsewhere or marked crashed by a death, oldest first."""
    return db.read(
        "SELECT id, name, state, host, pid FROM runs WHERE state = 'running' AND host != ? "
        "OR state = 'crashed' AND error = 'the process died' ORDER BY started_at",
        (host,),
    )


def used_blobs(db: Database) -> list[tuple]:
    """Rows of USED_BLOBS_SQL."""
    return db.read(USED_BLOBS_SQL)


def dead_aliases(db: Database) -> list[tuple[str, str, int]]:
    """(artifact name, alias, number) of aliases naming a deleted or foreign version."""
    return db.read(DEAD_ALIASES_SQL)


def all_references(db: Database) -> list[tuple]:
    """(version_id, path, uri, sha256, size) of every reference entry."""
    return db.read(REFERENCES_SQL)


def version_files(db: Database) -> Iterator[tuple]:
    """Rows of VERSION_FILES_SQL, streamed."""
    return _iterate(db, VERSION_FILES_SQL)


def _iterate(db, sql: str):
    """Rows of a query, streamed (a store may hold millions of files)."""
    with db.lock:
        cursor = db.con.execute(sql)
        while rows := cursor.fetchmany(1000):
            yield from rows


STATUS_SQL = """
SELECT (SELECT count(*) FROM runs),
       (SELECT count(*) FROM artifacts),
       (SELECT count(*) FROM versions),
       (SELECT count(*) FROM versions WHERE deleted_at IS NOT NULL),
       (SELECT count(*) FROM blobs),
       (SELECT coalesce(sum(size), 0) FROM blobs)
"""


def counts(db: Database) -> tuple[int, int, int, int, int, int]:
    """(runs, artifacts, versions, deleted versions, blobs, blob bytes) of the store."""
    return db.read_one(STATUS_SQL)


def schema_version(db: Database) -> int:
    """The schema version the store's database records."""
    if db.dialect == "postgresql":
        return db.read_one("SELECT version FROM lineage_schema")[0]
    return db.read_one("PRAGMA user_version")[0]


def running_runs(db: Database) -> list[tuple[str, str, str | None, str]]:
    """(id, name, job_type, started_at) of runs recorded as running, oldest first."""
    return db.read("SELECT id, name, job_type, started_at FROM runs WHERE state = 'running' ORDER BY started_at")


def blob_bytes(db: Database) -> int:
    """Bytes of every blob the database records."""
    return db.read_one("SELECT coalesce(sum(size), 0) FROM blobs")[0]
