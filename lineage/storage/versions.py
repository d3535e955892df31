"""Versions in the database: committing them, resolving refs, aliases and deletion.

Each function that writes runs inside one ``BEGIN IMMEDIATE`` transaction, so version
numbers are assigned atomically: two processes logging the same artifact get v0 and v1.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from ..errors import ConflictError, InvalidArgumentError, NotFoundError
from ..refs import LATEST, Ref, check_alias
from .db import Database, chunks, marks, now

STAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # how db.now() writes times

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
    """The version a ref names, or a NotFoundError saying what exists instead.

    ``registry/collection:alias`` refs resolve through the model registry (lineage/registry.py).
    """
    try:
        artifact_id, project, _ = find_artifact(db, ref.name, ref.project)
    except NotFoundError:
        from .registry import resolve_link

        linked = resolve_link(db, ref)
        if linked is None:
            raise
        version = version_row(db, linked)
        if version.deleted_at is not None and not allow_deleted:
            raise NotFoundError(f"{ref} links {version.project}/{version.name}:v{version.number}, deleted") from None
        return version
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
    references: tuple[tuple[str, str, str | None, int | None], ...] = ()  # path, uri, sha256, size
    tags: tuple[str, ...] = ()
    ttl_seconds: float | None = None  # W&B's ttl: the version expires this long after it is created


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


def commit(db: Database, run_id: str | None, new: NewVersion, ready: Callable[[], None] | None = None) -> VersionRow:
    """Commit a version (or find the identical live one) and record the produce edge; its row.

    With no ``run_id`` (an imported version no imported run produced), an identical live
    version is returned as it is, and a new one gets no produce edge.
    ``ready`` is called inside the transaction, just before its durable commit: the
    caller waits there for its files to be durable, so that wait overlaps the statements.
    """
    with db.write(durable=True) as con:
        version_id, made = _commit(con, run_id, new)
        # An identical version's row is read in the transaction (on PostgreSQL it comes back with the commit).
        found = (
            con.execute(f"SELECT {VERSION_COLUMNS} {FROM_VERSIONS} WHERE v.id = ?", (version_id,))
            if made is None
            else None
        )
        if ready is not None:
            ready()
    return made if made is not None else VersionRow(*cast(sqlite3.Cursor, found).fetchone())


def commit_in(con: sqlite3.Connection, run_id: str | None, new: NewVersion) -> int:
    """:func:`commit` inside the caller's write transaction (an import commits many at once); the version's id."""
    return _commit(con, run_id, new)[0]


def _commit(con: sqlite3.Connection, run_id: str | None, new: NewVersion) -> tuple[int, VersionRow | None]:
    """(version id, the new version's row, or None when an identical live version was found)."""
    stamp = now()
    # One read: the artifact, its live version with this digest and its next version number.
    # (On PostgreSQL it is a statement of its own after the writer lock's: its snapshot
    # follows the previous writer's commit, so no two writers read the same number.)
    row = con.execute(
        "SELECT a.id, a.type, "
        "(SELECT v.id FROM versions v WHERE v.artifact_id = a.id AND v.digest = ? AND v.deleted_at IS NULL "
        "ORDER BY v.id LIMIT 1), "
        "(SELECT coalesce(max(v.number) + 1, 0) FROM versions v WHERE v.artifact_id = a.id) "
        "FROM artifacts a WHERE a.project = ? AND a.name = ?",
        (new.digest, new.project, new.name),
    ).fetchone()
    if row is None:
        artifact_id = con.execute(
            "INSERT INTO artifacts (project, name, type, created_at) VALUES (?, ?, ?, ?)",
            (new.project, new.name, new.type, stamp),
        ).lastrowid
        same, number = None, 0  # a new artifact has no versions
    elif row[1] != new.type:
        raise ConflictError(
            f"artifact {new.name!r} has type {row[1]!r}, not {new.type!r}: an artifact keeps one type, "
            "choose another name"
        )
    else:
        artifact_id, _, same, number = row
    assert artifact_id is not None  # lastrowid of the INSERT above
    if same is not None and run_id is None:
        return same, None
    made = _insert_version(con, artifact_id, run_id, new, stamp, number) if same is None else None
    version_id = made.id if made is not None else cast(int, same)
    if same is not None and new.tags:
        _merge_tags(con, version_id, new.tags)
    if run_id is not None:
        con.execute(
            "INSERT OR IGNORE INTO produced (run_id, version_id, created_at) VALUES (?, ?, ?)",
            (run_id, version_id, stamp),
        )
    for alias in (LATEST, *new.aliases):
        _point_alias(con, artifact_id, alias, version_id)
    return version_id, made


def _insert_version(
    con: sqlite3.Connection, artifact_id: int, run_id: str | None, new: NewVersion, stamp: str, number: int
) -> VersionRow:
    """Insert version ``number`` of an artifact with its files; its row, as :func:`version_row` reads it."""
    size = sum(f[2] for f in new.files) + sum(r[3] or 0 for r in new.references)
    file_count = len(new.files) + len(new.references)
    version_id = con.execute(
        "INSERT INTO versions (artifact_id, number, digest, size, file_count, description, metadata, "
        "created_at, created_by, tags, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            artifact_id,
            number,
            new.digest,
            size,
            file_count,
            new.description,
            new.metadata,
            stamp,
            run_id,
            json.dumps(list(new.tags)),
            None if new.ttl_seconds is None else expiry(stamp, new.ttl_seconds),
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
    con.executemany(
        "INSERT INTO reference_files (version_id, path, uri, sha256, size) VALUES (?, ?, ?, ?, ?)",
        [(version_id, *ref) for ref in new.references],
    )
    assert version_id is not None  # lastrowid of the INSERT above
    return VersionRow(
        version_id, artifact_id, new.project, new.name, new.type, number, new.digest, size, file_count,
        new.description, new.metadata, stamp, run_id, None,
    )  # fmt: skip


def reference_rows(db: Database, version_id: int) -> list[tuple[str, str, str | None, int | None]]:
    """(path, uri, sha256, size) of every reference entry of a version, by path."""
    return db.read(
        "SELECT path, uri, sha256, size FROM reference_files WHERE version_id = ? ORDER BY path", (version_id,)
    )


def expiry(created_at: str, ttl_seconds: float) -> str:
    """The stored time ``ttl_seconds`` after ``created_at`` (both ISO 8601 UTC text)."""
    start = datetime.strptime(created_at, STAMP_FORMAT).replace(tzinfo=UTC)
    return (start + timedelta(seconds=ttl_seconds)).strftime(STAMP_FORMAT)


def _merge_tags(con: sqlite3.Connection, version_id: int, tags: tuple[str, ...]) -> None:
    old = json.loads(con.execute("SELECT tags FROM versions WHERE id = ?", (version_id,)).fetchone()[0])
    merged = old + [t for t in tags if t not in old]
    con.execute("UPDATE versions SET tags = ? WHERE id = ?", (json.dumps(merged), version_id))


@dataclass(frozen=True)
class VersionEdit:
    """What ``artifact.save()`` changes on a logged version (None: unchanged)."""

    description: str | None = None
    metadata: str | None = None
    tags: list[str] | None = None
    expires_at: str | None = None
    set_expiry: bool = False
    add_aliases: tuple[str, ...] = ()
    remove_aliases: tuple[str, ...] = ()
    clear_description: bool = False


def edit_version(db: Database, version_id: int, edit: VersionEdit) -> None:
    """Apply a logged version's edits (aliases, description, metadata, tags, ttl) in one transaction."""
    with db.write() as con:
        row = con.execute("SELECT artifact_id, deleted_at FROM versions WHERE id = ?", (version_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no version with id {version_id}")
        if row[1] is not None:
            raise NotFoundError(f"version {version_id} was deleted on {row[1]}: it cannot be edited")
        if edit.description is not None or edit.clear_description:
            con.execute("UPDATE versions SET description = ? WHERE id = ?", (edit.description, version_id))
        if edit.metadata is not None:
            con.execute("UPDATE versions SET metadata = ? WHERE id = ?", (edit.metadata, version_id))
        if edit.tags is not None:
            con.execute("UPDATE versions SET tags = ? WHERE id = ?", (json.dumps(edit.tags), version_id))
        if edit.set_expiry:
            con.execute("UPDATE versions SET expires_at = ? WHERE id = ?", (edit.expires_at, version_id))
        for alias in edit.add_aliases:
            _point_alias(con, row[0], alias, version_id)
        for alias in edit.remove_aliases:
            con.execute(
                "DELETE FROM aliases WHERE artifact_id = ? AND alias = ? AND version_id = ?",
                (row[0], alias, version_id),
            )


def version_extras(db: Database, version_id: int) -> tuple[list[str], str | None]:
    """(tags, expires_at) of a version."""
    row = db.read_one("SELECT tags, expires_at FROM versions WHERE id = ?", (version_id,))
    return (json.loads(row[0]), row[1]) if row is not None else ([], None)


def expire_versions(db: Database) -> list[VersionRow]:
    """Delete every live version whose ttl ran out (with its aliases): what gc does first."""
    stamp = now()
    rows = db.read(
        f"SELECT {VERSION_COLUMNS} {FROM_VERSIONS} WHERE v.deleted_at IS NULL AND v.expires_at IS NOT NULL "
        "AND v.expires_at <= ? ORDER BY v.id",
        (stamp,),
    )
    expired = [VersionRow(*r) for r in rows]
    for version in expired:
        delete_version(db, Ref(name=version.name, selector=f"v{version.number}", project=version.project), True)
    return expired


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


EDGE_ALIASES = (
    "(SELECT group_concat(alias, ',') FROM (SELECT alias FROM aliases al WHERE al.version_id = v.id ORDER BY alias))"
)


def run_edges(db: Database, run_ids: list[str]) -> dict[str, list[tuple[str, VersionRow, tuple[str, ...]]]]:
    """The versions each run consumed and produced, in the order the edges were recorded.

    Returns ``{run_id: [(kind, version, aliases), ...]}`` with kind ``consumed`` or ``produced``.
    """
    out: dict[str, list[tuple[str, VersionRow, tuple[str, ...]]]] = {run_id: [] for run_id in run_ids}
    for chunk in chunks(run_ids):
        rows = db.read(
            f"SELECT e.kind, e.run_id, {VERSION_COLUMNS}, {EDGE_ALIASES} "
            "FROM (SELECT 'consumed' AS kind, run_id, version_id, created_at FROM consumed "
            "      UNION ALL SELECT 'produced', run_id, version_id, created_at FROM produced) e "
            "JOIN versions v ON v.id = e.version_id JOIN artifacts a ON a.id = v.artifact_id "
            f"WHERE e.run_id IN ({marks(chunk)}) ORDER BY e.run_id, e.created_at, v.id, e.kind",
            tuple(chunk),
        )
        for kind, run_id, *version, aliases in rows:
            out[run_id].append((kind, VersionRow(*version), tuple(aliases.split(",")) if aliases else ()))
    return out


def record_uses(con: sqlite3.Connection, edges: list[tuple[str, int, str]]) -> None:
    """Record consume edges (run id, version id, time) in the caller's transaction; known ones are kept."""
    con.executemany("INSERT OR IGNORE INTO consumed (run_id, version_id, created_at) VALUES (?, ?, ?)", edges)


def counts(db: Database) -> tuple[int, int, int]:
    """(runs, versions, edges) in the store, for reporting what an import added."""
    return db.read_one(
        "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM versions), "
        "(SELECT count(*) FROM consumed) + (SELECT count(*) FROM produced)"
    )


def find_version(con: sqlite3.Connection, project: str, name: str, number: int) -> tuple[int, str] | None:
    """(id, digest) of ``project/name:vN`` if the store has it."""
    return con.execute(
        "SELECT v.id, v.digest FROM versions v JOIN artifacts a ON a.id = v.artifact_id "
        "WHERE a.project = ? AND a.name = ? AND v.number = ?",
        (project, name, number),
    ).fetchone()


def artifact_versions(db: Database, artifact_id: int) -> list[VersionRow]:
    """Every version of an artifact (deleted ones too), v0 first."""
    rows = db.read(
        f"SELECT {VERSION_COLUMNS} {FROM_VERSIONS} WHERE v.artifact_id = ? ORDER BY v.number", (artifact_id,)
    )
    return [VersionRow(*r) for r in rows]


def artifact_rows(db: Database, type: str | None, project: str | None) -> list[tuple]:
    """(project, name, type, created_at, version count, latest 'vN') of artifacts, by project and name."""
    return db.read(
        "SELECT a.project, a.name, a.type, a.created_at, "
        "(SELECT count(*) FROM versions v WHERE v.artifact_id = a.id), "
        "(SELECT 'v' || v.number FROM aliases al JOIN versions v ON v.id = al.version_id "
        " WHERE al.artifact_id = a.id AND al.alias = 'latest') "
        "FROM artifacts a WHERE (:type IS NULL OR a.type = :type) AND (:project IS NULL OR a.project = :project) "
        "ORDER BY a.project, a.name",
        {"type": type, "project": project},
    )


def file_rows(db: Database, version_id: int) -> list[tuple[str, str, int, int | None, int | None]]:
    """(path, sha256, size, blob size, blob mtime_ns) of a version's stored files, by path."""
    return db.read(
        "SELECT f.path, f.sha256, f.size, b.size, b.mtime_ns FROM files f "
        "LEFT JOIN blobs b ON b.sha256 = f.sha256 WHERE f.version_id = ? ORDER BY f.path",
        (version_id,),
    )


def file_row(db: Database, version_id: int, path: str) -> tuple[str, int] | None:
    """(sha256, size) of one stored file of a version, or None."""
    return db.read_one("SELECT sha256, size FROM files WHERE version_id = ? AND path = ?", (version_id, path))


def file_blobs(db: Database, version_id: int) -> list[tuple[str, str, int, int]]:
    """(path, sha256, blob size, blob mtime_ns) of a version's stored files whose blob rows exist, by path."""
    return db.read(
        "SELECT f.path, f.sha256, b.size, b.mtime_ns FROM files f JOIN blobs b ON b.sha256 = f.sha256 "
        "WHERE f.version_id = ? ORDER BY f.path",
        (version_id,),
    )


def version_aliases(db: Database, version_id: int) -> list[str]:
    """The aliases naming a version, sorted."""
    return [r[0] for r in db.read("SELECT alias FROM aliases WHERE version_id = ? ORDER BY alias", (version_id,))]
