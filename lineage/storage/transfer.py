"""Statements of ``lineage copy``: read a store's lineage whole, write it into another.

Only portable SQL (``ON CONFLICT ... DO NOTHING``, ``RETURNING``), so the same functions
serve a PostgreSQL twin of :class:`~lineage.storage.db.Database`.

Identity across stores: a run is its id (a UUID); an artifact is (project, name); a
version is (artifact, number) and must have the same digest on both sides. Integer ids of
artifacts and versions are kept where the destination has them free, else new ones are
given (and edges, aliases and files follow the mapping).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConflictError
from .db import Database

RUN_COLUMNS = (
    "id, project, name, job_type, state, error, config, notes, started_at, ended_at, host, pid, pid_started, "
    "group_name, tags"
)
VERSION_COLUMNS = (
    "id, artifact_id, number, digest, size, file_count, description, metadata, created_at, created_by, "
    "deleted_at, tags, expires_at"
)
READS = {
    "runs": f"SELECT {RUN_COLUMNS} FROM runs ORDER BY started_at, id",
    "history": "SELECT run_id, step, key, value, data FROM history ORDER BY run_id, step, key",
    "summary": "SELECT run_id, key, value, data FROM summary ORDER BY run_id, key",
    "run_files": "SELECT run_id, path, sha256, size FROM run_files ORDER BY run_id, path",
    "artifacts": "SELECT id, project, name, type, created_at FROM artifacts ORDER BY id",
    "versions": f"SELECT {VERSION_COLUMNS} FROM versions ORDER BY id",
    "aliases": "SELECT artifact_id, alias, version_id FROM aliases ORDER BY artifact_id, alias",
    "files": "SELECT version_id, path, sha256, size FROM files ORDER BY version_id, path",
    "reference_files": "SELECT version_id, path, uri, sha256, size FROM reference_files ORDER BY version_id, path",
    "consumed": "SELECT run_id, version_id, created_at FROM consumed ORDER BY run_id, version_id",
    "produced": "SELECT run_id, version_id, created_at FROM produced ORDER BY run_id, version_id",
    "blobs": "SELECT sha256, size, mtime_ns FROM blobs ORDER BY sha256",
    "registry_links": "SELECT registry, collection, number, version_id, created_at, created_by FROM registry_links "
    "ORDER BY registry, collection, number",
    "registry_aliases": "SELECT registry, collection, alias, number FROM registry_aliases "
    "ORDER BY registry, collection, alias",
}


@dataclass(frozen=True)
class Dump:
    """Every row ``lineage copy`` moves, by table (tuples in the columns of ``READS``)."""

    tables: dict[str, list[tuple]]

    def __getitem__(self, table: str) -> list[tuple]:
        return self.tables[table]


def read_dump(db: Database) -> Dump:
    """Read every row ``lineage copy`` moves (one read per table)."""
    return Dump({table: [tuple(row) for row in db.read(sql)] for table, sql in READS.items()})


def recorded_digests(db: Database) -> set[str]:
    """Digests the store records a blob row for."""
    return {row[0] for row in db.read("SELECT sha256 FROM blobs")}


def write_dump(db: Database, dump: Dump, blobs: dict[str, tuple[int, int]]) -> dict[str, int]:
    """Write ``dump`` into ``db`` in one transaction; returns how many rows of each kind were new.

    ``blobs``: the (size, mtime_ns) of blobs copied into the destination's blob store now.
    A version both stores hold with other content, or an artifact of another type, is a
    ConflictError and nothing is written.
    """
    new = dict.fromkeys(("runs", "artifacts", "versions", "aliases", "edges", "files", "blobs", "links"), 0)
    with db.write(durable=True) as con:
        rows = [(sha, *blobs[sha]) for sha in sorted(blobs)]
        new["blobs"] += _count(
            con.executemany(
                "INSERT INTO blobs (sha256, size, mtime_ns) VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING", rows
            )
        )
        con.executemany(
            "INSERT INTO blobs (sha256, size, mtime_ns) VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
            [row for row in dump["blobs"] if row[0] not in blobs],
        )
        new["runs"] = _count(
            con.executemany(
                f"INSERT INTO runs ({RUN_COLUMNS}) VALUES ({', '.join('?' * 15)}) ON CONFLICT (id) DO NOTHING",
                dump["runs"],
            )
        )
        con.executemany(
            "INSERT INTO history (run_id, step, key, value, data) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (run_id, step, key) DO NOTHING",
            dump["history"],
        )
        con.executemany(
            "INSERT INTO summary (run_id, key, value, data) VALUES (?, ?, ?, ?) ON CONFLICT (run_id, key) DO NOTHING",
            dump["summary"],
        )
        new["files"] += _count(
            con.executemany(
                "INSERT INTO run_files (run_id, path, sha256, size) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (run_id, path) DO NOTHING",
                dump["run_files"],
            )
        )
        artifact_ids: dict[int, int] = {}
        names: dict[int, str] = {}
        for old_id, project, name, type_, created_at in dump["artifacts"]:
            names[old_id] = f"{project}/{name}"
            found = con.execute("SELECT id, type FROM artifacts WHERE project = ? AND name = ?", (project, name))
            row = found.fetchone()
            if row is not None:
                if row[1] != type_:
                    raise ConflictError(
                        f"artifact {project}/{name} is a {type_!r} in the source but a {row[1]!r} in the "
                        "destination: nothing was copied"
                    )
                artifact_ids[old_id] = row[0]
                continue
            keep = con.execute("SELECT 1 FROM artifacts WHERE id = ?", (old_id,)).fetchone() is None
            inserted = con.execute(
                "INSERT INTO artifacts (id, project, name, type, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                (old_id if keep else None, project, name, type_, created_at),
            )
            artifact_ids[old_id] = inserted.fetchone()[0]
            new["artifacts"] += 1
        version_ids: dict[int, int] = {}
        fresh: set[int] = set()
        for old_id, artifact_id, number, digest, *rest in dump["versions"]:
            target = artifact_ids[artifact_id]
            found = con.execute(
                "SELECT id, digest FROM versions WHERE artifact_id = ? AND number = ?", (target, number)
            ).fetchone()
            if found is not None:
                if found[1] != digest:
                    raise ConflictError(
                        f"{names[artifact_id]}:v{number} has other content in the destination "
                        f"({found[1][:12]} there, {digest[:12]} here): nothing was copied"
                    )
                version_ids[old_id] = found[0]
                continue
            keep = con.execute("SELECT 1 FROM versions WHERE id = ?", (old_id,)).fetchone() is None
            inserted = con.execute(
                f"INSERT INTO versions ({VERSION_COLUMNS}) VALUES ({', '.join('?' * 13)}) RETURNING id",
                (old_id if keep else None, target, number, digest, *rest),
            )
            version_ids[old_id] = inserted.fetchone()[0]
            fresh.add(old_id)
            new["versions"] += 1
        new["files"] += _count(
            con.executemany(
                "INSERT INTO files (version_id, path, sha256, size) VALUES (?, ?, ?, ?)",
                [(version_ids[v], *rest) for v, *rest in dump["files"] if v in fresh],
            )
        )
        con.executemany(
            "INSERT INTO reference_files (version_id, path, uri, sha256, size) VALUES (?, ?, ?, ?, ?)",
            [(version_ids[v], *rest) for v, *rest in dump["reference_files"] if v in fresh],
        )
        # An alias the destination already gives stays where it is, unless this copy brings
        # the artifact new versions: then the source's aliases (its latest) are the newer word.
        grown = {artifact_ids[a] for v, a, *_ in dump["versions"] if v in fresh}
        aliases = [(artifact_ids[a], alias, version_ids[v]) for a, alias, v in dump["aliases"]]
        new["aliases"] = _count(
            con.executemany(
                "INSERT INTO aliases (artifact_id, alias, version_id) VALUES (?, ?, ?) "
                "ON CONFLICT (artifact_id, alias) DO NOTHING",
                [row for row in aliases if row[0] not in grown],
            )
        ) + _count(
            con.executemany(
                "INSERT INTO aliases (artifact_id, alias, version_id) VALUES (?, ?, ?) "
                "ON CONFLICT (artifact_id, alias) DO UPDATE SET version_id = excluded.version_id",
                [row for row in aliases if row[0] in grown],
            )
        )
        for table in ("consumed", "produced"):
            new["edges"] += _count(
                con.executemany(
                    f"INSERT INTO {table} (run_id, version_id, created_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (run_id, version_id) DO NOTHING",
                    [(run, version_ids[v], at) for run, v, at in dump[table]],
                )
            )
        new["links"] = _write_links(con, dump, version_ids)
    return new


def _write_links(con, dump: Dump, version_ids: dict[int, int]) -> int:
    """The registry's links and aliases; returns how many links were new.

    A link is (registry, collection, number), as a version is (artifact, number): both
    stores must give it the same version, else ConflictError. Aliases follow the rule of
    artifact aliases: a collection this copy brings new links takes the source's aliases.
    """
    grown: set[tuple[str, str]] = set()
    added = 0
    for registry, collection, number, version_id, created_at, created_by in dump["registry_links"]:
        target = version_ids[version_id]
        found = con.execute(
            "SELECT number, version_id FROM registry_links WHERE registry = ? AND collection = ? "
            "AND (number = ? OR version_id = ?)",
            (registry, collection, number, target),
        ).fetchall()
        if (number, target) in [tuple(row) for row in found]:
            continue
        if found:
            raise ConflictError(
                f"registry link {registry}/{collection}:v{number} names another version in the destination "
                "(or its version is linked there under another number): nothing was copied"
            )
        con.execute(
            "INSERT INTO registry_links (registry, collection, number, version_id, created_at, created_by) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (registry, collection, number, target, created_at, created_by),
        )
        grown.add((registry, collection))
        added += 1
    for registry, collection, alias, number in dump["registry_aliases"]:
        con.execute(
            "INSERT INTO registry_aliases (registry, collection, alias, number) VALUES (?, ?, ?, ?) "
            + (
                "ON CONFLICT (registry, collection, alias) DO UPDATE SET number = excluded.number"
                if (registry, collection) in grown
                else "ON CONFLICT (registry, collection, alias) DO NOTHING"
            ),
            (registry, collection, alias, number),
        )
    return added


def _count(cursor) -> int:
    return max(cursor.rowcount, 0)
