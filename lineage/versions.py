"""Versions in the database: committing them, resolving refs, aliases and deletion.

Each function that writes runs inside one ``BEGIN IMMEDIATE`` transaction, so version
numbers are assigned atomically: two processes logging the same artifact get v0 and v1.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .db import Database, now
from .errors import ConflictError, InvalidArgumentError, NotFoundError
from .refs import LATEST, Ref, check_alias

VERSION_COLUMNS = (
    "v.id, a.id, a.project, a.name, a.type, v.number, v.digest, v.size, v.file_count, "
    "v.description, v.metadata, v.created_at, v.created_by, v.deleted_at"
)
FROM_VERSIONS = "FROM versions v JOIN artifacts a ON a.id = v.artifact_id"


@dataclass(frozen=True)
class VersionRow:
    """One row of the versions table joined with its artifact."""

    id: int
    artifact_id: int
    project: str
    name: str
    type: str
    number: int
    digest: str
    size: int
    file_count: int
    description: str | None
    metadata: str
    created_at: str
    created_by: str | None
    deleted_at: str | None


def version_row(db: Database, version_id: int) -> VersionRow:
    row = db.read_one(f"SELECT {VERSION_COLUMNS} {FROM_VERSIONS} WHERE v.id = ?", (version_id,))
    if row is None:
        raise NotFoundError(f"no version with id {version_id}")
    return VersionRow(*row)


def find_artifact(db: Database, name: str, project: str | None) -> tuple[int, str, str]:
    """(artifact id, project, type) of a name; a bare name must be in one project only."""
    if project is not None:
        row = db.read_one("SELECT id, project, type FROM artifacts WHERE project = ? AND name = ?", (project, name))
        if row is None:
            raise NotFoundError(f"no artifact {name!r} in project {project!r}")
        return row
    rows = db.read("SELECT id, project, type FROM artifacts WHERE name = ? ORDER BY project", (name,))
    if not rows:
        raise NotFoundError(f"no artifact named {name!r} in this store")
    if len(rows) > 1:
        projects = ", ".join(r[1] for r in rows)
        raise InvalidArgumentError(f"artifact {name!r} exists in several projects ({projects}): write 'project/{name}'")
    return rows[0]


def resolve(db: Database, ref: Ref, allow_deleted: bool = False) -> VersionRow:
    """The version a ref names, or a NotFoundError saying what exists instead."""
    artifact_id, project, _ = find_artifact(db, ref.name, ref.project)
    number = ref.version_number
    if number is not None:
        row = db.read_one(
            f"SELECT {VERSION_COLUMNS} {FROM_VERSIONS} WHERE v.artifact_id = ? AND v.number = ?",
            (artifact_id, number),
        )
        if row is None:
            count = db.read_one("SELECT count(*) FROM versions WHERE artifact_id = ?", (artifact_id,))[0]
            have = f"v0 to v{count - 1}" if count else "none"
            raise NotFoundError(f"artifact {ref.name!r} has no version v{number} (versions: {have})")
    else:
        row = db.read_one(
            f"SELECT {VERSION_COLUMNS} {FROM_VERSIONS} JOIN aliases al ON al.version_id = v.id "
            "WHERE al.artifact_id = ? AND al.alias = ?",
            (artifact_id, ref.selector),
        )
        if row is None:
            names = [
                r[0] for r in db.read("SELECT alias FROM aliases WHERE artifact_id = ? ORDER BY alias", (artifact_id,))
            ]
            have = ", ".join(names) or "none"
            raise NotFoundError(f"artifact {ref.name!r} has no alias {ref.selector!r} (aliases: {have})")
    version = VersionRow(*row)
    if version.deleted_at is not None and not allow_deleted:
        raise NotFoundError(
            f"{project}/{ref.name}:v{version.number} was deleted on {version.deleted_at}: use another version"
        )
    return version


def find_by_digest(db: Database, project: str, name: str, digest: str) -> VersionRow | None:
    """The live version of ``project/name`` with this digest (its identity), if any."""
    row = db.read_one(
        f"SELECT {VERSION_COLUMNS} {FROM_VERSIONS} WHERE a.project = ? AND a.name = ? AND v.digest = ? "
        "AND v.deleted_at IS NULL ORDER BY v.number LIMIT 1",
        (project, name, digest),
    )
    return VersionRow(*row) if row is not None else None


@dataclass(frozen=True)
class NewVersion:
    """What ``log_artifact`` asks to commit."""

    project: str
    name: str
    type: str
    description: str | None
    metadata: str
    digest: str
    files: list[tuple[str, str, int, int]]  # path, sha256, size, blob mtime_ns
    aliases: tuple[str, ...]


def clean_aliases(aliases) -> tuple[str, ...]:
    """Validate requested aliases; ``latest`` is accepted and changes nothing."""
    if isinstance(aliases, str):
        aliases = [aliases]
    out = []
    for alias in aliases or ():
        check_alias(alias)
        if alias != LATEST and alias not in out:
            out.append(alias)
    return tuple(out)


def commit(db: Database, run_id: str, new: NewVersion) -> int:
    """Commit a version (or find the identical live one) and record the produce edge."""
    stamp = now()
    with db.write(durable=True) as con:
        row = con.execute(
            "SELECT id, type FROM artifacts WHERE project = ? AND name = ?", (new.project, new.name)
        ).fetchone()
        if row is None:
            artifact_id = con.execute(
                "INSERT INTO artifacts (project, name, type, created_at) VALUES (?, ?, ?, ?)",
                (new.project, new.name, new.type, stamp),
            ).lastrowid
        elif row[1] != new.type:
            raise ConflictError(
                f"artifact {new.name!r} has type {row[1]!r}, not {new.type!r}: an artifact keeps one type, "
                "choose another name"
            )
        else:
            artifact_id = row[0]
        same = con.execute(
            "SELECT id FROM versions WHERE artifact_id = ? AND digest = ? AND deleted_at IS NULL",
            (artifact_id, new.digest),
        ).fetchone()
        version_id = same[0] if same is not None else _insert_version(con, artifact_id, run_id, new, stamp)
        con.execute(
            "INSERT OR IGNORE INTO produced (run_id, version_id, created_at) VALUES (?, ?, ?)",
            (run_id, version_id, stamp),
        )
        for alias in (LATEST, *new.aliases):
            _point_alias(con, artifact_id, alias, version_id)
    return version_id


def _insert_version(con: sqlite3.Connection, artifact_id: int, run_id: str, new: NewVersion, stamp: str) -> int:
    number = con.execute(
        "SELECT coalesce(max(number) + 1, 0) FROM versions WHERE artifact_id = ?", (artifact_id,)
    ).fetchone()[0]
    version_id = con.execute(
        "INSERT INTO versions (artifact_id, number, digest, size, file_count, description, metadata, "
        "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            artifact_id,
            number,
            new.digest,
            sum(f[2] for f in new.files),
            len(new.files),
            new.description,
            new.metadata,
            stamp,
            run_id,
        ),
    ).lastrowid
    con.executemany(
        "INSERT INTO blobs (sha256, size, mtime_ns) VALUES (?, ?, ?) "
        "ON CONFLICT (sha256) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns",
        [(sha, size, mtime) for _, sha, size, mtime in new.files],
    )
    con.executemany(
        "INSERT INTO files (version_id, path, sha256, size) VALUES (?, ?, ?, ?)",
        [(version_id, path, sha, size) for path, sha, size, _ in new.files],
    )
    return version_id


def _point_alias(con: sqlite3.Connection, artifact_id: int, alias: str, version_id: int) -> None:
    con.execute(
        "INSERT INTO aliases (artifact_id, alias, version_id) VALUES (?, ?, ?) "
        "ON CONFLICT (artifact_id, alias) DO UPDATE SET version_id = excluded.version_id",
        (artifact_id, alias, version_id),
    )


def set_alias(db: Database, ref: Ref, alias: str) -> VersionRow:
    """Point ``alias`` at the version ``ref`` names (moving it if it named another)."""
    check_alias(alias, settable=True)
    with db.write():
        version = resolve(db, ref)
        _point_alias(db.con, version.artifact_id, alias, version.id)
    return version


def remove_alias(db: Database, ref: Ref, alias: str) -> VersionRow:
    """Remove ``alias`` from the version ``ref`` names."""
    check_alias(alias, settable=True)
    with db.write() as con:
        version = resolve(db, ref, allow_deleted=True)
        gone = con.execute(
            "DELETE FROM aliases WHERE artifact_id = ? AND alias = ? AND version_id = ?",
            (version.artifact_id, alias, version.id),
        ).rowcount
        if not gone:
            raise NotFoundError(f"{version.name}:v{version.number} has no alias {alias!r}")
    return version


def delete_version(db: Database, ref: Ref, delete_aliases: bool = False) -> VersionRow:
    """Mark a version deleted (kept in the lineage graph); move ``latest`` if it held it."""
    with db.write(durable=True) as con:
        version = resolve(db, ref)
        held = [
            r[0] for r in con.execute("SELECT alias FROM aliases WHERE version_id = ? ORDER BY alias", (version.id,))
        ]
        others = [a for a in held if a != LATEST]
        if others and not delete_aliases:
            raise ConflictError(
                f"{version.name}:v{version.number} holds aliases {', '.join(others)}: "
                "remove them first or pass delete_aliases=True"
            )
        con.execute("UPDATE versions SET deleted_at = ? WHERE id = ?", (now(), version.id))
        con.execute("DELETE FROM aliases WHERE version_id = ?", (version.id,))
        if LATEST in held:
            newest = con.execute(
                "SELECT id FROM versions WHERE artifact_id = ? AND deleted_at IS NULL ORDER BY number DESC LIMIT 1",
                (version.artifact_id,),
            ).fetchone()
            if newest is not None:
                _point_alias(con, version.artifact_id, LATEST, newest[0])
    return version
